"""Public `keras_dlkit.losses` namespace."""

from keras_dlkit.losses.cyclegan import (
    cycle_consistency_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
)
from keras_dlkit.losses.detection import DetectionLoss, detection_loss
from keras_dlkit.losses.gan import (
    gradient_penalty,
    hinge_discriminator_loss,
    hinge_generator_loss,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
    r1_penalty,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)
from keras_dlkit.losses.kl import gaussian_kl_divergence
from keras_dlkit.losses.segmentation import (
    SoftDiceLoss,
    SoftJaccardLoss,
    soft_dice_loss,
    soft_jaccard_loss,
)
from keras_dlkit.losses.style import (
    content_loss,
    gram_matrix,
    style_loss,
    total_variation_loss,
)

__all__: list[str] = [
    "DetectionLoss",
    "SoftDiceLoss",
    "SoftJaccardLoss",
    "content_loss",
    "cycle_consistency_loss",
    "detection_loss",
    "gaussian_kl_divergence",
    "gradient_penalty",
    "gram_matrix",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "r1_penalty",
    "soft_dice_loss",
    "soft_jaccard_loss",
    "style_loss",
    "total_variation_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]
