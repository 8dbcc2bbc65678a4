"""Convolution, normalization, activation: the unit every CNN is built from."""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.keras_compat import clone_initializer
from keras_dlkit.utils.validation import (
    check_activation,
    check_bool,
    check_choice,
    check_float,
    check_int,
    is_int,
    resolve_initializer,
)

NORMS = (None, "batch")


def check_padding(padding: Any) -> str | int:
    """``"same"``, ``"valid"`` or a non-negative int (explicit zero padding)."""
    if (is_int(padding) and padding >= 0) or padding in ("same", "valid"):
        return padding
    raise ValueError(
        "`padding` must be 'same', 'valid' or a non-negative integer (zero "
        f"padding on every side before a 'valid' convolution), got {padding!r}."
    )


def conv_output_size(size: int | None, kernel: int, stride: int, padding: Any) -> Any:
    """Spatial output size of a convolution or pooling, ``None`` when unknown."""
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    pad = 0 if padding == "valid" else 2 * padding
    return (size + pad - kernel) // stride + 1


@keras_dlkit_export("keras_dlkit.blocks.ConvNormAct")
class ConvNormAct(keras.layers.Layer):
    """``activation(norm(conv(x)))``: a 2-D convolution, batch norm, activation.

    The basic unit of the CNN builders. Each part can be switched off:
    ``norm=None`` drops the normalization, ``activation=None`` the
    activation. ``padding`` is Keras's ``"same"`` or ``"valid"``, or an
    integer ``p``: zero padding by ``p`` on every side followed by a
    ``"valid"`` convolution, which is PyTorch's (and the papers')
    convention. It differs from ``"same"`` for strided convolutions on even
    sizes, where ``"same"`` pads only at the bottom and right; the
    ``keras.applications`` ResNets pad explicitly, so exact ports need it.

    Sublayers (weight paths ``{name}/{sublayer}/...``): ``pad``
    (``ZeroPadding2D``, only for an integer ``padding`` > 0), ``conv``
    (``Conv2D``), ``norm`` (``BatchNormalization``, when ``norm="batch"``),
    ``act`` (``Activation``, when ``activation`` is not ``None``). Inputs are
    channels-last ``(batch, height, width, channels)``.

    Args:
        filters: Number of output channels (>= 1).
        kernel_size: Square kernel size (>= 1).
        strides: Stride of the convolution (>= 1).
        padding: ``"same"``, ``"valid"`` or a non-negative integer.
        groups: Number of channel groups of the convolution (>= 1; it must
            divide the input channels and ``filters``).
        dilation_rate: Dilation of the kernel (>= 1).
        use_bias: Whether the convolution has a bias; ``None`` means "only
            without normalization" (a bias before batch norm is cancelled by
            the norm's offset).
        norm: ``"batch"`` or ``None``.
        norm_epsilon: Epsilon of the batch norm (> 0). Keras's default is
            ``1e-3``; the ``keras.applications`` ResNets use ``1.001e-5``.
        norm_momentum: Momentum of the batch norm's moving statistics, in
            ``[0, 1)``.
        norm_scale: Whether the batch norm learns a scale (``gamma``);
            InceptionV3 has none because a ReLU follows.
        activation: Any identifier of ``keras.activations.get``, or ``None``.
        kernel_initializer: Initializer of the kernel (default He uniform:
            the variance ``2 / fan_in`` of He et al. 2015, which the ResNet
            paper uses, drawn uniformly; pass ``"he_normal"`` for the
            paper's Gaussian. On JAX a truncated-normal draw compiles one
            sampler per kernel shape and keeps it: about 110 MB more to
            build a ResNet-50).
        kernel_regularizer: Optional regularizer of the kernel.
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``).

    Raises:
        ValueError: If an argument is out of range (the message names it),
            or, when built, if the input is not 4-D with known channels.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import ConvNormAct
    >>> unit = ConvNormAct(16, 3, strides=2, padding=1, name="unit")
    >>> y = unit(np.ones((2, 32, 32, 3), "float32"))
    >>> tuple(y.shape)
    (2, 16, 16, 16)
    >>> [w.path for w in unit.trainable_weights]
    ['unit/conv/kernel', 'unit/norm/gamma', 'unit/norm/beta']
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        strides: int = 1,
        padding: str | int = "same",
        groups: int = 1,
        dilation_rate: int = 1,
        use_bias: bool | None = None,
        norm: str | None = "batch",
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.99,
        norm_scale: bool = True,
        activation: Any = "relu",
        kernel_initializer: Any = "he_uniform",
        kernel_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters, minimum=1)
        self.kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        self.strides = check_int("strides", strides, minimum=1)
        self.padding = check_padding(padding)
        self.groups = check_int("groups", groups, minimum=1)
        self.dilation_rate = check_int("dilation_rate", dilation_rate, minimum=1)
        if self.filters % self.groups:
            raise ValueError(
                f"`groups` must divide `filters` ({self.filters}), got {groups!r}."
            )
        if use_bias is not None and not isinstance(use_bias, bool):
            raise ValueError(
                f"`use_bias` must be None, True or False, got {use_bias!r}."
            )
        self.norm = check_choice("norm", norm, NORMS)
        self.use_bias = (self.norm is None) if use_bias is None else use_bias
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
        check_bool("norm_scale", norm_scale)
        self.norm_scale = norm_scale
        self.activation = check_activation("activation", activation)
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

        common = {"dtype": self.dtype_policy}
        self.pad = None
        conv_padding = self.padding
        if is_int(self.padding):
            conv_padding = "valid"
            if self.padding > 0:
                self.pad = keras.layers.ZeroPadding2D(
                    self.padding, name="pad", **common
                )
        # A fresh initializer object per layer, so that seeds are not shared.
        self.conv = keras.layers.Conv2D(
            self.filters,
            self.kernel_size,
            strides=self.strides,
            padding=conv_padding,
            groups=self.groups,
            dilation_rate=self.dilation_rate,
            use_bias=self.use_bias,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            kernel_regularizer=self.kernel_regularizer,
            data_format="channels_last",
            name="conv",
            **common,
        )
        self.norm_layer = None
        if self.norm == "batch":
            self.norm_layer = keras.layers.BatchNormalization(
                epsilon=self.norm_epsilon,
                momentum=self.norm_momentum,
                scale=self.norm_scale,
                name="norm",
                **common,
            )
        self.act = None
        if self.activation is not None:
            self.act = keras.layers.Activation(self.activation, name="act", **common)

    def _sublayers(self) -> list[keras.layers.Layer]:
        return [
            layer
            for layer in (self.pad, self.conv, self.norm_layer, self.act)
            if layer is not None
        ]

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs (batch, height, width, "
                f"channels) with known channels, got shape {input_shape}."
            )
        shape = input_shape
        for layer in self._sublayers():
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = inputs
        for layer in self._sublayers():
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        effective = self.dilation_rate * (self.kernel_size - 1) + 1
        spatial = [
            conv_output_size(size, effective, self.strides, self.padding)
            for size in input_shape[1:3]
        ]
        return (input_shape[0], *spatial, self.filters)

    def get_config(self) -> dict[str, Any]:
        """The unit's configuration, initializer and regularizer serialized.

        Returns:
            A JSON-serializable dict.
        """
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "groups": self.groups,
            "dilation_rate": self.dilation_rate,
            "use_bias": self.use_bias,
            "norm": self.norm,
            "norm_epsilon": self.norm_epsilon,
            "norm_momentum": self.norm_momentum,
            "norm_scale": self.norm_scale,
            "activation": keras.activations.serialize(
                keras.activations.get(self.activation)
            )
            if self.activation is not None
            else None,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        }
