"""CycleGAN's losses (Zhu et al., 2017), written once in ``keras.ops``.

- Least-squares adversarial loss (LSGAN, Mao et al., 2017, with targets 1
  for real and 0 for fake), which the paper uses instead of the negative
  log likelihood "for more stable training": the generator minimizes
  ``mean((D(G(x)) - 1)^2)``, the discriminator
  ``mean((D(y) - 1)^2) + mean(D(G(x))^2)`` *divided by 2* ("we divide the
  objective by 2 while optimizing D, which slows down the rate at which D
  learns relative to G", section 7.1; the official code does the same).
- Cycle-consistency loss: ``mean(|F(G(x)) - x|)``, an L1 distance.
- Identity-mapping loss: ``mean(|G(y) - y|)``, the same L1 distance between
  an image and its translation by the generator *into its own domain*.

Each function reduces in float32 over every element and returns a scalar;
the discriminator's scores are raw (a PatchGAN's score map of any shape).
"""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_dlkit.api_export import keras_dlkit_export


def _float32(x: Any) -> Any:
    return ops.cast(ops.convert_to_tensor(x), "float32")


@keras_dlkit_export("keras_dlkit.losses.least_squares_discriminator_loss")
def least_squares_discriminator_loss(real_scores: Any, fake_scores: Any) -> Any:
    """``(mean((real - 1)^2) + mean(fake^2)) / 2``: CycleGAN's discriminator loss.

    The least-squares GAN objective with targets 1 (real) and 0 (fake),
    halved as in the CycleGAN paper and code.

    Args:
        real_scores: Raw discriminator scores on real images, any shape.
        fake_scores: Raw discriminator scores on translated images, any
            shape.

    Returns:
        A float32 scalar.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import least_squares_discriminator_loss
    >>> loss = least_squares_discriminator_loss([[1.0, 0.0]], [[0.0, 1.0]])
    >>> float(ops.convert_to_numpy(loss))  # (0.5 + 0.5) / 2
    0.5
    """
    real_scores = _float32(real_scores)
    fake_scores = _float32(fake_scores)
    return 0.5 * (
        ops.mean(ops.square(real_scores - 1.0)) + ops.mean(ops.square(fake_scores))
    )


@keras_dlkit_export("keras_dlkit.losses.least_squares_generator_loss")
def least_squares_generator_loss(fake_scores: Any) -> Any:
    """``mean((fake - 1)^2)``: the least-squares loss of a generator.

    Args:
        fake_scores: Raw discriminator scores on translated images, any
            shape.

    Returns:
        A float32 scalar.

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import least_squares_generator_loss
    >>> float(ops.convert_to_numpy(least_squares_generator_loss([0.0, 1.0])))
    0.5
    """
    return ops.mean(ops.square(_float32(fake_scores) - 1.0))


@keras_dlkit_export("keras_dlkit.losses.cycle_consistency_loss")
def cycle_consistency_loss(real: Any, reconstructed: Any) -> Any:
    """``mean(|reconstructed - real|)``: the L1 cycle loss of one direction.

    For CycleGAN's forward cycle ``reconstructed = F(G(x))`` and
    ``real = x``; for the backward cycle ``G(F(y))`` and ``y``. The same
    distance serves as the identity loss (``G(y)`` against ``y``).

    Args:
        real: The original images.
        reconstructed: The images after a round trip, same shape.

    Returns:
        A float32 scalar.

    Raises:
        ValueError: If the two shapes differ (where known).

    Example:

    >>> from keras import ops
    >>> from keras_dlkit.losses import cycle_consistency_loss
    >>> loss = cycle_consistency_loss([[0.0, 1.0]], [[0.5, 0.0]])
    >>> float(ops.convert_to_numpy(loss))  # (0.5 + 1.0) / 2
    0.75
    """
    real = _float32(real)
    reconstructed = _float32(reconstructed)
    if len(real.shape) != len(reconstructed.shape) or any(
        a is not None and b is not None and a != b
        for a, b in zip(real.shape, reconstructed.shape, strict=False)
    ):
        raise ValueError(
            f"`real` and `reconstructed` must have the same shape, got "
            f"{tuple(real.shape)} and {tuple(reconstructed.shape)}."
        )
    return ops.mean(ops.abs(reconstructed - real))
