"""A backend-neutral test harness for Keras 3 layers and models.

``TestCase`` is a ``unittest.TestCase``, so it runs under both ``pytest`` and
``unittest``, on whichever backend ``KERAS_BACKEND`` selects (tensorflow,
jax or torch). Only ``keras``, ``keras.ops`` and ``numpy`` are used here: no
backend framework is imported.

The five ``run_*`` methods check the conventions every ``keras_dlkit`` part
follows, and which a downstream layer has to follow to be saved, reloaded and
trained like a built-in one:

* :meth:`TestCase.run_layer_test`: build, symbolic and eager output shapes
  and dtypes, ``compute_output_shape``, weight counts, one training step and
  the ``get_config``/``from_config`` round trip.
* :meth:`TestCase.run_saving_test`: a ``.keras`` round trip loaded with
  ``safe_mode=True`` and no ``custom_objects`` gives identical outputs.
* :meth:`TestCase.run_precision_test`: under ``mixed_float16`` and
  ``mixed_bfloat16`` the outputs are in the compute dtype and the variables
  in the variable dtype.
* :meth:`TestCase.run_model_test`: forward pass, one training step and the
  saving round trip for a whole model.
* :meth:`TestCase.run_trainer_test`: a trainer model (a GAN, a VAE, an
  autoencoder, ...): one ``fit()`` step that changes every trainable weight
  and advances every inner optimizer, a ``.keras`` round trip that
  generates the same samples, and the generated samples' shape.

Each concern lives in its own module (``layer_checks``, ``precision_checks``,
``saving_checks``, ``model_checks``, ``trainer_checks``); ``TestCase``
composes them as mixins.

Every problem is reported as a test failure (an ``AssertionError``) whose
message says what was checked and what to fix.
"""

from __future__ import annotations

import unittest

import keras

from keras_dlkit.testing._base import HarnessBase
from keras_dlkit.testing._tensors import _SEED
from keras_dlkit.testing.layer_checks import LayerChecks
from keras_dlkit.testing.model_checks import ModelChecks
from keras_dlkit.testing.precision_checks import (
    MIXED_PRECISION_POLICIES,
    PrecisionChecks,
)
from keras_dlkit.testing.saving_checks import SavingChecks
from keras_dlkit.testing.trainer_checks import TrainerChecks

__all__ = ["MIXED_PRECISION_POLICIES", "TestCase"]


class TestCase(
    LayerChecks,
    PrecisionChecks,
    SavingChecks,
    ModelChecks,
    TrainerChecks,
    HarnessBase,
    unittest.TestCase,
):
    """Base class for testing Keras 3 layers and models on any backend.

    Subclass it instead of ``unittest.TestCase``. ``setUp`` clears the Keras
    session and seeds every random generator with 1337; ``tearDown`` resets
    the global dtype policy to ``"float32"``. A subclass that overrides them
    must call ``super().setUp()`` / ``super().tearDown()``.

    The layers and models under test must be registered with Keras
    (``keras.saving.register_keras_serializable`` or, inside
    ``keras_dlkit``, ``keras_dlkit_export``) for the saving checks, which
    load ``.keras`` files with ``safe_mode=True`` and no ``custom_objects``.

    Example:

    >>> import keras
    >>> from keras_dlkit.testing import TestCase
    >>> @keras.saving.register_keras_serializable(package="doc_example")
    ... class Scale(keras.layers.Layer):
    ...     def __init__(self, factor=2.0, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.factor = factor
    ...     def call(self, x):
    ...         return x * self.factor
    ...     def compute_output_shape(self, input_shape):
    ...         return input_shape
    ...     def get_config(self):
    ...         return {**super().get_config(), "factor": self.factor}
    >>> import io, unittest
    >>> class ScaleTest(TestCase):
    ...     def test_layer(self):
    ...         self.run_layer_test(
    ...             Scale, {"factor": 3.0}, input_shape=(2, 4),
    ...             expected_output_shape=(2, 4),
    ...         )
    >>> result = unittest.TextTestRunner(stream=io.StringIO()).run(
    ...     ScaleTest("test_layer"))
    >>> result.wasSuccessful()
    True
    """

    maxDiff = None

    # ---------------------------------------------------------------- set-up

    def setUp(self) -> None:
        super().setUp()
        keras.utils.clear_session(free_memory=False)
        keras.utils.set_random_seed(_SEED)
        keras.config.set_dtype_policy("float32")

    def tearDown(self) -> None:
        keras.config.set_dtype_policy("float32")
        super().tearDown()


# Not `keras_dlkit_export`: that decorator also registers the class with
# Keras serialization, which requires a `get_config` a test case does not have.
TestCase._keras_dlkit_path = "keras_dlkit.testing.TestCase"
