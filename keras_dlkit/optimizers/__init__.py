"""Public `keras_dlkit.optimizers` namespace: gradient transforms as optimizer wrappers.

Each wraps any ``keras.optimizers.Optimizer`` (the pattern of
``keras.optimizers.LossScaleOptimizer``), records the global gradient norm
in ``gradient_norm``, and works in ``fit()`` on tensorflow, jax and torch.
:class:`keras_dlkit.callbacks.GradientNormLogger` puts that norm into the ``fit()`` logs.
"""

from keras_dlkit.optimizers.agc import AdaptiveGradientClipping, AutoClip
from keras_dlkit.optimizers.gradient_norm import GradientNormTracker

__all__: list[str] = [
    "AdaptiveGradientClipping",
    "AutoClip",
    "GradientNormTracker",
]
