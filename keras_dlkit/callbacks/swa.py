"""Stochastic Weight Averaging (Izmailov et al., 2018) and the batch-norm refresh.

:class:`StochasticWeightAveraging` averages the trainable weights at the end
of chosen epochs and puts the average into the model when training ends.
The batch-norm moving statistics of the averaged weights are unknown until
they are recomputed on data: :func:`update_batch_norm_statistics` does that
(PyTorch's ``torch.optim.swa_utils.update_bn``), and the callback calls it
itself when given ``batch_norm_data``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.backends import no_grad
from keras_dlkit.utils import keras_compat
from keras_dlkit.utils.arrays import to_numpy
from keras_dlkit.utils.validation import check_int

# -- the batch-norm refresh ----------------------------------------------------------


def _batch_norm_layers(model: keras.Model) -> list[keras.layers.BatchNormalization]:
    """The BatchNormalization layers that update their statistics in training."""
    layers = []
    for layer in keras_compat.flatten_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable:
            layers.append(layer)
    return layers


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) or ops.is_tensor(value)


def _leaf_to_input(leaf: Any) -> Any:
    # tf.data gives tf tensors, a torch DataLoader torch tensors; the model
    # takes NumPy or its own backend's tensors.
    if ops.is_tensor(leaf) or isinstance(leaf, np.ndarray):
        return leaf
    return np.asarray(leaf)


def _batches(data: Any, batch_size: int) -> Iterator[Any]:
    """Yield the model inputs ``x`` of each batch of ``data``."""
    # Arrays as for `fit(x=...)`: one, or a flat dict / list / tuple of them
    # (several inputs). A list of tuples is a list of batches.
    if _is_array(data):
        leaves = [data]
    elif isinstance(data, (dict, list, tuple)):
        leaves = list(data.values() if isinstance(data, dict) else data)
    else:
        leaves = []
    if leaves and all(_is_array(leaf) for leaf in leaves):
        size = int(leaves[0].shape[0])
        for start in range(0, size, batch_size):
            yield keras.tree.map_structure(
                lambda a, s=start: a[s : s + batch_size], data
            )
        return
    if isinstance(data, keras.utils.PyDataset):
        batches: Iterable[Any] = (data[i] for i in range(data.num_batches))
    else:
        batches = data
    for batch in batches:
        yield batch[0] if isinstance(batch, tuple) else batch


def _batch_size_of(x: Any) -> int:
    return int(keras.tree.flatten(x)[0].shape[0])


@keras_dlkit_export("keras_dlkit.callbacks.update_batch_norm_statistics")
def update_batch_norm_statistics(
    model: keras.Model,
    data: Any,
    batch_size: int = 32,
    steps: int | None = None,
) -> int:
    """Recompute the moving mean and variance of every BatchNormalization layer.

    After weight averaging the moving statistics belong to none of the
    averaged weights. Like PyTorch's ``torch.optim.swa_utils.update_bn``
    (which sets ``momentum=None``: a cumulative average instead of the
    exponential one), this runs the model in training mode over ``data``
    (the inputs ``x`` only, no gradient, no weight update) and replaces
    each trainable ``BatchNormalization`` layer's ``moving_mean`` and
    ``moving_variance``. Unlike ``update_bn``, which averages the batch
    means and the unbiased batch variances with equal weights, the result
    is the exact mean and variance of the layer's inputs over all the
    samples seen: batch statistics are merged weighted by their number of
    samples (Chan et al.'s parallel formula, in float64), so a smaller last
    batch counts for what it holds, and the variance is the biased one
    (divided by the count), the convention Keras's ``BatchNormalization``
    uses for normalizing and for its moving variance. Each layer sees its
    inputs as they are in training: the layers before it normalize with
    batch statistics and dropout is active, as in ``update_bn``.

    Layers with ``trainable=False`` (frozen, in inference mode) are left
    alone. Each layer's ``momentum`` is restored afterwards; with
    ``renorm=True`` the renorm statistics are restored and ``moving_stddev``
    set to ``sqrt(moving_variance + epsilon)``. Samples are weighted
    equally, which assumes every sample gives a layer the same number of
    values (fixed spatial sizes, no masks). Random layers advance their
    seeds.

    Args:
        model: A built ``keras.Model`` (or layer).
        data: NumPy arrays or tensors, as for ``fit(x=...)`` (an array, or
            a dict or list of them for several inputs), cut into batches of
            ``batch_size``; or an iterable of batches: a ``tf.data.Dataset``,
            a ``keras.utils.PyDataset``, a torch ``DataLoader``, a
            generator. A batch that is a tuple is ``(x, y, ...)``; its
            first item is the input.
        batch_size: Batch size for array ``data``, >= 1.
        steps: Number of batches to use, >= 1; all of them if ``None``
            (``data`` must then be finite).

    Returns:
        The number of samples the statistics were computed from (0 if the
        model has no trainable BatchNormalization layer).

    Raises:
        ValueError: If an argument is invalid or ``data`` has no batch.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.callbacks import update_batch_norm_statistics
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.BatchNormalization()])
    >>> x = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]], "float32")
    >>> update_batch_norm_statistics(model, x, batch_size=2)
    3
    >>> bn = model.layers[0]
    >>> [round(float(v), 4) for v in keras.ops.convert_to_numpy(bn.moving_mean)]
    [2.0, 4.0]
    >>> [round(float(v), 4) for v in keras.ops.convert_to_numpy(bn.moving_variance)]
    [2.6667, 8.6667]
    """
    if not isinstance(model, keras.layers.Layer):
        raise ValueError(f"`model` must be a keras.Model, got {model!r}.")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if steps is not None:
        steps = check_int("steps", steps, minimum=1)
    layers = _batch_norm_layers(model)
    if not layers:
        return 0
    unbuilt = [layer.name for layer in layers if not layer.built]
    if unbuilt:
        raise ValueError(
            "`model` must be built (call it once or train it) before its "
            f"batch-norm statistics can be updated; unbuilt layers: {unbuilt}."
        )

    saved = {
        id(layer): [to_numpy(v, copy=True) for v in layer.variables] for layer in layers
    }
    momenta = {id(layer): layer.momentum for layer in layers}
    # Per layer: count, mean and sum of squared deviations (float64).
    counts = {id(layer): 0 for layer in layers}
    means = {id(layer): np.zeros(()) for layer in layers}
    squares = {id(layer): np.zeros(()) for layer in layers}
    finished = False
    try:
        for layer in layers:
            # With momentum 0 each training call leaves exactly the batch
            # mean and variance in the moving statistics.
            layer.momentum = 0.0
            layer.moving_mean.assign(
                np.zeros(layer.moving_mean.shape, layer.moving_mean.dtype)
            )
            layer.moving_variance.assign(
                np.ones(layer.moving_variance.shape, layer.moving_variance.dtype)
            )
        seen = 0
        with no_grad():
            for index, x in enumerate(_batches(data, batch_size)):
                if steps is not None and index >= steps:
                    break
                x = keras.tree.map_structure(_leaf_to_input, x)
                n_b = _batch_size_of(x)
                if n_b == 0:
                    continue
                model(x, training=True)
                for layer in layers:
                    key = id(layer)
                    mean_b = np.asarray(
                        ops.convert_to_numpy(layer.moving_mean), np.float64
                    )
                    var_b = np.asarray(
                        ops.convert_to_numpy(layer.moving_variance), np.float64
                    )
                    n_a = counts[key]
                    n = n_a + n_b
                    delta = mean_b - means[key]
                    means[key] = means[key] + delta * (n_b / n)
                    squares[key] = (
                        squares[key] + var_b * n_b + delta**2 * (n_a * n_b / n)
                    )
                    counts[key] = n
                seen += n_b
        if seen == 0:
            raise ValueError(
                f"`data` gave no batch with samples, got {type(data).__name__}."
            )
        for layer in layers:
            key = id(layer)
            for variable, value in zip(layer.variables, saved[key], strict=True):
                variable.assign(value)  # renorm statistics, gamma, beta
            variance = squares[key] / counts[key]
            layer.moving_mean.assign(means[key].astype(layer.moving_mean.dtype))
            layer.moving_variance.assign(variance.astype(layer.moving_variance.dtype))
            if getattr(layer, "renorm", False):
                layer.moving_stddev.assign(
                    np.sqrt(variance + layer.epsilon).astype(layer.moving_stddev.dtype)
                )
        finished = True
    finally:
        for layer in layers:
            layer.momentum = momenta[id(layer)]
            if not finished:
                for variable, value in zip(
                    layer.variables, saved[id(layer)], strict=True
                ):
                    variable.assign(value)
    return seen


# -- the callback ----------------------------------------------------------------------


@keras_dlkit_export("keras_dlkit.callbacks.StochasticWeightAveraging")
class StochasticWeightAveraging(keras.callbacks.Callback):
    """Average the weights of several epochs (SWA, Izmailov et al., 2018).

    Pass it to ``model.fit()``. At the end of epochs ``start_epoch``,
    ``start_epoch + frequency``, ``start_epoch + 2 * frequency``, ...
    (counted from 0, as ``fit()`` counts them, ``initial_epoch`` included)
    it adds the model's trainable weights to an equal-weight running average,
    kept in float64 NumPy arrays outside the model (which works on every
    backend: on JAX ``fit()`` syncs its state into the variables before
    ``on_epoch_end``). When training ends the trainable weights are set to
    the average. The average starts afresh at every ``fit()``.

    Only trainable weights are averaged. Non-trainable ones keep their last
    values: frozen weights do not change anyway, and running statistics and
    states (batch-norm moving statistics, RNG seeds) are not something to
    average. The batch-norm statistics of the last epoch do not match the
    averaged weights: recompute them with :func:`update_batch_norm_statistics`
    after ``fit()``, or give ``batch_norm_data`` and this callback does it
    right after setting the average.

    The paper trains with a high constant (or cyclical) learning rate
    during the averaging. With Keras's schedules that is, for example,
    ``keras.optimizers.schedules.CosineDecay(lr, decay_steps=start_epoch *
    steps_per_epoch, alpha=swa_lr / lr)``: a cosine anneal to ``swa_lr``
    that stays constant from ``start_epoch`` on (PyTorch's ``SWALR`` anneals
    from ``swa_start`` instead). If training stops before ``start_epoch``
    the weights are left as they are, with a warning. Callbacks that also
    set weights at the end (``EarlyStopping(restore_best_weights=True)``)
    run in the order given to ``fit()``; the last one wins.

    Args:
        start_epoch: First epoch averaged, >= 0.
        frequency: Average every ``frequency`` epochs from ``start_epoch``,
            >= 1.
        batch_norm_data: Optional data for :func:`update_batch_norm_statistics`
            (arrays in batches of 32, or an iterable of batches), run after
            the average is set. Not part of the config.
        batch_norm_steps: Number of batches of ``batch_norm_data`` to use,
            >= 1, or ``None`` for all.

    Attributes:
        n_averaged: Number of snapshots in the average.
        averaged_epochs: The epochs averaged, in order.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.callbacks import StochasticWeightAveraging
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.1), loss="mse")
    >>> swa = StochasticWeightAveraging(start_epoch=1)
    >>> _ = model.fit(
    ...     np.ones((8, 2)), np.ones((8, 1)), epochs=3, verbose=0, callbacks=[swa]
    ... )
    >>> swa.averaged_epochs
    [1, 2]
    """

    def __init__(
        self,
        start_epoch: int = 0,
        frequency: int = 1,
        batch_norm_data: Any = None,
        batch_norm_steps: int | None = None,
    ) -> None:
        super().__init__()
        self.start_epoch = check_int("start_epoch", start_epoch, minimum=0)
        self.frequency = check_int("frequency", frequency, minimum=1)
        if batch_norm_steps is not None:
            batch_norm_steps = check_int(
                "batch_norm_steps", batch_norm_steps, minimum=1
            )
        self.batch_norm_data = batch_norm_data
        self.batch_norm_steps = batch_norm_steps
        self.n_averaged = 0
        self.averaged_epochs: list[int] = []
        self._sums: list[np.ndarray] | None = None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, without ``batch_norm_data``.

        Returns:
            A dict with ``start_epoch``, ``frequency`` and
            ``batch_norm_steps``.
        """
        return {
            "start_epoch": self.start_epoch,
            "frequency": self.frequency,
            "batch_norm_steps": self.batch_norm_steps,
        }

    def _averages_now(self, epoch: int) -> bool:
        offset = epoch - self.start_epoch
        return offset >= 0 and offset % self.frequency == 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.n_averaged = 0
        self.averaged_epochs = []
        self._sums = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._averages_now(epoch):
            return
        values = [
            to_numpy(v, copy=True).astype(np.float64)
            for v in self.model.trainable_variables
        ]
        if self._sums is None:
            self._sums = values
        else:
            for total, value in zip(self._sums, values, strict=True):
                total += value
        self.n_averaged += 1
        self.averaged_epochs.append(int(epoch))

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._sums is None:
            warnings.warn(
                "StochasticWeightAveraging: training ended before "
                f"`start_epoch`={self.start_epoch}; no weights were averaged "
                "and the model keeps its last weights.",
                stacklevel=2,
            )
            return
        model = self.model
        if keras.backend.backend() == "jax" and hasattr(model, "jax_state_sync"):
            model.jax_state_sync()  # fit() already did; make sure
        for variable, total in zip(model.trainable_variables, self._sums, strict=True):
            variable.assign((total / self.n_averaged).astype(variable.dtype))
        self._sums = None
        if self.batch_norm_data is not None:
            update_batch_norm_statistics(
                model, self.batch_norm_data, steps=self.batch_norm_steps
            )
