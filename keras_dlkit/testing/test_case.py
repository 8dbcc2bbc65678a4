"""A backend-neutral test harness for Keras 3 layers and models.

``TestCase`` is a ``unittest.TestCase``, so it runs under both ``pytest`` and
``unittest``, on whichever backend ``KERAS_BACKEND`` selects (tensorflow,
jax or torch). Only ``keras``, ``keras.ops`` and ``numpy`` are used here: no
backend framework is imported.

The four ``run_*`` methods check the conventions every ``keras_dlkit`` part
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

Every problem is reported as a test failure (an ``AssertionError``) whose
message says what was checked and what to fix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import unittest
from collections.abc import Iterator, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.testing._checks import LayerChecks
from keras_dlkit.testing._tensors import (
    _SEED,
    _all_layers,
    _comparable,
    _describe,
    _dtype_of,
    _flatten_shapes,
    _is_float_dtype,
    _shape_of,
    _shapes_match,
    _to_numpy,
)

#: The policies ``run_precision_test`` checks by default.
MIXED_PRECISION_POLICIES: tuple[str, ...] = ("mixed_float16", "mixed_bfloat16")


# --------------------------------------------------------------------------
# The harness.
# --------------------------------------------------------------------------


class TestCase(LayerChecks, unittest.TestCase):
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

    def get_temp_dir(self) -> str:
        """Return a fresh temporary directory, removed when the test ends.

        Returns:
            The directory's path.

        Example:

        >>> import os
        >>> case = TestCase()
        >>> os.path.isdir(case.get_temp_dir())
        True
        """
        path = tempfile.mkdtemp(prefix="keras_dlkit_test_")
        self.addCleanup(shutil.rmtree, path, ignore_errors=True)
        return path

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
            x_arr, y_arr = _to_numpy(x), _to_numpy(y)
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

    # ---------------------------------------------------------- layer tests

    def run_layer_test(
        self,
        layer_cls: type,
        init_kwargs: dict[str, Any] | None,
        input_shape: Any = None,
        input_data: Any = None,
        expected_output_shape: Any = None,
        expected_output_dtype: Any = None,
        expected_num_trainable_weights: int | None = None,
        expected_num_non_trainable_weights: int | None = None,
        run_training_check: bool = True,
        run_precision_check: bool = True,
        run_saving_check: bool = True,
        config_exempt: Sequence[str] = (),
        input_dtype: str = "float32",
    ) -> None:
        """Check a layer class: shapes, dtypes, weights, training and config.

        The checks, each on a fresh instance ``layer_cls(**init_kwargs)``:

        1. No ``Lambda`` layer anywhere inside (before and after building).
        2. ``build(input_shape)`` builds it and creates the expected weights.
        3. A symbolic call on ``keras.KerasTensor`` inputs and an eager call
           on ``input_data`` give the expected output shape and dtype, and
           agree with each other and with ``compute_output_shape`` (when the
           layer implements it). Calling creates no weight that ``build``
           did not.
        4. Every named argument of ``layer_cls.__init__`` (minus
           ``config_exempt``) is a key of ``get_config()``, numeric
           arguments are stored with the value passed, and
           ``from_config(get_config())`` gives the same config and, with the
           weights copied over, the same outputs.
        5. Training: one ``fit`` step of a functional model around the layer
           (SGD, mean squared error against a random target) gives a finite
           loss and changes every trainable weight.
        6. Precision: :meth:`run_precision_test`.
        7. Saving: :meth:`run_saving_test` on a functional model around the
           layer.

        Args:
            layer_cls: The layer class to test.
            init_kwargs: Keyword arguments for the constructor.
            input_shape: Input shape with the batch dimension, or a list/dict
                of them for several inputs. Random data of ``input_dtype`` is
                made from it when ``input_data`` is not given.
            input_data: Input array(s); their shapes are used when
                ``input_shape`` is not given.
            expected_output_shape: Expected output shape (batch dimension
                included; ``None`` matches any size), or a list/dict of them.
            expected_output_dtype: Expected dtype of every output.
            expected_num_trainable_weights: Expected number of trainable
                weights once built.
            expected_num_non_trainable_weights: Expected number of
                non-trainable weights once built.
            run_training_check: Whether to run the training step.
            run_precision_check: Whether to run :meth:`run_precision_test`.
            run_saving_check: Whether to run :meth:`run_saving_test`.
            config_exempt: Constructor arguments that need not appear in
                ``get_config()`` (for example an argument only used to build
                the initial state).
            input_dtype: Dtype of the random inputs made from
                ``input_shape``.

        Raises:
            AssertionError: When a check fails.

        Example:

        >>> import keras
        >>> @keras.saving.register_keras_serializable(package="doc_example")
        ... class AddBias(keras.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.bias = self.add_weight(shape=input_shape[-1:],
        ...                                     initializer="zeros")
        ...     def call(self, x):
        ...         return x + self.bias
        >>> TestCase().run_layer_test(
        ...     AddBias, {}, input_shape=(2, 3), expected_output_shape=(2, 3),
        ...     expected_num_trainable_weights=1, run_saving_check=False,
        ... )
        """
        init_kwargs = dict(init_kwargs or {})
        if input_shape is None and input_data is None:
            self.fail("run_layer_test needs `input_shape` or `input_data`.")
        input_shape, input_data, input_dtypes = self._prepare_inputs(
            input_shape, input_data, input_dtype
        )
        cls_name = layer_cls.__name__

        # 1. Construction, and no Lambda inside.
        with self._stage(f"{cls_name}(**{init_kwargs!r})"):
            layer = layer_cls(**init_kwargs)
        self.assertNoLambdaLayers(layer)

        # 2. Build.
        with self._stage(f"{cls_name}.build({input_shape!r})"):
            layer.build(input_shape)
        self.assertTrue(
            layer.built,
            f"{cls_name}.build() did not mark the layer as built; call "
            "super().build(input_shape) or let Keras set `self.built`.",
        )
        self.assertNoLambdaLayers(layer)
        self._check_weight_counts(
            layer,
            "after build()",
            expected_num_trainable_weights,
            expected_num_non_trainable_weights,
        )
        num_built_weights = len(layer.weights)

        # 3a. Symbolic call.
        symbolic_layer = self._construct(layer_cls, init_kwargs)
        symbolic_inputs = self._keras_tensors(input_shape, input_dtypes)
        with self._stage(f"Calling {cls_name} on symbolic KerasTensor inputs"):
            symbolic_outputs = symbolic_layer(symbolic_inputs)
        flat_symbolic = keras.tree.flatten(symbolic_outputs)
        for item in flat_symbolic:
            if not isinstance(item, keras.KerasTensor):
                self.fail(
                    f"{cls_name} called on KerasTensor inputs returned "
                    f"{type(item).__name__}, not a KerasTensor."
                )
        implements_output_shape = type(layer).compute_output_shape is not (
            keras.layers.Layer.compute_output_shape
        )
        self._check_outputs(
            flat_symbolic,
            expected_output_shape,
            expected_output_dtype,
            f"{cls_name} (symbolic call"
            + (
                ", answered by compute_output_shape()"
                if implements_output_shape
                else ""
            )
            + ")",
        )

        # 3b. Eager call.
        layer = self._construct(layer_cls, init_kwargs)
        with self._stage(f"Calling {cls_name} eagerly on the input data"):
            outputs = layer(input_data)
        flat_outputs = keras.tree.flatten(outputs)
        self._check_outputs(
            flat_outputs,
            expected_output_shape,
            expected_output_dtype,
            f"{cls_name} (eager call)",
        )
        if implements_output_shape:
            with self._stage(f"{cls_name}.compute_output_shape({input_shape!r})"):
                computed = layer.compute_output_shape(input_shape)
            computed_flat = _flatten_shapes(computed)
            actual_flat = [_shape_of(item) for item in flat_outputs]
            if len(computed_flat) != len(actual_flat) or not all(
                _shapes_match(c, a)
                for c, a in zip(computed_flat, actual_flat, strict=False)
            ):
                self.fail(
                    f"{cls_name}.compute_output_shape({input_shape!r}) returned "
                    f"{computed!r}, but calling the layer gave output shape(s) "
                    f"{actual_flat if len(actual_flat) > 1 else actual_flat[0]}."
                )
        self._check_same_specs(
            flat_symbolic,
            flat_outputs,
            f"{cls_name}: the symbolic and the eager call",
        )
        self.assertNoLambdaLayers(layer)
        self._check_weight_counts(
            layer,
            "after the first call",
            expected_num_trainable_weights,
            expected_num_non_trainable_weights,
        )
        if len(layer.weights) != num_built_weights:
            self.fail(
                f"{cls_name} has {num_built_weights} weight(s) after build() but "
                f"{len(layer.weights)} after the first call: create every weight "
                "(and build every sublayer) in build()."
            )

        # 4. Config round trip.
        self._check_config(layer, layer_cls, init_kwargs, config_exempt)
        self._check_from_config(layer, layer_cls, input_data, outputs)

        # 5. Training.
        if run_training_check:
            self._check_training(
                layer_cls, init_kwargs, input_shape, input_dtypes, input_data
            )

        # 6. Precision.
        if run_precision_check:
            self.run_precision_test(
                layer_cls, init_kwargs, input_shape=input_shape, input_data=input_data
            )

        # 7. Saving.
        if run_saving_check:
            layer = self._construct(layer_cls, init_kwargs)
            model = self._wrap_in_model(layer, input_shape, input_dtypes)
            self.run_saving_test(model, input_data)

    def run_precision_test(
        self,
        layer_cls: type,
        init_kwargs: dict[str, Any] | None,
        input_shape: Any = None,
        input_data: Any = None,
        policies: Sequence[str] = MIXED_PRECISION_POLICIES,
        input_dtype: str = "float32",
    ) -> None:
        """Check a layer class under mixed precision dtype policies.

        For each policy (``mixed_float16`` and ``mixed_bfloat16`` by
        default) the layer is made with ``dtype=policy`` and called on float
        inputs cast to the compute dtype, both symbolically (except on
        torch, where Keras traces variables in float32) and eagerly.
        Every floating-point output must be in the compute dtype (a float32
        constant or float32 noise in ``call`` promotes it to float32) and
        finite, and every floating-point variable must be in the variable
        dtype (float32). Integer outputs and variables (a seed state, a
        step counter) are not checked.

        Args:
            layer_cls: The layer class to test; its constructor must accept
                ``dtype`` (pass ``**kwargs`` on to ``super().__init__``).
            init_kwargs: Keyword arguments for the constructor (without
                ``dtype``).
            input_shape: Input shape with the batch dimension, or a list/dict
                of them. Random data is made from it when ``input_data`` is
                not given.
            input_data: Input array(s).
            policies: The dtype policies to check.
            input_dtype: Dtype of the random inputs made from
                ``input_shape``.

        Raises:
            AssertionError: When a check fails.

        Example:

        >>> import keras
        >>> class Half(keras.layers.Layer):
        ...     def call(self, x):
        ...         return x * keras.ops.cast(0.5, self.compute_dtype)
        >>> TestCase().run_precision_test(Half, {}, input_shape=(2, 3))
        """
        init_kwargs = dict(init_kwargs or {})
        if "dtype" in init_kwargs:
            self.fail(
                "run_precision_test sets `dtype` itself; remove it from `init_kwargs`."
            )
        if input_shape is None and input_data is None:
            self.fail("run_precision_test needs `input_shape` or `input_data`.")
        input_shape, input_data, input_dtypes = self._prepare_inputs(
            input_shape, input_data, input_dtype
        )
        cls_name = layer_cls.__name__
        for policy_name in policies:
            policy = keras.DTypePolicy(policy_name)
            compute_dtype = policy.compute_dtype
            variable_dtype = policy.variable_dtype
            where = f"{cls_name} under dtype policy {policy_name!r}"
            kwargs = {**init_kwargs, "dtype": policy_name}

            layer = self._construct(layer_cls, kwargs)
            if layer.dtype_policy.name != policy_name:
                self.fail(
                    f"{where}: the layer's dtype policy is "
                    f"{layer.dtype_policy.name!r}; pass **kwargs (with `dtype`) on "
                    "to super().__init__()."
                )

            # Symbolic call, float inputs in the compute dtype. On torch,
            # Keras traces variables in their float32 variable dtype during a
            # symbolic call, so only the eager call is checked there.
            symbolic_dtypes = keras.tree.map_structure(
                lambda d, to=compute_dtype: to if _is_float_dtype(d) else d,
                input_dtypes,
            )
            symbolic_inputs = self._keras_tensors(input_shape, symbolic_dtypes)
            with self._stage(f"{where}: symbolic call"):
                symbolic_outputs = layer(symbolic_inputs)
            if keras.backend.backend() != "torch":
                self._check_compute_dtype(
                    keras.tree.flatten(symbolic_outputs),
                    compute_dtype,
                    f"{where} (symbolic call)",
                )

            # Eager call.
            layer = self._construct(layer_cls, kwargs)
            with self._stage(f"{where}: casting the inputs to {compute_dtype}"):
                cast_inputs = keras.tree.map_structure(
                    lambda x, to=compute_dtype: (
                        ops.cast(x, to) if _is_float_dtype(_dtype_of(x)) else x
                    ),
                    input_data,
                )
            with self._stage(f"{where}: eager call"):
                outputs = layer(cast_inputs)
            flat_outputs = keras.tree.flatten(outputs)
            self._check_compute_dtype(
                flat_outputs, compute_dtype, f"{where} (eager call)"
            )
            for index, item in enumerate(flat_outputs):
                if _is_float_dtype(_dtype_of(item)):
                    values = _comparable(item)
                    if not np.all(np.isfinite(values)):
                        self.fail(
                            f"{where}: output {index} holds inf or nan; keep "
                            "overflow-prone reductions (softmax, variance, "
                            "sums) in float32."
                        )

            wrong = [
                f"{variable.path} ({_dtype_of(variable)})"
                for variable in layer.weights
                if _is_float_dtype(_dtype_of(variable))
                and _dtype_of(variable) != variable_dtype
            ]
            if wrong:
                self.fail(
                    f"{where}: variable dtype must be {variable_dtype!r}, but "
                    f"these variables are not: {', '.join(wrong)}. Create weights "
                    "with add_weight() without forcing their dtype."
                )

    # --------------------------------------------------------- saving tests

    def run_saving_test(
        self,
        model_or_layer: keras.layers.Layer,
        input_data: Any,
        atol: float = 1e-6,
    ) -> keras.Model:
        """Save to ``.keras``, load with ``safe_mode=True``, compare outputs.

        A layer that is not a model is first wrapped in a functional model
        whose inputs match ``input_data``. The model is saved to a
        temporary ``.keras`` file and loaded with
        ``keras.saving.load_model(path, safe_mode=True)`` and no
        ``custom_objects``, so every class in it must be registered. The
        loaded model must be of the same class, give the same outputs on
        ``input_data`` and contain no ``Lambda`` layer.

        Args:
            model_or_layer: The model (or layer) to save.
            input_data: Input array(s) to compare the outputs on.
            atol: Absolute (and relative) tolerance of the comparison.

        Returns:
            The loaded model.

        Raises:
            AssertionError: When a check fails.

        Example:

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
        with self._stage(f"Calling {name} before saving"):
            expected = keras.tree.map_structure(_to_numpy, model(input_data))

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
        with self._stage(f"Calling {name} after loading"):
            actual = keras.tree.map_structure(_to_numpy, loaded(input_data))
        self.assertAllClose(
            actual,
            expected,
            atol=atol,
            rtol=atol,
            msg=f"{name} gives different outputs after the .keras round trip",
        )
        self.assertNoLambdaLayers(loaded)
        return loaded

    # ---------------------------------------------------------- model tests

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


# Not `keras_dlkit_export`: that decorator also registers the class with
# Keras serialization, which requires a `get_config` a test case does not have.
TestCase._keras_dlkit_path = "keras_dlkit.testing.TestCase"
