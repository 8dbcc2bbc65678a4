"""What the residual blocks share: arguments, the shortcut, the pre-activation.

:class:`~keras_dlkit.blocks.BasicBlock` and
:class:`~keras_dlkit.blocks.BottleneckBlock` differ only in their residual
branch; this base class holds the rest. Version 1 is the post-activation
block of He et al. (2015), ``relu(branch(x) + shortcut(x))``; version 2 the
pre-activation block of He et al. (2016), ``branch(relu(bn(x))) +
shortcut(x)``, with no activation after the sum.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.blocks.conv_norm_act import ConvNormAct
from keras_dlkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    resolve_initializer,
)

#: ``keras.applications``' batch-norm epsilon in its ResNets.
RESNET_EPSILON = 1.001e-5


class ResidualBlockBase(keras.layers.Layer):
    """Base of the residual blocks; subclasses define ``_make_branch``."""

    expansion_default = 1

    def __init__(
        self,
        filters: int,
        stride: int = 1,
        conv_shortcut: bool | None = None,
        version: int = 1,
        use_bias: bool = False,
        norm_epsilon: float = RESNET_EPSILON,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "he_uniform",
        kernel_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters, minimum=1)
        self.stride = check_int("stride", stride, minimum=1)
        if conv_shortcut is not None and not isinstance(conv_shortcut, bool):
            raise ValueError(
                f"`conv_shortcut` must be None, True or False, got {conv_shortcut!r}."
            )
        self.conv_shortcut = conv_shortcut
        self.version = check_choice("version", version, (1, 2))
        check_bool("use_bias", use_bias)
        self.use_bias = use_bias
        self.norm_epsilon = check_float(
            "norm_epsilon", norm_epsilon, minimum=0.0, min_inclusive=False
        )
        self.norm_momentum = check_float(
            "norm_momentum",
            norm_momentum,
            minimum=0.0,
            maximum=1.0,
            max_inclusive=False,
        )
        self.kernel_initializer = resolve_initializer(
            "kernel_initializer", kernel_initializer
        )
        try:
            self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        except (ValueError, TypeError) as error:
            raise ValueError(
                "`kernel_regularizer` must be None or a Keras regularizer, got "
                f"{kernel_regularizer!r} ({error})."
            ) from None
        self.input_spec = keras.layers.InputSpec(ndim=4)
        self.shortcut = None
        self.shortcut_pool = None
        self._shortcut_made_for = None

    # -------------------------------------------------------------- helpers

    @property
    def output_channels(self) -> int:
        """Channels of the block's output: ``filters * expansion``."""
        return self.filters * getattr(self, "expansion", self.expansion_default)

    def _unit(self, filters: int, kernel_size: int, stride: int, name: str, **kw):
        """A ConvNormAct with the block's norm and initializer settings."""
        options = {
            "strides": stride,
            "padding": (1 if stride > 1 else "same") if kernel_size == 3 else "valid",
            "use_bias": self.use_bias,
            "norm": "batch",
            "norm_epsilon": self.norm_epsilon,
            "norm_momentum": self.norm_momentum,
            "activation": "relu",
            # The objects themselves: ConvNormAct clones them per layer.
            # (keras.initializers.serialize would import TensorFlow.)
            "kernel_initializer": self.kernel_initializer,
            "kernel_regularizer": self.kernel_regularizer,
        }
        options.update(kw)
        return ConvNormAct(
            filters, kernel_size, name=name, dtype=self.dtype_policy, **options
        )

    def _output_unit(self, filters: int, kernel_size: int, name: str):
        """The branch's last convolution: no activation; v2 also has no norm."""
        if self.version == 1:
            return self._unit(filters, kernel_size, 1, name, activation=None)
        return self._unit(
            filters, kernel_size, 1, name, activation=None, norm=None, use_bias=True
        )

    def _make_preact(self) -> None:
        self.preact_norm = None
        self.preact_act = None
        if self.version == 2:
            self.preact_norm = keras.layers.BatchNormalization(
                epsilon=self.norm_epsilon,
                momentum=self.norm_momentum,
                name="preact_norm",
                dtype=self.dtype_policy,
            )
            self.preact_act = keras.layers.Activation(
                "relu", name="preact_act", dtype=self.dtype_policy
            )
        self.residual_add = keras.layers.Add(name="add", dtype=self.dtype_policy)
        self.out = None
        if self.version == 1:
            self.out = keras.layers.Activation(
                "relu", name="out", dtype=self.dtype_policy
            )

    def _uses_projection(self, channels: int) -> bool:
        if self.conv_shortcut is not None:
            if not self.conv_shortcut and channels != self.output_channels:
                raise ValueError(
                    f"`conv_shortcut`=False needs input channels equal to the "
                    f"output channels ({self.output_channels}), got {channels}: "
                    "use conv_shortcut=None or True."
                )
            return self.conv_shortcut
        if channels != self.output_channels:
            return True
        return self.version == 1 and self.stride > 1

    def _make_shortcut(self, channels: int) -> None:
        self.shortcut = None
        self.shortcut_pool = None
        if self._uses_projection(channels):
            if self.version == 1:
                self.shortcut = self._unit(
                    self.output_channels, 1, self.stride, "shortcut", activation=None
                )
            else:
                self.shortcut = self._unit(
                    self.output_channels,
                    1,
                    self.stride,
                    "shortcut",
                    activation=None,
                    norm=None,
                    use_bias=True,
                )
        elif self.stride > 1:
            self.shortcut_pool = keras.layers.MaxPooling2D(
                1, strides=self.stride, name="shortcut_pool", dtype=self.dtype_policy
            )
        self._shortcut_made_for = channels

    # ----------------------------------------------------------- Layer API

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs (batch, height, width, "
                f"channels) with known channels, got shape {input_shape}."
            )
        channels = int(input_shape[-1])
        if self._shortcut_made_for != channels:
            self._make_shortcut(channels)
        shape = input_shape
        if self.version == 2:
            self.preact_norm.build(shape)
        for layer in self.branch:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        shortcut_input = input_shape
        if self.shortcut is not None:
            self.shortcut.build(shortcut_input)
        elif self.shortcut_pool is not None:
            self.shortcut_pool.build(shortcut_input)
        self.residual_add.build([shape, shape])
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = inputs
        if self.version == 2:
            x = self.preact_act(self.preact_norm(inputs))
        if self.shortcut is not None:
            # Version 2 projects the pre-activated input, as keras.applications.
            shortcut = self.shortcut(x)
        elif self.shortcut_pool is not None:
            shortcut = self.shortcut_pool(inputs)
        else:
            shortcut = inputs
        for layer in self.branch:
            x = layer(x)
        x = self.residual_add([shortcut, x])
        if self.out is not None:
            x = self.out(x)
        return x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        spatial = [
            None if size is None else -(-size // self.stride)
            for size in input_shape[1:3]
        ]
        return (input_shape[0], *spatial, self.output_channels)

    def get_config(self) -> dict[str, Any]:
        """The block's configuration, initializer and regularizer serialized.

        Returns:
            A JSON-serializable dict.
        """
        return {
            **super().get_config(),
            "filters": self.filters,
            "stride": self.stride,
            "conv_shortcut": self.conv_shortcut,
            "version": self.version,
            "use_bias": self.use_bias,
            "norm_epsilon": self.norm_epsilon,
            "norm_momentum": self.norm_momentum,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        }
