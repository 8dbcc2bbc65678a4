"""A linear warm-up in front of any learning-rate schedule or constant."""

from __future__ import annotations

import numbers
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float, check_int

_LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule


@keras_dlkit_export("keras_dlkit.schedules.Warmup")
class Warmup(_LearningRateSchedule):
    """Linear warm-up, then a wrapped schedule (or a constant) offset by it.

    For ``step < warmup_steps`` the rate rises linearly from
    ``initial_learning_rate`` to the wrapped schedule's first value,
    ``schedule(0)``; from ``warmup_steps`` on it is
    ``schedule(step - warmup_steps)``. So the wrapped schedule is *offset*
    by the warm-up and runs in full after it, which is what Keras's own
    ``keras.optimizers.schedules.CosineDecay(warmup_steps=...)`` does
    (its decay starts at ``warmup_steps``). The rate is continuous: at step
    ``warmup_steps`` both formulas give ``schedule(0)``.

    Any ``LearningRateSchedule`` can be wrapped, Keras's
    (``CosineDecay``, ``CosineDecayRestarts``, ``PiecewiseConstantDecay``,
    ...) or ours; the step it receives keeps the dtype of the step given.
    A number means a constant rate after the warm-up. ``get_config()``
    nests the wrapped schedule with ``keras.optimizers.schedules.serialize``
    and ``from_config`` rebuilds it with ``deserialize``.

    Args:
        schedule_or_value: A ``keras.optimizers.schedules.LearningRateSchedule``
            or a finite number >= 0 (a constant rate).
        warmup_steps: Length of the warm-up in steps (>= 0; 0 means no
            warm-up: the wrapped schedule unchanged).
        initial_learning_rate: Rate at step 0 (>= 0).

    Returns:
        Called with a step (an integer or a scalar tensor), a float32 scalar
        tensor: the learning rate for that step.

    Example:

    >>> import keras
    >>> from keras_dlkit.schedules import Warmup
    >>> schedule = Warmup(0.1, warmup_steps=10)
    >>> [round(float(schedule(s)), 6) for s in (0, 5, 10, 1000)]
    [0.0, 0.05, 0.1, 0.1]
    >>> cosine = keras.optimizers.schedules.CosineDecay(0.1, decay_steps=100)
    >>> schedule = Warmup(cosine, warmup_steps=10)
    >>> round(float(schedule(60)), 6)  # cosine(50): half way down
    0.05
    """

    def __init__(
        self,
        schedule_or_value: _LearningRateSchedule | float,
        warmup_steps: int,
        initial_learning_rate: float = 0.0,
    ) -> None:
        super().__init__()
        if isinstance(schedule_or_value, _LearningRateSchedule):
            self.schedule_or_value = schedule_or_value
        elif isinstance(schedule_or_value, numbers.Real) and not isinstance(
            schedule_or_value, bool
        ):
            self.schedule_or_value = check_float(
                "schedule_or_value", schedule_or_value, minimum=0.0
            )
        else:
            raise ValueError(
                "`schedule_or_value` must be a "
                "keras.optimizers.schedules.LearningRateSchedule or a finite "
                f"number >= 0, got {schedule_or_value!r}."
            )
        self.warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
        self.initial_learning_rate = check_float(
            "initial_learning_rate", initial_learning_rate, minimum=0.0
        )

    def _after_warmup(self, step: Any) -> Any:
        """The wrapped value at ``max(step - warmup_steps, 0)``."""
        if not isinstance(self.schedule_or_value, _LearningRateSchedule):
            return ops.convert_to_tensor(self.schedule_or_value, dtype="float32")
        step = ops.convert_to_tensor(step)
        if self.warmup_steps:
            step = ops.maximum(step - ops.cast(self.warmup_steps, step.dtype), 0)
        return ops.cast(self.schedule_or_value(step), "float32")

    def __call__(self, step: Any) -> Any:
        value = self._after_warmup(step)
        if not self.warmup_steps:
            return value
        step_f = ops.cast(step, "float32")
        # Before the warm-up ends the wrapped value is schedule(0), the target.
        fraction = ops.clip(step_f / float(self.warmup_steps), 0.0, 1.0)
        ramp = self.initial_learning_rate + (value - self.initial_learning_rate) * (
            fraction
        )
        return ops.where(step_f < float(self.warmup_steps), ramp, value)

    def get_config(self) -> dict[str, Any]:
        value = self.schedule_or_value
        if isinstance(value, _LearningRateSchedule):
            value = keras.optimizers.schedules.serialize(value)
        return {
            "schedule_or_value": value,
            "warmup_steps": self.warmup_steps,
            "initial_learning_rate": self.initial_learning_rate,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Warmup:
        config = dict(config)
        value = config["schedule_or_value"]
        if isinstance(value, dict):
            config["schedule_or_value"] = keras.optimizers.schedules.deserialize(value)
        return cls(**config)
