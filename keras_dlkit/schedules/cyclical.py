"""Cyclical learning rates (Smith, 2015)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_choice, check_float, check_int

CYCLICAL_MODES = ("triangular", "triangular2", "exp_range")


@keras_dlkit_export("keras_dlkit.schedules.CyclicalLearningRate")
class CyclicalLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """Triangular cycles between two rates (Smith, 2015, "Cyclical LRs").

    The formulas of tensorflow-addons' ``CyclicalLearningRate`` and
    keras-contrib's ``CyclicLR``::

        cycle = floor(1 + step / (2 * step_size))
        x = abs(step / step_size - 2 * cycle + 1)
        lr = base + (max - base) * max(0, 1 - x) * scale

    with ``scale`` 1 (``"triangular"``), ``1 / 2 ** (cycle - 1)``
    (``"triangular2"``: the amplitude halves each cycle) or ``gamma ** step``
    (``"exp_range"``). A cycle is ``2 * step_size`` steps: the rate is
    ``base_learning_rate`` at steps ``0, 2 * step_size, ...`` and reaches its
    peak at ``step_size, 3 * step_size, ...``.

    Args:
        base_learning_rate: Lower bound of the cycle (>= 0).
        max_learning_rate: Upper bound (>= ``base_learning_rate``).
        step_size: Half a cycle, in steps (>= 1); Smith suggests 2-10 epochs.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: Per-step amplitude decay of ``"exp_range"``, in ``(0, 1]``
            (unused by the other modes, but still checked).

    Returns:
        Called with a step (an integer or a scalar tensor), a float32 scalar
        tensor: the learning rate for that step.

    Example:

    >>> from keras_dlkit.schedules import CyclicalLearningRate
    >>> schedule = CyclicalLearningRate(0.001, 0.006, step_size=4)
    >>> [round(float(schedule(s)), 6) for s in (0, 2, 4, 6, 8)]
    [0.001, 0.0035, 0.006, 0.0035, 0.001]
    >>> halving = CyclicalLearningRate(0.0, 1.0, step_size=4, mode="triangular2")
    >>> [round(float(halving(s)), 6) for s in (4, 12, 20)]
    [1.0, 0.5, 0.25]
    """

    def __init__(
        self,
        base_learning_rate: float,
        max_learning_rate: float,
        step_size: int,
        mode: str = "triangular",
        gamma: float = 1.0,
    ) -> None:
        super().__init__()
        self.base_learning_rate = check_float(
            "base_learning_rate", base_learning_rate, minimum=0.0
        )
        self.max_learning_rate = check_float(
            "max_learning_rate", max_learning_rate, minimum=self.base_learning_rate
        )
        self.step_size = check_int("step_size", step_size, minimum=1)
        self.mode = check_choice("mode", mode, CYCLICAL_MODES)
        self.gamma = check_float(
            "gamma", gamma, minimum=0.0, maximum=1.0, min_inclusive=False
        )

    def __call__(self, step: Any) -> Any:
        step = ops.cast(step, "float32")
        step_size = float(self.step_size)
        cycle = ops.floor(1.0 + step / (2.0 * step_size))
        x = ops.abs(step / step_size - 2.0 * cycle + 1.0)
        amplitude = (self.max_learning_rate - self.base_learning_rate) * ops.maximum(
            0.0, 1.0 - x
        )
        if self.mode == "triangular2":
            amplitude = amplitude / ops.power(2.0, cycle - 1.0)
        elif self.mode == "exp_range":
            amplitude = amplitude * ops.power(self.gamma, step)
        return ops.cast(self.base_learning_rate + amplitude, "float32")

    def get_config(self) -> dict[str, Any]:
        return {
            "base_learning_rate": self.base_learning_rate,
            "max_learning_rate": self.max_learning_rate,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
        }
