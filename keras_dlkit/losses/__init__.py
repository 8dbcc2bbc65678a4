"""Public `keras_dlkit.losses` namespace."""

from keras_dlkit.losses.gan import (
    gradient_penalty,
    hinge_discriminator_loss,
    hinge_generator_loss,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)

__all__: list[str] = [
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]
