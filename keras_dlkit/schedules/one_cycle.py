"""The 1cycle learning-rate policy (Smith & Topin, 2018)."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_choice, check_float, check_int

ANNEAL_MODES = ("cos", "linear")


def _anneal(start: float, end: float, remaining: Any, anneal: str) -> Any:
    """Move from ``start`` to ``end``; ``remaining`` is 1 at start, 0 at end.

    ``"cos"`` is PyTorch's ``end + (start - end) / 2 * (cos(pi * pct) + 1)``
    written as ``end + (start - end) * sin(pi / 2 * (1 - pct)) ** 2`` (the
    same function), which keeps float32 precise near the end of a phase,
    where the final value can be 1e-5 of the peak.
    """
    if anneal == "cos":
        weight = ops.square(ops.sin((math.pi / 2.0) * remaining))
    else:
        weight = remaining
    return end + (start - end) * weight


@keras_dlkit_export("keras_dlkit.schedules.OneCycle")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """The 1cycle policy: one warm-up to a peak, then a long anneal.

    Smith & Topin (2018), "Super-Convergence". The learning rate starts at
    ``max_learning_rate / div_factor``, rises to ``max_learning_rate`` during
    the first phase (``pct_start`` of the steps) and anneals to
    ``max_learning_rate / (div_factor * final_div_factor)`` during the second.

    The phases are those of PyTorch's ``torch.optim.lr_scheduler.OneCycleLR``
    (``three_phase=False``): phase 1 ends at step
    ``pct_start * total_steps - 1`` and phase 2 at step ``total_steps - 1``;
    within a phase the fraction done is ``(step - phase_start) / (phase_end -
    phase_start)``. Steps after ``total_steps - 1`` keep the final value
    (PyTorch raises instead), negative steps are treated as step 0. Where
    phase 1 has length 0 (``pct_start * total_steps == 1``), step 0 is its
    end, so it gets ``max_learning_rate`` (PyTorch computes 0/0 there).

    The momentum, cycled inversely to the learning rate (from
    ``max_momentum`` down to ``base_momentum`` at the peak and back up), is
    given by the pure method :meth:`momentum_at`. To train with it, wrap
    the optimizer in :class:`keras_dlkit.optimizers.ScheduledMomentum`, which
    uses it as the ``momentum`` of SGD or the ``beta_1`` of Adam / AdamW at
    every step.

    Args:
        max_learning_rate: Peak learning rate (> 0).
        total_steps: Number of optimizer steps in the cycle (>= 1).
        pct_start: Fraction of the steps spent rising, in ``(0, 1)``.
        div_factor: The initial rate is ``max_learning_rate / div_factor``
            (> 0).
        final_div_factor: The final rate is the initial rate divided by
            ``final_div_factor`` (> 0).
        anneal: ``"cos"`` (cosine annealing) or ``"linear"``.
        base_momentum: Momentum at the learning-rate peak, in ``[0, 1]``.
        max_momentum: Momentum at the start and end of the cycle, in
            ``[base_momentum, 1]``.

    Returns:
        Called with a step (an integer or a scalar tensor), a float32 scalar
        tensor: the learning rate for that step.

    Example:

    >>> from keras_dlkit.schedules import OneCycle
    >>> schedule = OneCycle(0.1, total_steps=100)
    >>> round(float(schedule(0)), 6)  # 0.1 / 25
    0.004
    >>> round(float(schedule(29)), 6)  # end of phase 1: 0.3 * 100 - 1
    0.1
    >>> round(float(schedule(99)) * 1e7, 3)  # 0.1 / (25 * 1e4) = 4e-7
    4.0
    >>> round(float(schedule.momentum_at(29)), 6)
    0.85
    """

    def __init__(
        self,
        max_learning_rate: float,
        total_steps: int,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        anneal: str = "cos",
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
    ) -> None:
        super().__init__()
        self.max_learning_rate = check_float(
            "max_learning_rate", max_learning_rate, minimum=0.0, min_inclusive=False
        )
        self.total_steps = check_int("total_steps", total_steps, minimum=1)
        self.pct_start = check_float(
            "pct_start",
            pct_start,
            minimum=0.0,
            maximum=1.0,
            min_inclusive=False,
            max_inclusive=False,
        )
        self.div_factor = check_float(
            "div_factor", div_factor, minimum=0.0, min_inclusive=False
        )
        self.final_div_factor = check_float(
            "final_div_factor", final_div_factor, minimum=0.0, min_inclusive=False
        )
        self.anneal = check_choice("anneal", anneal, ANNEAL_MODES)
        self.base_momentum = check_float(
            "base_momentum", base_momentum, minimum=0.0, maximum=1.0
        )
        self.max_momentum = check_float(
            "max_momentum", max_momentum, minimum=self.base_momentum, maximum=1.0
        )
        self.initial_learning_rate = self.max_learning_rate / self.div_factor
        self.final_learning_rate = self.initial_learning_rate / self.final_div_factor
        # Phase ends as in PyTorch's OneCycleLR.
        self._phase1_end = float(self.pct_start * self.total_steps) - 1.0
        self._phase2_end = float(self.total_steps) - 1.0

    def _two_phase(self, step: Any, start: float, peak: float, end: float) -> Any:
        step = ops.cast(step, "float32")
        step = ops.clip(step, 0.0, self._phase2_end)
        e1, e2 = self._phase1_end, self._phase2_end
        if e1 > 0.0:
            remaining1 = (e1 - step) / e1
        else:
            remaining1 = ops.zeros_like(step)
        remaining2 = (e2 - step) / (e2 - e1)
        value1 = _anneal(start, peak, remaining1, self.anneal)
        value2 = _anneal(peak, end, remaining2, self.anneal)
        return ops.cast(ops.where(step <= e1, value1, value2), "float32")

    def __call__(self, step: Any) -> Any:
        return self._two_phase(
            step,
            self.initial_learning_rate,
            self.max_learning_rate,
            self.final_learning_rate,
        )

    def momentum_at(self, step: Any) -> Any:
        """Momentum for ``step``, cycled inversely to the learning rate.

        It goes from ``max_momentum`` to ``base_momentum`` in phase 1 and back
        to ``max_momentum`` in phase 2, with the same phases and annealing
        as the learning rate (PyTorch's ``OneCycleLR(cycle_momentum=True)``).
        Pure: it only computes a value with ``keras.ops``;
        :class:`keras_dlkit.optimizers.ScheduledMomentum` applies it to an
        optimizer's ``momentum`` or ``beta_1``.

        Args:
            step: The optimizer step, an integer or a scalar tensor.

        Returns:
            A float32 scalar tensor.

        Example:

        >>> from keras_dlkit.schedules import OneCycle
        >>> schedule = OneCycle(0.1, total_steps=10, pct_start=0.5)
        >>> [round(float(schedule.momentum_at(s)), 4) for s in (0, 4, 9)]
        [0.95, 0.85, 0.95]
        """
        return self._two_phase(
            step, self.max_momentum, self.base_momentum, self.max_momentum
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal": self.anneal,
            "base_momentum": self.base_momentum,
            "max_momentum": self.max_momentum,
        }
