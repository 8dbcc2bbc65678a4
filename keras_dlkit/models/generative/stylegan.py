"""StyleGAN2 at small resolutions: mapping, synthesis, generator, discriminator.

The design is StyleGAN2's (Karras et al., 2020, config E/F without the path
length regularizer): a mapping network ``z -> w`` with a 100x slower learning
rate, a synthesis network of modulated, demodulated convolutions with noise
inputs from a learned 4x4 constant and toRGB *skip* outputs, style mixing and
a tracked average ``w`` for the truncation trick, and a residual
discriminator with minibatch standard deviation. Every layer has an
equalized learning rate. Simplifications, for small images on small
machines: bilinear up/downsampling instead of the [1, 3, 3, 1] FIR filters,
no lazy regularization and no path length penalty (see
:class:`~keras_dlkit.training.StyleGAN`), and channel widths set by
``channel_base`` / ``channel_max`` (defaults smaller than the paper's 512).

The generator is a plain one-input functional model (``z -> image``): the
second latent of style mixing, the crossover point and the noise are drawn
inside layers from their ``SeedGenerator``\\s, so it trains with
:class:`~keras_dlkit.training.GAN`'s ``fit()`` on every backend and saves
as a ``.keras`` file. Generate with a truncation ``psi`` and a noise mode
with :func:`~keras_dlkit.models.stylegan_generate`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.stylegan_synthesis_block import StyleGANSynthesisBlock
from keras_dlkit.layers.equalized_conv2d import EqualizedConv2D
from keras_dlkit.layers.equalized_dense import EqualizedDense
from keras_dlkit.layers.minibatch_std_dev import MinibatchStdDev
from keras_dlkit.layers.mixing_latent import MixingLatent
from keras_dlkit.layers.style_mixing import StyleMixing
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.training.stylegan import StyleGAN
from keras_dlkit.utils.validation import check_float, check_int, check_shape

_TINY = {
    "image_shape": (8, 8, 1),
    "latent_dim": 4,
    "mapping_layers": 1,
    "channel_base": 32,
    "channel_max": 4,
}


def _check_image_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    shape = check_shape("image_shape", image_shape, ndim=3)
    height, width, _ = shape
    if height != width or height < 4 or height & (height - 1):
        raise ValueError(
            "`image_shape` must be (size, size, channels) with size a power of 2 "
            f">= 4 (4, 8, 16, 32, 64, ...), got {tuple(image_shape)!r}."
        )
    return shape


def _channels(channel_base: int, channel_max: int):
    check_int("channel_base", channel_base, minimum=1)
    check_int("channel_max", channel_max, minimum=1)
    return lambda resolution: max(1, min(channel_base // resolution, channel_max))


def _seed(seed: int | None, offset: int) -> int | None:
    return None if seed is None else seed + offset


def _num_ws(resolution: int) -> int:
    return 2 * int(math.log2(resolution)) - 2


@keras_dlkit_export("keras_dlkit.models.stylegan_mapping_network")
def stylegan_mapping_network(
    latent_dim: int,
    w_dim: int | None = None,
    num_layers: int = 8,
    lr_multiplier: float = 0.01,
    name: str = "mapping",
) -> keras.Model:
    """StyleGAN's mapping network ``z -> w``.

    ``z`` is normalized to unit root mean square (StyleGAN's pixel norm:
    ``keras.layers.RMSNormalization(epsilon=1e-8)`` with its scale frozen at
    one), then goes through ``num_layers``
    :class:`~keras_dlkit.layers.EqualizedDense` layers of ``w_dim`` units
    with leaky ReLU (times ``sqrt(2)``) and learning-rate multiplier
    ``lr_multiplier`` (0.01 in the papers).

    Args:
        latent_dim: Size of ``z`` (>= 1).
        w_dim: Size of ``w`` (>= 1); default ``latent_dim``.
        num_layers: Number of dense layers (>= 1); 8 in the papers.
        lr_multiplier: Learning-rate multiplier of the dense layers (> 0).
        name: Model name.

    Returns:
        A functional ``keras.Model`` from ``(batch, latent_dim)`` to
        ``(batch, w_dim)``; layers ``normalize_z``, ``dense_0`` ...

    Example:

    >>> from keras_dlkit.models import stylegan_mapping_network
    >>> mapping = stylegan_mapping_network(512)
    >>> mapping.output_shape
    (None, 512)
    >>> mapping.count_params() - 512  # 8 x (512 * 512 + 512), plus the frozen scale
    2101248
    """
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    w_dim = latent_dim if w_dim is None else check_int("w_dim", w_dim, minimum=1)
    num_layers = check_int("num_layers", num_layers, minimum=1)
    check_float("lr_multiplier", lr_multiplier, minimum=0.0, min_inclusive=False)
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.RMSNormalization(
        epsilon=1e-8, trainable=False, name="normalize_z"
    )(z)
    for i in range(num_layers):
        x = EqualizedDense(
            w_dim, activation="lrelu", lr_multiplier=lr_multiplier, name=f"dense_{i}"
        )(x)
    return keras.Model(z, x, name=check_name(name))


@keras_dlkit_export("keras_dlkit.models.stylegan_synthesis_network")
def stylegan_synthesis_network(
    image_shape: Sequence[int],
    w_dim: int,
    channel_base: int = 4096,
    channel_max: int = 256,
    seed: int | None = None,
    name: str = "synthesis",
) -> keras.Model:
    """StyleGAN2's synthesis network ``ws -> image`` (the "skip" generator).

    One :class:`~keras_dlkit.blocks.StyleGANSynthesisBlock` per resolution,
    4x4 (from the learned constant) up to the image size, named
    ``block_{resolution}``; block ``r`` has ``min(channel_base // r,
    channel_max)`` channels. The image is the sum of the blocks' toRGB
    outputs (upsampled), with no output activation, as in the paper.

    Args:
        image_shape: ``(size, size, channels)``, size a power of 2 >= 4.
        w_dim: Size of each style (>= 1).
        channel_base: Channel budget (>= 1): ``channel_base // resolution``.
        channel_max: Most channels of a block (>= 1).
        seed: Seed of the noise layers, or ``None``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` from ``(batch, num_ws, w_dim)`` with
        ``num_ws = 2 * log2(size) - 2`` to ``(batch, *image_shape)``.

    Example:

    >>> from keras_dlkit.models import stylegan_synthesis_network
    >>> synthesis = stylegan_synthesis_network((32, 32, 3), w_dim=64, channel_max=32)
    >>> synthesis.input_shape, synthesis.output_shape
    ((None, 8, 64), (None, 32, 32, 3))
    """
    size, _, image_channels = _check_image_shape(image_shape)
    w_dim = check_int("w_dim", w_dim, minimum=1)
    channels = _channels(channel_base, channel_max)
    num_ws = _num_ws(size)
    ws = keras.Input((num_ws, w_dim), name="ws")
    x, img = StyleGANSynthesisBlock(
        channels(4),
        image_channels,
        first=True,
        w_index=0,
        seed=_seed(seed, 0),
        name="block_4",
    )(ws)
    resolution, w_index = 8, 1
    while resolution <= size:
        x, img = StyleGANSynthesisBlock(
            channels(resolution),
            image_channels,
            w_index=w_index,
            seed=_seed(seed, 2 * w_index),
            name=f"block_{resolution}",
        )([x, img, ws])
        resolution, w_index = 2 * resolution, w_index + 2
    return keras.Model(ws, img, name=check_name(name))


@keras_dlkit_export("keras_dlkit.models.stylegan_generator")
def stylegan_generator(
    image_shape: Sequence[int],
    latent_dim: int,
    w_dim: int | None = None,
    mapping_layers: int = 8,
    mapping_lr_multiplier: float = 0.01,
    channel_base: int = 4096,
    channel_max: int = 256,
    style_mixing_prob: float = 0.9,
    w_avg_beta: float = 0.995,
    seed: int | None = None,
    name: str = "stylegan_generator",
) -> keras.Model:
    """The StyleGAN2 generator ``z -> image``, with style mixing and ``w_avg``.

    ``w = mapping(z)``; in training a second latent from
    :class:`~keras_dlkit.layers.MixingLatent` goes through the same mapping
    network, and :class:`~keras_dlkit.layers.StyleMixing` (``"style_mixing"``)
    broadcasts ``w`` to the ``num_ws`` styles, swaps the styles after a
    random crossover point for the second latent's with probability
    ``style_mixing_prob``, and updates the tracked average ``w_avg``. At
    inference the styles are ``w`` on every layer (``psi = 1``);
    :func:`~keras_dlkit.models.stylegan_generate` applies the truncation
    trick. ``"synthesis"`` is :func:`stylegan_synthesis_network`. Images have
    no output activation: scale the data to ``[-1, 1]``.

    Args:
        image_shape: ``(size, size, channels)``, size a power of 2 >= 4.
        latent_dim: Size of ``z`` (>= 1).
        w_dim: Size of ``w``; default ``latent_dim``.
        mapping_layers: Dense layers of the mapping network (>= 1).
        mapping_lr_multiplier: Their learning-rate multiplier (> 0).
        channel_base: Channel budget of the synthesis network.
        channel_max: Most channels of a synthesis block.
        style_mixing_prob: Probability of style mixing in training, in
            ``[0, 1]``; 0.9 in the paper.
        w_avg_beta: Decay of the ``w_avg`` moving average, in ``[0, 1]``.
        seed: Seed of the random layers, or ``None``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` from ``(batch, latent_dim)`` to
        ``(batch, *image_shape)`` with sub-models ``"mapping"`` and
        ``"synthesis"``.

    Raises:
        ValueError: If ``image_shape`` is not a square power-of-2 size >= 4,
            or another argument is out of range.

    Example:

    >>> from keras_dlkit.models import stylegan_generator
    >>> generator = stylegan_generator((32, 32, 1), latent_dim=64, channel_max=32)
    >>> generator.output_shape
    (None, 32, 32, 1)
    >>> generator.get_layer("style_mixing").num_ws
    8
    """
    shape = _check_image_shape(image_shape)
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    w_dim = latent_dim if w_dim is None else check_int("w_dim", w_dim, minimum=1)
    style_mixing_prob = check_float(
        "style_mixing_prob", style_mixing_prob, minimum=0.0, maximum=1.0
    )
    if seed is not None:
        seed = check_int("seed", seed, minimum=0)
    mapping = stylegan_mapping_network(
        latent_dim, w_dim, mapping_layers, mapping_lr_multiplier, name="mapping"
    )
    synthesis = stylegan_synthesis_network(
        shape, w_dim, channel_base, channel_max, seed=_seed(seed, 2), name="synthesis"
    )
    z = keras.Input((latent_dim,), name="z")
    w = mapping(z)
    w_mix = w
    if style_mixing_prob > 0.0:
        w_mix = mapping(MixingLatent(seed=_seed(seed, 0), name="mixing_latent")(z))
    ws = StyleMixing(
        synthesis.input_shape[1],
        style_mixing_prob=style_mixing_prob,
        w_avg_beta=w_avg_beta,
        seed=_seed(seed, 1),
        name="style_mixing",
    )([w, w_mix])
    return keras.Model(z, synthesis(ws), name=check_name(name))


@keras_dlkit_export("keras_dlkit.models.stylegan_discriminator")
def stylegan_discriminator(
    image_shape: Sequence[int],
    channel_base: int = 4096,
    channel_max: int = 256,
    mbstd_group_size: int = 4,
    mbstd_num_features: int = 1,
    name: str = "stylegan_discriminator",
) -> keras.Model:
    """The StyleGAN2 residual discriminator ``image -> logit``.

    ``from_rgb`` (1x1, leaky ReLU), then one residual block per resolution
    from the image size down to 8x8 (``block_{r}``: a 3x3 convolution, 2x2
    average pooling and a 3x3 convolution to the next width, plus a skip of
    2x2 average pooling and a 1x1 convolution without bias; the sum times
    ``sqrt(1/2)``), then at 4x4 :class:`~keras_dlkit.layers.MinibatchStdDev`,
    a 3x3 convolution, a dense layer and the logit. All layers have an
    equalized learning rate; widths ``min(channel_base // r, channel_max)``.
    (Average pooling replaces the official FIR downsampling filter.)

    Args:
        image_shape: ``(size, size, channels)``, size a power of 2 >= 4.
        channel_base: Channel budget.
        channel_max: Most channels of a block.
        mbstd_group_size: Group size of the minibatch standard deviation.
        mbstd_num_features: Features it appends.
        name: Model name.

    Returns:
        A functional ``keras.Model`` from ``(batch, *image_shape)`` to
        ``(batch, 1)`` logits.

    Example:

    >>> from keras_dlkit.models import stylegan_discriminator
    >>> discriminator = stylegan_discriminator((32, 32, 3), channel_max=32)
    >>> discriminator.output_shape
    (None, 1)
    """
    shape = _check_image_shape(image_shape)
    channels = _channels(channel_base, channel_max)
    size = shape[0]
    images = keras.Input(shape, name="images")
    x = EqualizedConv2D(channels(size), 1, activation="lrelu", name="from_rgb")(images)
    resolution = size
    while resolution > 4:
        prefix, out = f"block_{resolution}", channels(resolution // 2)
        skip = keras.layers.AveragePooling2D(2, name=f"{prefix}_skip_pool")(x)
        skip = EqualizedConv2D(out, 1, use_bias=False, name=f"{prefix}_skip")(skip)
        x = EqualizedConv2D(
            channels(resolution), 3, activation="lrelu", name=f"{prefix}_conv0"
        )(x)
        x = keras.layers.AveragePooling2D(2, name=f"{prefix}_pool")(x)
        x = EqualizedConv2D(out, 3, activation="lrelu", name=f"{prefix}_conv1")(x)
        x = keras.layers.Add(name=f"{prefix}_add")([skip, x])
        x = keras.layers.Rescaling(math.sqrt(0.5), name=f"{prefix}_scale")(x)
        resolution //= 2
    x = MinibatchStdDev(mbstd_group_size, mbstd_num_features, name="minibatch_std")(x)
    x = EqualizedConv2D(channels(4), 3, activation="lrelu", name="epilogue_conv")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = EqualizedDense(channels(4), activation="lrelu", name="epilogue_dense")(x)
    logits = EqualizedDense(1, name="logits")(x)
    return keras.Model(images, logits, name=check_name(name))


@register_model(
    "stylegan", family="generative", test_config=_TINY, test_input_shape=(8, 8, 1)
)
@keras_dlkit_export("keras_dlkit.models.stylegan")
def stylegan(
    image_shape: Sequence[int],
    latent_dim: int = 512,
    w_dim: int | None = None,
    mapping_layers: int = 8,
    channel_base: int = 4096,
    channel_max: int = 256,
    style_mixing_prob: float = 0.9,
    mbstd_group_size: int = 4,
    seed: int | None = None,
    name: str = "stylegan",
) -> StyleGAN:
    """A StyleGAN2 (generator and discriminator) in its trainer, uncompiled.

    :func:`stylegan_generator` and :func:`stylegan_discriminator` of
    ``image_shape`` in a :class:`~keras_dlkit.training.StyleGAN`, whose
    ``compile()`` uses the StyleGAN2 paper's settings (non-saturating loss,
    R1 penalty ``gamma = 10``, ``Adam(0.002, beta_1=0, beta_2=0.99,
    epsilon=1e-8)`` for both networks). Scale the images to ``[-1, 1]``.

    Args:
        image_shape: ``(size, size, channels)``, size a power of 2 >= 4.
        latent_dim: Size of ``z`` (>= 1).
        w_dim: Size of ``w``; default ``latent_dim``.
        mapping_layers: Dense layers of the mapping network.
        channel_base: Channel budget of both networks.
        channel_max: Most channels of a block.
        style_mixing_prob: Probability of style mixing in training.
        mbstd_group_size: Group size of the minibatch standard deviation.
        seed: Seed of the trainer's noise and the generator's random
            layers, or ``None``.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.StyleGAN`.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> model = create_model("stylegan", image_shape=(32, 32, 1), latent_dim=64,
    ...                      mapping_layers=2, channel_base=512, channel_max=64)
    >>> model.generator.output_shape, model.discriminator.output_shape
    ((None, 32, 32, 1), (None, 1))
    """
    generator = stylegan_generator(
        image_shape,
        latent_dim,
        w_dim=w_dim,
        mapping_layers=mapping_layers,
        channel_base=channel_base,
        channel_max=channel_max,
        style_mixing_prob=style_mixing_prob,
        seed=None if seed is None else _seed(check_int("seed", seed, minimum=0), 1),
    )
    discriminator = stylegan_discriminator(
        image_shape,
        channel_base=channel_base,
        channel_max=channel_max,
        mbstd_group_size=mbstd_group_size,
    )
    return StyleGAN(generator, discriminator, seed=seed, name=check_name(name))
