"""StyleGAN2's modulated convolution with weight demodulation."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.equalized_conv2d import _check_kernel_size
from keras_dlkit.layers.equalized_dense import EqualizedDense
from keras_dlkit.layers.stylegan_common import FlatNormal
from keras_dlkit.utils.validation import check_bool, check_float, check_int


@keras_dlkit_export("keras_dlkit.layers.ModulatedConv2D")
class ModulatedConv2D(keras.layers.Layer):
    """Modulated 2-D convolution with demodulation (Karras et al., 2020).

    Inputs ``[x, style]``: ``x`` of shape ``(batch, height, width, in_channels)``
    and ``style`` of shape ``(batch, style_dim)``. With ``project_style=True``
    the style (StyleGAN's ``w``) first goes through the layer's own affine map,
    an :class:`EqualizedDense` to ``in_channels`` units whose bias starts at 1,
    giving the per-sample scales ``s``; with ``project_style=False`` the style
    *is* ``s`` and must have ``in_channels`` entries.

    Each sample ``b`` gets its own kernel, the shared kernel ``W`` (stored
    ``N(0, 1)``, scaled by ``1 / sqrt(kh * kw * in_channels)``, the equalized
    learning rate) modulated by ``s_b`` on its input channels and, with
    ``demodulate=True``, rescaled to unit norm per output channel::

        W'_b[..., i, o] = s_b[i] * W[..., i, o]
        W''_b[..., i, o] = W'_b[..., i, o] / sqrt(sum_{kh, kw, i} W'_b**2 + eps)

    It is computed without materialising ``batch`` kernels: scale the input
    channels by ``s_b``, convolve with the shared ``W``, multiply the output
    channels by the demodulation coefficients. Convolution is linear in both
    arguments, so this equals the per-sample (grouped) convolution exactly;
    it is the ``fused_modconv=False`` path of the official StyleGAN2 code.
    The coefficients are computed in float32.

    ``upsample=True`` doubles the height and width first, with bilinear
    interpolation (a simplification: the official code uses a transposed
    convolution followed by a [1, 3, 3, 1] FIR filter). A bias (zeros, not
    modulated) is added last, when ``use_bias``.

    Args:
        filters: Number of output channels (>= 1).
        kernel_size: An integer or a pair ``(kh, kw)``; ``"same"`` padding.
        demodulate: Whether to demodulate (``False`` for StyleGAN2's toRGB).
        upsample: Whether to upsample the input 2x before the convolution.
        use_bias: Whether to add a bias.
        project_style: Whether the style goes through the affine map.
        epsilon: The ``eps`` of demodulation (> 0).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import ModulatedConv2D
    >>> layer = ModulatedConv2D(8, 3, upsample=True)
    >>> x, w = np.ones((2, 4, 4, 5), "float32"), np.ones((2, 16), "float32")
    >>> tuple(layer([x, w]).shape)
    (2, 8, 8, 8)
    >>> [tuple(v.shape) for v in layer.weights]  # kernel, bias, affine map
    [(3, 3, 5, 8), (8,), (16, 5), (5,)]
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int] = 3,
        demodulate: bool = True,
        upsample: bool = False,
        use_bias: bool = True,
        project_style: bool = True,
        epsilon: float = 1e-8,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters, minimum=1)
        self._kernel_hw = _check_kernel_size(kernel_size)
        self.kernel_size = (
            self._kernel_hw[0]
            if not isinstance(kernel_size, (list, tuple))
            else self._kernel_hw
        )
        for name, value in (
            ("demodulate", demodulate),
            ("upsample", upsample),
            ("use_bias", use_bias),
            ("project_style", project_style),
        ):
            check_bool(name, value)
        self.demodulate = demodulate
        self.upsample = upsample
        self.use_bias = use_bias
        self.project_style = project_style
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0, min_inclusive=False)
        self.affine = None
        self.upsampling = None
        if upsample:
            self.upsampling = keras.layers.UpSampling2D(
                2, interpolation="bilinear", dtype=self.dtype_policy, name="upsampling"
            )

    def _split_shapes(self, input_shape: Any) -> tuple[tuple, tuple]:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(
                "ModulatedConv2D expects inputs [x, style], got input shape "
                f"{input_shape}."
            )
        x_shape, style_shape = (tuple(s) for s in input_shape)
        if len(x_shape) != 4 or x_shape[-1] is None:
            raise ValueError(
                "ModulatedConv2D expects x of shape (batch, height, width, "
                f"channels) with known channels, got {x_shape}."
            )
        if len(style_shape) != 2 or style_shape[-1] is None:
            raise ValueError(
                "ModulatedConv2D expects a style of shape (batch, style_dim), "
                f"got {style_shape}."
            )
        return x_shape, style_shape

    def build(self, input_shape: Any) -> None:
        x_shape, style_shape = self._split_shapes(input_shape)
        channels = x_shape[-1]
        if self.project_style:
            self.affine = EqualizedDense(
                channels, bias_init=1.0, dtype=self.dtype_policy, name="affine"
            )
            self.affine.build(style_shape)
        elif style_shape[-1] != channels:
            raise ValueError(
                "With `project_style`=False the style must have one entry per "
                f"input channel ({channels}), got style shape {style_shape}."
            )
        if self.upsampling is not None:
            self.upsampling.build(x_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self._kernel_hw, channels, self.filters),
            initializer=FlatNormal(1.0),
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer="zeros"
            )
        fan_in = self._kernel_hw[0] * self._kernel_hw[1] * channels
        self.weight_scale = 1.0 / math.sqrt(fan_in)

    def call(self, inputs: Any) -> Any:
        x, style = inputs
        styles = self.affine(style) if self.affine is not None else style
        styles = ops.cast(styles, self.compute_dtype)
        if self.upsampling is not None:
            x = self.upsampling(x)
        kernel = self.kernel * self.weight_scale
        x = x * styles[:, None, None, :]
        x = ops.conv(x, kernel, strides=1, padding="same")
        if self.demodulate:
            # sum_{kh, kw, i} (s_i W[kh, kw, i, o])^2 = (s^2) @ sum_{kh, kw} W^2
            w_sq = ops.sum(ops.square(ops.cast(kernel, "float32")), axis=(0, 1))
            s_sq = ops.square(ops.cast(styles, "float32"))
            coefficients = ops.rsqrt(ops.matmul(s_sq, w_sq) + self.epsilon)
            x = x * ops.cast(coefficients, x.dtype)[:, None, None, :]
        if self.bias is not None:
            x = x + self.bias
        return x

    def compute_output_shape(self, input_shape: Any) -> tuple:
        x_shape, _ = self._split_shapes(input_shape)
        batch, height, width, _ = x_shape
        if self.upsample:
            height = None if height is None else 2 * height
            width = None if width is None else 2 * width
        return (batch, height, width, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "demodulate": self.demodulate,
            "upsample": self.upsample,
            "use_bias": self.use_bias,
            "project_style": self.project_style,
            "epsilon": self.epsilon,
        }
