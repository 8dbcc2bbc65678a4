"""The Transformer's inverse-square-root ("Noam") learning-rate schedule."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float, check_int


@keras_dlkit_export("keras_dlkit.schedules.InverseSqrtDecay")
class InverseSqrtDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up then inverse-square-root decay (Vaswani et al., 2017).

    ``lr = scale * d_model ** -0.5 * min(n ** -0.5, n * warmup_steps ** -1.5)``
    with ``n = step + 1``. The paper counts ``step_num`` from 1 while a Keras
    optimizer's ``iterations`` count from 0, so the first update uses
    ``n = 1`` (no zero rate, no division by zero at step 0). The rate rises
    linearly up to step ``warmup_steps - 1`` (``n == warmup_steps``), where it
    peaks at ``scale * (d_model * warmup_steps) ** -0.5``, then decays as
    ``1 / sqrt(n)``.

    Args:
        d_model: Model (embedding) width (>= 1).
        warmup_steps: Steps of linear warm-up (>= 1); the paper uses 4000.
        scale: Constant factor on the whole schedule (> 0).

    Returns:
        Called with a step (an integer or a scalar tensor), a float32 scalar
        tensor: the learning rate for that step.

    Example:

    >>> from keras_dlkit.schedules import InverseSqrtDecay
    >>> schedule = InverseSqrtDecay(d_model=512, warmup_steps=4000)
    >>> round(float(schedule(3999)) * 1e4, 4)  # the peak: (512 * 4000) ** -0.5
    6.9877
    >>> round(float(schedule(15999)) / float(schedule(3999)), 4)  # 4x later: 1/2
    0.5
    """

    def __init__(self, d_model: int, warmup_steps: int, scale: float = 1.0) -> None:
        super().__init__()
        self.d_model = check_int("d_model", d_model, minimum=1)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, minimum=1)
        self.scale = check_float("scale", scale, minimum=0.0, min_inclusive=False)

    def __call__(self, step: Any) -> Any:
        n = ops.maximum(ops.cast(step, "float32"), 0.0) + 1.0
        factor = self.scale * float(self.d_model) ** -0.5
        decay = ops.rsqrt(n)
        warmup = n * float(self.warmup_steps) ** -1.5
        return ops.cast(factor * ops.minimum(decay, warmup), "float32")

    def get_config(self) -> dict[str, Any]:
        return {
            "d_model": self.d_model,
            "warmup_steps": self.warmup_steps,
            "scale": self.scale,
        }
