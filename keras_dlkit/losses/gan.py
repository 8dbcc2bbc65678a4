"""Adversarial losses on discriminator logits, written once in ``keras.ops``.

Every function takes raw discriminator outputs (logits, or critic scores for
the Wasserstein losses), never probabilities, reduces in float32 and returns a
scalar. The non-saturating losses use ``softplus``, which is
``-log(sigmoid(-x))`` without the overflow of the naive formula:

- non-saturating (Goodfellow et al., 2014, the "-log D" generator trick):
  ``D = mean(softplus(-real)) + mean(softplus(fake))``,
  ``G = mean(softplus(-fake))``;
- hinge (Lim & Ye, 2017; Miyato et al., 2018):
  ``D = mean(relu(1 - real)) + mean(relu(1 + fake))``, ``G = -mean(fake)``;
- Wasserstein (Arjovsky et al., 2017): ``D = mean(fake) - mean(real)``,
  ``G = -mean(fake)``, with :func:`gradient_penalty` (Gulrajani et al., 2017)
  added to ``D`` for WGAN-GP;
- R1 (Mescheder et al., 2018): :func:`r1_penalty`, the squared gradient norm
  of ``D`` on real samples, added to ``D`` as ``gamma / 2 * r1``.

The discriminator losses are the *sum* of the real and the fake term, as in
the papers' objectives (some code reports their average, half of this).
"""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float


def _float32(x: Any) -> Any:
    return ops.cast(ops.convert_to_tensor(x), "float32")


@keras_dlkit_export("keras_dlkit.losses.non_saturating_discriminator_loss")
def non_saturating_discriminator_loss(real_logits: Any, fake_logits: Any) -> Any:
    """Binary cross-entropy of the discriminator on logits (real = 1, fake = 0).

    ``mean(softplus(-real_logits)) + mean(softplus(fake_logits))``, that is
    ``-mean(log sigmoid(real)) - mean(log(1 - sigmoid(fake)))``, computed
    stably for logits of any size.

    Args:
        real_logits: Discriminator logits on real samples, any shape.
        fake_logits: Discriminator logits on generated samples, any shape.

    Returns:
        A float32 scalar.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import non_saturating_discriminator_loss
    >>> loss = non_saturating_discriminator_loss([[0.0]], [[0.0]])
    >>> round(float(ops.convert_to_numpy(loss)), 4)  # 2 * log(2)
    1.3863
    """
    real_logits = _float32(real_logits)
    fake_logits = _float32(fake_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


@keras_dlkit_export("keras_dlkit.losses.non_saturating_generator_loss")
def non_saturating_generator_loss(fake_logits: Any) -> Any:
    """The non-saturating generator loss ``-mean(log sigmoid(fake_logits))``.

    The generator maximizes ``log D(G(z))`` instead of minimizing
    ``log(1 - D(G(z)))``, which keeps its gradient alive while the
    discriminator wins. Computed as ``mean(softplus(-fake_logits))``.

    Args:
        fake_logits: Discriminator logits on generated samples, any shape.

    Returns:
        A float32 scalar.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import non_saturating_generator_loss
    >>> loss = non_saturating_generator_loss([[0.0], [100.0]])
    >>> round(float(ops.convert_to_numpy(loss)), 4)  # (log 2 + 0) / 2
    0.3466
    """
    return ops.mean(ops.softplus(-_float32(fake_logits)))


@keras_dlkit_export("keras_dlkit.losses.hinge_discriminator_loss")
def hinge_discriminator_loss(real_logits: Any, fake_logits: Any) -> Any:
    """The hinge discriminator loss ``mean(relu(1 - real)) + mean(relu(1 + fake))``.

    Args:
        real_logits: Discriminator outputs on real samples, any shape.
        fake_logits: Discriminator outputs on generated samples, any shape.

    Returns:
        A float32 scalar.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import hinge_discriminator_loss
    >>> loss = hinge_discriminator_loss([[2.0], [0.5]], [[-3.0], [0.0]])
    >>> round(float(ops.convert_to_numpy(loss)), 4)  # (0 + 0.5)/2 + (0 + 1)/2
    0.75
    """
    real_logits = _float32(real_logits)
    fake_logits = _float32(fake_logits)
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


@keras_dlkit_export("keras_dlkit.losses.hinge_generator_loss")
def hinge_generator_loss(fake_logits: Any) -> Any:
    """The hinge generator loss ``-mean(fake_logits)``.

    Args:
        fake_logits: Discriminator outputs on generated samples, any shape.

    Returns:
        A float32 scalar.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import hinge_generator_loss
    >>> float(ops.convert_to_numpy(hinge_generator_loss([[1.0], [2.0]])))
    -1.5
    """
    return -ops.mean(_float32(fake_logits))


@keras_dlkit_export("keras_dlkit.losses.wasserstein_discriminator_loss")
def wasserstein_discriminator_loss(real_logits: Any, fake_logits: Any) -> Any:
    """The critic's loss ``mean(fake) - mean(real)`` (negated Wasserstein estimate).

    Used alone it needs a Lipschitz constraint on the critic; WGAN-GP adds
    ``gradient_penalty_weight * gradient_penalty(...)`` (see
    :func:`gradient_penalty`).

    Args:
        real_logits: Critic scores on real samples, any shape.
        fake_logits: Critic scores on generated samples, any shape.

    Returns:
        A float32 scalar.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import wasserstein_discriminator_loss
    >>> loss = wasserstein_discriminator_loss([[3.0], [1.0]], [[0.5], [-0.5]])
    >>> float(ops.convert_to_numpy(loss))
    -2.0
    """
    return ops.mean(_float32(fake_logits)) - ops.mean(_float32(real_logits))


@keras_dlkit_export("keras_dlkit.losses.wasserstein_generator_loss")
def wasserstein_generator_loss(fake_logits: Any) -> Any:
    """The Wasserstein generator loss ``-mean(fake)``.

    Args:
        fake_logits: Critic scores on generated samples, any shape.

    Returns:
        A float32 scalar.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import wasserstein_generator_loss
    >>> float(ops.convert_to_numpy(wasserstein_generator_loss([[1.0], [3.0]])))
    -2.0
    """
    return -ops.mean(_float32(fake_logits))


@keras_dlkit_export("keras_dlkit.losses.gradient_penalty")
def gradient_penalty(gradients: Any, target: float = 1.0) -> Any:
    """The WGAN-GP penalty ``mean((||g_i||_2 - target)^2)`` over the batch.

    ``gradients`` holds, for each sample ``i``, the gradient of the critic's
    output with respect to its input at a point between a real and a generated
    sample (computing it needs the backend's autodiff; the trainer
    :class:`keras_dlkit.training.GAN` does that on every backend). The norm
    runs over every axis but the first; a ``1e-12`` inside the square root
    keeps the penalty differentiable when a gradient is exactly zero.

    Args:
        gradients: Per-sample gradients, shape ``(batch, ...)`` with at
            least 2 dimensions.
        target: The gradient norm the critic is pushed toward (1 for a
            1-Lipschitz critic).

    Returns:
        A float32 scalar.

    Raises:
        ValueError: If ``gradients`` has fewer than 2 dimensions or
            ``target`` is not a finite number >= 0.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import gradient_penalty
    >>> penalty = gradient_penalty([[3.0, 4.0], [0.6, 0.8]])  # norms 5 and 1
    >>> round(float(ops.convert_to_numpy(penalty)), 4)  # (16 + 0) / 2
    8.0
    """
    target = check_float("target", target, minimum=0.0)
    gradients = _float32(gradients)
    if len(gradients.shape) < 2:
        raise ValueError(
            "`gradients` must have a batch axis and at least one more, got "
            f"shape {tuple(gradients.shape)}."
        )
    axes = tuple(range(1, len(gradients.shape)))
    norms = ops.sqrt(ops.sum(ops.square(gradients), axis=axes) + 1e-12)
    return ops.mean(ops.square(norms - target))


@keras_dlkit_export("keras_dlkit.losses.r1_penalty")
def r1_penalty(gradients: Any) -> Any:
    """The R1 penalty ``mean(||g_i||_2^2)`` over the batch (Mescheder et al., 2018).

    ``gradients`` holds, for each *real* sample ``i``, the gradient of the
    discriminator's output (summed over its elements) with respect to that
    sample. The discriminator loss adds ``gamma / 2`` times this value, which
    pushes the discriminator's gradient toward zero on the data (the
    regularizer StyleGAN uses). The trainer
    :class:`keras_dlkit.training.GAN` computes the gradients on every backend
    (``compile(r1_penalty_weight=gamma)``).

    Args:
        gradients: Per-sample gradients, shape ``(batch, ...)`` with at
            least 2 dimensions.

    Returns:
        A float32 scalar: the unweighted mean squared norm.

    Raises:
        ValueError: If ``gradients`` has fewer than 2 dimensions.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import r1_penalty
    >>> penalty = r1_penalty([[3.0, 4.0], [0.6, 0.8]])  # squared norms 25 and 1
    >>> round(float(ops.convert_to_numpy(penalty)), 4)
    13.0
    """
    gradients = _float32(gradients)
    if len(gradients.shape) < 2:
        raise ValueError(
            "`gradients` must have a batch axis and at least one more, got "
            f"shape {tuple(gradients.shape)}."
        )
    axes = tuple(range(1, len(gradients.shape)))
    return ops.mean(ops.sum(ops.square(gradients), axis=axes))
