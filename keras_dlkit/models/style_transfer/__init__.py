"""Neural style transfer (Gatys et al., 2016)."""

from keras_dlkit.models.style_transfer.gatys import style_transfer

__all__ = [
    "style_transfer",
]
