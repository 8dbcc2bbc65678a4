"""Small helpers shared by the StyleGAN layers (not public).

``"lrelu"`` follows StyleGAN's ``bias_act``: a leaky ReLU of slope 0.2
multiplied by ``sqrt(2)``, the gain that keeps the activations' second moment
(He et al., 2015) now that the weights are equalized to unit variance.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)


def resolve_activation(name: str, value: Any) -> Any:
    """``None``/``"linear"``, ``"lrelu"`` or a ``keras.activations`` identifier."""
    if value is None or value == "linear" or value == "lrelu":
        return value
    if isinstance(value, bool) or not (
        isinstance(value, (str, dict)) or callable(value)
    ):
        raise ValueError(
            f"`{name}` must be None, 'linear', 'lrelu' or a Keras activation "
            f"identifier, got {value!r}."
        )
    try:
        return keras.activations.get(value)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"`{name}` must be None, 'linear', 'lrelu' or a Keras activation "
            f"identifier, got {value!r} ({error})."
        ) from None


def serialize_activation(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return keras.activations.serialize(value)


def apply_activation(x: Any, activation: Any) -> Any:
    if activation is None or activation == "linear":
        return x
    if activation == "lrelu":
        return ops.leaky_relu(x, negative_slope=LRELU_SLOPE) * LRELU_GAIN
    return activation(x)


class FlatNormal:
    """``N(0, stddev**2)`` weights drawn as one flat vector, then reshaped.

    The same distribution as ``keras.initializers.RandomNormal(stddev)``.
    JAX (0.10, partitionable threefry) compiles a random draw per shape, and
    compiles a 1-D draw several times faster than an n-D one: this makes
    building a StyleGAN on JAX about 4x faster.
    """

    def __init__(self, stddev: float = 1.0) -> None:
        self._initializer = keras.initializers.RandomNormal(stddev=stddev)

    def __call__(self, shape: tuple, dtype: Any = None) -> Any:
        flat = self._initializer((math.prod(shape),), dtype=dtype)
        return ops.reshape(flat, shape)
