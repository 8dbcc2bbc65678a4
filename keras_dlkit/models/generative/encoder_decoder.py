"""Encoder and decoder networks of the autoencoder family.

:func:`dense_encoder`, :func:`dense_decoder`, :func:`conv_encoder` and
:func:`conv_decoder` return plain functional models; the builders in
:mod:`keras_dlkit.models.generative.autoencoder` and :mod:`keras_dlkit.models.generative.vae`
pair them in a trainer. The denoising and sparse builders add corruption
layers at the encoder's input and a sparsity penalty on its code through the
internal ``hooks`` of ``encoder_and_decoder``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name, check_units
from keras_dlkit.utils.validation import (
    check_choice,
    check_int,
    check_shape,
    resolve_activation,
)

ARCHITECTURES = ("dense", "conv")


def _code(x: Any, latent_dim: int, code_activation: Any, variational: bool, hooks):
    """The code layer(s): one ``Dense`` or the two heads of a VAE encoder."""
    if variational:
        z_mean = keras.layers.Dense(latent_dim, name="z_mean")(x)
        z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(x)
        return [z_mean, z_log_var]
    code = keras.layers.Dense(
        latent_dim,
        activation=code_activation,
        activity_regularizer=hooks.get("activity_regularizer"),
        name="code",
    )(x)
    if hooks.get("kl_sparsity") is not None:
        code = hooks["kl_sparsity"](code)
    return code


def _corrupt(inputs: Any, hooks: dict[str, Any]) -> Any:
    x = inputs
    if hooks.get("noise_stddev", 0.0) > 0.0:
        x = keras.layers.GaussianNoise(hooks["noise_stddev"], name="corruption_noise")(
            x
        )
    if hooks.get("mask_rate", 0.0) > 0.0:
        x = keras.layers.Dropout(hooks["mask_rate"], name="corruption_mask")(x)
    return x


@keras_dlkit_export("keras_dlkit.models.dense_encoder")
def dense_encoder(
    input_shape: Sequence[int],
    latent_dim: int,
    hidden_units: Sequence[int] = (256, 128),
    activation: Any = "relu",
    code_activation: Any = None,
    variational: bool = False,
    name: str = "encoder",
) -> keras.Model:
    """An MLP encoder: ``Flatten``, ``Dense`` stages, then the code.

    Args:
        input_shape: Shape of one sample (no batch axis); flattened.
        latent_dim: Size of the code (>= 1).
        hidden_units: Width of each hidden ``Dense`` layer (``dense_{i}``).
        activation: Hidden activation.
        code_activation: Activation of the code layer ``code`` (``None``:
            linear); ignored when ``variational``.
        variational: If true, two linear heads ``z_mean`` and ``z_log_var``
            replace the code: the encoder of a VAE.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with one output ``(None, latent_dim)``,
        or two when ``variational``.

    Example:

    >>> from keras_dlkit.models import dense_encoder
    >>> dense_encoder((28, 28), latent_dim=8, hidden_units=(64,)).output_shape
    (None, 8)
    >>> [t.shape for t in dense_encoder((6,), 2, variational=True).outputs]
    [(None, 2), (None, 2)]
    """
    return _dense_encoder(
        input_shape,
        latent_dim,
        hidden_units,
        activation,
        code_activation,
        variational,
        name,
        hooks={},
    )


def _dense_encoder(
    input_shape,
    latent_dim,
    hidden_units,
    activation,
    code_activation,
    variational,
    name,
    hooks,
):
    input_shape = check_shape("input_shape", input_shape)
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    hidden_units = check_units("hidden_units", hidden_units, allow_empty=True)
    activation = resolve_activation("activation", activation)
    code_activation = resolve_activation("code_activation", code_activation)
    name = check_name(name)
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = _corrupt(inputs, hooks)
    if len(input_shape) > 1:
        x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(x)
    outputs = _code(x, latent_dim, code_activation, variational, hooks)
    return keras.Model(inputs, outputs, name=name)


@keras_dlkit_export("keras_dlkit.models.dense_decoder")
def dense_decoder(
    latent_dim: int,
    output_shape: Sequence[int],
    hidden_units: Sequence[int] = (128, 256),
    activation: Any = "relu",
    output_activation: Any = "sigmoid",
    name: str = "decoder",
) -> keras.Model:
    """An MLP decoder: ``Dense`` stages, a ``Dense`` to every output element, reshape.

    Args:
        latent_dim: Size of the code (>= 1).
        output_shape: Shape of one reconstructed sample (no batch axis).
        hidden_units: Width of each hidden ``Dense`` layer (``dense_{i}``).
        activation: Hidden activation.
        output_activation: Activation of the output (``"sigmoid"`` for data
            in ``[0, 1]``, ``None`` for real values).
        name: Model name.

    Returns:
        A functional ``keras.Model`` from ``(None, latent_dim)`` to
        ``(None, *output_shape)``.

    Example:

    >>> from keras_dlkit.models import dense_decoder
    >>> dense_decoder(8, (28, 28, 1), hidden_units=(64,)).output_shape
    (None, 28, 28, 1)
    """
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    output_shape = check_shape("output_shape", output_shape)
    hidden_units = check_units("hidden_units", hidden_units, allow_empty=True)
    activation = resolve_activation("activation", activation)
    output_activation = resolve_activation("output_activation", output_activation)
    name = check_name(name)
    inputs = keras.Input(shape=(latent_dim,), name="latent")
    x = inputs
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(x)
    x = keras.layers.Dense(
        math.prod(output_shape), activation=output_activation, name="reconstruction"
    )(x)
    outputs = keras.layers.Reshape(output_shape, name="reshape")(x)
    return keras.Model(inputs, outputs, name=name)


def _check_image_shape(name: str, shape: Any, stages: int) -> tuple[int, ...]:
    shape = check_shape(name, shape, ndim=3)
    factor = 2**stages
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(
            f"`{name}` {shape} cannot be produced by {stages} stride-2 stage(s): "
            f"height and width must be multiples of {factor}. Change `filters` "
            "or pad the images."
        )
    return shape


@keras_dlkit_export("keras_dlkit.models.conv_encoder")
def conv_encoder(
    input_shape: Sequence[int],
    latent_dim: int,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    activation: Any = "relu",
    code_activation: Any = None,
    variational: bool = False,
    name: str = "encoder",
) -> keras.Model:
    """A convolutional encoder: stride-2 ``Conv2D`` stages, ``Flatten``, the code.

    Each stage ``conv_{i}`` halves height and width (``padding="same"``), as
    in Keras's VAE example.

    Args:
        input_shape: ``(height, width, channels)``; height and width must be
            multiples of ``2 ** len(filters)`` (so that :func:`conv_decoder`
            can produce the same shape).
        latent_dim: Size of the code (>= 1).
        filters: Filters of each stage (at least one).
        kernel_size: Square kernel size (>= 1).
        activation: Activation of the stages.
        code_activation: Activation of the code layer (``None``: linear).
        variational: If true, two heads ``z_mean`` and ``z_log_var``.
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import conv_encoder
    >>> conv_encoder((28, 28, 1), latent_dim=8).output_shape
    (None, 8)
    """
    return _conv_encoder(
        input_shape,
        latent_dim,
        filters,
        kernel_size,
        activation,
        code_activation,
        variational,
        name,
        hooks={},
    )


def _conv_encoder(
    input_shape,
    latent_dim,
    filters,
    kernel_size,
    activation,
    code_activation,
    variational,
    name,
    hooks,
):
    filters = check_units("filters", filters, allow_empty=False)
    input_shape = _check_image_shape("input_shape", input_shape, len(filters))
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    activation = resolve_activation("activation", activation)
    code_activation = resolve_activation("code_activation", code_activation)
    name = check_name(name)
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = _corrupt(inputs, hooks)
    for i, width in enumerate(filters):
        x = keras.layers.Conv2D(
            width,
            kernel_size,
            strides=2,
            padding="same",
            activation=activation,
            name=f"conv_{i}",
        )(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = _code(x, latent_dim, code_activation, variational, hooks)
    return keras.Model(inputs, outputs, name=name)


@keras_dlkit_export("keras_dlkit.models.conv_decoder")
def conv_decoder(
    latent_dim: int,
    output_shape: Sequence[int],
    filters: Sequence[int] = (64, 32),
    kernel_size: int = 3,
    activation: Any = "relu",
    output_activation: Any = "sigmoid",
    name: str = "decoder",
) -> keras.Model:
    """A transposed-convolution decoder, the mirror of :func:`conv_encoder`.

    ``Dense`` to a ``(h / 2**n, w / 2**n, filters[0])`` map (``project``),
    ``n = len(filters)`` stride-2 ``Conv2DTranspose`` stages ``deconv_{i}``
    and a ``Conv2D`` to the output channels (``reconstruction``).

    Args:
        latent_dim: Size of the code (>= 1).
        output_shape: ``(height, width, channels)``; height and width must be
            multiples of ``2 ** len(filters)``.
        filters: Filters of each stage (at least one).
        kernel_size: Square kernel size (>= 1).
        activation: Activation of the stages.
        output_activation: Output activation (``"sigmoid"`` or ``None``).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError: If the image size cannot be produced by the stages.

    Example:

    >>> from keras_dlkit.models import conv_decoder
    >>> conv_decoder(8, (28, 28, 1)).output_shape
    (None, 28, 28, 1)
    """
    latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    filters = check_units("filters", filters, allow_empty=False)
    output_shape = _check_image_shape("output_shape", output_shape, len(filters))
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    activation = resolve_activation("activation", activation)
    output_activation = resolve_activation("output_activation", output_activation)
    name = check_name(name)
    factor = 2 ** len(filters)
    start = (output_shape[0] // factor, output_shape[1] // factor, filters[0])
    inputs = keras.Input(shape=(latent_dim,), name="latent")
    x = keras.layers.Dense(math.prod(start), activation=activation, name="project")(
        inputs
    )
    x = keras.layers.Reshape(start, name="reshape")(x)
    for i, width in enumerate(filters):
        x = keras.layers.Conv2DTranspose(
            width,
            kernel_size,
            strides=2,
            padding="same",
            activation=activation,
            name=f"deconv_{i}",
        )(x)
    outputs = keras.layers.Conv2D(
        output_shape[2],
        kernel_size,
        padding="same",
        activation=output_activation,
        name="reconstruction",
    )(x)
    return keras.Model(inputs, outputs, name=name)


def encoder_and_decoder(
    architecture: str,
    input_shape: Any,
    latent_dim: Any,
    hidden_units: Any,
    filters: Any,
    kernel_size: Any,
    activation: Any,
    output_activation: Any,
    code_activation: Any = None,
    variational: bool = False,
    name: str = "encoder",
    **hooks: Any,
) -> tuple[keras.Model, keras.Model]:
    """Encoder and mirrored decoder of either architecture (not exported).

    ``hooks`` (internal): ``noise_stddev`` and ``mask_rate`` add corruption
    layers at the encoder's input; ``activity_regularizer`` goes on the code
    layer; ``kl_sparsity`` is a layer applied to the code.
    """
    check_choice("architecture", architecture, ARCHITECTURES)
    if architecture == "dense":
        units = check_units("hidden_units", hidden_units, allow_empty=True)
        encoder = _dense_encoder(
            input_shape,
            latent_dim,
            units,
            activation,
            code_activation,
            variational,
            name,
            hooks,
        )
        decoder = dense_decoder(
            latent_dim, input_shape, units[::-1], activation, output_activation
        )
    else:
        widths = check_units("filters", filters, allow_empty=False)
        encoder = _conv_encoder(
            input_shape,
            latent_dim,
            widths,
            kernel_size,
            activation,
            code_activation,
            variational,
            name,
            hooks,
        )
        decoder = conv_decoder(
            latent_dim,
            input_shape,
            widths[::-1],
            kernel_size,
            activation,
            output_activation,
        )
    return encoder, decoder
