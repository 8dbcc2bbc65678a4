"""Keep the best ``k`` checkpoints of a run, plus the last, written atomically.

:class:`BestKCheckpoint` saves the whole model (``.keras``) at the end of an
epoch when the monitored value ranks among the ``k`` best so far, deletes the
files that drop out of the ranking, and records the ranking in a JSON
manifest. Every file, the manifest included, is written to a temporary file,
synced and renamed into place (:mod:`keras_dlkit.utils.atomic`), so a crash
never leaves a truncated checkpoint behind or destroys a good one.
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from typing import Any

import keras
import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils import atomic, keras_compat
from keras_dlkit.utils.validation import check_choice, check_int

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_FILE_PATTERN = re.compile(r"^epoch-(\d+)\.keras$")


def checkpoint_name(epoch: int) -> str:
    """File name of the checkpoint of ``epoch`` (1-based)."""
    return f"epoch-{epoch:04d}.keras"


def _metric_direction(model: Any, name: str) -> str | None:
    """``"min"`` / ``"max"`` from the direction of a compiled metric, or None."""
    metrics = []
    for metric in getattr(model, "metrics", None) or []:
        # compile() wraps the user's metrics in containers holding `.metrics`.
        metrics.extend(getattr(metric, "metrics", None) or [metric])
    for metric in metrics:
        if getattr(metric, "name", None) == name:
            direction = keras_compat.metric_direction(metric)
            if direction == "up":
                return "max"
            if direction == "down":
                return "min"
    return None


def resolve_mode(monitor: str, mode: str, model: Any = None) -> str:
    """The direction of ``monitor``: ``"min"`` or ``"max"``.

    ``"min"`` and ``"max"`` are returned as given. ``"auto"`` follows Keras's
    ``ModelCheckpoint``: ``"loss"`` (with or without ``val_``) is minimised,
    and so is any name ending in ``"_loss"`` (the extra losses trainer models
    log); a compiled metric of that name is optimised in its own direction
    (accuracy, AUC, precision, ... are maximised, errors minimised); failing
    both, a name containing ``"acc"`` or starting with ``"fmeasure"`` is
    maximised (the rule of Keras 2).

    Raises:
        ValueError: If ``mode="auto"`` cannot tell the direction.
    """
    if mode in ("min", "max"):
        return mode
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    direction = _metric_direction(model, name) if model is not None else None
    if direction is not None:
        return direction
    if "acc" in name or name.startswith("fmeasure"):
        return "max"
    raise ValueError(
        f"`mode`='auto' cannot tell whether `monitor`={monitor!r} should be "
        "minimised or maximised; pass `mode`='min' or `mode`='max'."
    )


@keras_dlkit_export("keras_dlkit.callbacks.BestKCheckpoint")
class BestKCheckpoint(keras.callbacks.Callback):
    """Keep the ``k`` best ``.keras`` checkpoints and the last, atomically.

    At the end of every epoch the monitored value (``logs[monitor]``) is
    ranked against the checkpoints kept so far. If it is among the ``k`` best,
    or if ``save_last`` is true, the whole model is saved (``model.save``,
    weights and optimizer state) to ``directory/epoch-NNNN.keras``, where
    ``NNNN`` is the 1-based epoch number as Keras prints it. Files that are
    neither among the ``k`` best nor the last are then deleted. Ties keep the
    earlier epoch; epochs whose value is missing or not finite are never
    ranked (but still saved as the last when ``save_last`` is true).

    ``directory/manifest.json`` describes what is kept:

    .. code-block:: json

        {"version": 1, "monitor": "val_loss", "mode": "min", "k": 2,
         "best": [{"epoch": 7, "file": "epoch-0007.keras", "value": 0.31},
                  {"epoch": 5, "file": "epoch-0005.keras", "value": 0.32}],
         "last": {"epoch": 9, "file": "epoch-0009.keras", "value": 0.33}}

    ``best`` is sorted best first; ``last`` is ``null`` when ``save_last`` is
    false. The last epoch's file may also appear in ``best``: it is one file.

    Crash safety: each checkpoint and the manifest are written to a temporary
    file in ``directory``, synced to disk and renamed into place, and only then
    are dropped files deleted, so at any moment every ``epoch-*.keras`` file
    and the manifest are complete. When training starts, an existing manifest
    is read back (so a run resumed with
    :class:`keras_dlkit.callbacks.ResumeFromCrash` keeps ranking where it
    stopped), leftover temporary files are deleted, and entries from epochs
    at or after the one being trained are dropped (a fresh run therefore
    starts over). Other files in ``directory`` are never touched.

    Args:
        directory: Folder for the checkpoints and the manifest; created if
            needed. Use one folder per run.
        monitor: Name of the logged quantity to rank by, e.g. ``"val_loss"``
            or ``"val_accuracy"``.
        mode: ``"min"``, ``"max"`` or ``"auto"``. ``"auto"`` follows Keras's
            ``ModelCheckpoint``: ``loss`` and names ending in ``_loss`` are
            minimised, compiled metrics are optimised in their own direction
            (accuracy, AUC, ... maximised; errors minimised), else names
            containing ``"acc"`` are maximised; anything else raises a
            ``ValueError`` at the first epoch end (when Keras's
            ``ModelCheckpoint`` decides too).
        k: Number of best checkpoints to keep, >= 1.
        save_last: Whether to also keep the checkpoint of the latest epoch.

    Attributes:
        best: Manifest entries of the kept best epochs, best first.
        last: Manifest entry of the latest epoch, or ``None``.

    Example:

    >>> import tempfile, keras, numpy as np
    >>> from keras_dlkit.callbacks import BestKCheckpoint
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.1), loss="mse")
    >>> x, y = np.ones((16, 2)), np.ones((16, 1))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     checkpoints = BestKCheckpoint(folder, monitor="loss", k=2)
    ...     _ = model.fit(x, y, epochs=4, verbose=0, callbacks=[checkpoints])
    ...     manifest = BestKCheckpoint.read_manifest(folder)
    ...     entry = checkpoints.restore_best(model)
    >>> len(manifest["best"]), manifest["last"]["epoch"]
    (2, 4)
    >>> entry == manifest["best"][0]
    True
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        monitor: str = "val_loss",
        mode: str = "auto",
        k: int = 3,
        save_last: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(directory, (str, os.PathLike)) or not os.fspath(directory):
            raise ValueError(
                f"`directory` must be a non-empty path, got {directory!r}."
            )
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"`monitor` must be a non-empty metric name, got {monitor!r}."
            )
        self.directory = os.fspath(directory)
        self.monitor = monitor
        self.mode = check_choice("mode", mode, ("auto", "min", "max"))
        self.k = check_int("k", k, minimum=1)
        self.save_last = check_choice("save_last", save_last, (True, False))
        self.best: list[dict[str, Any]] = []
        self.last: dict[str, Any] | None = None
        self._resolved_mode: str | None = None if mode == "auto" else mode
        self._warned_missing = False
        self._ready = False
        self._loaded: tuple[str, str, list, dict | None] | None = None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments.

        Returns:
            A dict with ``directory``, ``monitor``, ``mode``, ``k`` and
            ``save_last``.
        """
        return {
            "directory": self.directory,
            "monitor": self.monitor,
            "mode": self.mode,
            "k": self.k,
            "save_last": self.save_last,
        }

    # -- manifest -----------------------------------------------------------

    @property
    def manifest_path(self) -> str:
        """Path of the JSON manifest."""
        return os.path.join(self.directory, MANIFEST)

    @staticmethod
    def read_manifest(directory: str | os.PathLike) -> dict[str, Any]:
        """Read the manifest of a checkpoint folder.

        Args:
            directory: Folder written by a :class:`BestKCheckpoint`.

        Returns:
            The manifest as a dict (see the class description).

        Raises:
            FileNotFoundError: If the folder holds no manifest.
        """
        path = os.path.join(os.fspath(directory), MANIFEST)
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    def _manifest(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "monitor": self.monitor,
            "mode": self._resolved_mode,
            "k": self.k,
            "best": [dict(entry) for entry in self.best],
            "last": None if self.last is None else dict(self.last),
        }

    def best_path(self) -> str:
        """Path of the best checkpoint, read from the manifest on disk.

        Raises:
            FileNotFoundError: If there is no manifest or no ranked checkpoint
                yet.
        """
        manifest = self.read_manifest(self.directory)
        if not manifest["best"]:
            raise FileNotFoundError(
                f"No ranked checkpoint in {self.directory!r} yet: `monitor`="
                f"{manifest['monitor']!r} was never logged with a finite value."
            )
        return os.path.join(self.directory, manifest["best"][0]["file"])

    def restore_best(self, model: keras.Model | None = None) -> dict[str, Any]:
        """Load the best checkpoint's weights into a model.

        Uses ``model.load_weights`` on the ``.keras`` file: the model's
        variables and, if the model is compiled, its optimizer's (the
        optimizer is built first when needed). The model must have the
        architecture of the checkpointed one. To get a new
        model instead, call ``keras.saving.load_model(callback.best_path())``.

        Args:
            model: The model to load into; the model being trained if ``None``.

        Returns:
            The manifest entry of the restored checkpoint (``epoch``, ``file``,
            ``value``).

        Raises:
            FileNotFoundError: If there is no ranked checkpoint yet.
            ValueError: If ``model`` is ``None`` and the callback has no model.
        """
        if model is None:
            if self._model is None:
                raise ValueError(
                    "`model` is None and this callback is not attached to a "
                    "model: pass the model to restore into."
                )
            model = self.model  # On JAX this syncs the training state first.
        path = self.best_path()
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)
        model.load_weights(path)
        manifest = self.read_manifest(self.directory)
        return dict(manifest["best"][0])

    # -- callback hooks -----------------------------------------------------

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._warned_missing = False
        self._ready = False
        self._loaded = None
        self.best, self.last = [], None
        os.makedirs(self.directory, exist_ok=True)
        atomic.remove_temporary_files(self.directory)
        if not os.path.exists(self.manifest_path):
            return
        try:
            manifest = self.read_manifest(self.directory)
            best = [self._check_entry(e) for e in manifest["best"]]
            last = manifest["last"]
            last = None if last is None else self._check_entry(last)
            self._loaded = (manifest["monitor"], manifest["mode"], best, last)
        except (OSError, ValueError, KeyError, TypeError) as error:
            warnings.warn(
                f"BestKCheckpoint: ignoring the unreadable manifest "
                f"{self.manifest_path!r} ({type(error).__name__}: {error}).",
                stacklevel=2,
            )

    def _get_ready(self) -> None:
        """Resolve the mode and adopt the manifest read at the start.

        Done at the first epoch end, like Keras's ``ModelCheckpoint``: on
        TensorFlow the compiled metrics (and their directions) only exist
        once the first batch has run.
        """
        self._resolved_mode = resolve_mode(self.monitor, self.mode, self.model)
        self._ready = True
        if self._loaded is None:
            return
        monitor, mode, best, last = self._loaded
        self._loaded = None
        if (monitor, mode) != (self.monitor, self._resolved_mode):
            raise ValueError(
                f"`directory` {self.directory!r} holds checkpoints ranked by "
                f"monitor={monitor!r}, mode={mode!r}, not by `monitor`="
                f"{self.monitor!r}, `mode`={self._resolved_mode!r}. Use another "
                "directory, or delete that one to start over."
            )
        present = set(os.listdir(self.directory))
        self.best = [e for e in best if e["file"] in present]
        self.last = last if last is not None and last["file"] in present else None

    @staticmethod
    def _check_entry(entry: Any) -> dict[str, Any]:
        epoch, name, value = entry["epoch"], entry["file"], entry["value"]
        if not isinstance(epoch, int) or name != checkpoint_name(epoch):
            raise ValueError(f"bad manifest entry {entry!r}")
        if value is not None and not isinstance(value, (int, float)):
            raise ValueError(f"bad manifest entry {entry!r}")
        return {"epoch": epoch, "file": name, "value": value}

    def _sort_key(self, entry: dict[str, Any]) -> tuple[float, int]:
        value = float(entry["value"])
        return (value if self._resolved_mode == "min" else -value, entry["epoch"])

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._ready:
            self._get_ready()
        logs = logs or {}
        number = epoch + 1
        value = logs.get(self.monitor)
        if value is not None:
            value = float(np.asarray(keras.ops.convert_to_numpy(value)))
            if not math.isfinite(value):
                value = None
        elif not self._warned_missing:
            self._warned_missing = True
            warnings.warn(
                f"BestKCheckpoint: `monitor`={self.monitor!r} is not in the "
                f"epoch logs (available: {sorted(logs)}); epochs are not "
                "ranked.",
                stacklevel=2,
            )
        entry = {"epoch": number, "file": checkpoint_name(number), "value": value}
        # Entries from this epoch on belong to an abandoned run: drop them.
        kept = [e for e in self.best if e["epoch"] < number]
        candidates = kept + ([entry] if value is not None else [])
        best = sorted(candidates, key=self._sort_key)[: self.k]
        in_best = any(e["epoch"] == number for e in best)
        if in_best or self.save_last:
            path = os.path.join(self.directory, entry["file"])
            atomic.atomic_write(path, self.model.save)
        self.best = best
        self.last = entry if self.save_last else None
        atomic.atomic_write_text(
            self.manifest_path, json.dumps(self._manifest(), indent=2) + "\n"
        )
        self._delete_unlisted()

    def _delete_unlisted(self) -> None:
        listed = {e["file"] for e in self.best}
        if self.last is not None:
            listed.add(self.last["file"])
        for name in os.listdir(self.directory):
            if _FILE_PATTERN.match(name) and name not in listed:
                try:
                    os.remove(os.path.join(self.directory, name))
                except FileNotFoundError:
                    pass
