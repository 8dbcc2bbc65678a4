"""Public ``keras_dlkit.callbacks`` namespace: epoch- and metric-driven behaviour."""

from keras_dlkit.callbacks.checkpoint import BestKCheckpoint
from keras_dlkit.callbacks.gradient_norm_logger import GradientNormLogger
from keras_dlkit.callbacks.lr_finder import LRFinder
from keras_dlkit.callbacks.resume import ResumeFromCrash
from keras_dlkit.callbacks.sample_grid import SampleGrid, make_image_grid
from keras_dlkit.callbacks.swa import (
    StochasticWeightAveraging,
    update_batch_norm_statistics,
)

__all__: list[str] = [
    "BestKCheckpoint",
    "GradientNormLogger",
    "LRFinder",
    "ResumeFromCrash",
    "SampleGrid",
    "StochasticWeightAveraging",
    "make_image_grid",
    "update_batch_norm_statistics",
]
