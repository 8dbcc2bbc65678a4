"""``run_model_test``: a whole model's forward pass, training step and saving."""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.testing._tensors import _describe

__all__ = ["ModelChecks"]


class ModelChecks:
    """The model check of :class:`keras_dlkit.testing.TestCase`, as a mixin.

    Example:

    >>> from keras_dlkit.testing import TestCase
    >>> from keras_dlkit.testing.model_checks import ModelChecks
    >>> issubclass(TestCase, ModelChecks)
    True
    """

    def run_model_test(
        self,
        model: keras.Model,
        input_data: Any,
        expected_output_shape: Any = None,
        run_training_check: bool = True,
        run_saving_check: bool = True,
        loss: Any = "mse",
        target: Any = None,
    ) -> None:
        """Check a model: forward pass, one training step and saving.

        1. ``model(input_data)`` gives outputs of ``expected_output_shape``
           (``None`` matches any size).
        2. Training: compiled with SGD and ``loss``, one ``fit`` step on
           ``input_data`` and ``target`` (random data of the output's shape
           when ``None``) gives a finite loss and changes every trainable
           weight. This recompiles ``model``.
        3. Saving: :meth:`run_saving_test`.

        Args:
            model: The model to test.
            input_data: Input array(s), batch dimension first.
            expected_output_shape: Expected output shape, or a list/dict of
                them.
            run_training_check: Whether to run the training step.
            run_saving_check: Whether to run :meth:`run_saving_test`.
            loss: Loss for the training step.
            target: Training target; random normal data shaped like the
                output when ``None`` (give integer labels for a
                classification loss).

        Raises:
            AssertionError: When a check fails.

        Example:

        >>> from keras_dlkit.testing import TestCase
        >>> import keras, numpy as np
        >>> inputs = keras.Input(shape=(4,))
        >>> model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
        >>> case = TestCase()
        >>> case.run_model_test(
        ...     model, np.ones((3, 4), "float32"), expected_output_shape=(3, 2))
        >>> case.doCleanups()  # removes the temporary directory
        True
        """
        name = _describe(model)
        with self._stage(f"Calling {name} on the input data"):
            outputs = model(input_data)
        flat_outputs = keras.tree.flatten(outputs)
        self._check_outputs(flat_outputs, expected_output_shape, None, name)
        if run_training_check:
            self._fit_one_step(model, input_data, outputs, loss, target, name)
        if run_saving_check:
            self.run_saving_test(model, input_data)
