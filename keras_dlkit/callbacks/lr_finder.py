"""The learning-rate range test (Smith, 2015) as a ``fit()`` callback.

:class:`LRFinder` raises the learning rate exponentially from batch to batch,
records the loss of every batch, stops once the loss diverges and then puts
the model and the optimizer back exactly as they were. ``suggestion()`` reads
a learning rate off the recorded curve by one of fastai's rules (``"valley"``,
``"steepest"``, ``"minimum"``) and ``plot()`` draws the curve with that point.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils import keras_compat
from keras_dlkit.utils.arrays import to_numpy
from keras_dlkit.utils.validation import check_choice, check_float, check_int

_SUGGESTION_METHODS = ("valley", "steepest", "minimum")


@keras_dlkit_export("keras_dlkit.callbacks.LRFinder")
class LRFinder(keras.callbacks.Callback):
    """Learning-rate range test (Smith, 2015, "Cyclical Learning Rates").

    Pass it to ``model.fit()``. Before batch ``i`` it sets the optimizer's
    learning rate to ``min_learning_rate * (max_learning_rate /
    min_learning_rate) ** (i / (num_steps - 1))``; after it, it records the
    learning rate, the batch loss and an exponentially smoothed, bias
    corrected loss (``avg = smoothing * avg + (1 - smoothing) * loss``,
    ``smoothed = avg / (1 - smoothing ** (i + 1))``). Training stops when the
    smoothed loss exceeds ``divergence_threshold`` times the best smoothed
    loss so far, when the loss is not finite, or after ``num_steps`` batches;
    give ``fit()`` enough epochs for that. When training ends, every model
    variable, every optimizer variable and the learning rate are restored to
    their values from before the test.

    The optimizer must have a float learning rate, not a schedule. The
    batch loss is recovered from the running epoch mean that ``fit()`` puts
    in the batch logs, which is exact when all the batches of an epoch have
    the same size (a smaller last batch is approximated). With
    ``steps_per_execution > 1`` the learning rate changes only once per
    execution. On the JAX backend the model state is synced back to the
    variables before every batch, which makes the test slower than plain
    training.

    Args:
        min_learning_rate: Learning rate of the first batch, > 0.
        max_learning_rate: Learning rate of batch ``num_steps - 1``, greater
            than ``min_learning_rate``.
        num_steps: Number of batches of the full sweep, >= 2.
        smoothing: Factor of the exponential moving average of the loss, in
            ``[0, 1)``.
        divergence_threshold: Stop once the smoothed loss exceeds this
            multiple of the best smoothed loss, > 1.

    Attributes:
        learning_rates: Learning rate of each recorded batch.
        losses: Raw loss of each recorded batch.
        smoothed_losses: Smoothed loss of each recorded batch.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.callbacks import LRFinder
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.01), loss="mse")
    >>> finder = LRFinder(1e-4, 1.0, num_steps=8)
    >>> _ = model.fit(
    ...     np.ones((32, 2)), np.ones((32, 1)), batch_size=4, epochs=2,
    ...     verbose=0, callbacks=[finder],
    ... )
    >>> len(finder.learning_rates)
    8
    >>> round(float(model.optimizer.learning_rate), 6)
    0.01
    """

    def __init__(
        self,
        min_learning_rate: float = 1e-7,
        max_learning_rate: float = 10.0,
        num_steps: int = 100,
        smoothing: float = 0.98,
        divergence_threshold: float = 4.0,
    ) -> None:
        super().__init__()
        self.min_learning_rate = check_float(
            "min_learning_rate", min_learning_rate, minimum=0.0, min_inclusive=False
        )
        self.max_learning_rate = check_float(
            "max_learning_rate",
            max_learning_rate,
            minimum=self.min_learning_rate,
            min_inclusive=False,
        )
        self.num_steps = check_int("num_steps", num_steps, minimum=2)
        self.smoothing = check_float(
            "smoothing", smoothing, minimum=0.0, maximum=1.0, max_inclusive=False
        )
        self.divergence_threshold = check_float(
            "divergence_threshold",
            divergence_threshold,
            minimum=1.0,
            min_inclusive=False,
        )
        self.learning_rates: list[float] = []
        self.losses: list[float] = []
        self.smoothed_losses: list[float] = []
        self._reset_state()

    def _reset_state(self) -> None:
        self._step = 0
        self._avg = 0.0
        self._best = math.inf
        self._epoch_batches = 0
        self._previous_mean = 0.0
        self._saved_model: list[np.ndarray] | None = None
        self._saved_optimizer: list[np.ndarray] | None = None
        self._saved_learning_rate: float | None = None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments.

        Returns:
            A dict with ``min_learning_rate``, ``max_learning_rate``,
            ``num_steps``, ``smoothing`` and ``divergence_threshold``.
        """
        return {
            "min_learning_rate": self.min_learning_rate,
            "max_learning_rate": self.max_learning_rate,
            "num_steps": self.num_steps,
            "smoothing": self.smoothing,
            "divergence_threshold": self.divergence_threshold,
        }

    def learning_rate_at(self, step: int) -> float:
        """Learning rate of batch ``step`` of the sweep.

        Args:
            step: Index of the batch, from 0.

        Returns:
            ``min_learning_rate * (max / min) ** (step / (num_steps - 1))``.
        """
        ratio = self.max_learning_rate / self.min_learning_rate
        return self.min_learning_rate * ratio ** (step / (self.num_steps - 1))

    # -- callback hooks -----------------------------------------------------

    def _sync_jax(self) -> None:
        """Bring the state the JAX trainer threads back into the variables."""
        model = self.model
        if keras.backend.backend() == "jax" and hasattr(model, "jax_state_sync"):
            model.jax_state_sync()

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        if optimizer is None:
            raise ValueError("LRFinder needs a compiled model with an optimizer.")
        raw = getattr(optimizer, "_learning_rate", None)
        if isinstance(raw, keras.optimizers.schedules.LearningRateSchedule) or (
            callable(raw) and not isinstance(raw, keras.Variable)
        ):
            raise ValueError(
                "LRFinder needs an optimizer whose `learning_rate` is a float, "
                f"not a schedule; got `learning_rate`={raw!r}."
            )
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        self.learning_rates = []
        self.losses = []
        self.smoothed_losses = []
        self._reset_state()
        self._saved_model = [to_numpy(v, copy=True) for v in self.model.variables]
        self._saved_optimizer = [to_numpy(v, copy=True) for v in optimizer.variables]
        self._saved_learning_rate = float(ops.convert_to_numpy(optimizer.learning_rate))

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_batches = 0
        self._previous_mean = 0.0

    def on_train_batch_begin(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        if self._step >= self.num_steps:
            return
        model = self.model
        if keras.backend.backend() == "jax":
            # The JAX trainer keeps the optimizer variables (the learning rate
            # among them) in its own state between batches: write them back,
            # change the variable, and mark the state synced so that the
            # trainer reads the variables again before the next step.
            self._sync_jax()
            model.optimizer.learning_rate.assign(self.learning_rate_at(self._step))
            keras_compat.mark_jax_state_synced(model)
        else:
            model.optimizer.learning_rate.assign(self.learning_rate_at(self._step))

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        if self._step >= self.num_steps:
            self.model.stop_training = True
            return
        logs = logs or {}
        if "loss" not in logs:
            raise ValueError("LRFinder needs `loss` in the batch logs of `fit()`.")
        mean = float(ops.convert_to_numpy(logs["loss"]))
        # ``fit()`` logs the running mean of the epoch; undo it.
        k = self._epoch_batches
        loss = (k + 1) * mean - k * self._previous_mean
        if not math.isfinite(mean):
            loss = mean
        self._epoch_batches += 1
        self._previous_mean = mean

        step = self._step
        self._avg = self.smoothing * self._avg + (1.0 - self.smoothing) * loss
        smoothed = self._avg / (1.0 - self.smoothing ** (step + 1))
        self.learning_rates.append(self.learning_rate_at(step))
        self.losses.append(loss)
        self.smoothed_losses.append(smoothed)
        self._step += 1

        if not math.isfinite(loss) or not math.isfinite(smoothed):
            self.model.stop_training = True
            return
        if step > 0 and smoothed > self.divergence_threshold * self._best:
            self.model.stop_training = True
        self._best = min(self._best, smoothed)
        if self._step >= self.num_steps:
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._saved_model is None:
            return
        self._sync_jax()
        model = self.model
        for variable, value in zip(model.variables, self._saved_model, strict=True):
            variable.assign(value)
        for variable, value in zip(
            model.optimizer.variables, self._saved_optimizer, strict=True
        ):
            variable.assign(value)
        model.optimizer.learning_rate.assign(self._saved_learning_rate)
        self._saved_model = None
        self._saved_optimizer = None

    # -- analysis -----------------------------------------------------------

    def _default_skip_begin(self) -> int:
        """Points skipped at the start when ``skip_begin`` is ``None``."""
        # Batches after which the bias-corrected average still weighs its
        # newest loss more than twice its steady-state weight 1 - smoothing.
        startup = 0
        while self.smoothing ** (startup + 1) > 0.5:
            startup += 1
        return max(self.num_steps // 10, min(startup, self.num_steps // 3))

    def _suggest(
        self, method: str, skip_begin: int | None, skip_end: int
    ) -> tuple[float, float]:
        """The suggested rate and the smoothed loss to mark it at."""
        method = check_choice("method", method, _SUGGESTION_METHODS)
        if skip_begin is None:
            skip_begin = self._default_skip_begin()
        skip_begin = check_int("skip_begin", skip_begin, minimum=0)
        skip_end = check_int("skip_end", skip_end, minimum=0)
        lrs = np.asarray(self.learning_rates, dtype="float64")
        smoothed = np.asarray(self.smoothed_losses, dtype="float64")
        finite = np.isfinite(smoothed)
        if not finite.all():
            stop = int(np.argmin(finite))
            lrs, smoothed = lrs[:stop], smoothed[:stop]
        end = len(lrs) - skip_end
        if end - skip_begin < 2:
            raise ValueError(
                f"Too few points recorded for a suggestion: {len(lrs)} finite, "
                f"need at least {skip_begin + skip_end + 2} "
                f"(skip_begin={skip_begin}, skip_end={skip_end}). Run the test "
                "(fit with this callback) with more steps first, or pass a "
                "smaller `skip_begin`."
            )
        # The slope of every point over its window, before the cut, so that
        # the first kept points have neighbours on both sides too.
        points = np.arange(len(lrs))
        half = max(1, self.num_steps // 20)
        low = np.maximum(points - half, 0)
        high = np.minimum(points + half, len(lrs) - 1)
        log_lrs = np.log(lrs)
        slopes = (smoothed[high] - smoothed[low]) / (log_lrs[high] - log_lrs[low])
        lrs, smoothed = lrs[skip_begin:end], smoothed[skip_begin:end]
        slopes = slopes[skip_begin:end]
        if method == "valley":
            index = _valley_index(smoothed)
        elif method == "steepest":
            index = int(np.argmin(slopes))
        else:
            lowest = int(np.argmin(smoothed))
            lr = float(lrs[lowest] / 10.0)
            loss = float(np.interp(np.log(lr), np.log(lrs), smoothed))
            return lr, loss
        return float(lrs[index]), float(smoothed[index])

    def suggestion(
        self,
        skip_begin: int | None = None,
        skip_end: int = 3,
        *,
        method: str = "valley",
    ) -> float:
        """A learning rate read off the recorded curve, by fastai's rules.

        The rules read the smoothed (bias-corrected) loss of the points that
        remain after the non-finite tail, the first ``skip_begin`` points and
        the last ``skip_end`` points are dropped:

        * ``"valley"`` (the default; fastai's ``valley``): the longest
          valley. ``lds[i]`` is the length of the longest strictly
          decreasing subsequence of the loss that ends at point ``i``;
          ``end`` is the first point with the largest ``lds``, ``start =
          end - lds[end]``, ``sections = (end - start) / 3``, and the
          suggestion is the rate at point ``start + int(sections) +
          int(sections / 2)`` (clipped to the points), about half way along
          the longest fall in log-rate: past its flat start, short of its
          bottom. A subsequence, not a run, so that noise does not break
          the valley into pieces.
        * ``"steepest"`` (fastai's ``steep``): the rate where the slope of
          the loss against ``log(learning_rate)`` is most negative. The
          slope at point ``i`` is the secant from point ``i - h`` to point
          ``i + h`` of the whole finite curve (clipped to its ends, taken
          before the skipped points are dropped), with ``h = max(1,
          num_steps // 20)``: 5 for 100 steps; with ``h = 1`` it is
          ``numpy.gradient``'s central difference. Each smoothed point
          moves by ``1 - smoothing`` times a batch's noise; over batches of
          16 that noise, differenced point by point, can outweigh the real
          fall, and the window averages it.
        * ``"minimum"`` (fastai's ``minimum``): the rate of the lowest
          loss divided by 10.

        The bias-corrected average of the first batches is a mean of a few
        noisy losses, so it jumps from point to point and its slope there
        can look steeper than the real fall. By default (``skip_begin=None``)
        the suggestion skips that start-up: the points before the
        correction ``1 - smoothing ** n`` reaches one half (the newest
        batch's weight within twice its steady-state weight ``1 -
        smoothing``), but no more than a third of ``num_steps``, and no
        fewer than a tenth of ``num_steps`` (fastai's rule). For the
        defaults (``num_steps=100``, ``smoothing=0.98``) that is 33 points,
        so the suggestion is at least ``(max / min) ** (33 / 99)`` times
        ``min_learning_rate``: ~460x for the default sweep. A smaller
        ``smoothing`` skips fewer points.

        Args:
            skip_begin: Points ignored at the start, or ``None`` for the
                rule above.
            skip_end: Points ignored at the end (the diverging tail).
            method: ``"valley"``, ``"steepest"`` or ``"minimum"``.

        Returns:
            The suggested learning rate, a Python float.

        Raises:
            ValueError: If ``method`` is not one of the three, or fewer than
                ``skip_begin + skip_end + 2`` finite points were recorded.

        Example:

        >>> import numpy as np
        >>> from keras_dlkit.callbacks import LRFinder
        >>> finder = LRFinder(1e-4, 1.0, num_steps=9)
        >>> finder.learning_rates = [finder.learning_rate_at(i) for i in range(9)]
        >>> finder.smoothed_losses = [5, 5, 4.8, 4, 2.5, 1, 0.6, 0.5, 3]
        >>> round(finder.suggestion(skip_begin=0, skip_end=0, method="steepest"), 4)
        0.01
        >>> round(finder.suggestion(skip_begin=0, skip_end=0, method="minimum"), 4)
        0.0316
        """
        return self._suggest(method, skip_begin, skip_end)[0]

    def plot(
        self,
        ax: Any = None,
        skip_begin: int | None = None,
        skip_end: int = 3,
        *,
        method: str = "valley",
    ) -> Any:
        """Draw the smoothed loss against the learning rate.

        Needs ``matplotlib``. The x-axis is logarithmic; the suggestion of
        ``method``, when there are enough points for one, is marked with a
        red dot on the curve (for ``"minimum"``, at the suggested rate, a
        tenth of the rate of the lowest loss).

        Args:
            ax: Matplotlib axes to draw on; a new figure's axes if ``None``.
            skip_begin: Passed to :meth:`suggestion`.
            skip_end: Passed to :meth:`suggestion`.
            method: Passed to :meth:`suggestion`.

        Returns:
            The axes.

        Raises:
            ValueError: If ``method`` is not one of the methods of
                :meth:`suggestion`.
        """
        import matplotlib.pyplot as plt

        check_choice("method", method, _SUGGESTION_METHODS)
        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.learning_rates, self.smoothed_losses, label="smoothed loss")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        try:
            point = self._suggest(method, skip_begin, skip_end)
        except ValueError:
            point = None
        if point is not None:
            lr, loss = point
            ax.plot([lr], [loss], "o", color="red", label=f"{method} {lr:.2e}")
        ax.legend()
        return ax


def _valley_index(losses: np.ndarray) -> int:
    """fastai's ``valley`` rule: an index half way along the longest valley."""
    n = len(losses)
    lds = np.ones(n, dtype="int64")
    for i in range(1, n):
        higher = losses[:i] > losses[i]
        if higher.any():
            lds[i] = lds[:i][higher].max() + 1
    end = int(np.argmax(lds))
    start = end - int(lds[end])
    sections = (end - start) / 3
    index = start + int(sections) + int(sections / 2)
    return min(max(index, 0), n - 1)
