"""Generator and discriminator networks of the GAN family.

:func:`gan_generator` / :func:`gan_discriminator` (multilayer perceptrons,
Goodfellow et al., 2014) and :func:`dcgan_generator` /
:func:`dcgan_discriminator` (Radford et al., 2015) return plain functional
models; with ``num_classes`` they take class labels as a second input
(Mirza & Osindero, 2014). The builders in :mod:`keras_dlkit.models.gans`
pair them in a trainer. Discriminators return logits (no sigmoid): the
losses of :mod:`keras_dlkit.losses.gan` take logits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models.autoencoder_networks import _check_name, _check_units
from keras_dlkit.utils.validation import check_float, check_int, check_shape

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


def _normal_init() -> keras.initializers.Initializer:
    # A fresh object per layer: N(0, 0.02), as in the DCGAN paper.
    return keras.initializers.RandomNormal(0.0, 0.02)


def _batch_norm(name: str) -> keras.layers.BatchNormalization:
    # The authors' code initializes the scale N(1, 0.02) and the offset 0.
    # Momentum 0.9 (PyTorch's 0.1, as in its DCGAN example) rather than
    # Keras's 0.99: the moving statistics used for sampling follow training
    # within tens of steps, not hundreds.
    return keras.layers.BatchNormalization(
        momentum=0.9,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
        name=name,
    )


def _check_condition(num_classes: Any, embedding_dim: Any) -> tuple[Any, int]:
    if num_classes is not None:
        num_classes = check_int("num_classes", num_classes, minimum=2)
    embedding_dim = check_int("embedding_dim", embedding_dim, minimum=1)
    return num_classes, embedding_dim


def _label_code(num_classes: int, embedding_dim: int) -> tuple[Any, Any]:
    """A labels input ``(None, 1)`` int32 and its embedding ``(None, embedding_dim)``."""
    labels = keras.Input((1,), dtype="int32", name="labels")
    code = keras.layers.Embedding(num_classes, embedding_dim, name="label_embedding")(
        labels
    )
    return labels, keras.layers.Flatten(name="label_code")(code)


def _noise_input(latent_dim: int, num_classes: Any, embedding_dim: int):
    """Inputs of a generator and the vector its body starts from."""
    noise = keras.Input((latent_dim,), name="noise")
    if num_classes is None:
        return noise, noise
    labels, code = _label_code(num_classes, embedding_dim)
    x = keras.layers.Concatenate(name="noise_and_label")([noise, code])
    return [noise, labels], x


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
    hidden_units = _check_units("hidden_units", hidden_units, allow_empty=False)
    num_classes, embedding_dim = _check_condition(num_classes, embedding_dim)
    name = _check_name(name)
    inputs, x = _noise_input(latent_dim, num_classes, embedding_dim)
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
    hidden_units = _check_units("hidden_units", hidden_units, allow_empty=False)
    dropout = check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    num_classes, embedding_dim = _check_condition(num_classes, embedding_dim)
    name = _check_name(name)
    images = keras.Input(image_shape, name="images")
    x = keras.layers.Flatten(name="flatten")(images) if len(image_shape) > 1 else images
    inputs = images
    if num_classes is not None:
        labels, code = _label_code(num_classes, embedding_dim)
        x = keras.layers.Concatenate(name="sample_and_label")([x, code])
        inputs = [images, labels]
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, name=f"dense_{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"leaky_relu_{i}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(1, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


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
    num_classes, embedding_dim = _check_condition(num_classes, embedding_dim)
    name = _check_name(name)
    height, wide, channels = image_shape
    base = (height >> stages, wide >> stages)
    filters = [min(width * 2**k, 8 * width) for k in reversed(range(stages))]

    inputs, x = _noise_input(latent_dim, num_classes, embedding_dim)
    x = keras.layers.Dense(
        base[0] * base[1] * filters[0],
        use_bias=False,
        kernel_initializer=_normal_init(),
        name="project",
    )(x)
    x = keras.layers.Reshape((*base, filters[0]), name="reshape")(x)
    x = _batch_norm("project_bn")(x)
    x = keras.layers.ReLU(name="project_relu")(x)
    for i, units in enumerate(filters[1:]):
        x = keras.layers.Conv2DTranspose(
            units,
            kernel_size,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=_normal_init(),
            name=f"up_{i}",
        )(x)
        x = _batch_norm(f"up_{i}_bn")(x)
        x = keras.layers.ReLU(name=f"up_{i}_relu")(x)
    x = keras.layers.Conv2DTranspose(
        channels,
        kernel_size,
        strides=2,
        padding="same",
        use_bias=False,
        kernel_initializer=_normal_init(),
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
    num_classes, embedding_dim = _check_condition(num_classes, embedding_dim)
    name = _check_name(name)
    height, wide, _ = image_shape
    images = keras.Input(image_shape, name="images")
    x, inputs = images, images
    if num_classes is not None:
        labels, code = _label_code(num_classes, embedding_dim)
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
            kernel_initializer=_normal_init(),
            name=f"down_{i}",
        )(x)
        if i > 0:
            x = _batch_norm(f"down_{i}_bn")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"down_{i}_leaky_relu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(
        1, use_bias=False, kernel_initializer=_normal_init(), name="logits"
    )(x)
    return keras.Model(inputs, outputs, name=name)
