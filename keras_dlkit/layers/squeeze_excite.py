"""Squeeze-and-excitation: reweight channels by a gate computed from the whole map."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.keras_compat import clone_initializer
from keras_dlkit.utils.validation import check_float, check_int


def _get(kind: str, name: str, value: Any, getter) -> Any:
    try:
        return getter(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"`{name}` must be a Keras {kind} identifier, got {value!r}."
        ) from None


@keras_dlkit_export("keras_dlkit.layers.SqueezeExcite")
class SqueezeExcite(keras.layers.Layer):
    """Squeeze-and-excitation (Hu et al., 2018) on a channels-last 4D map.

    *Squeeze*: average each channel over height and width. *Excite*: a
    bottleneck of two 1x1 convolutions with biases (``reduce`` to
    ``squeeze_units`` with ``activation``, ``expand`` back to the input's
    channels with ``gate_activation``) gives one gate per channel and sample,
    which multiplies the input. A 1x1 convolution on the pooled 1x1 map is the
    paper's fully connected layer; keeping it a convolution gives the kernels
    the shapes of ``keras.applications`` EfficientNet's ``se_reduce`` and
    ``se_expand`` layers, so weights copy over unchanged.

    The bottleneck has ``squeeze_units`` units when given, else
    ``max(1, int(channels * ratio))``. Hu et al. use ``ratio=1/16`` with ReLU
    and sigmoid; EfficientNet's MBConv uses a quarter of the *block's input*
    filters (not of the expanded map the gate is applied to) with swish and
    sigmoid, which is why ``squeeze_units`` can be set explicitly (see
    :class:`keras_dlkit.blocks.MBConv`).

    Args:
        ratio: Bottleneck width as a fraction of the input channels, in
            ``(0, 1]``; ignored when ``squeeze_units`` is given.
        squeeze_units: Explicit bottleneck width (>= 1), or ``None``.
        activation: Activation of the reduce convolution (``"relu"``,
            ``"swish"``, ...).
        gate_activation: Activation of the gate (``"sigmoid"``,
            ``"hard_sigmoid"``, ...).
        kernel_initializer: Initializer of both kernels.
        bias_initializer: Initializer of both biases.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import SqueezeExcite
    >>> layer = SqueezeExcite(ratio=0.25)
    >>> tuple(layer(np.ones((2, 8, 8, 32), "float32")).shape)
    (2, 8, 8, 32)
    >>> layer.count_params()  # 32 * 8 + 8 (reduce) + 8 * 32 + 32 (expand)
    552
    """

    def __init__(
        self,
        ratio: float = 1.0 / 16.0,
        squeeze_units: int | None = None,
        activation: Any = "relu",
        gate_activation: Any = "sigmoid",
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.ratio = check_float(
            "ratio", ratio, minimum=0.0, maximum=1.0, min_inclusive=False
        )
        if squeeze_units is not None:
            check_int("squeeze_units", squeeze_units, minimum=1)
        self.squeeze_units = squeeze_units
        self.activation = _get(
            "activation", "activation", activation, keras.activations.get
        )
        self.gate_activation = _get(
            "activation", "gate_activation", gate_activation, keras.activations.get
        )
        self.kernel_initializer = _get(
            "initializer",
            "kernel_initializer",
            kernel_initializer,
            keras.initializers.get,
        )
        self.bias_initializer = _get(
            "initializer", "bias_initializer", bias_initializer, keras.initializers.get
        )
        self.supports_masking = False
        self.reduce = None
        self.expand = None

    def _units(self, channels: int) -> int:
        if self.squeeze_units is not None:
            return self.squeeze_units
        return max(1, int(channels * self.ratio))

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`input_shape` of SqueezeExcite must be 4D channels-last "
                f"(batch, height, width, channels) with known channels, got "
                f"{tuple(input_shape)}."
            )
        channels = int(input_shape[-1])
        common = {
            "kernel_size": 1,
            "padding": "same",
            "kernel_initializer": clone_initializer(self.kernel_initializer),
            "bias_initializer": clone_initializer(self.bias_initializer),
            "dtype": self.dtype_policy,
        }
        self.reduce = keras.layers.Conv2D(
            self._units(channels), activation=self.activation, name="reduce", **common
        )
        self.expand = keras.layers.Conv2D(
            channels, activation=self.gate_activation, name="expand", **common
        )
        pooled = (input_shape[0], 1, 1, channels)
        self.reduce.build(pooled)
        self.expand.build(self.reduce.compute_output_shape(pooled))

    def call(self, inputs: Any) -> Any:
        squeezed = ops.mean(inputs, axis=(1, 2), keepdims=True)
        gate = self.expand(self.reduce(squeezed))
        return inputs * gate

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "ratio": self.ratio,
            "squeeze_units": self.squeeze_units,
            "activation": keras.activations.serialize(self.activation),
            "gate_activation": keras.activations.serialize(self.gate_activation),
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
