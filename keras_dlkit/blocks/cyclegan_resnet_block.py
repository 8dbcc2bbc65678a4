"""The residual block of the CycleGAN (and Johnson et al.) ResNet generator."""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.reflection_padding import ReflectionPadding2D
from keras_dlkit.utils.keras_compat import clone_initializer
from keras_dlkit.utils.validation import check_bool, check_float


def default_kernel_initializer() -> keras.initializers.Initializer:
    """``N(0, 0.02)``: the official CycleGAN code's ``init_type="normal"``."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


@keras_dlkit_export("keras_dlkit.blocks.CycleGANResidualBlock")
class CycleGANResidualBlock(keras.layers.Layer):
    """``x + IN(conv(pad(ReLU(IN(conv(pad(x)))))))``: CycleGAN's ``R`` block.

    Reflection padding by 1, a 3x3 convolution, instance normalization,
    ReLU, reflection padding by 1, a 3x3 convolution, instance
    normalization, and the skip connection (no activation after the sum),
    as the ``ResnetBlock`` of the official CycleGAN implementation (Zhu et
    al., 2017, after Johnson et al., 2016). Both convolutions keep the
    number of channels of the input, so the block has no ``filters``
    argument.

    Instance normalization is ``keras.layers.GroupNormalization(groups=-1)``
    with ``epsilon=1e-5``. By default (``affine_norm=False``) it has no
    learned scale and offset and the convolutions have biases, as in the
    official code (PyTorch's ``InstanceNorm2d(affine=False)`` with
    ``use_bias=True``), which gives the published parameter counts; those
    biases are cancelled by the normalization right after them (their
    gradient is zero), so they never train. ``affine_norm=True`` learns a
    scale and an offset per channel instead and drops the redundant biases.

    Sublayers (weight paths ``{block name}/{sublayer}/...``): ``pad_1``,
    ``conv_1``, ``norm_1``, ``relu``, ``pad_2``, ``conv_2``, ``norm_2``,
    ``add``.

    Args:
        affine_norm: Whether the instance normalizations learn a scale and
            an offset (and the convolutions then have no bias).
        epsilon: Variance epsilon of the instance normalizations (> 0).
        kernel_initializer: Initializer of both convolution kernels; default
            ``RandomNormal(0, 0.02)`` as in the official code.
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``).

    Raises:
        ValueError: If ``epsilon`` is not a positive number, if
            ``affine_norm`` is not a bool, or (when built) if the input is
            not 4-D with known channels and spatial sizes of at least 2.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import CycleGANResidualBlock
    >>> block = CycleGANResidualBlock(name="res")
    >>> y = block(np.ones((2, 8, 8, 16), "float32"))
    >>> tuple(y.shape)
    (2, 8, 8, 16)
    >>> block.count_params()  # 2 x (3 * 3 * 16 * 16 + 16)
    4640
    """

    def __init__(
        self,
        affine_norm: bool = False,
        epsilon: float = 1e-5,
        kernel_initializer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_bool("affine_norm", affine_norm)
        self.affine_norm = affine_norm
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0, min_inclusive=False)
        if kernel_initializer is None:
            kernel_initializer = default_kernel_initializer()
        try:
            self.kernel_initializer = keras.initializers.get(kernel_initializer)
        except (ValueError, TypeError) as error:
            raise ValueError(
                "`kernel_initializer` must be a Keras initializer name, config "
                f"or instance, got {kernel_initializer!r} ({error})."
            ) from None
        self.input_spec = keras.layers.InputSpec(ndim=4)
        self._sublayers_made_for = None

    def _make_sublayers(self, channels: int) -> None:
        common = {"dtype": self.dtype_policy}

        def conv(index):
            return keras.layers.Conv2D(
                channels,
                3,
                padding="valid",
                use_bias=not self.affine_norm,
                # A fresh initializer per kernel: one unseeded instance shared
                # by two kernels of the same shape would draw the same values.
                kernel_initializer=clone_initializer(self.kernel_initializer),
                data_format="channels_last",
                name=f"conv_{index}",
                **common,
            )

        def norm(index):
            return keras.layers.GroupNormalization(
                groups=-1,
                epsilon=self.epsilon,
                center=self.affine_norm,
                scale=self.affine_norm,
                gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
                name=f"norm_{index}",
                **common,
            )

        self.pad_1 = ReflectionPadding2D(
            1, data_format="channels_last", name="pad_1", **common
        )
        self.conv_1 = conv(1)
        self.norm_1 = norm(1)
        self.relu = keras.layers.ReLU(name="relu", **common)
        self.pad_2 = ReflectionPadding2D(
            1, data_format="channels_last", name="pad_2", **common
        )
        self.conv_2 = conv(2)
        self.norm_2 = norm(2)
        self.residual_add = keras.layers.Add(name="add", **common)
        self._sublayers_made_for = channels

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs (batch, height, width, "
                f"channels) with known channels, got shape {input_shape}."
            )
        channels = int(input_shape[-1])
        if self._sublayers_made_for != channels:
            self._make_sublayers(channels)
        shape = input_shape
        for layer in (self.pad_1, self.conv_1, self.norm_1, self.relu):
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        for layer in (self.pad_2, self.conv_2, self.norm_2):
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.residual_add.build([input_shape, shape])
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = self.pad_1(inputs)
        x = self.conv_1(x)
        x = self.norm_1(x)
        x = self.relu(x)
        x = self.pad_2(x)
        x = self.conv_2(x)
        x = self.norm_2(x)
        return self.residual_add([inputs, x])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """The block's configuration, the initializer serialized.

        Returns:
            A JSON-serializable dict.
        """
        return {
            **super().get_config(),
            "affine_norm": self.affine_norm,
            "epsilon": self.epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
