"""What every check of the harness shares: assertions, inputs, stages, a training step."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.testing._tensors import (
    _SEED,
    _all_layers,
    _comparable,
    _describe,
    _dtype_of,
    _flatten_shapes,
    _is_float_dtype,
    _is_shape,
    _map_shapes,
    _random_array,
    _shape_of,
    _shapes_match,
)
from keras_dlkit.utils.arrays import to_numpy


class HarnessBase:
    """Assertions and helpers shared by the check mixins of ``TestCase``.

    Private: mixed into :class:`keras_dlkit.testing.TestCase`, whose
    ``unittest.TestCase`` base provides ``fail`` and ``addCleanup``.
    """

    def get_temp_dir(self) -> str:
        """Return a fresh temporary directory, removed when the test ends.

        Returns:
            The directory's path.

        Example:

        >>> from keras_dlkit.testing import TestCase
        >>> import os
        >>> case = TestCase()
        >>> os.path.isdir(case.get_temp_dir())
        True
        """
        path = tempfile.mkdtemp(prefix="keras_dlkit_test_")
        self.addCleanup(shutil.rmtree, path, ignore_errors=True)
        return path

    def _check_finite(self, values: Any, where: str) -> None:
        """Fail when a float tensor in ``values`` holds NaN or inf.

        ``assertAllClose`` counts NaN as equal to NaN, so a comparison of two
        NaN outputs proves nothing: the comparisons call this first.
        """
        for index, item in enumerate(keras.tree.flatten(values)):
            array = _comparable(item)
            if _is_float_dtype(_dtype_of(array)) and not np.all(np.isfinite(array)):
                bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
                self.fail(
                    f"{where}: output {index} holds {bad} NaN or inf value(s) of "
                    f"{np.size(array)}, so comparing it proves nothing; the outputs "
                    "must be finite."
                )

    @contextlib.contextmanager
    def _stage(self, description: str) -> Iterator[None]:
        """Turn an exception raised in ``description`` into a test failure."""
        try:
            yield
        except self.failureException:
            raise
        except Exception as error:  # noqa: BLE001 - reported as a failure
            self.fail(f"{description} raised {type(error).__name__}: {error}")

    # ------------------------------------------------------------ assertions

    def assertAllClose(
        self,
        x: Any,
        y: Any,
        atol: float = 1e-6,
        rtol: float = 1e-6,
        msg: str | None = None,
    ) -> None:
        """Assert that two tensors (or nested structures of them) are close.

        Tensors of any backend, ``keras.Variable`` objects, NumPy arrays and
        Python numbers are accepted; they are converted with
        ``keras.ops.convert_to_numpy``. Shapes must match exactly.

        Args:
            x: The actual value.
            y: The expected value.
            atol: Absolute tolerance.
            rtol: Relative tolerance.
            msg: Extra text for the failure message.

        Example:

        >>> from keras_dlkit.testing import TestCase
        >>> import keras
        >>> case = TestCase()
        >>> case.assertAllClose(keras.ops.ones((2,)), [1.0, 1.0])
        >>> case.assertAllClose([1.0], [1.1])
        Traceback (most recent call last):
        ...
        AssertionError: ...
        """
        flat_x = keras.tree.flatten(x)
        flat_y = keras.tree.flatten(y)
        if len(flat_x) != len(flat_y):
            x_arr, y_arr = to_numpy(x), to_numpy(y)
            flat_x, flat_y = [x_arr], [y_arr]
        for index, (a, b) in enumerate(zip(flat_x, flat_y, strict=True)):
            a_np, b_np = _comparable(a), _comparable(b)
            where = f" (item {index})" if len(flat_x) > 1 else ""
            if a_np.shape != b_np.shape:
                self.fail(
                    (msg + ": " if msg else "")
                    + f"shapes differ{where}: {a_np.shape} != {b_np.shape}"
                )
            try:
                np.testing.assert_allclose(
                    a_np, b_np, atol=atol, rtol=rtol, equal_nan=True
                )
            except AssertionError as error:
                self.fail((msg + ": " if msg else "") + f"values differ{where}.{error}")

    def assertDTypeEqual(self, x: Any, dtype: Any, msg: str | None = None) -> None:
        """Assert that ``x`` (a tensor, array, variable or number) has ``dtype``.

        Both sides are standardized with ``keras.backend.standardize_dtype``,
        so ``"float32"``, ``np.float32`` and a backend dtype compare equal.

        Args:
            x: A tensor, ``keras.Variable``, NumPy array or Python number.
            dtype: The expected dtype.
            msg: Extra text for the failure message.

        Example:

        >>> from keras_dlkit.testing import TestCase
        >>> import keras
        >>> case = TestCase()
        >>> case.assertDTypeEqual(keras.ops.ones((2,), dtype="float16"), "float16")
        """
        actual = _dtype_of(x)
        expected = keras.backend.standardize_dtype(dtype)
        if actual != expected:
            self.fail(
                (msg + ": " if msg else "")
                + f"dtype is {actual!r}, expected {expected!r}"
            )

    def assertNoLambdaLayers(self, layer: keras.layers.Layer) -> None:
        """Assert that no ``keras.layers.Lambda`` is tracked anywhere in ``layer``.

        A ``Lambda`` layer refuses to load from a ``.keras`` file with
        ``safe_mode=True``; write a small registered layer instead.

        Args:
            layer: A layer or model; its sublayers are searched at any depth.

        Example:

        >>> from keras_dlkit.testing import TestCase
        >>> import keras
        >>> case = TestCase()
        >>> case.assertNoLambdaLayers(keras.layers.Dense(2))
        >>> case.assertNoLambdaLayers(keras.layers.Lambda(lambda x: x))
        Traceback (most recent call last):
        ...
        AssertionError: ...Lambda...
        """
        lambdas = [
            sub for sub in _all_layers(layer) if isinstance(sub, keras.layers.Lambda)
        ]
        if lambdas:
            names = ", ".join(_describe(sub) for sub in lambdas)
            self.fail(
                f"{_describe(layer)} contains Lambda layer(s): {names}. A Lambda "
                "layer refuses to load with safe_mode=True; replace it with a "
                "small registered layer subclass."
            )

    def _construct(self, layer_cls: type, kwargs: dict[str, Any]):
        with self._stage(f"{layer_cls.__name__}(**{kwargs!r})"):
            return layer_cls(**kwargs)

    def _prepare_inputs(self, input_shape: Any, input_data: Any, input_dtype: str):
        """Return (shapes, data, dtypes) as matching structures."""
        if input_data is None:
            rng = np.random.default_rng(_SEED)
            try:
                input_data = _map_shapes(
                    lambda shape: _random_array(shape, input_dtype, rng), input_shape
                )
            except ValueError as error:
                self.fail(str(error))
            input_dtypes = _map_shapes(
                lambda shape: keras.backend.standardize_dtype(input_dtype),
                input_shape,
            )
            if keras.backend.standardize_dtype(input_dtype) == "bfloat16":
                input_data = keras.tree.map_structure(
                    lambda x: ops.cast(x, "bfloat16"), input_data
                )
        else:
            input_dtypes = keras.tree.map_structure(_dtype_of, input_data)
        if input_shape is None:
            input_shape = keras.tree.map_structure(_shape_of, input_data)
            # keras.tree turns each shape tuple into a tuple of ints; keep it.
        else:
            input_shape = _map_shapes(lambda shape: shape, input_shape)
        return input_shape, input_data, input_dtypes

    def _keras_tensors(self, input_shape: Any, input_dtypes: Any):
        flat_shapes = _flatten_shapes(input_shape)
        flat_dtypes = keras.tree.flatten(input_dtypes)
        tensors = iter(
            keras.KerasTensor(shape, dtype=dtype)
            for shape, dtype in zip(flat_shapes, flat_dtypes, strict=True)
        )
        return _map_shapes(lambda shape: next(tensors), input_shape)

    def _wrap_in_model(self, layer, input_shape: Any, input_dtypes: Any):
        if isinstance(input_shape, dict) and all(
            _is_shape(shape) for shape in input_shape.values()
        ):
            # A flat dict: name each input after its key, as Keras expects.
            inputs = {
                key: keras.Input(
                    shape=tuple(input_shape[key])[1:],
                    dtype=input_dtypes[key],
                    name=str(key),
                )
                for key in sorted(input_shape)
            }
        else:
            flat_shapes = _flatten_shapes(input_shape)
            flat_dtypes = keras.tree.flatten(input_dtypes)
            inputs_iter = iter(
                keras.Input(shape=shape[1:], dtype=dtype)
                for shape, dtype in zip(flat_shapes, flat_dtypes, strict=True)
            )
            inputs = _map_shapes(lambda shape: next(inputs_iter), input_shape)
        with self._stage(f"Wrapping {_describe(layer)} in a functional model"):
            return keras.Model(inputs, layer(inputs), name=f"{layer.name}_model")

    def _check_outputs(self, flat_outputs, expected_shape, expected_dtype, where):
        actual_shapes = [_shape_of(item) for item in flat_outputs]
        if expected_shape is not None:
            expected_flat = _flatten_shapes(expected_shape)
            if len(expected_flat) != len(actual_shapes) or not all(
                _shapes_match(e, a)
                for e, a in zip(expected_flat, actual_shapes, strict=False)
            ):
                shown = actual_shapes if len(actual_shapes) > 1 else actual_shapes[0]
                self.fail(
                    f"{where}: output shape is {shown}, expected {expected_shape}."
                )
        if expected_dtype is not None:
            expected = keras.backend.standardize_dtype(expected_dtype)
            for index, item in enumerate(flat_outputs):
                if _dtype_of(item) != expected:
                    self.fail(
                        f"{where}: output {index} has dtype {_dtype_of(item)!r}, "
                        f"expected {expected!r}."
                    )

    def _fit_one_step(self, model, input_data, outputs, loss, target, name):
        x = keras.tree.map_structure(to_numpy, input_data)
        batch_size = int(keras.tree.flatten(x)[0].shape[0])
        if target is None:
            rng = np.random.default_rng(_SEED + 1)
            target = keras.tree.map_structure(
                lambda item: rng.standard_normal(_shape_of(item)).astype("float32"),
                outputs,
            )
        y = keras.tree.map_structure(to_numpy, target)
        before = [np.array(to_numpy(w)) for w in model.trainable_weights]
        with self._stage(f"Compiling {name} for one training step"):
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=loss)
        with self._stage(f"One training step (model.fit) of {name}"):
            with warnings.catch_warnings():
                # Reported below, with the names of the weights.
                warnings.filterwarnings(
                    "ignore", message=".*does not have any trainable weights"
                )
                warnings.filterwarnings("ignore", message="Gradients do not exist")
                history = model.fit(
                    x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0
                )
        losses = history.history.get("loss", [])
        if not losses or not np.all(np.isfinite(losses)):
            self.fail(f"One training step of {name} gave the loss {losses!r}.")
        unchanged = [
            weight.path
            for weight, old in zip(model.trainable_weights, before, strict=True)
            if np.array_equal(to_numpy(weight), old)
        ]
        if unchanged:
            self.fail(
                f"One training step of {name} did not change the trainable "
                f"weight(s) {unchanged}: they do not reach the output, or their "
                "gradient is zero."
            )

    @staticmethod
    def _unregistered_classes(model) -> list[str]:
        names = []
        for sub in _all_layers(model):
            cls = type(sub)
            if cls.__module__.startswith("keras."):
                continue
            registered = keras.saving.get_registered_object(
                keras.saving.get_registered_name(cls)
            )
            if registered is not cls:
                names.append(cls.__qualname__)
        return sorted(set(names))
