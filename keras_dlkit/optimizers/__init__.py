"""Public `keras_dlkit.optimizers` namespace: gradient transforms as optimizer wrappers.

Each wraps any ``keras.optimizers.Optimizer`` (the pattern of
``keras.optimizers.LossScaleOptimizer``), records the global gradient norm
in ``gradient_norm``, and works in ``fit()`` on tensorflow, jax and torch.
:class:`keras_dlkit.callbacks.GradientNormLogger` puts that norm into the ``fit()`` logs.
:class:`ScheduledMomentum` (no gradient transform) makes the momentum of SGD or
Adam follow a schedule, such as the 1cycle momentum of ``OneCycle``.
"""

from keras_dlkit.optimizers.agc import AdaptiveGradientClipping, AutoClip
from keras_dlkit.optimizers.gradient_norm import GradientNormTracker
from keras_dlkit.optimizers.momentum import ScheduledMomentum

__all__: list[str] = [
    "AdaptiveGradientClipping",
    "AutoClip",
    "GradientNormTracker",
    "ScheduledMomentum",
]
