"""Fused-MBConv: EfficientNetV2's block, one full convolution for expand + depthwise."""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.mbconv import (
    CONV_KERNEL_INITIALIZER,
    _MBConvBase,
    build_chain,
    check_4d,
)


@keras_dlkit_export("keras_dlkit.blocks.FusedMBConv")
class FusedMBConv(_MBConvBase):
    """Fused mobile inverted bottleneck (EfficientNetV2, Tan & Le 2021).

    MBConv's 1x1 expansion and kxk depthwise convolution fused into one full
    kxk convolution, which runs faster on accelerators in the early, wide
    stages. With ``expand_ratio > 1``: ``expand`` kxk conv with ``strides`` to
    ``expand_ratio`` times the input channels, BN, activation -> optional
    :class:`~keras_dlkit.layers.SqueezeExcite` -> ``project`` 1x1 conv to
    ``filters``, BN. With ``expand_ratio == 1`` the project convolution is
    the kxk strided one and is followed by the activation. The residual (with
    :class:`~keras_dlkit.layers.DropPath`) is added when ``strides == 1`` and
    the input has ``filters`` channels.

    Layer for layer this is ``keras.applications`` EfficientNetV2's
    ``FusedMBConvBlock`` (sublayer names ``expand_conv``, ``expand_bn``,
    ``se``, ``project_conv``, ``project_bn``, ``drop``). Its argument
    ``survival_probability`` is in fact the drop rate (EfficientNetV2 passes
    ``drop_connect_rate * b / blocks``); ours is named ``drop_path_rate``.

    Args:
        filters: Output channels.
        kernel_size: Size of the fused convolution.
        strides: Stride of the fused convolution, 1 or 2.
        expand_ratio: Expansion of the input channels.
        se_ratio: Squeeze units as a fraction of the block's input channels,
            in ``[0, 1]``; 0 (EfficientNetV2's choice for fused blocks)
            disables squeeze-excite.
        activation: Activation of the block.
        drop_path_rate: Stochastic-depth rate of the residual branch, in
            ``[0, 1)``.
        bn_momentum: Momentum of the batch normalizations (0.9 in
            EfficientNetV2).
        bn_epsilon: Epsilon of the batch normalizations.
        kernel_initializer: Initializer of every convolution kernel.
        seed: Seed of the stochastic depth, or ``None``.
        **kwargs: Base ``keras.layers.Layer`` arguments.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import FusedMBConv
    >>> block = FusedMBConv(48, strides=2, expand_ratio=4)
    >>> tuple(block(np.ones((1, 16, 16, 24), "float32")).shape)
    (1, 8, 8, 48)
    >>> block.count_params()  # 3*3*24*96 + 4*96 + 96*48 + 4*48
    25920
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        strides: int = 1,
        expand_ratio: int = 4,
        se_ratio: float = 0.0,
        activation: Any = "swish",
        drop_path_rate: float = 0.0,
        bn_momentum: float = 0.9,
        bn_epsilon: float = 1e-3,
        kernel_initializer: Any = CONV_KERNEL_INITIALIZER,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            filters,
            kernel_size,
            strides,
            expand_ratio,
            se_ratio,
            activation,
            drop_path_rate,
            bn_momentum,
            bn_epsilon,
            kernel_initializer,
            seed,
            **kwargs,
        )

    def _conv(self, filters: int, kernel_size: int, strides: int, name: str):
        return keras.layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding="same",
            use_bias=False,
            kernel_initializer=self._initializer(),
            name=name,
            dtype=self.dtype_policy,
        )

    def build(self, input_shape: tuple) -> None:
        filters_in = check_4d(type(self).__name__, input_shape)
        expanded = filters_in * self.expand_ratio
        self.expand_conv = self.expand_bn = None
        chain = []
        fused = self.expand_ratio != 1
        if fused:
            self.expand_conv = self._conv(
                expanded, self.kernel_size, self.strides, "expand_conv"
            )
            self.expand_bn = self._bn("expand_bn")
            chain += [self.expand_conv, self.expand_bn]
        self.se = self._squeeze_excite(filters_in)
        if self.se is not None:
            chain.append(self.se)
        self.project_conv = self._conv(
            self.filters,
            1 if fused else self.kernel_size,
            1 if fused else self.strides,
            "project_conv",
        )
        self.project_bn = self._bn("project_bn")
        chain += [self.project_conv, self.project_bn]
        self.residual = self.strides == 1 and filters_in == self.filters
        self.drop = self._drop_path()
        build_chain(chain, tuple(input_shape))

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = inputs
        if self.expand_conv is not None:
            x = self.activation(self.expand_bn(self.expand_conv(x), training=training))
        if self.se is not None:
            x = self.se(x)
        x = self.project_bn(self.project_conv(x), training=training)
        if self.expand_conv is None:
            x = self.activation(x)
        return self._add_residual(x, inputs, training)
