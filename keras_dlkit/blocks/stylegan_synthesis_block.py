"""One resolution of the StyleGAN2 synthesis network ("skip" architecture)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.modulated_conv2d import ModulatedConv2D
from keras_dlkit.layers.noise_injection import NOISE_MODES, NoiseInjection
from keras_dlkit.layers.stylegan_common import FlatNormal, apply_activation
from keras_dlkit.utils.validation import check_bool, check_choice, check_int


@keras_dlkit_export("keras_dlkit.blocks.StyleGANSynthesisBlock")
class StyleGANSynthesisBlock(keras.layers.Layer):
    """A StyleGAN2 synthesis block: modulated convolutions, noise, toRGB skip.

    The block of the official StyleGAN2 generator with the ``"skip"``
    architecture (Karras et al., 2020, figure 7b):

    * ``first=True`` (the 4x4 block): a learned constant of shape
      ``(const_size, const_size, filters)`` (drawn ``N(0, 1)``), broadcast
      to the batch, goes through one synthesis layer; the inputs are the
      styles ``ws`` only.
    * otherwise, inputs ``[x, img, ws]``: ``x`` is upsampled 2x by the first
      synthesis layer (bilinear interpolation, then the 3x3 modulated
      convolution; the official code uses a transposed convolution and a FIR
      filter) and goes through a second one.

    A synthesis layer is :class:`~keras_dlkit.layers.ModulatedConv2D` (3x3,
    demodulated, with its own affine map of ``w``), then
    :class:`~keras_dlkit.layers.NoiseInjection`, then the bias and a leaky
    ReLU times ``sqrt(2)``. The toRGB layer is a 1x1 modulated convolution
    without demodulation, and the block's image is ``upsample(img) +
    toRGB(x)`` (just ``toRGB(x)`` in the first block): the image is the sum of
    every resolution's contribution.

    Styles: ``ws`` has shape ``(batch, num_ws, w_dim)``; the block reads
    ``ws[:, w_index]`` for its first synthesis layer, the next ones in
    order, and ``ws[:, w_index + num_layers]`` for toRGB, where
    ``num_layers`` is 1 (first block) or 2. As in the official code, toRGB
    shares its style with the next block's first layer, so a generator of
    resolution ``2**k`` uses ``num_ws = 2 * k - 2`` styles.

    Sublayers: ``conv0`` and ``noise0`` (not in the first block), ``conv1``,
    ``noise1``, ``to_rgb``, ``upsample_rgb`` (not in the first block).
    Outputs ``[x, img]``.

    Args:
        filters: Channels of the block's feature maps (>= 1).
        image_channels: Channels of the image (>= 1).
        first: Whether this is the first (constant-input) block.
        w_index: Index of the block's first style in ``ws`` (>= 0).
        const_size: Side of the learned constant (first block only).
        noise_mode: ``noise_mode`` of the two noise layers (see
            :class:`~keras_dlkit.layers.NoiseInjection`).
        seed: Seed of the noise layers (they use ``seed`` and ``seed + 1``);
            ``None`` draws from Python's global RNG.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import StyleGANSynthesisBlock
    >>> ws = np.ones((2, 4, 8), "float32")  # 4 styles: 4x4 and 8x8 blocks
    >>> b4 = StyleGANSynthesisBlock(16, 3, first=True, w_index=0)
    >>> b8 = StyleGANSynthesisBlock(8, 3, w_index=1)
    >>> x, img = b4(ws)
    >>> x, img = b8([x, img, ws])
    >>> tuple(x.shape), tuple(img.shape)
    ((2, 8, 8, 8), (2, 8, 8, 3))
    """

    def __init__(
        self,
        filters: int,
        image_channels: int,
        first: bool = False,
        w_index: int = 0,
        const_size: int = 4,
        noise_mode: str = "random",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters, minimum=1)
        self.image_channels = check_int("image_channels", image_channels, minimum=1)
        check_bool("first", first)
        self.first = first
        self.w_index = check_int("w_index", w_index, minimum=0)
        self.const_size = check_int("const_size", const_size, minimum=1)
        self.noise_mode = check_choice("noise_mode", noise_mode, NOISE_MODES)
        if seed is not None:
            seed = check_int("seed", seed, minimum=0)
        self.seed = seed
        self.num_layers = 1 if first else 2

        def noise_seed(offset: int) -> int | None:
            return None if seed is None else seed + offset

        policy = self.dtype_policy
        self.conv0 = self.noise0 = self.upsample_rgb = None
        if not first:
            self.conv0 = ModulatedConv2D(
                filters, 3, upsample=True, dtype=policy, name="conv0"
            )
            self.noise0 = NoiseInjection(
                noise_mode, seed=noise_seed(0), dtype=policy, name="noise0"
            )
            self.upsample_rgb = keras.layers.UpSampling2D(
                2, interpolation="bilinear", dtype=policy, name="upsample_rgb"
            )
        self.conv1 = ModulatedConv2D(filters, 3, dtype=policy, name="conv1")
        self.noise1 = NoiseInjection(
            noise_mode, seed=noise_seed(1), dtype=policy, name="noise1"
        )
        self.to_rgb = ModulatedConv2D(
            image_channels, 1, demodulate=False, dtype=policy, name="to_rgb"
        )

    def _split_shapes(self, input_shape: Any) -> tuple[Any, Any, tuple]:
        if self.first:
            ws_shape = tuple(input_shape)
            if len(ws_shape) == 3 and isinstance(ws_shape[0], (list, tuple)):
                ws_shape = None
            x_shape = img_shape = None
        else:
            if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 3:
                raise ValueError(
                    "StyleGANSynthesisBlock(first=False) takes [x, img, ws], got "
                    f"input shape {input_shape}."
                )
            x_shape, img_shape, ws_shape = (tuple(s) for s in input_shape)
        needed = self.w_index + self.num_layers + 1
        if (
            ws_shape is None
            or len(ws_shape) != 3
            or ws_shape[1] is None
            or ws_shape[1] < needed
        ):
            raise ValueError(
                f"StyleGANSynthesisBlock with w_index={self.w_index} needs styles of "
                f"shape (batch, >= {needed}, w_dim), got input shape {input_shape}."
            )
        return x_shape, img_shape, ws_shape

    def build(self, input_shape: Any) -> None:
        x_shape, _, ws_shape = self._split_shapes(input_shape)
        batch, w_shape = ws_shape[0], (ws_shape[0], ws_shape[2])
        if self.first:
            size = self.const_size
            self.const = self.add_weight(
                name="const",
                shape=(size, size, self.filters),
                initializer=FlatNormal(1.0),
            )
            shape = (batch, size, size, self.filters)
        else:
            self.conv0.build([x_shape, w_shape])
            shape = self.conv0.compute_output_shape([x_shape, w_shape])
            self.noise0.build(shape)
            self.upsample_rgb.build((*x_shape[:3], self.image_channels))
        self.conv1.build([shape, w_shape])
        self.noise1.build(shape)
        self.to_rgb.build([shape, w_shape])

    def _layer(self, conv: Any, noise: Any, x: Any, w: Any) -> Any:
        return apply_activation(noise(conv([x, w])), "lrelu")

    def call(self, inputs: Any) -> list[Any]:
        if self.first:
            ws = inputs
            x = ops.cast(self.const, self.compute_dtype)[None]
            x = ops.repeat(x, ops.shape(ws)[0], axis=0)
            img = None
        else:
            x, img, ws = inputs
            x = self._layer(self.conv0, self.noise0, x, ws[:, self.w_index])
        index = self.w_index + self.num_layers
        x = self._layer(self.conv1, self.noise1, x, ws[:, index - 1])
        rgb = self.to_rgb([x, ws[:, index]])
        if img is not None:
            rgb = self.upsample_rgb(img) + ops.cast(rgb, img.dtype)
        return [x, rgb]

    def compute_output_shape(self, input_shape: Any) -> list[tuple]:
        x_shape, _, ws_shape = self._split_shapes(input_shape)
        if self.first:
            size = (self.const_size, self.const_size)
        else:
            size = tuple(None if d is None else 2 * d for d in x_shape[1:3])
        return [
            (ws_shape[0], *size, self.filters),
            (ws_shape[0], *size, self.image_channels),
        ]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "image_channels": self.image_channels,
            "first": self.first,
            "w_index": self.w_index,
            "const_size": self.const_size,
            "noise_mode": self.noise_mode,
            "seed": self.seed,
        }
