"""Public ``keras_dlkit.callbacks`` namespace: epoch- and metric-driven behaviour."""

from keras_dlkit.callbacks.gradient_norm_logger import GradientNormLogger
from keras_dlkit.callbacks.lr_finder import LRFinder

__all__: list[str] = ["GradientNormLogger", "LRFinder"]
