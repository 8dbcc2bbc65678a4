"""Public `keras_dlkit.testing` namespace: a test harness for Keras layers.

Example:

>>> from keras_dlkit.testing import TestCase
>>> issubclass(TestCase, __import__("unittest").TestCase)
True
"""

from keras_dlkit.testing.test_case import TestCase

__all__ = ["TestCase"]
