"""U-Net blocks: the contracting step ``UNetDown`` and the expanding step ``UNetUp``.

Ronneberger, Fischer and Brox, "U-Net: Convolutional Networks for Biomedical
Image Segmentation", MICCAI 2015. Each step is two 3x3 convolutions, each
followed by ReLU (here optionally preceded by batch normalization, as most
modern U-Nets do). Going down, a 2x2 max pooling halves the map first; going
up, a 2x2 "up-convolution" (``Conv2DTranspose``, stride 2) doubles it and
halves the channels, and the encoder's feature map of the same level (the
skip connection) is concatenated before the two convolutions.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_bool, check_choice, check_int

PADDINGS = ("same", "valid")
UPSAMPLINGS = ("transpose", "bilinear", "nearest")


def _check_common(filters, padding, batch_norm, activation):
    check_int("filters", filters, minimum=1)
    check_choice("padding", padding, PADDINGS)
    check_bool("batch_norm", batch_norm)
    try:
        keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ValueError(
            f"`activation` must be a Keras activation identifier, got {activation!r}."
        ) from None


class _DoubleConv(keras.layers.Layer):
    """Shared body of both blocks: (Conv3x3 -> [BN] -> activation) x 2."""

    def _make_convs(self) -> None:
        self.convs, self.norms, self.acts = [], [], []
        for i in (1, 2):
            self.convs.append(
                keras.layers.Conv2D(
                    self.filters,
                    3,
                    padding=self.padding,
                    use_bias=not self.batch_norm,
                    kernel_initializer=self.kernel_initializer,
                    name=f"conv{i}",
                    dtype=self.dtype_policy,
                )
            )
            self.norms.append(
                keras.layers.BatchNormalization(name=f"bn{i}", dtype=self.dtype_policy)
                if self.batch_norm
                else None
            )
            self.acts.append(
                keras.layers.Activation(
                    self.activation, name=f"act{i}", dtype=self.dtype_policy
                )
            )

    def _build_convs(self, shape) -> tuple:
        for conv, norm in zip(self.convs, self.norms, strict=True):
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            if norm is not None:
                norm.build(shape)
        return shape

    def _apply_convs(self, x, training=None):
        for conv, norm, act in zip(self.convs, self.norms, self.acts, strict=True):
            x = conv(x)
            if norm is not None:
                x = norm(x, training=training)
            x = act(x)
        return x

    def _convs_output_shape(self, shape) -> tuple:
        for conv in self.convs:
            shape = conv.compute_output_shape(shape)
        return shape

    def _common_config(self) -> dict[str, Any]:
        return {
            "filters": self.filters,
            "padding": self.padding,
            "batch_norm": self.batch_norm,
            "activation": keras.activations.serialize(
                keras.activations.get(self.activation)
            ),
            "kernel_initializer": keras.initializers.serialize(
                keras.initializers.get(self.kernel_initializer)
            ),
        }


@keras_dlkit_export("keras_dlkit.blocks.UNetDown")
class UNetDown(_DoubleConv):
    """One contracting step of U-Net: [2x2 max pool] then two 3x3 convolutions.

    ``pool=False`` gives the first block of the network (the input block,
    which works at full resolution). With ``padding="valid"`` (the paper)
    each convolution trims one pixel on every side, so the map shrinks by 4.

    Args:
        filters: Output channels of both convolutions.
        pool: Whether to max-pool (2x2, stride 2) first.
        padding: ``"same"`` (default) or ``"valid"`` (the paper).
        batch_norm: Batch normalization after each convolution (the
            convolution then has no bias).
        activation: Activation after each convolution (paper: ReLU).
        kernel_initializer: Initializer of the kernels (default He
            uniform, the variance ``2 / N`` of the paper's Gaussian drawn
            uniformly; pass ``"he_normal"`` for the Gaussian. See
            :class:`~keras_dlkit.blocks.ConvNormAct`).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape: ``(batch, height, width, channels)``; with ``pool`` height
    and width must be even.

    Output shape: ``(batch, height', width', filters)``.

    Example:

    >>> import keras
    >>> from keras_dlkit.blocks import UNetDown
    >>> block = UNetDown(16, pool=True)
    >>> tuple(block(keras.ops.zeros((1, 32, 32, 8))).shape)
    (1, 16, 16, 16)
    """

    def __init__(
        self,
        filters: int,
        pool: bool = True,
        padding: str = "same",
        batch_norm: bool = False,
        activation: Any = "relu",
        kernel_initializer: Any = "he_uniform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_common(filters, padding, batch_norm, activation)
        check_bool("pool", pool)
        self.filters = filters
        self.pool = pool
        self.padding = padding
        self.batch_norm = batch_norm
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.max_pool = (
            keras.layers.MaxPooling2D(2, name="pool", dtype=self.dtype_policy)
            if pool
            else None
        )
        self._make_convs()

    def build(self, input_shape) -> None:
        shape = tuple(input_shape)
        if self.max_pool is not None:
            shape = self.max_pool.compute_output_shape(shape)
        self._build_convs(shape)
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        if self.max_pool is not None:
            x = self.max_pool(x)
        return self._apply_convs(x, training=training)

    def compute_output_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        if self.max_pool is not None:
            shape = self.max_pool.compute_output_shape(shape)
        return self._convs_output_shape(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._common_config(), "pool": self.pool}


@keras_dlkit_export("keras_dlkit.blocks.UNetUp")
class UNetUp(_DoubleConv):
    """One expanding step of U-Net: upsample x2, concatenate the skip, two convs.

    Called on ``[x, skip]`` (the deeper map and the encoder map of the target
    resolution) or on ``x`` alone (a decoder level without a skip, as in a
    decoder on a backbone whose first stage is already downsampled). The
    upsampling is the paper's 2x2 up-convolution (``"transpose"``: a
    ``Conv2DTranspose`` with ``filters`` outputs, stride 2) or a parameter-free
    ``"bilinear"`` / ``"nearest"`` resize. When the skip is larger than the
    upsampled map (``padding="valid"``, as in the paper) its centre is
    cropped to fit.

    Args:
        filters: Output channels of the up-convolution and both convolutions.
        upsampling: ``"transpose"`` (default, the paper), ``"bilinear"`` or
            ``"nearest"``.
        padding: ``"same"`` (default) or ``"valid"`` (the paper).
        batch_norm: Batch normalization after each 3x3 convolution.
        activation: Activation after each convolution (paper: ReLU).
        kernel_initializer: Initializer of the kernels.
        **kwargs: Base layer arguments.

    Input shape: ``x`` of shape ``(batch, h, w, c)`` and optionally ``skip``
    of shape ``(batch, >= 2h, >= 2w, c_skip)``.

    Output shape: ``(batch, 2h', 2w', filters)`` (``2h - 4`` with valid
    padding).

    Example:

    >>> import keras
    >>> from keras_dlkit.blocks import UNetUp
    >>> block = UNetUp(8)
    >>> x, skip = keras.ops.zeros((1, 8, 8, 16)), keras.ops.zeros((1, 16, 16, 8))
    >>> tuple(block([x, skip]).shape)
    (1, 16, 16, 8)
    """

    def __init__(
        self,
        filters: int,
        upsampling: str = "transpose",
        padding: str = "same",
        batch_norm: bool = False,
        activation: Any = "relu",
        kernel_initializer: Any = "he_uniform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_common(filters, padding, batch_norm, activation)
        check_choice("upsampling", upsampling, UPSAMPLINGS)
        self.filters = filters
        self.upsampling = upsampling
        self.padding = padding
        self.batch_norm = batch_norm
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        if upsampling == "transpose":
            self.upsample = keras.layers.Conv2DTranspose(
                filters,
                2,
                strides=2,
                kernel_initializer=kernel_initializer,
                name="up_conv",
                dtype=self.dtype_policy,
            )
        else:
            self.upsample = keras.layers.UpSampling2D(
                2, interpolation=upsampling, name="upsample", dtype=self.dtype_policy
            )
        self.concat = keras.layers.Concatenate(name="concat", dtype=self.dtype_policy)
        self._make_convs()

    @staticmethod
    def _split(inputs):
        """``(x, skip or None)`` from ``x``, ``[x]`` or ``[x, skip]`` (or shapes)."""
        is_shape = isinstance(inputs, (list, tuple)) and all(
            d is None or isinstance(d, int) for d in inputs
        )
        if isinstance(inputs, (list, tuple)) and not is_shape:
            if len(inputs) == 1:
                return inputs[0], None
            if len(inputs) == 2:
                return inputs[0], inputs[1]
            raise ValueError(
                f"`inputs` of UNetUp must be x or [x, skip], got {len(inputs)} items."
            )
        return inputs, None

    def _merged_shape(self, input_shape) -> tuple:
        x_shape, skip_shape = self._split(input_shape)
        shape = tuple(self.upsample.compute_output_shape(tuple(x_shape)))
        if skip_shape is not None:
            skip_shape = tuple(skip_shape)
            for axis in (1, 2):
                up, skip = shape[axis], skip_shape[axis]
                if up is None or skip is None:
                    continue
                if skip < up or (self.padding == "same" and skip != up):
                    raise ValueError(
                        f"The skip input of UNetUp {self.name!r} does not fit the "
                        f"upsampled map: skip {skip_shape}, upsampled {shape} "
                        f"(padding={self.padding!r} needs the skip "
                        + (
                            "as large."
                            if self.padding == "same"
                            else "at least as large."
                        )
                        + ") Height and width of the model input must be "
                        "divisible by its total stride."
                    )
            shape = (*shape[:3], shape[3] + skip_shape[3])
        return shape

    def build(self, input_shape) -> None:
        x_shape, _ = self._split(input_shape)
        self.upsample.build(tuple(x_shape))
        self._build_convs(self._merged_shape(input_shape))
        self.built = True

    def call(self, inputs, training=None):
        x, skip = self._split(inputs)
        x = self.upsample(x)
        if skip is not None:
            if self.padding == "valid":
                # The paper's crop: the centre of the (larger) encoder map.
                height, width = ops.shape(x)[1], ops.shape(x)[2]
                top = (ops.shape(skip)[1] - height) // 2
                left = (ops.shape(skip)[2] - width) // 2
                skip = skip[:, top : top + height, left : left + width, :]
            x = self.concat([x, skip])
        return self._apply_convs(x, training=training)

    def compute_output_shape(self, input_shape) -> tuple:
        return self._convs_output_shape(self._merged_shape(input_shape))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            **self._common_config(),
            "upsampling": self.upsampling,
        }
