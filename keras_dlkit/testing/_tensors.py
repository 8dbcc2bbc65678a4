"""Helpers of the test harness on shapes, dtypes, arrays and configs."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from keras_dlkit.utils.arrays import to_numpy
from keras_dlkit.utils.keras_compat import flatten_layers

_SEED = 1337


# --------------------------------------------------------------------------
# Small helpers on shapes, dtypes and nested structures.
# --------------------------------------------------------------------------


def _is_shape(value: Any) -> bool:
    """Whether ``value`` is one shape (a tuple/list of ints and ``None``)."""
    return isinstance(value, (tuple, list)) and all(
        d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool))
        for d in value
    )


def _normalize_shape(shape: Any) -> tuple[int | None, ...]:
    return tuple(None if d is None else int(d) for d in shape)


def _map_shapes(fn, shapes: Any) -> Any:
    """Apply ``fn`` to every shape in a (possibly nested) structure of shapes."""
    if _is_shape(shapes):
        return fn(_normalize_shape(shapes))
    if isinstance(shapes, dict):
        # Sorted keys: the order in which ``keras.tree`` flattens a dict.
        return {key: _map_shapes(fn, shapes[key]) for key in sorted(shapes)}
    if isinstance(shapes, (tuple, list)):
        return type(shapes)(_map_shapes(fn, value) for value in shapes)
    raise ValueError(
        "`input_shape` must be a shape tuple (batch dimension included) or a "
        f"list/dict of shape tuples, got {shapes!r}."
    )


def _flatten_shapes(shapes: Any) -> list[tuple[int | None, ...]]:
    flat: list[tuple[int | None, ...]] = []
    _map_shapes(flat.append, shapes)
    return flat


def _shape_of(x: Any) -> tuple[int | None, ...]:
    return tuple(None if d is None else int(d) for d in x.shape)


def _dtype_of(x: Any) -> str:
    if hasattr(x, "dtype"):
        return keras.backend.standardize_dtype(x.dtype)
    return keras.backend.standardize_dtype(type(x))


def _is_float_dtype(dtype: Any) -> bool:
    return keras.backend.standardize_dtype(dtype).startswith(("float", "bfloat"))


def _shapes_match(expected: Sequence, actual: Sequence) -> bool:
    """Equal shapes, where ``None`` in ``expected`` matches any size."""
    if len(expected) != len(actual):
        return False
    return all(e is None or e == a for e, a in zip(expected, actual, strict=True))


def _comparable(x: Any) -> np.ndarray:
    """A NumPy array; floats (bfloat16 included) as float64."""
    array = to_numpy(x)
    if _is_float_dtype(_dtype_of(array)):
        return array.astype("float64")
    return array


def _random_array(
    shape: tuple[int | None, ...], dtype: str, rng: np.random.Generator
) -> np.ndarray:
    if any(d is None for d in shape):
        raise ValueError(
            "Cannot make random input data for a shape with unknown "
            f"dimensions {shape}; pass `input_data` instead."
        )
    dtype = keras.backend.standardize_dtype(dtype)
    if _is_float_dtype(dtype):
        data = rng.standard_normal(shape).astype("float32")
        return data if dtype == "bfloat16" else data.astype(dtype)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    return rng.integers(0, 10, size=shape).astype(dtype)


def _normalize_config(value: Any) -> Any:
    """Turn a config into plain, comparable Python values."""
    if isinstance(value, dict):
        return {key: _normalize_config(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_normalize_config(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float, np.number))


def _is_plain_value(value: Any) -> bool:
    """Numbers, booleans and sequences of them: values a config stores as is."""
    if _is_plain_number(value):
        return True
    return (
        isinstance(value, (tuple, list))
        and len(value) > 0
        and all(_is_plain_number(item) for item in value)
    )


def _init_argument_names(layer_cls: type) -> list[str]:
    """Named parameters of ``layer_cls.__init__``, minus self/*args/**kwargs."""
    signature = inspect.signature(layer_cls.__init__)
    names = []
    for index, parameter in enumerate(signature.parameters.values()):
        if index == 0:  # self
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        names.append(parameter.name)
    return names


def _all_layers(layer: keras.layers.Layer) -> list[keras.layers.Layer]:
    """``layer`` and every layer tracked inside it, at any depth."""
    return flatten_layers(layer, include_self=True)


def _describe(obj: Any) -> str:
    name = getattr(obj, "name", None)
    return f"{type(obj).__name__} {name!r}" if name else type(obj).__name__
