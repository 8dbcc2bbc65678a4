"""A VGG stage: ``n`` 3x3 convolutions (with optional batch norm) and a max pool."""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.conv_norm_act import (
    NORMS,
    ConvNormAct,
)
from keras_dlkit.utils.validation import (
    check_activation,
    check_bool,
    check_choice,
    check_float,
    check_int,
    resolve_initializer,
)


@keras_dlkit_export("keras_dlkit.blocks.VGGStage")
class VGGStage(keras.layers.Layer):
    """``num_convs`` 3x3 convolutions, each ``[+ batch norm] + ReLU``, then a 2x2 max pool.

    The stage of Simonyan & Zisserman (2014), "Very Deep Convolutional
    Networks for Large-Scale Image Recognition": "same"-padded 3x3
    convolutions with stride 1 keep the resolution, and a 2x2 max pool with
    stride 2 halves it (odd sizes are floored, as ``MaxPooling2D`` does).
    ``norm="batch"`` gives the ``vgg*_bn`` variants (batch norm between each
    convolution and its ReLU, as torchvision's); the convolutions keep their
    biases there too by default, as torchvision's do.

    Sublayers: ``conv1`` ... ``conv{num_convs}``
    (:class:`~keras_dlkit.blocks.ConvNormAct`) and ``pool``.

    Args:
        filters: Output channels of every convolution (>= 1).
        num_convs: Number of convolutions (>= 1).
        norm: ``None`` or ``"batch"``.
        activation: Activation after each convolution (default ``"relu"``).
        use_bias: Whether the convolutions have a bias.
        norm_epsilon: Batch-norm epsilon (> 0), when ``norm="batch"``;
            default ``1e-5`` as torchvision.
        kernel_initializer: Initializer of every kernel (default He
            uniform: torchvision's VGG uses the same variance ``2 / fan``
            from a Gaussian; it keeps deep ReLU stacks without batch norm
            from dying at initialization. See :class:`~keras_dlkit.blocks.ConvNormAct`).
        kernel_regularizer: Optional regularizer of every kernel.
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``).

    Raises:
        ValueError: If an argument is out of range (the message names it),
            or, when built, if the input is not 4-D with known channels.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import VGGStage
    >>> stage = VGGStage(8, num_convs=2, name="stage")
    >>> y = stage(np.ones((2, 16, 16, 3), "float32"))
    >>> tuple(y.shape)
    (2, 8, 8, 8)
    >>> stage.count_params()  # (3*3*3*8 + 8) + (3*3*8*8 + 8)
    808
    """

    def __init__(
        self,
        filters: int,
        num_convs: int = 2,
        norm: str | None = None,
        activation: Any = "relu",
        use_bias: bool = True,
        norm_epsilon: float = 1e-5,
        kernel_initializer: Any = "he_uniform",
        kernel_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters, minimum=1)
        self.num_convs = check_int("num_convs", num_convs, minimum=1)
        self.norm = check_choice("norm", norm, NORMS)
        self.activation = check_activation("activation", activation)
        check_bool("use_bias", use_bias)
        self.use_bias = use_bias
        self.norm_epsilon = check_float(
            "norm_epsilon", norm_epsilon, minimum=0.0, min_inclusive=False
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
        self.convs = [
            ConvNormAct(
                self.filters,
                3,
                padding="same",
                use_bias=self.use_bias,
                norm=self.norm,
                norm_epsilon=self.norm_epsilon,
                activation=self.activation,
                # The objects themselves: ConvNormAct clones them per layer.
                kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.kernel_regularizer,
                name=f"conv{i + 1}",
                dtype=self.dtype_policy,
            )
            for i in range(self.num_convs)
        ]
        self.pool = keras.layers.MaxPooling2D(
            2, strides=2, name="pool", dtype=self.dtype_policy
        )

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs (batch, height, width, "
                f"channels) with known channels, got shape {input_shape}."
            )
        shape = input_shape
        for layer in (*self.convs, self.pool):
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = inputs
        for conv in self.convs:
            x = conv(x)
        return self.pool(x)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        spatial = [None if s is None else s // 2 for s in input_shape[1:3]]
        return (input_shape[0], *spatial, self.filters)

    def get_config(self) -> dict[str, Any]:
        """The stage's configuration, initializer and regularizer serialized.

        Returns:
            A JSON-serializable dict.
        """
        return {
            **super().get_config(),
            "filters": self.filters,
            "num_convs": self.num_convs,
            "norm": self.norm,
            "activation": keras.activations.serialize(
                keras.activations.get(self.activation)
            )
            if self.activation is not None
            else None,
            "use_bias": self.use_bias,
            "norm_epsilon": self.norm_epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        }
