"""``run_saving_test``: a ``.keras`` round trip under ``safe_mode=True``."""

from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np

from keras_dlkit.testing._tensors import (
    _SEED,
    _all_layers,
    _describe,
    _dtype_of,
    _is_float_dtype,
    _shape_of,
)
from keras_dlkit.utils.arrays import to_numpy

__all__ = ["SavingChecks"]


class SavingChecks:
    """The saving check of :class:`keras_dlkit.testing.TestCase`, as a mixin.

    Example:

    >>> from keras_dlkit.testing import TestCase
    >>> from keras_dlkit.testing.saving_checks import SavingChecks
    >>> issubclass(TestCase, SavingChecks)
    True
    """

    def run_saving_test(
        self,
        model_or_layer: keras.layers.Layer,
        input_data: Any,
        atol: float = 1e-6,
        randomize_weights: bool = True,
    ) -> keras.Model:
        """Save to ``.keras``, load with ``safe_mode=True``, compare outputs.

        A layer that is not a model is first wrapped in a functional model
        whose inputs match ``input_data``. The model is saved to a
        temporary ``.keras`` file and loaded with
        ``keras.saving.load_model(path, safe_mode=True)`` and no
        ``custom_objects``, so every class in it must be registered. The
        loaded model must be of the same class, give the same outputs on
        ``input_data`` and contain no ``Lambda`` layer.

        Before saving, every floating-point weight (trainable or not) is set
        to a seeded random perturbation of its value (see
        ``randomize_weights``): a weight that starts at zeros or ones (a
        bias, a gate, a running average) and is not saved or not restored
        then changes the outputs, where a freshly built model would hide it.
        The outputs must be finite (a NaN equals nothing, so it would make
        the comparison pass by accident).

        Args:
            model_or_layer: The model (or layer) to save.
            input_data: Input array(s) to compare the outputs on.
            atol: Absolute (and relative) tolerance of the comparison.
            randomize_weights: Whether to perturb every float weight first
                (``w * U(0.9, 1.1) + U(-0.1, 0.1) * max|w|``, zeros getting
                ``U(-0.1, 0.1)``, non-negative weights kept non-negative;
                seeded). This changes the weights of ``model_or_layer``.

        Returns:
            The loaded model.

        Raises:
            AssertionError: When a check fails.

        Example:

        >>> from keras_dlkit.testing import TestCase
        >>> import keras
        >>> inputs = keras.Input(shape=(3,))
        >>> model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
        >>> case = TestCase()
        >>> loaded = case.run_saving_test(model, keras.ops.ones((4, 3)))
        >>> type(loaded).__name__
        'Functional'
        >>> case.doCleanups()  # removes the temporary directory
        True
        """
        model = model_or_layer
        if not isinstance(model, keras.Model):
            shapes = keras.tree.map_structure(lambda x: _shape_of(x), input_data)
            dtypes = keras.tree.map_structure(_dtype_of, input_data)
            model = self._wrap_in_model(model, shapes, dtypes)
        name = _describe(model)
        if randomize_weights:
            self._randomize_weights(model)
        with self._stage(f"Calling {name} before saving"):
            expected = keras.tree.map_structure(to_numpy, model(input_data))
        self._check_finite(expected, f"{name} before saving")
        loaded = self._save_and_load(model)
        with self._stage(f"Calling {name} after loading"):
            actual = keras.tree.map_structure(to_numpy, loaded(input_data))
        self._check_finite(actual, f"{name} after the .keras round trip")
        self.assertAllClose(
            actual,
            expected,
            atol=atol,
            rtol=atol,
            msg=f"{name} gives different outputs after the .keras round trip",
        )
        self.assertNoLambdaLayers(loaded)
        return loaded

    def _randomize_weights(self, model: keras.layers.Layer) -> None:
        """Give every float weight a seeded value away from its initial one."""
        rng = np.random.default_rng(_SEED + 2)
        for weight in model.weights:
            if not _is_float_dtype(_dtype_of(weight)):
                continue  # Counters and indices: not weights to perturb.
            old = np.asarray(to_numpy(weight), dtype="float64")
            scale = float(np.max(np.abs(old))) if old.size else 0.0
            scale = scale if scale > 0.0 else 1.0
            new = old * rng.uniform(0.9, 1.1, old.shape) + (
                rng.uniform(-0.1, 0.1, old.shape) * scale
            )
            if np.all(old >= 0.0):
                new = np.abs(new)  # Variances, counts, gains stay valid.
            with self._stage(f"Assigning random values to weight {weight.path}"):
                weight.assign(new.astype(keras.backend.standardize_dtype(weight.dtype)))
        # Layers that cache tensors computed from their weights (Keras's
        # Normalization: mean and variance from its adapted state) refresh
        # them here, as they do after loading.
        for layer in _all_layers(model):
            finalize_state = getattr(layer, "finalize_state", None)
            if callable(finalize_state):
                with self._stage(f"{_describe(layer)}.finalize_state()"):
                    finalize_state()

    def _save_and_load(self, model: keras.Model, path: str | None = None):
        """Save ``model`` to ``.keras``; load it with ``safe_mode=True``."""
        name = _describe(model)
        if path is None:
            path = os.path.join(self.get_temp_dir(), "model.keras")
        with self._stage(f"Saving {name} to a .keras file"):
            model.save(path)
        try:
            loaded = keras.saving.load_model(path, safe_mode=True)
        except Exception as error:  # noqa: BLE001 - reported as a failure
            hints = []
            lambdas = [
                _describe(sub)
                for sub in _all_layers(model)
                if isinstance(sub, keras.layers.Lambda)
            ]
            if lambdas:
                hints.append(f"it contains Lambda layer(s): {', '.join(lambdas)}")
            unregistered = self._unregistered_classes(model)
            if unregistered:
                hints.append(
                    "these classes are not registered with Keras: "
                    + ", ".join(unregistered)
                )
            self.fail(
                f"{name} could not be loaded back with safe_mode=True and no "
                f"custom_objects: {type(error).__name__}: {error}"
                + (f" (likely cause: {'; '.join(hints)})" if hints else "")
            )
        if type(loaded) is not type(model):
            self.fail(
                f"The loaded model is a {type(loaded).__name__}, the saved one a "
                f"{type(model).__name__}: register the class with Keras."
            )
        return loaded
