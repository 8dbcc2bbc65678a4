"""The checks behind ``TestCase``'s ``run_*`` methods, as a mixin."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.testing._tensors import (
    _SEED,
    _all_layers,
    _describe,
    _dtype_of,
    _flatten_shapes,
    _init_argument_names,
    _is_float_dtype,
    _is_plain_value,
    _is_shape,
    _map_shapes,
    _normalize_config,
    _random_array,
    _shape_of,
    _shapes_match,
    _to_numpy,
)


class LayerChecks:
    """Private checks; mixed into :class:`keras_dlkit.testing.TestCase`."""

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

    def _check_compute_dtype(self, flat_outputs, compute_dtype, where):
        for index, item in enumerate(flat_outputs):
            dtype = _dtype_of(item)
            if _is_float_dtype(dtype) and dtype != compute_dtype:
                self.fail(
                    f"{where}: output {index} has dtype {dtype!r}, expected the "
                    f"compute dtype {compute_dtype!r}. A float32 constant or "
                    "float32 noise in call() promotes the output: create them "
                    "with dtype=self.compute_dtype, and pass "
                    "dtype=self.dtype_policy to every sublayer."
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

    def _fit_one_step(self, model, input_data, outputs, loss, target, name):
        x = keras.tree.map_structure(_to_numpy, input_data)
        batch_size = int(keras.tree.flatten(x)[0].shape[0])
        if target is None:
            rng = np.random.default_rng(_SEED + 1)
            target = keras.tree.map_structure(
                lambda item: rng.standard_normal(_shape_of(item)).astype("float32"),
                outputs,
            )
        y = keras.tree.map_structure(_to_numpy, target)
        before = [np.array(_to_numpy(w)) for w in model.trainable_weights]
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
            if np.array_equal(_to_numpy(weight), old)
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
