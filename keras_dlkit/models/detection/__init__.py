"""Object detection: a single-stage anchor-box detector."""

from keras_dlkit.models.detection.detector import detector

__all__ = [
    "detector",
]
