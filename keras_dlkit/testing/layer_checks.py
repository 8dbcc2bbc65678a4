"""``run_layer_test``: a layer class's build, shapes, dtypes, weights, config, training."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.testing._tensors import (
    _dtype_of,
    _flatten_shapes,
    _init_argument_names,
    _is_float_dtype,
    _is_plain_value,
    _normalize_config,
    _shape_of,
    _shapes_match,
)

__all__ = ["LayerChecks"]


class LayerChecks:
    """The layer checks of :class:`keras_dlkit.testing.TestCase`, as a mixin.

    It relies on the helpers of the harness's base and on
    ``run_precision_test`` and ``run_saving_test``; use it through
    ``TestCase``.

    Example:

    >>> from keras_dlkit.testing import TestCase
    >>> from keras_dlkit.testing.layer_checks import LayerChecks
    >>> issubclass(TestCase, LayerChecks)
    True
    """

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

        >>> from keras_dlkit.testing import TestCase
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

    def _check_same_specs(self, symbolic, eager, where):
        if len(symbolic) != len(eager):
            self.fail(
                f"{where} return different numbers of outputs: {len(symbolic)} "
                f"and {len(eager)}."
            )
        for index, (s, e) in enumerate(zip(symbolic, eager, strict=True)):
            if not _shapes_match(_shape_of(s), _shape_of(e)):
                self.fail(
                    f"{where} disagree on the shape of output {index}: "
                    f"{_shape_of(s)} and {_shape_of(e)}."
                )
            if _dtype_of(s) != _dtype_of(e):
                self.fail(
                    f"{where} disagree on the dtype of output {index}: "
                    f"{_dtype_of(s)!r} and {_dtype_of(e)!r}."
                )

    def _check_weight_counts(self, layer, when, trainable, non_trainable):
        name = type(layer).__name__
        if trainable is not None and len(layer.trainable_weights) != trainable:
            self.fail(
                f"{name} has {len(layer.trainable_weights)} trainable weight(s) "
                f"{when}, expected {trainable}."
            )
        if non_trainable is not None and (
            len(layer.non_trainable_weights) != non_trainable
        ):
            self.fail(
                f"{name} has {len(layer.non_trainable_weights)} non-trainable "
                f"weight(s) {when}, expected {non_trainable}."
            )

    def _check_config(self, layer, layer_cls, init_kwargs, config_exempt):
        cls_name = layer_cls.__name__
        with self._stage(f"{cls_name}.get_config()"):
            config = layer.get_config()
        if not isinstance(config, dict):
            self.fail(f"{cls_name}.get_config() returned {type(config).__name__}.")
        missing = [
            name
            for name in _init_argument_names(layer_cls)
            if name not in config and name not in config_exempt
        ]
        if missing:
            self.fail(
                f"{cls_name}.get_config() is missing constructor argument(s) "
                f"{missing}: every argument of __init__ must be in get_config() "
                "so that from_config() rebuilds the same layer (list deliberate "
                "exceptions in `config_exempt`)."
            )
        for name, value in init_kwargs.items():
            if name in config_exempt or name not in config:
                continue
            stored = config[name]
            if _is_plain_value(value) and _is_plain_value(stored):
                if _normalize_config(value) != _normalize_config(stored):
                    self.fail(
                        f"{cls_name}.get_config() stores {name}={stored!r}, but "
                        f"the layer was constructed with {name}={value!r}."
                    )

    def _check_from_config(self, layer, layer_cls, input_data, outputs):
        cls_name = layer_cls.__name__
        config = layer.get_config()
        with self._stage(f"{cls_name}.from_config(layer.get_config())"):
            clone = layer_cls.from_config(copy.deepcopy(config))
        with self._stage(f"{cls_name}.from_config(...).get_config()"):
            clone_config = clone.get_config()
        original, revived = _normalize_config(config), _normalize_config(clone_config)
        if original != revived:
            keys = sorted(
                key
                for key in set(original) | set(revived)
                if original.get(key, "<missing>") != revived.get(key, "<missing>")
            )
            details = ", ".join(
                f"{key}: {original.get(key, '<missing>')!r} -> "
                f"{revived.get(key, '<missing>')!r}"
                for key in keys
            )
            self.fail(
                f"{cls_name}.from_config(get_config()) gives a different config "
                f"({details})."
            )
        with self._stage(f"Calling {cls_name}.from_config(get_config())"):
            clone(input_data)
        with self._stage(
            f"Copying the weights into {cls_name}.from_config(get_config())"
        ):
            clone.set_weights(layer.get_weights())
        with self._stage(f"Calling {cls_name}.from_config(get_config())"):
            clone_outputs = clone(input_data)
        self._check_finite(outputs, f"{cls_name} (eager call)")
        self._check_finite(clone_outputs, f"{cls_name}.from_config(get_config())")
        self.assertAllClose(
            clone_outputs,
            outputs,
            msg=(
                f"{cls_name}.from_config(get_config()) with the same weights gives "
                "different outputs: some constructor argument is not stored in "
                "get_config() or not restored by from_config()"
            ),
        )

    def _check_training(
        self, layer_cls, init_kwargs, input_shape, input_dtypes, input_data
    ):
        layer = self._construct(layer_cls, init_kwargs)
        model = self._wrap_in_model(layer, input_shape, input_dtypes)
        with self._stage(f"Calling the model around {layer_cls.__name__}"):
            outputs = model(input_data)
        if not all(
            _is_float_dtype(_dtype_of(item)) for item in keras.tree.flatten(outputs)
        ):
            return  # Integer outputs: nothing to differentiate.
        self._fit_one_step(model, input_data, outputs, "mse", None, layer_cls.__name__)
