"""What the StyleGAN layers and blocks share: equalized weights, activations, initializer.

``"lrelu"`` follows StyleGAN's ``bias_act``: a leaky ReLU of slope 0.2
multiplied by ``sqrt(2)``, the gain that keeps the activations' second moment
(He et al., 2015) now that the weights are equalized to unit variance.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from keras_dlkit.utils.validation import check_bool, check_float, resolve_activation

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)


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


class EqualizedBase(keras.layers.Layer):
    """What EqualizedDense and EqualizedConv2D share.

    The bias, activation and learning-rate arguments with their checks, the
    weights (a unit-variance kernel scaled at run time, a bias scaled by
    ``lr_multiplier``), the bias-and-activation tail and their config.
    """

    def __init__(
        self,
        use_bias: bool,
        activation: Any,
        lr_multiplier: float,
        gain: float,
        bias_init: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_bool("use_bias", use_bias)
        self.use_bias = use_bias
        self.activation = resolve_activation(
            "activation", activation, passthrough=("linear", "lrelu")
        )
        self.lr_multiplier = check_float(
            "lr_multiplier", lr_multiplier, minimum=0.0, min_inclusive=False
        )
        self.gain = check_float("gain", gain, minimum=0.0, min_inclusive=False)
        self.bias_init = check_float("bias_init", bias_init)

    def add_equalized_weights(self, kernel_shape: tuple[int, ...], fan_in: int) -> None:
        """The kernel, the bias (or ``None``) and the run-time weight scale."""
        self.kernel = self.add_weight(
            name="kernel",
            shape=kernel_shape,
            initializer=FlatNormal(1.0 / self.lr_multiplier),
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(kernel_shape[-1],),
                initializer=keras.initializers.Constant(self.bias_init),
            )
        self.weight_scale = self.gain * self.lr_multiplier / math.sqrt(fan_in)

    def bias_and_activation(self, x: Any) -> Any:
        """Add the scaled bias, then apply the activation."""
        if self.bias is not None:
            bias = self.bias
            if self.lr_multiplier != 1.0:  # no op to trace when it is 1
                bias = bias * self.lr_multiplier
            x = x + bias
        return apply_activation(x, self.activation)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_bias": self.use_bias,
            "activation": serialize_activation(self.activation),
            "lr_multiplier": self.lr_multiplier,
            "gain": self.gain,
            "bias_init": self.bias_init,
        }
