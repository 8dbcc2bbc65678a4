"""Variational autoencoder builders: dense and convolutional, with beta.

Each returns an uncompiled :class:`keras_dlkit.training.VAE` whose
``encoder`` outputs ``(z_mean, z_log_var)`` and whose ``decoder`` maps a
latent sample back to the data; ``trainer.compile()`` uses ``Adam(1e-3)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.generative.encoder_decoder import encoder_and_decoder
from keras_dlkit.training.vae import RECONSTRUCTIONS, VAE
from keras_dlkit.utils.validation import check_choice, check_float, check_int

_IMAGE = (4, 4, 1)

# The decoder's last activation matches the likelihood: Bernoulli
# probabilities or the mean of a Gaussian.
_OUTPUT_ACTIVATIONS = {"bernoulli": "sigmoid", "gaussian": None}


def _check_vae_arguments(beta: Any, reconstruction: Any, seed: Any, name: Any):
    name = check_name(name)
    beta = check_float("beta", beta, minimum=0.0)
    check_choice("reconstruction", reconstruction, RECONSTRUCTIONS)
    if seed is not None:
        seed = check_int("seed", seed)
    return beta, seed, name


@register_model(
    "vae",
    family="generative",
    test_config={"input_shape": _IMAGE, "latent_dim": 2, "hidden_units": (8,)},
    test_input_shape=_IMAGE,
)
@keras_dlkit_export("keras_dlkit.models.vae")
def vae(
    input_shape: Sequence[int],
    latent_dim: int = 16,
    hidden_units: Sequence[int] = (256, 128),
    activation: Any = "relu",
    beta: float = 1.0,
    reconstruction: str = "bernoulli",
    seed: int | None = None,
    name: str = "vae",
) -> VAE:
    """A fully connected variational autoencoder (Kingma & Welling, 2014).

    The encoder (:func:`~keras_dlkit.models.dense_encoder` with
    ``variational=True``) maps a sample to the mean and log-variance of a
    diagonal Gaussian over ``latent_dim`` dimensions; the decoder
    (:func:`~keras_dlkit.models.dense_decoder`, hidden units reversed) maps
    a latent sample to pixel probabilities (``"bernoulli"``, sigmoid output)
    or means (``"gaussian"``, linear output). ``beta > 1`` gives a beta-VAE
    (Higgins et al., 2017).

    Args:
        input_shape: Shape of one sample.
        latent_dim: Number of latent dimensions (>= 1).
        hidden_units: Encoder widths; the decoder uses them reversed.
        activation: Hidden activation.
        beta: Weight of the KL term (>= 0).
        reconstruction: ``"bernoulli"`` (data in ``[0, 1]``) or
            ``"gaussian"``.
        seed: Seed of the trainer's sampling noise, or ``None``.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.VAE`.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> model = create_model("vae", input_shape=(28, 28, 1), latent_dim=2, beta=4.0)
    >>> [t.shape for t in model.encoder.outputs], model.decoder.output_shape
    ([(None, 2), (None, 2)], (None, 28, 28, 1))
    >>> model.beta
    4.0
    """
    beta, seed, name = _check_vae_arguments(beta, reconstruction, seed, name)
    encoder, decoder = encoder_and_decoder(
        "dense",
        input_shape,
        latent_dim,
        hidden_units,
        None,
        None,
        activation,
        _OUTPUT_ACTIVATIONS[reconstruction],
        variational=True,
    )
    return VAE(
        encoder, decoder, beta=beta, reconstruction=reconstruction, seed=seed, name=name
    )


@register_model(
    "conv_vae",
    family="generative",
    test_config={"input_shape": _IMAGE, "latent_dim": 2, "filters": (2,)},
    test_input_shape=_IMAGE,
)
@keras_dlkit_export("keras_dlkit.models.conv_vae")
def conv_vae(
    input_shape: Sequence[int],
    latent_dim: int = 16,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    activation: Any = "relu",
    beta: float = 1.0,
    reconstruction: str = "bernoulli",
    seed: int | None = None,
    name: str = "conv_vae",
) -> VAE:
    """A convolutional variational autoencoder, as in Keras's VAE example.

    Stride-2 convolutions to ``z_mean`` and ``z_log_var``
    (:func:`~keras_dlkit.models.conv_encoder` with ``variational=True``),
    stride-2 transposed convolutions back
    (:func:`~keras_dlkit.models.conv_decoder`).

    Args:
        input_shape: ``(height, width, channels)``; height and width must be
            multiples of ``2 ** len(filters)``.
        latent_dim: Number of latent dimensions (>= 1).
        filters: Encoder filters; the decoder uses them reversed.
        kernel_size: Square kernel size.
        activation: Activation of the stages.
        beta: Weight of the KL term (>= 0).
        reconstruction: ``"bernoulli"`` or ``"gaussian"``.
        seed: Seed of the trainer's sampling noise, or ``None``.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.VAE`.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> model = create_model("conv_vae", input_shape=(28, 28, 1), latent_dim=2)
    >>> model.decoder.output_shape
    (None, 28, 28, 1)
    """
    beta, seed, name = _check_vae_arguments(beta, reconstruction, seed, name)
    encoder, decoder = encoder_and_decoder(
        "conv",
        input_shape,
        latent_dim,
        None,
        filters,
        kernel_size,
        activation,
        _OUTPUT_ACTIVATIONS[reconstruction],
        variational=True,
    )
    return VAE(
        encoder, decoder, beta=beta, reconstruction=reconstruction, seed=seed, name=name
    )
