"""MBConv: the inverted residual block with squeeze-excite of EfficientNet."""

from __future__ import annotations

import math
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.drop_path import DropPath
from keras_dlkit.layers.squeeze_excite import SqueezeExcite
from keras_dlkit.utils.keras_compat import clone_initializer
from keras_dlkit.utils.validation import check_bool, check_float, check_int

#: ``keras.applications`` EfficientNet's convolution initializer (He, fan-out).
CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}


def check_block_arguments(
    filters: int,
    kernel_size: int,
    strides: int,
    expand_ratio: int,
    se_ratio: float,
    drop_path_rate: float,
    bn_momentum: float,
    bn_epsilon: float,
    seed: int | None,
) -> None:
    """Validate the arguments MBConv and FusedMBConv share."""
    check_int("filters", filters, minimum=1)
    check_int("kernel_size", kernel_size, minimum=1)
    check_int("strides", strides, minimum=1, maximum=2)
    check_int("expand_ratio", expand_ratio, minimum=1)
    check_float("se_ratio", se_ratio, minimum=0.0, maximum=1.0)
    check_float(
        "drop_path_rate", drop_path_rate, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    check_float("bn_momentum", bn_momentum, minimum=0.0, maximum=1.0)
    check_float("bn_epsilon", bn_epsilon, minimum=0.0, min_inclusive=False)
    if seed is not None:
        check_int("seed", seed, minimum=0)


def block_output_shape(input_shape: tuple, filters: int, strides: int) -> tuple:
    """Output shape of a "same"-padded block with ``strides``."""
    batch, height, width, _ = input_shape
    return (
        batch,
        None if height is None else math.ceil(height / strides),
        None if width is None else math.ceil(width / strides),
        filters,
    )


def check_4d(cls_name: str, input_shape: tuple) -> int:
    """The channels of a 4D channels-last input shape, or a ValueError."""
    if len(input_shape) != 4 or input_shape[-1] is None:
        raise ValueError(
            f"`input_shape` of {cls_name} must be 4D channels-last "
            f"(batch, height, width, channels) with known channels, got "
            f"{tuple(input_shape)}."
        )
    return int(input_shape[-1])


def build_chain(layers: list, shape: tuple) -> tuple:
    """Build ``layers`` one after the other from ``shape``; the final shape."""
    for layer in layers:
        layer.build(shape)
        shape = layer.compute_output_shape(shape)
    return shape


class _MBConvBase(keras.layers.Layer):
    """What MBConv and FusedMBConv share.

    The arguments and their checks, the sublayer factories (batch norm,
    squeeze-excite, stochastic depth), the residual tail, the output shape
    and the config.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int,
        strides: int,
        expand_ratio: int,
        se_ratio: float,
        activation: Any,
        drop_path_rate: float,
        bn_momentum: float,
        bn_epsilon: float,
        kernel_initializer: Any,
        seed: int | None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        check_block_arguments(
            filters,
            kernel_size,
            strides,
            expand_ratio,
            se_ratio,
            drop_path_rate,
            bn_momentum,
            bn_epsilon,
            seed,
        )
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.expand_ratio = expand_ratio
        self.se_ratio = float(se_ratio)
        self.activation = keras.activations.get(activation)
        self.drop_path_rate = float(drop_path_rate)
        self.bn_momentum = float(bn_momentum)
        self.bn_epsilon = float(bn_epsilon)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.seed = seed

    def _initializer(self) -> Any:
        return clone_initializer(self.kernel_initializer)

    def _bn(self, name: str) -> keras.layers.BatchNormalization:
        return keras.layers.BatchNormalization(
            momentum=self.bn_momentum,
            epsilon=self.bn_epsilon,
            name=name,
            dtype=self.dtype_policy,
        )

    def _squeeze_excite(self, filters_in: int) -> SqueezeExcite | None:
        if self.se_ratio == 0:
            return None
        return SqueezeExcite(
            squeeze_units=max(1, int(filters_in * self.se_ratio)),
            activation=self.activation,
            gate_activation="sigmoid",
            kernel_initializer=self._initializer(),
            name="se",
            dtype=self.dtype_policy,
        )

    def _drop_path(self) -> DropPath | None:
        """Stochastic depth of the residual branch, when there is one."""
        if not (self.residual and self.drop_path_rate > 0):
            return None
        return DropPath(
            self.drop_path_rate, seed=self.seed, name="drop", dtype=self.dtype_policy
        )

    def _add_residual(self, x: Any, inputs: Any, training: bool | None) -> Any:
        if not self.residual:
            return x
        if self.drop is not None:
            x = self.drop(x, training=training)
        return x + inputs

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return block_output_shape(input_shape, self.filters, self.strides)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "expand_ratio": self.expand_ratio,
            "se_ratio": self.se_ratio,
            "activation": keras.activations.serialize(self.activation),
            "drop_path_rate": self.drop_path_rate,
            "bn_momentum": self.bn_momentum,
            "bn_epsilon": self.bn_epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "seed": self.seed,
        }


@keras_dlkit_export("keras_dlkit.blocks.MBConv")
class MBConv(_MBConvBase):
    """Mobile inverted bottleneck with squeeze-excite (EfficientNet's block).

    ``expand`` (1x1 conv to ``expand_ratio`` times the input channels, BN,
    activation; skipped when ``expand_ratio == 1``) -> ``depthwise`` kxk conv
    with ``strides``, BN, activation -> :class:`~keras_dlkit.layers.SqueezeExcite`
    (``max(1, int(input_channels * se_ratio))`` units, ``activation`` then
    sigmoid; skipped when ``se_ratio == 0``) -> ``project`` 1x1 conv to
    ``filters``, BN, no activation. When ``strides == 1``, the input has
    ``filters`` channels and ``id_skip`` is on, the input is added back, the
    branch first going through :class:`~keras_dlkit.layers.DropPath`
    (stochastic depth) at ``drop_path_rate``.

    This is ``keras.applications`` EfficientNet's ``block`` layer for layer:
    convolutions without bias (BN follows) and ``"same"`` padding, which for
    stride 2 pads as that block's ``ZeroPadding2D(correct_pad(...))`` does on
    inputs of known size. The sublayers are named after its layers without
    the ``block1a_`` prefix (``expand_conv``, ``expand_bn``, ``dwconv``,
    ``bn``, ``se`` with ``reduce`` and ``expand``, ``project_conv``,
    ``project_bn``, ``drop``), so its weights copy over by name.

    Args:
        filters: Output channels.
        kernel_size: Depthwise kernel size.
        strides: Depthwise stride, 1 or 2.
        expand_ratio: Expansion of the input channels (1 skips the expand
            convolution).
        se_ratio: Squeeze units as a fraction of the block's input channels,
            in ``[0, 1]``; 0 disables squeeze-excite.
        activation: Activation after the expand and depthwise convolutions
            and in the squeeze-excite bottleneck.
        drop_path_rate: Stochastic-depth rate of the residual branch, in
            ``[0, 1)``.
        id_skip: Whether to add the residual when the shapes allow it.
        bn_momentum: Momentum of the batch normalizations.
        bn_epsilon: Epsilon of the batch normalizations.
        kernel_initializer: Initializer of every convolution kernel (default:
            EfficientNet's variance scaling, fan-out, scale 2).
        seed: Seed of the stochastic depth, or ``None``.
        **kwargs: Base ``keras.layers.Layer`` arguments.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import MBConv
    >>> block = MBConv(24, kernel_size=3, strides=2, expand_ratio=6)
    >>> tuple(block(np.ones((1, 16, 16, 16), "float32")).shape)
    (1, 8, 8, 24)
    >>> block.count_params()  # those of keras.applications' block2a
    6436
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        strides: int = 1,
        expand_ratio: int = 6,
        se_ratio: float = 0.25,
        activation: Any = "swish",
        drop_path_rate: float = 0.0,
        id_skip: bool = True,
        bn_momentum: float = 0.99,
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
        check_bool("id_skip", id_skip)
        self.id_skip = id_skip

    def build(self, input_shape: tuple) -> None:
        filters_in = check_4d(type(self).__name__, input_shape)
        expanded = filters_in * self.expand_ratio
        policy = self.dtype_policy
        self.expand_conv = self.expand_bn = None
        chain = []
        if self.expand_ratio != 1:
            self.expand_conv = keras.layers.Conv2D(
                expanded,
                1,
                padding="same",
                use_bias=False,
                kernel_initializer=self._initializer(),
                name="expand_conv",
                dtype=policy,
            )
            self.expand_bn = self._bn("expand_bn")
            chain += [self.expand_conv, self.expand_bn]
        self.dwconv = keras.layers.DepthwiseConv2D(
            self.kernel_size,
            strides=self.strides,
            padding="same",
            use_bias=False,
            depthwise_initializer=self._initializer(),
            name="dwconv",
            dtype=policy,
        )
        self.bn = self._bn("bn")
        chain += [self.dwconv, self.bn]
        self.se = self._squeeze_excite(filters_in)
        if self.se is not None:
            chain.append(self.se)
        self.project_conv = keras.layers.Conv2D(
            self.filters,
            1,
            padding="same",
            use_bias=False,
            kernel_initializer=self._initializer(),
            name="project_conv",
            dtype=policy,
        )
        self.project_bn = self._bn("project_bn")
        chain += [self.project_conv, self.project_bn]
        self.residual = (
            self.id_skip and self.strides == 1 and filters_in == self.filters
        )
        self.drop = self._drop_path()
        build_chain(chain, tuple(input_shape))

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = inputs
        if self.expand_conv is not None:
            x = self.activation(self.expand_bn(self.expand_conv(x), training=training))
        x = self.activation(self.bn(self.dwconv(x), training=training))
        if self.se is not None:
            x = self.se(x)
        x = self.project_bn(self.project_conv(x), training=training)
        return self._add_residual(x, inputs, training)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "id_skip": self.id_skip}
