"""Resume an interrupted ``fit()`` exactly where it stopped.

:class:`ResumeFromCrash` snapshots the complete training state between epochs
(model variables with the ``SeedGenerator`` states, optimizer variables, the
epoch, the Python / NumPy / torch random states and the epoch logs) into an
atomically written ``.npz`` file, keeps the previous snapshot to fall back
to, and on the next ``fit()`` restores it and makes ``fit()`` continue with
the next epoch. Unlike ``keras.callbacks.BackupAndRestore`` it restores the
random states, so a run with dropout and shuffling ends with bit-identical
weights, and no file it writes is ever truncated.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import warnings
import zipfile
from typing import Any

import keras
import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.backends import backend_module
from keras_dlkit.utils import atomic, keras_compat
from keras_dlkit.utils.arrays import to_numpy
from keras_dlkit.utils.validation import check_choice, check_int

SNAPSHOT_VERSION = 1
_SNAPSHOT_PATTERN = re.compile(r"^snapshot-(\d+)\.npz$")


def snapshot_name(epoch: int) -> str:
    """File name of the snapshot taken after ``epoch`` epochs."""
    return f"snapshot-{epoch:06d}.npz"


def _storable(array: np.ndarray) -> np.ndarray:
    # np.load cannot rebuild extension dtypes (bfloat16, float8, ...): keep
    # their bits as unsigned integers of the same width.
    if array.dtype.kind not in "biufc":
        return array.view(f"u{array.dtype.itemsize}")
    return array


def _describe(variables: list[Any]) -> list[list[Any]]:
    return [
        [v.path, list(v.shape), keras.backend.standardize_dtype(v.dtype)]
        for v in variables
    ]


def _jsonable(value: Any) -> Any:
    try:
        number = float(np.asarray(keras.ops.convert_to_numpy(value)))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class _SnapshotError(Exception):
    """A snapshot file that cannot be read (truncated, corrupted, foreign)."""


@keras_dlkit_export("keras_dlkit.callbacks.ResumeFromCrash")
class ResumeFromCrash(keras.callbacks.Callback):
    """Resume an interrupted ``fit()`` with bit-identical results.

    Between epochs it writes ``directory/snapshot-NNNNNN.npz`` (``NNNNNN``:
    the number of epochs done) holding everything training depends on:
    ``model.variables`` (the ``SeedGenerator`` states of dropout and noise
    layers included), ``optimizer.variables`` (iteration count, learning
    rate, slots; the optimizer is built first), the epoch, the states of
    Python's ``random``, NumPy's global generator and, on the torch backend,
    torch's generators, and the logs of every epoch so far. Each snapshot is
    written to a temporary file, synced and renamed into place, and the
    previous one is kept (``keep``), so a kill at any moment leaves at least
    one complete snapshot.

    When ``fit()`` starts, the newest readable snapshot is restored and
    ``fit()`` continues with the next epoch, exactly as if it had never
    stopped (the newest is skipped with a warning if it is unreadable; a
    snapshot that does not match the model raises a ``ValueError``; the
    optimizer is built before restoring. On TensorFlow, ``fit()`` creates
    the variables of layers built at their first call only at the first
    batch: call such a model on a batch before a resumed ``fit()``). Like
    ``keras.callbacks.BackupAndRestore`` it skips the finished epochs through
    the model's ``_initial_epoch`` attribute, which Keras's ``fit()`` reads
    right after ``on_train_begin`` on every backend; it clears it again when
    the first epoch begins. When training ends normally (early stopping
    included) the snapshots are deleted unless ``delete_on_train_end=False``.

    An epoch interrupted midway is trained again from its start, so its
    batches are never applied twice (``BackupAndRestore`` with a batch
    ``save_freq`` applies them twice).

    For bit-identical results, every random draw must come from a restored
    state, made at or after the start of its epoch:

    * NumPy arrays: ``fit(shuffle=True)`` resumes exactly on all three
      backends (tested with Keras 3.15; on TensorFlow that permutation is the
      same in every epoch). ``shuffle=False`` after one seeded shuffle up
      front is exact by construction.
    * ``keras.utils.PyDataset``: reshuffle in its ``on_epoch_begin()`` with
      NumPy's global generator, and/or let ``fit(shuffle=True)`` shuffle its
      batch order with Python's ``random``: both are replayed exactly. Do not
      reshuffle in ``on_epoch_end()`` (that order lives in the data set
      object, not in a snapshot), do not use ``steps_per_epoch`` to take an
      epoch from a longer stream, and keep ``workers=1`` (worker threads
      start fetching before ``on_epoch_begin()`` has reshuffled).
    * ``tf.data`` pipelines with ``shuffle(...)``: their state cannot be
      saved, so the order after a resume differs.
    * other callbacks keep their own state (``EarlyStopping``'s patience
      counter, ``ReduceLROnPlateau``'s wait), which starts afresh after a
      resume; the learning rate they set is an optimizer variable and is
      restored. A callback that draws random numbers at an epoch boundary
      should come after this one in the list.

    Call ``keras.utils.set_random_seed(seed)`` before building the model in
    every run, so a resumed run starts from the same layer seeds.

    Args:
        directory: Folder of the snapshots; created if needed. One per run.
        keep: Number of newest snapshots kept, >= 1. With ``keep >= 2`` the
            previous snapshot is there to fall back to.
        delete_on_train_end: Whether to delete the snapshots (and the folder,
            if that leaves it empty) when ``fit()`` finishes normally, so that
            the next ``fit()`` starts from scratch.
        verbose: 1 to print a line when a run is resumed, 0 for silence.

    Attributes:
        initial_epoch: Epochs already done when this ``fit()`` started (0 for
            a fresh run).
        resumed_from: Path of the snapshot restored, or ``None``.
        logs: The logs of every finished epoch of the run, before and after
            the interruption, one dict per epoch.

    Example:

    >>> import tempfile, keras, numpy as np
    >>> from keras_dlkit.callbacks import ResumeFromCrash
    >>> class Crash(keras.callbacks.Callback):
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 2:
    ...             raise RuntimeError("simulated crash")
    >>> def make_model():
    ...     keras.utils.set_random_seed(0)
    ...     model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    ...     model.compile(keras.optimizers.SGD(0.1), loss="mse")
    ...     return model
    >>> x, y = np.ones((8, 2)), np.ones((8, 1))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     try:
    ...         _ = make_model().fit(x, y, epochs=4, verbose=0,
    ...                              callbacks=[ResumeFromCrash(folder), Crash()])
    ...     except RuntimeError:
    ...         pass
    ...     resume = ResumeFromCrash(folder)
    ...     history = make_model().fit(x, y, epochs=4, verbose=0, callbacks=[resume])
    >>> resume.initial_epoch, len(history.history["loss"]), len(resume.logs)
    (2, 2, 4)
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        keep: int = 2,
        delete_on_train_end: bool = True,
        verbose: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(directory, (str, os.PathLike)) or not os.fspath(directory):
            raise ValueError(
                f"`directory` must be a non-empty path, got {directory!r}."
            )
        self.directory = os.fspath(directory)
        self.keep = check_int("keep", keep, minimum=1)
        self.delete_on_train_end = check_choice(
            "delete_on_train_end", delete_on_train_end, (True, False)
        )
        self.verbose = check_choice("verbose", verbose, (0, 1, False, True))
        self.initial_epoch = 0
        self.resumed_from: str | None = None
        self.logs: list[dict[str, float | None]] = []
        self._pending: int | None = None
        self._saved: int | None = None
        self._cleared_initial_epoch = True

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments.

        Returns:
            A dict with ``directory``, ``keep``, ``delete_on_train_end`` and
            ``verbose``.
        """
        return {
            "directory": self.directory,
            "keep": self.keep,
            "delete_on_train_end": self.delete_on_train_end,
            "verbose": self.verbose,
        }

    @property
    def history(self) -> dict[str, list[float]]:
        """The logs of every finished epoch as ``{name: [value per epoch]}``.

        Like ``History.history``, but across the interruption; a value missing
        in an epoch (e.g. validation skipped by ``validation_freq``) is NaN.
        """
        names: list[str] = []
        for entry in self.logs:
            names.extend(name for name in entry if name not in names)
        return {
            name: [
                math.nan if entry.get(name) is None else entry[name]
                for entry in self.logs
            ]
            for name in names
        }

    def snapshots(self) -> list[str]:
        """Paths of the snapshots in ``directory``, oldest first."""
        if not os.path.isdir(self.directory):
            return []
        found = []
        for name in os.listdir(self.directory):
            match = _SNAPSHOT_PATTERN.match(name)
            if match:
                found.append((int(match.group(1)), name))
        return [os.path.join(self.directory, name) for _, name in sorted(found)]

    # -- saving -------------------------------------------------------------

    def _state_arrays(self, epoch: int) -> dict[str, np.ndarray]:
        model = self.model
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model_variables = list(model.variables)
        optimizer_variables = (
            list(model.optimizer.variables) if model.optimizer is not None else []
        )
        arrays: dict[str, np.ndarray] = {}
        for i, variable in enumerate(model_variables):
            arrays[f"model_{i:05d}"] = _storable(to_numpy(variable, copy=True))
        for i, variable in enumerate(optimizer_variables):
            arrays[f"optimizer_{i:05d}"] = _storable(to_numpy(variable, copy=True))
        py_version, py_state, py_gauss = random.getstate()
        np_state = np.random.get_state(legacy=True)
        arrays["rng_numpy_keys"] = np.asarray(np_state[1], dtype=np.uint32)
        arrays["rng_python_state"] = np.asarray(py_state, dtype=np.int64)
        meta: dict[str, Any] = {
            "version": SNAPSHOT_VERSION,
            "epoch": epoch,
            "backend": keras.backend.backend(),
            "model_variables": _describe(model_variables),
            "optimizer_variables": _describe(optimizer_variables),
            "python_random": {"version": py_version, "gauss_next": py_gauss},
            "numpy_random": {
                "algorithm": np_state[0],
                "pos": int(np_state[2]),
                "has_gauss": int(np_state[3]),
                "cached_gaussian": float(np_state[4]),
            },
            "torch_cuda_devices": 0,
            "logs": self.logs[:epoch],
        }
        torch_rng = backend_module("rng")
        if torch_rng is not None:
            torch_arrays = torch_rng.rng_state_arrays()
            meta["torch_cuda_devices"] = len(torch_arrays) - 1
            arrays.update(torch_arrays)
        arrays["meta"] = np.asarray(json.dumps(meta))
        return arrays

    def _save(self, epoch: int) -> None:
        arrays = self._state_arrays(epoch)
        path = os.path.join(self.directory, snapshot_name(epoch))
        atomic.atomic_write(path, lambda tmp: np.savez(tmp, **arrays))
        self._saved = epoch
        # Keep the `keep` newest snapshots up to this epoch; newer ones belong
        # to an abandoned run.
        numbered = [
            (int(_SNAPSHOT_PATTERN.match(os.path.basename(p)).group(1)), p)
            for p in self.snapshots()
        ]
        kept = [p for n, p in numbered if n <= epoch][-self.keep :]
        for _, p in numbered:
            if p not in kept:
                try:
                    os.remove(p)
                except FileNotFoundError:
                    pass

    # -- loading ------------------------------------------------------------

    @staticmethod
    def _read(path: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
            meta = json.loads(str(arrays.pop("meta")[()]))
            if meta.get("version") != SNAPSHOT_VERSION:
                raise _SnapshotError(f"unknown version {meta.get('version')!r}")
            return meta, arrays
        except _SnapshotError:
            raise
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
            raise _SnapshotError(f"{type(e).__name__}: {e}") from e

    def _check_matches(
        self, path: str, meta: dict[str, Any], what: str, variables: list[Any]
    ) -> None:
        saved = [tuple(entry[1:]) for entry in meta[f"{what}_variables"]]
        current = [tuple(entry[1:]) for entry in _describe(variables)]
        if len(saved) != len(current):
            problem = f"{len(saved)} variables, the {what} has {len(current)}"
        else:
            mismatched = [
                (i, a, b)
                for i, (a, b) in enumerate(zip(saved, current, strict=True))
                if a != b
            ]
            if not mismatched:
                return
            i, a, b = mismatched[0]
            problem = f"variable {i} with shape and dtype {a}, the {what} {b}"
        raise ValueError(
            f"The snapshot {path!r} in `directory` {self.directory!r} does not "
            f"match the {what}: it holds {problem}. Use a new directory for a "
            "different model or optimizer; if the model creates variables at "
            "its first call, call it on a batch before fit()."
        )

    @staticmethod
    def _assign(variables: list[Any], arrays: dict[str, np.ndarray], prefix: str):
        for i, variable in enumerate(variables):
            value = arrays[f"{prefix}_{i:05d}"]
            dtype = keras.backend.standardize_dtype(variable.dtype)
            if value.dtype.kind == "u" and dtype != keras.backend.standardize_dtype(
                value.dtype
            ):
                value = value.view(to_numpy(variable, copy=True).dtype)
            variable.assign(value)

    def _restore_rng(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]):
        py = meta["python_random"]
        gauss = py["gauss_next"]
        random.setstate(
            (
                py["version"],
                tuple(int(v) for v in arrays["rng_python_state"]),
                gauss,
            )
        )
        npr = meta["numpy_random"]
        np.random.set_state(
            (
                npr["algorithm"],
                arrays["rng_numpy_keys"],
                npr["pos"],
                npr["has_gauss"],
                npr["cached_gaussian"],
            )
        )
        torch_rng = backend_module("rng")
        if torch_rng is not None and "rng_torch_cpu" in arrays:
            torch_rng.restore_rng_state(arrays, meta.get("torch_cuda_devices", 0))

    # -- callback hooks -----------------------------------------------------

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.initial_epoch = 0
        self.resumed_from = None
        self.logs = []
        self._pending = None
        self._saved = None
        model = self.model
        if not hasattr(model, "_initial_epoch"):  # pragma: no cover
            raise RuntimeError(
                "ResumeFromCrash needs a Keras 3 model whose fit() reads "
                "`_initial_epoch` after `on_train_begin`."
            )
        os.makedirs(self.directory, exist_ok=True)
        atomic.remove_temporary_files(self.directory)
        candidates = list(reversed(self.snapshots()))
        if not candidates:
            return
        if not model.built:
            raise ValueError(
                "ResumeFromCrash needs a built model to restore into: give it "
                "an Input or call it on a batch before fit()."
            )
        failures = []
        for path in candidates:
            try:
                meta, arrays = self._read(path)
            except _SnapshotError as error:
                failures.append(f"{os.path.basename(path)} ({error})")
                warnings.warn(
                    f"ResumeFromCrash: skipping the unreadable snapshot {path!r}"
                    f" ({error}); trying the previous one.",
                    stacklevel=2,
                )
                continue
            self._restore(path, meta, arrays)
            return
        raise OSError(
            f"ResumeFromCrash: no readable snapshot in `directory` "
            f"{self.directory!r}: {'; '.join(failures)}. Delete the folder to "
            "start over."
        )

    def _restore(
        self, path: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> None:
        model = self.model
        model_variables = list(model.variables)
        self._check_matches(path, meta, "model", model_variables)
        # The optimizer's slots must exist before they can be restored. Only
        # now: building it before the model has created all its variables (a
        # layer built at its first call) would break training.
        optimizer = model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)
        optimizer_variables = list(optimizer.variables) if optimizer is not None else []
        self._check_matches(path, meta, "optimizer", optimizer_variables)
        self._assign(model_variables, arrays, "model")
        self._assign(optimizer_variables, arrays, "optimizer")
        self._restore_rng(meta, arrays)
        epoch = int(meta["epoch"])
        self.logs = [dict(entry) for entry in meta["logs"]]
        self.initial_epoch = epoch
        self.resumed_from = path
        self._saved = epoch
        # fit() reads this right after on_train_begin (BackupAndRestore's way).
        keras_compat.set_initial_epoch(model, epoch)
        self._cleared_initial_epoch = False
        if self.verbose:
            print(f"ResumeFromCrash: resuming after epoch {epoch} from {path}")

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._cleared_initial_epoch:
            # fit() has read it; do not let it leak into a later fit().
            keras_compat.set_initial_epoch(self.model, None)
            self._cleared_initial_epoch = True
        self._flush()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        entry = {name: _jsonable(value) for name, value in (logs or {}).items()}
        del self.logs[epoch:]
        self.logs.append(entry)
        # Saved when the next epoch begins or training ends: after every other
        # callback's on_epoch_end, whatever the order of the callbacks.
        self._pending = epoch + 1

    def _flush(self) -> None:
        if self._pending is not None and self._pending != self._saved:
            self._save(self._pending)
        self._pending = None

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if not self._cleared_initial_epoch:
            keras_compat.set_initial_epoch(self.model, None)
            self._cleared_initial_epoch = True
        if not self.delete_on_train_end:
            self._flush()
            return
        self._pending = None
        for path in self.snapshots():
            os.remove(path)
        atomic.remove_temporary_files(self.directory)
        try:
            os.rmdir(self.directory)
        except OSError:
            pass
