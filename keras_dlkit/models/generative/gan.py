"""The GAN of Goodfellow et al. (2014): multilayer-perceptron networks and their trainer.

:func:`gan_generator` and :func:`gan_discriminator` return plain functional
models; with ``num_classes`` they take class labels as a second input
(Mirza & Osindero, 2014). :func:`gan` pairs them in a
:class:`~keras_dlkit.training.GAN` trainer. Discriminators return logits (no
sigmoid): the losses of :mod:`keras_dlkit.losses.gan` take logits.
``trainer.compile()`` with no arguments uses the DCGAN paper's settings:
``Adam(2e-4, beta_1=0.5)`` for both networks and the non-saturating loss.
The original GAN paper trained with SGD and momentum on pylearn2 schedules;
that is not reproduced, Adam is the settled practice for these small
networks too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name, check_units
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.generative._gan_common import (
    check_condition,
    check_seed,
    label_code,
    noise_input,
)
from keras_dlkit.training.gan import GAN
from keras_dlkit.utils.validation import check_float, check_int, check_shape


@keras_dlkit_export("keras_dlkit.models.gan_generator")
def gan_generator(
    latent_dim: int,
    image_shape: Sequence[int],
    hidden_units: Sequence[int] = (256, 512, 1024),
    num_classes: int | None = None,
    embedding_dim: int = 50,
    name: str = "generator",
) -> keras.Model:
    """The MLP generator of a GAN: noise to ``tanh`` samples of ``image_shape``.

    ``Dense -> ReLU`` stages, then ``Dense(prod(image_shape), tanh)`` reshaped
    to ``image_shape`` (train on data scaled to ``[-1, 1]``). With
    ``num_classes`` the model takes ``[noise, labels]`` and concatenates a
    learned label embedding to the noise (Mirza & Osindero, 2014).

    Args:
        latent_dim: Size of the noise vector (>= 1).
        image_shape: Shape of one sample, any rank.
        hidden_units: Widths of the hidden stages (at least one).
        num_classes: Number of classes of a conditional generator, or ``None``.
        embedding_dim: Size of the label embedding (conditional only).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import gan_generator
    >>> model = gan_generator(8, (28, 28, 1), hidden_units=(16,))
    >>> model.output_shape
    (None, 28, 28, 1)
    """
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    image_shape = check_shape("image_shape", image_shape)
    hidden_units = check_units("hidden_units", hidden_units, allow_empty=False)
    num_classes, embedding_dim = check_condition(num_classes, embedding_dim)
    name = check_name(name)
    inputs, x = noise_input(latent_dim, num_classes, embedding_dim)
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, name=f"dense_{i}")(x)
        x = keras.layers.ReLU(name=f"relu_{i}")(x)
    x = keras.layers.Dense(math.prod(image_shape), activation="tanh", name="output")(x)
    outputs = keras.layers.Reshape(image_shape, name="images")(x)
    return keras.Model(inputs, outputs, name=name)


@keras_dlkit_export("keras_dlkit.models.gan_discriminator")
def gan_discriminator(
    image_shape: Sequence[int],
    hidden_units: Sequence[int] = (512, 256),
    dropout: float = 0.3,
    num_classes: int | None = None,
    embedding_dim: int = 50,
    name: str = "discriminator",
) -> keras.Model:
    """The MLP discriminator of a GAN: samples to one logit.

    ``Flatten``, then ``Dense -> LeakyReLU(0.2) -> Dropout`` stages and
    ``Dense(1)`` (a logit). The paper's discriminator used maxout units with
    dropout; LeakyReLU is the common modern stand-in. With ``num_classes``
    the model takes ``[samples, labels]`` and concatenates a label embedding
    to the flattened sample.

    Args:
        image_shape: Shape of one sample, any rank.
        hidden_units: Widths of the hidden stages (at least one).
        dropout: Dropout rate in ``[0, 1)`` after each stage.
        num_classes: Number of classes of a conditional discriminator.
        embedding_dim: Size of the label embedding (conditional only).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import gan_discriminator
    >>> gan_discriminator((28, 28, 1), hidden_units=(16,)).output_shape
    (None, 1)
    """
    image_shape = check_shape("image_shape", image_shape)
    hidden_units = check_units("hidden_units", hidden_units, allow_empty=False)
    dropout = check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    num_classes, embedding_dim = check_condition(num_classes, embedding_dim)
    name = check_name(name)
    images = keras.Input(image_shape, name="images")
    x = keras.layers.Flatten(name="flatten")(images) if len(image_shape) > 1 else images
    inputs = images
    if num_classes is not None:
        labels, code = label_code(num_classes, embedding_dim)
        x = keras.layers.Concatenate(name="sample_and_label")([x, code])
        inputs = [images, labels]
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, name=f"dense_{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"leaky_relu_{i}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(1, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


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
    name = check_name(name)
    generator = gan_generator(latent_dim, image_shape, generator_units)
    discriminator = gan_discriminator(image_shape, discriminator_units, dropout)
    return GAN(generator, discriminator, seed=check_seed(seed), name=name)
