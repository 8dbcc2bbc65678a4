"""2-D convolution with an equalized learning rate (ProGAN, StyleGAN)."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.stylegan_common import EqualizedBase
from keras_dlkit.utils.validation import check_choice, check_int


def _check_kernel_size(value: Any) -> tuple[int, int]:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        try:
            return tuple(check_int("kernel_size", v, minimum=1) for v in value)
        except ValueError:
            pass
    elif not isinstance(value, (list, tuple)):
        try:
            size = check_int("kernel_size", value, minimum=1)
            return (size, size)
        except ValueError:
            pass
    raise ValueError(
        f"`kernel_size` must be a positive integer or a pair of them, got {value!r}."
    )


@keras_dlkit_export("keras_dlkit.layers.EqualizedConv2D")
class EqualizedConv2D(EqualizedBase):
    """2-D convolution with an equalized learning rate (channels last).

    As :class:`EqualizedDense`: the stored kernel of shape
    ``(kh, kw, in_channels, filters)`` is drawn from
    ``N(0, 1 / lr_multiplier**2)`` and scaled at run time by
    ``gain * lr_multiplier / sqrt(kh * kw * in_channels)``; the stored bias
    (initialised to ``bias_init``) is scaled by ``lr_multiplier``. The
    effective kernel starts as ``N(0, gain**2 / fan_in)`` and every layer
    learns at the same speed under Adam. ``activation="lrelu"`` is the leaky
    ReLU (slope 0.2) times ``sqrt(2)`` of StyleGAN.

    Args:
        filters: Number of output channels (>= 1).
        kernel_size: An integer or a pair ``(kh, kw)``.
        strides: Stride (an integer >= 1, the same on both axes).
        padding: ``"same"`` or ``"valid"``.
        use_bias: Whether to add a bias.
        activation: ``None`` (or ``"linear"``), ``"lrelu"`` or a Keras
            activation identifier.
        lr_multiplier: Learning-rate multiplier (> 0).
        gain: Gain (> 0) of the runtime weight scale.
        bias_init: Initial value of the stored bias.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import EqualizedConv2D
    >>> layer = EqualizedConv2D(8, 3, activation="lrelu")
    >>> tuple(layer(np.ones((2, 16, 16, 3), "float32")).shape)
    (2, 16, 16, 8)
    >>> round(layer.weight_scale, 4)  # 1 / sqrt(3 * 3 * 3)
    0.1925
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int = 1,
        padding: str = "same",
        use_bias: bool = True,
        activation: Any = None,
        lr_multiplier: float = 1.0,
        gain: float = 1.0,
        bias_init: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(use_bias, activation, lr_multiplier, gain, bias_init, **kwargs)
        self.filters = check_int("filters", filters, minimum=1)
        self._kernel_hw = _check_kernel_size(kernel_size)
        self.kernel_size = (
            self._kernel_hw[0]
            if not isinstance(kernel_size, (list, tuple))
            else self._kernel_hw
        )
        self.strides = check_int("strides", strides, minimum=1)
        self.padding = check_choice("padding", padding, ("same", "valid"))

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "EqualizedConv2D expects inputs of shape (batch, height, width, "
                f"channels) with known channels, got {input_shape}."
            )
        channels = input_shape[-1]
        fan_in = self._kernel_hw[0] * self._kernel_hw[1] * channels
        self.add_equalized_weights((*self._kernel_hw, channels, self.filters), fan_in)

    def call(self, inputs: Any) -> Any:
        x = ops.conv(
            inputs,
            self.kernel * self.weight_scale,
            strides=self.strides,
            padding=self.padding,
        )
        return self.bias_and_activation(x)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        def size(n: int | None, k: int) -> int | None:
            if n is None:
                return None
            if self.padding == "same":
                return -(-n // self.strides)
            return (n - k) // self.strides + 1

        return (
            input_shape[0],
            size(input_shape[1], self._kernel_hw[0]),
            size(input_shape[2], self._kernel_hw[1]),
            self.filters,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
        }
