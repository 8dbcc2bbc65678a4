"""GAN builders: ``gan``, ``dcgan`` and ``conditional_gan``, registered.

Each returns an uncompiled trainer (:class:`~keras_dlkit.training.GAN` or
:class:`~keras_dlkit.training.ConditionalGAN`) holding its ``generator`` and
``discriminator`` (built by :mod:`keras_dlkit.models.gan_networks`).
``trainer.compile()`` with no arguments uses the DCGAN paper's settings:
``Adam(2e-4, beta_1=0.5)`` for both networks and the non-saturating loss.
The original GAN and conditional GAN papers trained with SGD and momentum
on pylearn2 schedules; those are not reproduced, Adam is the settled
practice for these small networks too.
"""

from __future__ import annotations

from collections.abc import Sequence

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models.autoencoder_networks import _check_name
from keras_dlkit.models.gan_networks import (
    dcgan_discriminator,
    dcgan_generator,
    gan_discriminator,
    gan_generator,
)
from keras_dlkit.models.registry import register_model
from keras_dlkit.training.conditional_gan import ConditionalGAN
from keras_dlkit.training.gan import GAN
from keras_dlkit.utils.validation import check_choice, check_int

NETWORKS = ("dcgan", "mlp")

_TINY_IMAGE = (8, 8, 1)


def _check_seed(seed):
    return None if seed is None else check_int("seed", seed)


@register_model(
    "gan",
    family="generative",
    test_config={
        "image_shape": (4, 4, 1),
        "latent_dim": 2,
        "generator_units": (8,),
        "discriminator_units": (8,),
    },
    test_input_shape=(4, 4, 1),
)
@keras_dlkit_export("keras_dlkit.models.gan")
def gan(
    image_shape: Sequence[int],
    latent_dim: int = 100,
    generator_units: Sequence[int] = (256, 512, 1024),
    discriminator_units: Sequence[int] = (512, 256),
    dropout: float = 0.3,
    seed: int | None = None,
    name: str = "gan",
) -> GAN:
    """A GAN of two multilayer perceptrons (Goodfellow et al., 2014).

    Generator: :func:`~keras_dlkit.models.gan_generator` (ReLU stages, tanh
    output: scale the data to ``[-1, 1]``). Discriminator:
    :func:`~keras_dlkit.models.gan_discriminator` (LeakyReLU and dropout,
    one logit). Works for samples of any shape.

    Args:
        image_shape: Shape of one sample.
        latent_dim: Size of the noise vector (>= 1).
        generator_units: Hidden widths of the generator.
        discriminator_units: Hidden widths of the discriminator.
        dropout: Dropout rate of the discriminator.
        seed: Seed of the trainer's noise, or ``None``.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.GAN`.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> model = create_model("gan", image_shape=(28, 28, 1), latent_dim=64)
    >>> model.generator.output_shape, model.discriminator.output_shape
    ((None, 28, 28, 1), (None, 1))
    """
    name = _check_name(name)
    generator = gan_generator(latent_dim, image_shape, generator_units)
    discriminator = gan_discriminator(image_shape, discriminator_units, dropout)
    return GAN(generator, discriminator, seed=_check_seed(seed), name=name)


@register_model(
    "dcgan",
    family="generative",
    test_config={
        "image_shape": _TINY_IMAGE,
        "latent_dim": 2,
        "generator_width": 2,
        "discriminator_width": 2,
        "kernel_size": 3,
    },
    test_input_shape=_TINY_IMAGE,
)
@keras_dlkit_export("keras_dlkit.models.dcgan")
def dcgan(
    image_shape: Sequence[int] = (64, 64, 3),
    latent_dim: int = 100,
    generator_width: int = 128,
    discriminator_width: int = 64,
    kernel_size: int = 5,
    seed: int | None = None,
    name: str = "dcgan",
) -> GAN:
    """DCGAN (Radford et al., 2015): convolutional generator and discriminator.

    Generator: :func:`~keras_dlkit.models.dcgan_generator` (projection and
    reshape, stride-2 transposed convolutions, batch norm and ReLU, tanh
    output); discriminator: :func:`~keras_dlkit.models.dcgan_discriminator`
    (stride-2 convolutions, LeakyReLU(0.2), batch norm but on the first, no
    pooling). The defaults are the paper's 64x64 networks; the number of
    stages follows from ``image_shape`` (28x28 starts from 7x7). Scale the
    images to ``[-1, 1]``. ``compile()`` uses the paper's ``Adam(2e-4,
    beta_1=0.5)``.

    Args:
        image_shape: ``(height, width, channels)``; height and width even
            and >= 8 (e.g. 28, 32, 64).
        latent_dim: Size of the noise vector (>= 1).
        generator_width: Filters of the generator's last hidden layer.
        discriminator_width: Filters of the discriminator's first layer.
        kernel_size: Square kernel size of every convolution.
        seed: Seed of the trainer's noise, or ``None``.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.GAN`.

    Raises:
        ValueError: If the generator cannot produce ``image_shape`` or an
            argument is out of range.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> model = create_model("dcgan", image_shape=(28, 28, 1), latent_dim=100)
    >>> model.generator.output_shape
    (None, 28, 28, 1)
    >>> model.compile()
    >>> optimizer = model.generator_optimizer
    >>> round(float(optimizer.learning_rate), 6), optimizer.beta_1
    (0.0002, 0.5)
    """
    name = _check_name(name)
    generator = dcgan_generator(latent_dim, image_shape, generator_width, kernel_size)
    discriminator = dcgan_discriminator(image_shape, discriminator_width, kernel_size)
    return GAN(generator, discriminator, seed=_check_seed(seed), name=name)


@register_model(
    "conditional_gan",
    family="generative",
    test_config={
        "image_shape": _TINY_IMAGE,
        "num_classes": 3,
        "latent_dim": 2,
        "embedding_dim": 2,
        "generator_width": 2,
        "discriminator_width": 2,
        "kernel_size": 3,
    },
    test_input_shape=_TINY_IMAGE,
)
@keras_dlkit_export("keras_dlkit.models.conditional_gan")
def conditional_gan(
    image_shape: Sequence[int],
    num_classes: int,
    latent_dim: int = 100,
    embedding_dim: int = 50,
    network: str = "dcgan",
    generator_width: int = 128,
    discriminator_width: int = 64,
    kernel_size: int = 5,
    generator_units: Sequence[int] = (256, 512, 1024),
    discriminator_units: Sequence[int] = (512, 256),
    dropout: float = 0.3,
    seed: int | None = None,
    name: str = "conditional_gan",
) -> ConditionalGAN:
    """A conditional GAN (Mirza & Osindero, 2014) with label embeddings.

    The generator takes ``[noise, labels]`` and concatenates a learned
    ``embedding_dim`` label embedding to the noise; the discriminator takes
    ``[images, labels]``. With ``network="dcgan"`` (default) both are the
    DCGAN networks and the discriminator concatenates a one-channel label
    map (the embedding through ``Dense(height * width)``) to the image
    channels; with ``network="mlp"`` they are the MLPs of :func:`gan`, the
    embedding concatenated to the flattened image. Train with
    ``fit(images, labels)``.

    Args:
        image_shape: Shape of one sample (``(height, width, channels)`` for
            ``"dcgan"``: height and width even and >= 8).
        num_classes: Number of classes (>= 2).
        latent_dim: Size of the noise vector (>= 1).
        embedding_dim: Size of the label embeddings (>= 1).
        network: ``"dcgan"`` or ``"mlp"``.
        generator_width: DCGAN only: filters of the generator's last hidden
            layer.
        discriminator_width: DCGAN only: filters of the first convolution.
        kernel_size: DCGAN only: square kernel size.
        generator_units: MLP only: hidden widths of the generator.
        discriminator_units: MLP only: hidden widths of the discriminator.
        dropout: MLP only: dropout rate of the discriminator.
        seed: Seed of the trainer's noise, or ``None``.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.ConditionalGAN`.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> model = create_model(
    ...     "conditional_gan", image_shape=(28, 28, 1), num_classes=10, latent_dim=32
    ... )
    >>> [tuple(t.shape) for t in model.generator.inputs]
    [(None, 32), (None, 1)]
    >>> model.discriminator.get_layer("image_and_label").output.shape
    (None, 28, 28, 2)
    """
    name = _check_name(name)
    network = check_choice("network", network, NETWORKS)
    num_classes = check_int("num_classes", num_classes, minimum=2)
    condition = {"num_classes": num_classes, "embedding_dim": embedding_dim}
    if network == "dcgan":
        generator = dcgan_generator(
            latent_dim, image_shape, generator_width, kernel_size, **condition
        )
        discriminator = dcgan_discriminator(
            image_shape, discriminator_width, kernel_size, **condition
        )
    else:
        generator = gan_generator(latent_dim, image_shape, generator_units, **condition)
        discriminator = gan_discriminator(
            image_shape, discriminator_units, dropout, **condition
        )
    return ConditionalGAN(
        generator,
        discriminator,
        num_classes=num_classes,
        seed=_check_seed(seed),
        name=name,
    )
