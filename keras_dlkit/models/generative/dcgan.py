"""DCGAN (Radford et al., 2015): convolutional generator and discriminator, and their trainer.

:func:`dcgan_generator` doubles a ``base x base`` map with stride-2
transposed convolutions (:func:`dcgan_stages` says how many);
:func:`dcgan_discriminator` halves it back with stride-2 convolutions and
returns logits. With ``num_classes`` both take class labels as a second
input (:mod:`keras_dlkit.models.generative.conditional_gan`). :func:`dcgan`
pairs them in a :class:`~keras_dlkit.training.GAN` trainer whose
``compile()`` defaults to the paper's ``Adam(2e-4, beta_1=0.5)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.generative._gan_common import (
    TINY_IMAGE,
    batch_norm,
    check_condition,
    check_seed,
    label_code,
    noise_input,
    normal_init,
)
from keras_dlkit.training.gan import GAN
from keras_dlkit.utils.validation import check_int, check_shape

#: The DCGAN generator starts from a ``base x base`` map, base >= this.
MIN_BASE = 4


@keras_dlkit_export("keras_dlkit.models.dcgan_stages")
def dcgan_stages(image_shape: Sequence[int]) -> int:
    """How many stride-2 stages a DCGAN needs for ``image_shape`` (``(H, W, C)``).

    Height and width are halved while both stay even and the halves are at
    least 4 (the paper's 64x64 starts from 4x4: 4 stages; 32x32: 3; 28x28
    starts from 7x7: 2).

    Args:
        image_shape: ``(height, width, channels)``.

    Returns:
        The number of stages (>= 1).

    Raises:
        ValueError: If ``image_shape`` is not ``(H, W, C)`` or the images
            cannot be halved even once (an odd size or a side below 8).

    Example:

    >>> from keras_dlkit.models import dcgan_stages
    >>> [dcgan_stages((s, s, 1)) for s in (8, 24, 28, 32, 64)]
    [1, 2, 2, 3, 4]
    """
    height, width, _ = check_shape("image_shape", image_shape, ndim=3)
    stages = 0
    while (
        height % 2 == 0
        and width % 2 == 0
        and height // 2 >= MIN_BASE
        and width // 2 >= MIN_BASE
    ):
        height, width, stages = height // 2, width // 2, stages + 1
    if stages == 0:
        raise ValueError(
            "The DCGAN generator cannot produce images of `image_shape` "
            f"{tuple(image_shape)}: it doubles a map of at least {MIN_BASE}x"
            f"{MIN_BASE} with stride-2 transposed convolutions, so height and "
            "width must both be even and at least 8 (for example 28, 32 or 64). "
            "Resize, pad or crop the images, or use the MLP `gan` builder."
        )
    return stages


def _check_dcgan(image_shape, width_name, width, kernel_size):
    stages = dcgan_stages(image_shape)
    width = check_int(width_name, width, minimum=1)
    kernel_size = check_int("kernel_size", kernel_size, minimum=2)
    return tuple(int(d) for d in image_shape), stages, width, kernel_size


@keras_dlkit_export("keras_dlkit.models.dcgan_generator")
def dcgan_generator(
    latent_dim: int,
    image_shape: Sequence[int] = (64, 64, 3),
    width: int = 128,
    kernel_size: int = 5,
    num_classes: int | None = None,
    embedding_dim: int = 50,
    name: str = "generator",
) -> keras.Model:
    """The DCGAN generator (Radford et al., 2015): project, reshape, upsample.

    ``Dense`` projection of the noise to a ``base x base`` map, reshaped,
    then stride-2 transposed convolutions (``kernel_size``, "same" padding)
    that double the map up to ``image_shape``; batch normalization and ReLU
    after every layer but the last, whose ``tanh`` gives images in
    ``[-1, 1]``. The number of stages follows from ``image_shape``
    (:func:`dcgan_stages`: 64x64 has 4, as in the paper, from 4x4x1024;
    28x28 has 2, from 7x7). The last hidden layer has ``width`` filters and
    each earlier one twice as many, capped at ``8 * width``; the paper's
    64x64 generator is ``width=128``. As in the authors' code, layers have no
    bias (batch normalization's offset replaces it) and kernels start from
    ``N(0, 0.02)``. Batch normalization uses momentum 0.9, so the moving
    statistics that inference (sampling) uses keep up with training. With
    ``num_classes`` the model takes ``[noise, labels]`` and concatenates a
    label embedding to the noise.

    Args:
        latent_dim: Size of the noise vector (>= 1); the paper uses 100.
        image_shape: ``(height, width, channels)``; height and width even
            and >= 8.
        width: Filters of the last hidden layer (>= 1).
        kernel_size: Square kernel size (the paper 5, many ports 4).
        num_classes: Number of classes of a conditional generator, or ``None``.
        embedding_dim: Size of the label embedding (conditional only).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError: If ``image_shape`` cannot be produced (see
            :func:`dcgan_stages`) or an argument is out of range.

    Example:

    >>> from keras_dlkit.models import dcgan_generator
    >>> model = dcgan_generator(100, (28, 28, 1), width=16)
    >>> [model.get_layer(n).output.shape for n in ("reshape", "up_0", "images")]
    [(None, 7, 7, 32), (None, 14, 14, 16), (None, 28, 28, 1)]
    """
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    image_shape, stages, width, kernel_size = _check_dcgan(
        image_shape, "width", width, kernel_size
    )
    num_classes, embedding_dim = check_condition(num_classes, embedding_dim)
    name = check_name(name)
    height, wide, channels = image_shape
    base = (height >> stages, wide >> stages)
    filters = [min(width * 2**k, 8 * width) for k in reversed(range(stages))]

    inputs, x = noise_input(latent_dim, num_classes, embedding_dim)
    x = keras.layers.Dense(
        base[0] * base[1] * filters[0],
        use_bias=False,
        kernel_initializer=normal_init(),
        name="project",
    )(x)
    x = keras.layers.Reshape((*base, filters[0]), name="reshape")(x)
    x = batch_norm("project_bn")(x)
    x = keras.layers.ReLU(name="project_relu")(x)
    for i, units in enumerate(filters[1:]):
        x = keras.layers.Conv2DTranspose(
            units,
            kernel_size,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=normal_init(),
            name=f"up_{i}",
        )(x)
        x = batch_norm(f"up_{i}_bn")(x)
        x = keras.layers.ReLU(name=f"up_{i}_relu")(x)
    x = keras.layers.Conv2DTranspose(
        channels,
        kernel_size,
        strides=2,
        padding="same",
        use_bias=False,
        kernel_initializer=normal_init(),
        name="output",
    )(x)
    outputs = keras.layers.Activation("tanh", name="images")(x)
    return keras.Model(inputs, outputs, name=name)


@keras_dlkit_export("keras_dlkit.models.dcgan_discriminator")
def dcgan_discriminator(
    image_shape: Sequence[int] = (64, 64, 3),
    width: int = 64,
    kernel_size: int = 5,
    num_classes: int | None = None,
    embedding_dim: int = 50,
    name: str = "discriminator",
) -> keras.Model:
    """The DCGAN discriminator (Radford et al., 2015): strided convolutions, no pooling.

    Stride-2 convolutions (``kernel_size``, "same" padding), as many as the
    generator has upsampling stages (:func:`dcgan_stages`), with ``width``
    filters doubling at each (capped at ``8 * width``; the paper's 64x64
    discriminator is ``width=64``: 64, 128, 256, 512), batch normalization
    on all but the first and LeakyReLU(0.2) on all; then ``Flatten`` and
    ``Dense(1)``: a logit. No biases and ``N(0, 0.02)`` kernels, as in the
    authors' code. With ``num_classes`` the model takes ``[images, labels]``
    and concatenates to the image channels a label map: the label embedding
    projected by ``Dense(height * width)`` and reshaped to one channel.

    Args:
        image_shape: ``(height, width, channels)``; height and width even
            and >= 8.
        width: Filters of the first convolution (>= 1).
        kernel_size: Square kernel size.
        num_classes: Number of classes of a conditional discriminator.
        embedding_dim: Size of the label embedding (conditional only).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError: If ``image_shape`` cannot be halved (see
            :func:`dcgan_stages`) or an argument is out of range.

    Example:

    >>> from keras_dlkit.models import dcgan_discriminator
    >>> model = dcgan_discriminator((32, 32, 3), width=8)
    >>> model.get_layer("down_2").output.shape, model.output_shape
    ((None, 4, 4, 32), (None, 1))
    """
    image_shape, stages, width, kernel_size = _check_dcgan(
        image_shape, "width", width, kernel_size
    )
    num_classes, embedding_dim = check_condition(num_classes, embedding_dim)
    name = check_name(name)
    height, wide, _ = image_shape
    images = keras.Input(image_shape, name="images")
    x, inputs = images, images
    if num_classes is not None:
        labels, code = label_code(num_classes, embedding_dim)
        label_map = keras.layers.Dense(height * wide, name="label_projection")(code)
        label_map = keras.layers.Reshape((height, wide, 1), name="label_map")(label_map)
        x = keras.layers.Concatenate(name="image_and_label")([images, label_map])
        inputs = [images, labels]
    for i in range(stages):
        x = keras.layers.Conv2D(
            min(width * 2**i, 8 * width),
            kernel_size,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=normal_init(),
            name=f"down_{i}",
        )(x)
        if i > 0:
            x = batch_norm(f"down_{i}_bn")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"down_{i}_leaky_relu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(
        1, use_bias=False, kernel_initializer=normal_init(), name="logits"
    )(x)
    return keras.Model(inputs, outputs, name=name)


@register_model(
    "dcgan",
    family="generative",
    test_config={
        "image_shape": TINY_IMAGE,
        "latent_dim": 2,
        "generator_width": 2,
        "discriminator_width": 2,
        "kernel_size": 3,
    },
    test_input_shape=TINY_IMAGE,
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
    name = check_name(name)
    generator = dcgan_generator(latent_dim, image_shape, generator_width, kernel_size)
    discriminator = dcgan_discriminator(image_shape, discriminator_width, kernel_size)
    return GAN(generator, discriminator, seed=check_seed(seed), name=name)
