"""Kept for the modules that import ``clone_initializer`` from here; see :mod:`keras_compat`."""

from keras_dlkit.utils.keras_compat import clone_initializer

__all__ = ["clone_initializer"]
