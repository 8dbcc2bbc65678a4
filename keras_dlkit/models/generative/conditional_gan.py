"""Conditional GAN (Mirza & Osindero, 2014): a GAN whose networks also take class labels.

:func:`conditional_gan` builds the DCGAN or MLP networks with a labels input
and pairs them in a :class:`~keras_dlkit.training.ConditionalGAN` trainer.
The original paper trained with SGD and momentum on pylearn2 schedules;
``compile()`` defaults to Adam(2e-4, beta_1=0.5) instead, the settled
practice for these small networks.
"""

from __future__ import annotations

from collections.abc import Sequence

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.generative._gan_common import TINY_IMAGE, check_seed
from keras_dlkit.models.generative.dcgan import dcgan_discriminator, dcgan_generator
from keras_dlkit.models.generative.gan import gan_discriminator, gan_generator
from keras_dlkit.training.conditional_gan import ConditionalGAN
from keras_dlkit.utils.validation import check_choice, check_int

NETWORKS = ("dcgan", "mlp")


@register_model(
    "conditional_gan",
    family="generative",
    test_config={
        "image_shape": TINY_IMAGE,
        "num_classes": 3,
        "latent_dim": 2,
        "embedding_dim": 2,
        "generator_width": 2,
        "discriminator_width": 2,
        "kernel_size": 3,
    },
    test_input_shape=TINY_IMAGE,
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
    name = check_name(name)
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
        seed=check_seed(seed),
        name=name,
    )
