"""A callback that puts the optimizer's gradient norm into the ``fit()`` logs.

:class:`keras_dlkit.optimizers.GradientNormTracker` (and the clippers built on
it) record the global gradient norm of every step; this callback copies it
into the batch and epoch logs, from where ``History``, the progress bar and
``keras.callbacks.TensorBoard`` pick it up.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.optimizers.gradient_norm import GradientNormTracker
from keras_dlkit.utils import keras_compat


def _find_tracker(optimizer: Any) -> GradientNormTracker | None:
    """The outermost ``GradientNormTracker`` in a chain of wrappers."""
    seen = 0
    while optimizer is not None and seen < 32:
        if isinstance(optimizer, GradientNormTracker):
            return optimizer
        optimizer = getattr(optimizer, "inner_optimizer", None)
        seen += 1
    return None


@keras_dlkit_export("keras_dlkit.callbacks.GradientNormLogger")
class GradientNormLogger(keras.callbacks.Callback):
    """Put the global gradient norm into the ``fit()`` logs.

    The model's optimizer must be a :class:`~keras_dlkit.optimizers.GradientNormTracker` or one of
    its subclasses (:class:`~keras_dlkit.optimizers.AdaptiveGradientClipping`,
    :class:`~keras_dlkit.optimizers.AutoClip`),
    possibly inside the ``LossScaleOptimizer`` that ``compile()`` adds under
    ``"mixed_float16"``. After every batch this callback writes the raw
    (pre-clipping) global gradient norm of that step into the batch logs,
    and at the end of each epoch the mean over the epoch's batches into the
    epoch logs, under ``name``. ``History``, the progress bar and
    ``keras.callbacks.TensorBoard`` see it if they come after this callback
    in the ``callbacks`` list (``History`` and the progress bar always do).
    With ``steps_per_execution > 1`` only the last step of each execution
    is seen. Reading the value waits for the step to finish.

    Args:
        name: Key of the value in the logs.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.callbacks import GradientNormLogger
    >>> from keras_dlkit.optimizers import GradientNormTracker
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(GradientNormTracker(keras.optimizers.SGD()), loss="mse")
    >>> history = model.fit(
    ...     np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...     callbacks=[GradientNormLogger()],
    ... )
    >>> len(history.history["gradient_norm"])
    2
    """

    def __init__(self, name: str = "gradient_norm") -> None:
        super().__init__()
        if not isinstance(name, str) or not name:
            raise ValueError(f"`name` must be a non-empty string, got {name!r}.")
        self.name = name
        self._total = 0.0
        self._count = 0
        self._index: int | None = None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments.

        Returns:
            ``{"name": ...}``.
        """
        return {"name": self.name}

    def _tracker(self) -> GradientNormTracker:
        tracker = _find_tracker(getattr(self.model, "optimizer", None))
        if tracker is None:
            raise ValueError(
                "GradientNormLogger needs a model compiled with a "
                "keras_dlkit.optimizers wrapper (GradientNormTracker, "
                "AdaptiveGradientClipping or AutoClip), got optimizer "
                f"{getattr(self.model, 'optimizer', None)!r}."
            )
        return tracker

    def _read(self) -> float:
        tracker = self._tracker()
        value: Any = tracker.gradient_norm
        # JAX's fit keeps the newest variable values outside the variables
        # until the epoch ends; read ours from there without a full sync.
        state = keras_compat.jax_trainer_state(self.model)
        if (
            state is not None
            and state.get("optimizer_variables")
            and not keras_compat.jax_state_synced(self.model)
        ):
            if self._index is None:
                for i, var in enumerate(self.model.optimizer.variables):
                    if var is tracker.gradient_norm:
                        self._index = i
                        break
            if self._index is not None:
                value = state["optimizer_variables"][self._index]
        return float(ops.convert_to_numpy(ops.convert_to_tensor(value)))

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Check that the optimizer records the norm."""
        self._tracker()
        self._index = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Reset the epoch mean."""
        self._total = 0.0
        self._count = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Write this step's gradient norm into the batch logs."""
        value = self._read()
        self._total += value
        self._count += 1
        if logs is not None:
            logs[self.name] = value

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Write the epoch's mean gradient norm into the epoch logs."""
        if logs is not None and self._count:
            logs[self.name] = self._total / self._count
