"""Autoencoder builders: dense, convolutional, denoising and sparse.

Each registered builder returns an uncompiled
:class:`keras_dlkit.training.Autoencoder` holding two functional models,
``encoder`` and ``decoder`` (see :mod:`keras_dlkit.models.generative.encoder_decoder`).
``trainer.compile()`` uses ``Adam(1e-3)`` and the mean squared error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.kl_sparsity import KLSparsityRegularization
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.generative.encoder_decoder import encoder_and_decoder
from keras_dlkit.training.autoencoder import Autoencoder
from keras_dlkit.utils.validation import check_choice, check_float

SPARSITIES = ("l1", "kl")

#: Default penalty weights per sparsity kind (see :func:`sparse_autoencoder`).
SPARSITY_WEIGHTS = {"l1": 1e-4, "kl": 1e-3}

_IMAGE = (4, 4, 1)
_DENSE_TEST = {"input_shape": _IMAGE, "latent_dim": 2, "hidden_units": (8,)}
_CONV_TEST = {"input_shape": _IMAGE, "latent_dim": 2, "filters": (2,)}


@register_model(
    "dense_autoencoder",
    family="generative",
    test_config=_DENSE_TEST,
    test_input_shape=_IMAGE,
)
@keras_dlkit_export("keras_dlkit.models.dense_autoencoder")
def dense_autoencoder(
    input_shape: Sequence[int],
    latent_dim: int = 32,
    hidden_units: Sequence[int] = (256, 128),
    activation: Any = "relu",
    output_activation: Any = "sigmoid",
    name: str = "dense_autoencoder",
) -> Autoencoder:
    """A fully connected autoencoder with a linear code of ``latent_dim`` units.

    :func:`~keras_dlkit.models.dense_encoder` and the mirrored
    :func:`~keras_dlkit.models.dense_decoder` (hidden units reversed) in an
    :class:`~keras_dlkit.training.Autoencoder`.

    Args:
        input_shape: Shape of one sample.
        latent_dim: Size of the code (>= 1).
        hidden_units: Encoder widths; the decoder uses them reversed.
        activation: Hidden activation.
        output_activation: ``"sigmoid"`` for data in ``[0, 1]``, ``None``
            for real values.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.Autoencoder`.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> ae = create_model("dense_autoencoder", input_shape=(28, 28, 1), latent_dim=16)
    >>> ae.encoder.output_shape, ae.decoder.output_shape
    ((None, 16), (None, 28, 28, 1))
    """
    name = check_name(name)
    encoder, decoder = encoder_and_decoder(
        "dense",
        input_shape,
        latent_dim,
        hidden_units,
        None,
        None,
        activation,
        output_activation,
    )
    return Autoencoder(encoder, decoder, name=name)


@register_model(
    "conv_autoencoder",
    family="generative",
    test_config=_CONV_TEST,
    test_input_shape=_IMAGE,
)
@keras_dlkit_export("keras_dlkit.models.conv_autoencoder")
def conv_autoencoder(
    input_shape: Sequence[int],
    latent_dim: int = 32,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    activation: Any = "relu",
    output_activation: Any = "sigmoid",
    name: str = "conv_autoencoder",
) -> Autoencoder:
    """A convolutional autoencoder with a linear code of ``latent_dim`` units.

    :func:`~keras_dlkit.models.conv_encoder` (stride-2 convolutions) and the
    mirrored :func:`~keras_dlkit.models.conv_decoder` (stride-2 transposed
    convolutions).

    Args:
        input_shape: ``(height, width, channels)``; height and width must be
            multiples of ``2 ** len(filters)``.
        latent_dim: Size of the code (>= 1).
        filters: Encoder filters; the decoder uses them reversed.
        kernel_size: Square kernel size.
        activation: Activation of the stages.
        output_activation: ``"sigmoid"`` or ``None``.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.Autoencoder`.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> ae = create_model("conv_autoencoder", input_shape=(28, 28, 1), latent_dim=16)
    >>> ae.decoder.output_shape
    (None, 28, 28, 1)
    """
    name = check_name(name)
    encoder, decoder = encoder_and_decoder(
        "conv",
        input_shape,
        latent_dim,
        None,
        filters,
        kernel_size,
        activation,
        output_activation,
    )
    return Autoencoder(encoder, decoder, name=name)


@register_model(
    "denoising_autoencoder",
    family="generative",
    test_config={**_DENSE_TEST, "mask_rate": 0.25},
    test_input_shape=_IMAGE,
)
@keras_dlkit_export("keras_dlkit.models.denoising_autoencoder")
def denoising_autoencoder(
    input_shape: Sequence[int],
    latent_dim: int = 32,
    noise_stddev: float = 0.3,
    mask_rate: float = 0.0,
    architecture: str = "dense",
    hidden_units: Sequence[int] = (256, 128),
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    activation: Any = "relu",
    output_activation: Any = "sigmoid",
    name: str = "denoising_autoencoder",
) -> Autoencoder:
    """An autoencoder that learns to undo a corruption of its input.

    Vincent et al. (2008, 2010): the encoder sees a corrupted input, the loss
    compares the reconstruction with the clean one. The corruption layers sit
    at the encoder's input and act in training only, so plain ``fit(x)``
    trains a denoiser and ``encoder(x)`` / ``predict`` see the clean input:

    - ``GaussianNoise(noise_stddev)`` (layer ``corruption_noise``): additive
      isotropic Gaussian noise;
    - ``Dropout(mask_rate)`` (layer ``corruption_mask``): masking noise, a
      random fraction of the input set to 0. Keras's dropout scales the
      kept values by ``1 / (1 - mask_rate)`` (so the expected input matches
      the clean one); Vincent et al.'s masking does not rescale.

    Args:
        input_shape: Shape of one sample.
        latent_dim: Size of the code (>= 1).
        noise_stddev: Standard deviation of the Gaussian noise (>= 0).
        mask_rate: Fraction of inputs masked, in ``[0, 1)``. At least one of
            ``noise_stddev`` and ``mask_rate`` must be positive.
        architecture: ``"dense"`` (:func:`~keras_dlkit.models.dense_encoder`)
            or ``"conv"`` (:func:`~keras_dlkit.models.conv_encoder`).
        hidden_units: Encoder widths of the dense architecture.
        filters: Encoder filters of the conv architecture.
        kernel_size: Kernel size of the conv architecture.
        activation: Hidden activation.
        output_activation: ``"sigmoid"`` or ``None``.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.Autoencoder`.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_dlkit.models import create_model
    >>> ae = create_model("denoising_autoencoder", input_shape=(8,), latent_dim=2,
    ...                   hidden_units=(4,), noise_stddev=0.5)
    >>> x = np.ones((1, 8), "float32")
    >>> clean = ops.convert_to_numpy(ae.encoder(x, training=False))
    >>> bool(np.allclose(clean, ops.convert_to_numpy(ae.encoder(x))))
    True
    >>> corrupt = ae.encoder.get_layer("corruption_noise")
    >>> bool(np.allclose(x, ops.convert_to_numpy(corrupt(x, training=True))))
    False
    """
    name = check_name(name)
    noise_stddev = check_float("noise_stddev", noise_stddev, minimum=0.0)
    mask_rate = check_float(
        "mask_rate", mask_rate, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    if noise_stddev == 0.0 and mask_rate == 0.0:
        raise ValueError(
            "`noise_stddev` and `mask_rate` are both 0: a denoising autoencoder "
            "needs a corruption. Set one of them, or use dense_autoencoder."
        )
    encoder, decoder = encoder_and_decoder(
        architecture,
        input_shape,
        latent_dim,
        hidden_units,
        filters,
        kernel_size,
        activation,
        output_activation,
        noise_stddev=noise_stddev,
        mask_rate=mask_rate,
    )
    return Autoencoder(encoder, decoder, name=name)


@register_model(
    "sparse_autoencoder",
    family="generative",
    test_config={**_DENSE_TEST, "sparsity": "kl"},
    test_input_shape=_IMAGE,
)
@keras_dlkit_export("keras_dlkit.models.sparse_autoencoder")
def sparse_autoencoder(
    input_shape: Sequence[int],
    latent_dim: int = 64,
    sparsity: str = "l1",
    sparsity_weight: float | None = None,
    target: float = 0.05,
    architecture: str = "dense",
    hidden_units: Sequence[int] = (256, 128),
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    activation: Any = "relu",
    output_activation: Any = "sigmoid",
    name: str = "sparse_autoencoder",
) -> Autoencoder:
    """An autoencoder whose code is pushed to be sparse by a penalty.

    - ``sparsity="l1"``: a ReLU code with an L1 activity regularizer,
      ``sparsity_weight * mean_batch(sum_units |h|)`` (Keras divides activity
      penalties by the batch size); most code units are exactly 0.
    - ``sparsity="kl"``: a sigmoid code followed by
      :class:`~keras_dlkit.layers.KLSparsityRegularization` (layer
      ``sparsity``): each unit's mean activation is pulled to ``target``
      (Ng's sparse autoencoder notes).

    The penalties are added in training only for ``"kl"``, always for
    ``"l1"`` (Keras's activity regularizers); the trainer logs them as
    ``regularization_loss``. Default weights (``SPARSITY_WEIGHTS``):
    ``1e-4`` for L1 and ``1e-3`` for KL, sized against the default mean
    squared error on 28x28 images in ``[0, 1]``.

    Args:
        input_shape: Shape of one sample.
        latent_dim: Size of the code (>= 1); sparse codes are often wider
            than dense ones.
        sparsity: ``"l1"`` or ``"kl"``.
        sparsity_weight: Weight of the penalty (>= 0), or ``None`` for the
            default of ``sparsity``.
        target: Target mean activation of the ``"kl"`` penalty, in
            ``(0, 1)``; unused for ``"l1"``.
        architecture: ``"dense"`` or ``"conv"``.
        hidden_units: Encoder widths of the dense architecture.
        filters: Encoder filters of the conv architecture.
        kernel_size: Kernel size of the conv architecture.
        activation: Hidden activation.
        output_activation: ``"sigmoid"`` or ``None``.
        name: Name of the trainer.

    Returns:
        An uncompiled :class:`~keras_dlkit.training.Autoencoder`.

    Example:

    >>> from keras_dlkit.models import create_model
    >>> ae = create_model("sparse_autoencoder", input_shape=(28, 28, 1),
    ...                   sparsity="kl", target=0.1)
    >>> ae.encoder.get_layer("sparsity").target
    0.1
    >>> ae.encoder.get_layer("code").activation.__name__
    'sigmoid'
    """
    name = check_name(name)
    check_choice("sparsity", sparsity, SPARSITIES)
    if sparsity_weight is None:
        sparsity_weight = SPARSITY_WEIGHTS[sparsity]
    sparsity_weight = check_float("sparsity_weight", sparsity_weight, minimum=0.0)
    target = check_float(
        "target",
        target,
        minimum=0.0,
        maximum=1.0,
        min_inclusive=False,
        max_inclusive=False,
    )
    if sparsity == "l1":
        hooks = {"activity_regularizer": keras.regularizers.L1(sparsity_weight)}
        code_activation = "relu"
    else:
        hooks = {
            "kl_sparsity": KLSparsityRegularization(
                target=target, weight=sparsity_weight, name="sparsity"
            )
        }
        code_activation = "sigmoid"
    encoder, decoder = encoder_and_decoder(
        architecture,
        input_shape,
        latent_dim,
        hidden_units,
        filters,
        kernel_size,
        activation,
        output_activation,
        code_activation=code_activation,
        **hooks,
    )
    return Autoencoder(encoder, decoder, name=name)
