"""CycleGAN (Zhu et al., 2017): the ResNet generator, the PatchGAN and the trainer.

Both networks follow the official PyTorch implementation
(``junyanz/pytorch-CycleGAN-and-pix2pix``, ``networks.py``) layer for layer,
including where padding goes, so their outputs line up pixel for pixel with
it and the published parameter counts hold: 11,378,179 for the 9-block
generator on 3-channel images and 2,764,737 for the 70x70 PatchGAN (the
repository prints 11.378 M and 2.765 M). As there, instance normalization has
no learned scale and offset (``InstanceNorm2d(affine=False)``) and every
convolution has a bias; ``affine_norm=True`` learns the normalization's scale
and offset instead and drops the biases the normalization would cancel.
Weights start from ``N(0, 0.02)``, biases at zero (``init_type="normal"``).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.cyclegan_resnet_block import (
    CycleGANResidualBlock,
    default_kernel_initializer,
)
from keras_dlkit.layers.reflection_padding import ReflectionPadding2D
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.training.cyclegan import CycleGAN
from keras_dlkit.utils.validation import check_bool, check_float, check_int, check_shape

_CL = {"data_format": "channels_last"}


def _instance_norm(affine: bool, name: str) -> keras.layers.Layer:
    return keras.layers.GroupNormalization(
        groups=-1,
        epsilon=1e-5,
        center=affine,
        scale=affine,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
        name=name,
    )


@keras_dlkit_export("keras_dlkit.models.cyclegan_generator")
def cyclegan_generator(
    image_shape: Sequence[int],
    num_residual_blocks: int = 9,
    filters: int = 64,
    output_channels: int | None = None,
    affine_norm: bool = False,
    name: str = "cyclegan_generator",
) -> keras.Model:
    """The CycleGAN ResNet generator: ``c7s1-64, d128, d256, R256 x n, u128, u64, c7s1-3``.

    In the paper's notation (appendix 7.2): ``c7s1-k`` is reflection padding
    by 3, a 7x7 convolution with ``k`` filters, instance normalization and
    ReLU; ``dk`` a 3x3 convolution of stride 2 (zero padding 1), instance
    normalization and ReLU; ``Rk`` a :class:`~keras_dlkit.blocks.
    CycleGANResidualBlock`; ``uk`` a 3x3 transposed convolution of stride 2
    (PyTorch's ``padding=1, output_padding=1``: a valid transposed
    convolution cropped by one pixel at the top and the left), instance
    normalization and ReLU. The last ``c7s1`` has no normalization and ends
    in ``tanh``, so images live in ``[-1, 1]``. The paper uses 6 blocks for
    128x128 images and 9 for 256x256 and larger. ``filters`` scales every
    width (``k = 64`` above).

    Named stages: ``encoder`` (after the two downsamplings),
    ``res_block_{i}`` and ``decoder`` (after the two upsamplings).

    Args:
        image_shape: ``(height, width, channels)``; height and width must be
            multiples of 4 and at least 8 (the bottleneck is 4x smaller and
            reflection padding needs 2 pixels there).
        num_residual_blocks: Number of residual blocks (>= 0): 9 or 6.
        filters: Width of the first convolution (>= 1); the others are 2x
            and 4x.
        output_channels: Channels of the output; ``None`` keeps the input's.
        affine_norm: Learn the instance normalizations' scale and offset
            (convolutions before them then have no bias). ``False`` is the
            official implementation.
        name: Model name.

    Returns:
        A functional ``keras.Model`` from ``image_shape`` to
        ``(height, width, output_channels)``.

    Raises:
        ValueError: On an ``image_shape`` that is not 3 positive integers,
            or whose height or width is not a multiple of 4 or below 8, or
            on a non-positive width or negative number of blocks.

    Example:

    >>> from keras_dlkit.models import cyclegan_generator
    >>> model = cyclegan_generator((32, 32, 3), num_residual_blocks=6, filters=8)
    >>> model.output_shape, model.get_layer("encoder").output.shape
    ((None, 32, 32, 3), (None, 8, 8, 32))
    >>> model.count_params()  # at filters=64, 9 blocks: 11,378,179 (11.378 M)
    124931
    """
    image_shape = check_shape("image_shape", image_shape, ndim=3)
    height, width, channels = image_shape
    if height % 4 or width % 4 or height < 8 or width < 8:
        raise ValueError(
            "`image_shape` must have a height and a width that are multiples of "
            "4 and at least 8 (the generator downsamples twice by 2 and pads the "
            f"bottleneck by reflection), got {image_shape}."
        )
    num_residual_blocks = check_int(
        "num_residual_blocks", num_residual_blocks, minimum=0
    )
    filters = check_int("filters", filters, minimum=1)
    if output_channels is None:
        output_channels = channels
    output_channels = check_int("output_channels", output_channels, minimum=1)
    affine_norm = check_bool("affine_norm", affine_norm)
    name = check_name(name)
    bias = not affine_norm

    inputs = keras.Input(shape=image_shape, name="images")
    x = ReflectionPadding2D(3, name="c7s1_pad", **_CL)(inputs)
    x = keras.layers.Conv2D(
        filters,
        7,
        use_bias=bias,
        kernel_initializer=default_kernel_initializer(),
        name="c7s1_conv",
        **_CL,
    )(x)
    x = _instance_norm(affine_norm, "c7s1_norm")(x)
    x = keras.layers.ReLU(name="c7s1_relu")(x)
    for i in (1, 2):
        x = keras.layers.ZeroPadding2D(1, name=f"down_{i}_pad", **_CL)(x)
        x = keras.layers.Conv2D(
            filters * 2**i,
            3,
            strides=2,
            use_bias=bias,
            kernel_initializer=default_kernel_initializer(),
            name=f"down_{i}_conv",
            **_CL,
        )(x)
        x = _instance_norm(affine_norm, f"down_{i}_norm")(x)
        x = keras.layers.ReLU(name="encoder" if i == 2 else f"down_{i}_relu")(x)
    for i in range(num_residual_blocks):
        x = CycleGANResidualBlock(affine_norm=affine_norm, name=f"res_block_{i}")(x)
    for i in (1, 2):
        x = keras.layers.Conv2DTranspose(
            filters * 2 ** (2 - i),
            3,
            strides=2,
            padding="valid",
            use_bias=bias,
            kernel_initializer=default_kernel_initializer(),
            name=f"up_{i}_conv",
            **_CL,
        )(x)
        # (H - 1) * 2 + 3 = 2H + 1 rows; PyTorch's padding=1, output_padding=1
        # drops the first one.
        x = keras.layers.Cropping2D(((1, 0), (1, 0)), name=f"up_{i}_crop", **_CL)(x)
        x = _instance_norm(affine_norm, f"up_{i}_norm")(x)
        x = keras.layers.ReLU(name="decoder" if i == 2 else f"up_{i}_relu")(x)
    x = ReflectionPadding2D(3, name="output_pad", **_CL)(x)
    x = keras.layers.Conv2D(
        output_channels,
        7,
        kernel_initializer=default_kernel_initializer(),
        name="output_conv",
        **_CL,
    )(x)
    outputs = keras.layers.Activation("tanh", name="output_tanh", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def _patchgan_output_size(size: int, num_layers: int = 3) -> int:
    """Side of the PatchGAN's score map for an input side of ``size`` pixels."""
    for _ in range(num_layers):
        size = (size + 2 - 4) // 2 + 1
    return size - 2  # two stride-1 4x4 convolutions with padding 1


@keras_dlkit_export("keras_dlkit.models.patchgan_discriminator")
def patchgan_discriminator(
    image_shape: Sequence[int],
    filters: int = 64,
    num_layers: int = 3,
    affine_norm: bool = False,
    name: str = "patchgan_discriminator",
) -> keras.Model:
    """The 70x70 PatchGAN of CycleGAN and pix2pix: ``C64-C128-C256-C512``, then 1 channel.

    ``Ck`` is a 4x4 convolution with ``k`` filters (zero padding 1),
    instance normalization (none in ``C64``) and ``LeakyReLU(0.2)``. The
    first ``num_layers`` convolutions have stride 2, ``C512`` and the output
    convolution stride 1. Each output score judges one overlapping patch of
    the input: with ``num_layers=3`` the receptive field is 70x70 pixels
    (34 with 2 layers, 16 with 1; in general ``1 + 3 (3 * 2**n - 1)``), and
    a 256x256 image gives a 30x30 score map. Scores are raw (no sigmoid), as
    the least-squares loss wants. Widths are ``filters * min(2**i, 8)``.

    Args:
        image_shape: ``(height, width, channels)``, large enough for a score
            map of at least 1x1 (24 pixels for ``num_layers=3``, 12 for 2, 6 for 1).
        filters: Width of the first convolution (>= 1).
        num_layers: Number of stride-2 convolutions (>= 1); 3 is the 70x70
            PatchGAN (the official ``n_layers_D``).
        affine_norm: Learn the instance normalizations' scale and offset
            (the convolutions before them then have no bias).
        name: Model name.

    Returns:
        A functional ``keras.Model`` from images to a
        ``(map height, map width, 1)`` score map.

    Raises:
        ValueError: On an ``image_shape`` that is not 3 positive integers or
            too small for a score map, or a non-positive ``filters`` or
            ``num_layers``.

    Example:

    >>> from keras_dlkit.models import patchgan_discriminator
    >>> model = patchgan_discriminator((64, 64, 3), filters=4)
    >>> model.output_shape  # 30x30 on 256x256 images
    (None, 6, 6, 1)
    >>> model.count_params()  # at filters=64: 2,764,737 (2.765 M)
    11517
    """
    image_shape = check_shape("image_shape", image_shape, ndim=3)
    filters = check_int("filters", filters, minimum=1)
    num_layers = check_int("num_layers", num_layers, minimum=1)
    affine_norm = check_bool("affine_norm", affine_norm)
    name = check_name(name)
    height, width, _ = image_shape
    if (
        min(
            _patchgan_output_size(height, num_layers),
            _patchgan_output_size(width, num_layers),
        )
        < 1
    ):
        smallest = 1
        while _patchgan_output_size(smallest, num_layers) < 1:
            smallest += 1
        raise ValueError(
            f"`image_shape` {image_shape} is too small for a PatchGAN with "
            f"`num_layers`={num_layers}: height and width must be at least "
            f"{smallest} pixels."
        )
    bias = not affine_norm

    inputs = keras.Input(shape=image_shape, name="images")
    x = inputs
    for i in range(num_layers + 1):
        stride = 2 if i < num_layers else 1
        x = keras.layers.ZeroPadding2D(1, name=f"conv_{i}_pad", **_CL)(x)
        x = keras.layers.Conv2D(
            filters * min(2**i, 8),
            4,
            strides=stride,
            use_bias=bias or i == 0,
            kernel_initializer=default_kernel_initializer(),
            name=f"conv_{i}",
            **_CL,
        )(x)
        if i > 0:
            x = _instance_norm(affine_norm, f"conv_{i}_norm")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"conv_{i}_lrelu")(x)
    x = keras.layers.ZeroPadding2D(1, name="output_pad", **_CL)(x)
    outputs = keras.layers.Conv2D(
        1,
        4,
        kernel_initializer=default_kernel_initializer(),
        name="scores",
        dtype="float32",
        **_CL,
    )(x)
    return keras.Model(inputs, outputs, name=name)


@register_model(
    "cyclegan",
    family="generative",
    test_config={
        "image_shape": (8, 8, 1),
        "num_residual_blocks": 1,
        "generator_filters": 2,
        "discriminator_filters": 2,
        "discriminator_layers": 1,
    },
    test_input_shape=(8, 8, 1),
)
@keras_dlkit_export("keras_dlkit.models.cyclegan")
def cyclegan(
    image_shape: Sequence[int],
    num_residual_blocks: int = 9,
    generator_filters: int = 64,
    discriminator_filters: int = 64,
    discriminator_layers: int = 3,
    affine_norm: bool = False,
    cycle_weight: float = 10.0,
    identity_weight: float = 0.5,
    name: str = "cyclegan",
) -> CycleGAN:
    """A ready, uncompiled CycleGAN trainer: two ResNet generators, two PatchGANs.

    ``generator_g`` maps domain X to Y, ``generator_f`` Y to X,
    ``discriminator_x`` judges X and ``discriminator_y`` judges Y; both
    domains have ``image_shape``. ``trainer.compile()`` uses the paper's
    ``Adam(2e-4, beta_1=0.5)``; ``trainer.fit((x_images, y_images))`` trains
    on two unaligned image sets scaled to ``[-1, 1]``.

    Args:
        image_shape: ``(height, width, channels)`` of both domains (height
            and width multiples of 4).
        num_residual_blocks: Residual blocks per generator (9 for 256x256
            images, 6 for 128x128).
        generator_filters: ``filters`` of :func:`cyclegan_generator`.
        discriminator_filters: ``filters`` of :func:`patchgan_discriminator`.
        discriminator_layers: ``num_layers`` of the PatchGAN (3: 70x70).
        affine_norm: Learned scale and offset in every instance
            normalization (``False``: the official implementation).
        cycle_weight: ``lambda`` of the cycle-consistency loss (> 0).
        identity_weight: Weight of the identity loss relative to
            ``cycle_weight`` (>= 0; 0 disables it).
        name: Name of the trainer.

    Returns:
        A :class:`keras_dlkit.training.CycleGAN`.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> trainer = create_model("cyclegan", image_shape=(32, 32, 1),
    ...                        num_residual_blocks=2, generator_filters=8,
    ...                        discriminator_filters=8, discriminator_layers=2)
    >>> trainer.compile()
    >>> trainer.generator_g.output_shape, trainer.discriminator_y.output_shape
    ((None, 32, 32, 1), (None, 6, 6, 1))
    """

    def generator(network_name):
        return cyclegan_generator(
            image_shape,
            num_residual_blocks=num_residual_blocks,
            filters=generator_filters,
            affine_norm=affine_norm,
            name=network_name,
        )

    def discriminator(network_name):
        return patchgan_discriminator(
            image_shape,
            filters=discriminator_filters,
            num_layers=discriminator_layers,
            affine_norm=affine_norm,
            name=network_name,
        )

    cycle_weight = check_float(
        "cycle_weight", cycle_weight, minimum=0.0, min_inclusive=False
    )
    return CycleGAN(
        generator("generator_g"),
        generator("generator_f"),
        discriminator("discriminator_x"),
        discriminator("discriminator_y"),
        cycle_weight=cycle_weight,
        identity_weight=identity_weight,
        name=check_name(name),
    )
