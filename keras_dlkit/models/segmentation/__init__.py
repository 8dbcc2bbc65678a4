"""Semantic segmentation: U-Net, from scratch or on a CNN backbone."""

from keras_dlkit.models.segmentation.unet import (
    unet,
    unet_from_backbone,
)

__all__ = [
    "unet",
    "unet_from_backbone",
]
