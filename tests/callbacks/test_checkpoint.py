"""Tests for ``keras_dlkit.callbacks.BestKCheckpoint`` and the atomic writers."""

import json
import math
import os
import pathlib
import signal
import stat
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_dlkit.callbacks import BestKCheckpoint
from keras_dlkit.callbacks.checkpoint import resolve_mode
from keras_dlkit.datasets import _cache
from keras_dlkit.utils import atomic

ATOMIC_PATH = pathlib.Path(atomic.__file__)


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)]
    )
    # Eager: these tests exercise the callback, not the compiled step (the
    # resume tests train compiled), and tracing dominates such tiny fits.
    model.compile(
        keras.optimizers.Adam(0.05), loss="mse", metrics=["mae"], run_eagerly=True
    )
    return model


def _xy(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, np.sin(x).sum(axis=1, keepdims=True)


class Script(keras.callbacks.Callback):
    """Puts scripted values under ``name`` into the epoch logs (goes first)."""

    def __init__(self, name, values):
        super().__init__()
        self.name, self.values = name, values

    def on_epoch_end(self, epoch, logs=None):
        logs[self.name] = self.values[epoch]


class Watch(keras.callbacks.Callback):
    """Records the folder listing and the weights after each epoch (goes last)."""

    def __init__(self, directory):
        super().__init__()
        self.directory = directory
        self.listings, self.weights = [], []

    def on_epoch_end(self, epoch, logs=None):
        names = sorted(n for n in os.listdir(self.directory) if n != "manifest.json")
        self.listings.append(names)
        self.weights.append([np.array(w) for w in self.model.get_weights()])


def _expected_top_k(values, k, mode):
    """The reference ranking: the k best (value, epoch), ties to the earlier."""
    sign = 1 if mode == "min" else -1
    finite = [(v, e + 1) for e, v in enumerate(values) if math.isfinite(v)]
    return sorted(finite, key=lambda p: (sign * p[0], p[1]))[:k]


def _entry(epoch, value):
    return {"epoch": epoch, "file": f"epoch-{epoch:04d}.keras", "value": value}


def _fit_scripted(directory, values, epochs=None, **kwargs):
    x, y = _xy()
    model = _model()
    checkpoint = BestKCheckpoint(directory, monitor="score", **kwargs)
    watch = Watch(directory)
    model.fit(
        x,
        y,
        epochs=epochs or len(values),
        shuffle=False,
        verbose=0,
        callbacks=[Script("score", values), checkpoint, watch],
    )
    return model, checkpoint, watch


@pytest.mark.parametrize("mode", ["min", "max"])
def test_keeps_top_k_and_last_and_writes_exact_manifest(tmp_path, mode):
    values = [5.0, 3.0, 4.0, 1.0, 2.0, 6.0, 3.0]
    _, checkpoint, watch = _fit_scripted(tmp_path, values, mode=mode, k=3)
    top = _expected_top_k(values, 3, mode)
    assert BestKCheckpoint.read_manifest(tmp_path) == {
        "version": 1,
        "monitor": "score",
        "mode": mode,
        "k": 3,
        "best": [_entry(e, v) for v, e in top],
        "last": _entry(7, 3.0),
    }
    if mode == "min":  # spelled out once, against the reference function
        assert [e for _, e in top] == [4, 5, 2]
    else:
        assert [e for _, e in top] == [6, 1, 3]
    assert checkpoint.best == [_entry(e, v) for v, e in top]
    # After every epoch: exactly the top-k so far plus that epoch's file.
    for epoch, listing in enumerate(watch.listings, start=1):
        kept = {e for _, e in _expected_top_k(values[:epoch], 3, mode)} | {epoch}
        assert listing == sorted(f"epoch-{e:04d}.keras" for e in kept)
    # Every file loads.
    for name in watch.listings[-1]:
        loaded = keras.saving.load_model(tmp_path / name)
        assert len(loaded.get_weights()) == 4


def test_restore_best_gives_the_best_epochs_weights_exactly(tmp_path):
    values = [5.0, 3.0, 4.0, 1.0, 2.0, 6.0]
    model, checkpoint, watch = _fit_scripted(tmp_path, values, mode="min", k=2)
    entry = checkpoint.restore_best()
    assert entry == _entry(4, 1.0)
    for restored, saved in zip(model.get_weights(), watch.weights[3], strict=True):
        np.testing.assert_array_equal(restored, saved)
    # Into another model, from a fresh callback pointed at the folder.
    other = _model(seed=5)
    BestKCheckpoint(tmp_path, monitor="score").restore_best(other)
    for restored, saved in zip(other.get_weights(), watch.weights[3], strict=True):
        np.testing.assert_array_equal(restored, saved)
    assert checkpoint.best_path() == str(tmp_path / "epoch-0004.keras")


def test_ranks_a_real_validation_loss(tmp_path):
    x, y = _xy(64)
    model = _model()
    checkpoint = BestKCheckpoint(tmp_path, k=2)  # val_loss, auto -> min
    watch = Watch(tmp_path)
    history = model.fit(
        x[:48],
        y[:48],
        validation_data=(x[48:], y[48:]),
        epochs=6,
        batch_size=8,
        shuffle=False,
        verbose=0,
        callbacks=[checkpoint, watch],
    )
    val = history.history["val_loss"]
    top = _expected_top_k(val, 2, "min")
    manifest = BestKCheckpoint.read_manifest(tmp_path)
    assert manifest["mode"] == "min" and manifest["monitor"] == "val_loss"
    assert [(e["value"], e["epoch"]) for e in manifest["best"]] == top
    best_epoch = top[0][1]
    checkpoint.restore_best(model)
    assert model.evaluate(x[48:], y[48:], verbose=0)[0] == pytest.approx(
        val[best_epoch - 1], rel=1e-5
    )


def test_save_last_false_saves_only_the_top_k(tmp_path):
    values = [3.0, 1.0, 2.0, 5.0, 0.5]
    _, _, watch = _fit_scripted(tmp_path, values, mode="min", k=2, save_last=False)
    manifest = BestKCheckpoint.read_manifest(tmp_path)
    assert manifest["last"] is None
    assert manifest["best"] == [_entry(5, 0.5), _entry(2, 1.0)]
    assert watch.listings == [
        ["epoch-0001.keras"],
        ["epoch-0001.keras", "epoch-0002.keras"],
        ["epoch-0002.keras", "epoch-0003.keras"],
        ["epoch-0002.keras", "epoch-0003.keras"],  # epoch 4 never written
        ["epoch-0002.keras", "epoch-0005.keras"],
    ]


def test_ties_keep_the_earlier_epoch_and_non_finite_is_never_ranked(tmp_path):
    values = [2.0, math.nan, 1.0, 2.0, math.inf, 1.0]
    _fit_scripted(tmp_path, values, mode="min", k=2)
    manifest = BestKCheckpoint.read_manifest(tmp_path)
    assert manifest["best"] == [_entry(3, 1.0), _entry(6, 1.0)]
    assert manifest["last"] == _entry(6, 1.0)
    assert sorted(os.listdir(tmp_path)) == [
        "epoch-0003.keras",
        "epoch-0006.keras",
        "manifest.json",
    ]
    values = [2.0, 1.0, 1.0]
    _fit_scripted(tmp_path / "b", values, mode="max", k=1)
    assert BestKCheckpoint.read_manifest(tmp_path / "b")["best"] == [_entry(1, 2.0)]


def test_missing_monitor_warns_and_still_keeps_last(tmp_path):
    x, y = _xy()
    with pytest.warns(UserWarning, match="not in the epoch logs"):
        _model().fit(
            x,
            y,
            epochs=2,
            verbose=0,
            callbacks=[BestKCheckpoint(tmp_path, monitor="val_loss", mode="min")],
        )
    manifest = BestKCheckpoint.read_manifest(tmp_path)
    assert manifest["best"] == [] and manifest["last"] == _entry(2, None)
    assert sorted(os.listdir(tmp_path)) == ["epoch-0002.keras", "manifest.json"]
    with pytest.raises(FileNotFoundError, match="No ranked checkpoint"):
        BestKCheckpoint(tmp_path).restore_best(_model())


def test_resumed_run_continues_the_ranking_and_fresh_run_starts_over(tmp_path):
    values = [5.0, 3.0, 4.0, 1.0, 2.0, 6.0]
    x, y = _xy()
    model = _model()
    callbacks = [Script("score", values), BestKCheckpoint(tmp_path, "score", "min", 2)]
    model.fit(x, y, epochs=3, verbose=0, callbacks=callbacks)
    # A leftover temporary file and a file of the user's.
    (tmp_path / ".epoch-0004.keras.x1y2z3w4.dlkit-tmp.keras").write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("mine")
    callbacks = [Script("score", values), BestKCheckpoint(tmp_path, "score", "min", 2)]
    model.fit(x, y, epochs=6, initial_epoch=3, verbose=0, callbacks=callbacks)
    manifest = BestKCheckpoint.read_manifest(tmp_path)
    assert manifest["best"] == [_entry(4, 1.0), _entry(5, 2.0)]
    assert sorted(os.listdir(tmp_path)) == [
        "epoch-0004.keras",
        "epoch-0005.keras",
        "epoch-0006.keras",
        "manifest.json",
        "notes.txt",
    ]
    # A fresh run in the same folder drops the old entries and their files.
    callbacks = [Script("score", [7.0]), BestKCheckpoint(tmp_path, "score", "min", 2)]
    model.fit(x, y, epochs=1, verbose=0, callbacks=callbacks)
    manifest = BestKCheckpoint.read_manifest(tmp_path)
    assert manifest["best"] == [_entry(1, 7.0)] and manifest["last"] == _entry(1, 7.0)
    assert sorted(os.listdir(tmp_path)) == [
        "epoch-0001.keras",
        "manifest.json",
        "notes.txt",
    ]


def test_manifest_of_another_monitor_is_refused(tmp_path):
    _fit_scripted(tmp_path, [1.0, 2.0], mode="min", k=1)
    x, y = _xy()
    with pytest.raises(ValueError, match="`directory`"):
        _model().fit(
            x,
            y,
            epochs=1,
            verbose=0,
            callbacks=[
                Script("score", [1.0]),
                BestKCheckpoint(tmp_path, "score", "max"),
            ],
        )


def test_auto_mode_follows_keras_model_checkpoint():
    x, y = _xy()
    model = _model()
    model.compile("sgd", loss="mse", metrics=["accuracy", "mae", keras.metrics.AUC()])
    model.evaluate(x, y, verbose=0)  # builds the compiled metrics
    assert resolve_mode("val_loss", "auto") == "min"
    assert resolve_mode("loss", "auto") == "min"
    assert resolve_mode("val_kl_loss", "auto") == "min"
    assert resolve_mode("val_accuracy", "auto", model) == "max"
    assert resolve_mode("val_auc", "auto", model) == "max"
    assert resolve_mode("val_mae", "auto", model) == "min"
    assert resolve_mode("val_top_acc", "auto") == "max"  # Keras 2 name rule
    assert resolve_mode("val_mae", "max", model) == "max"
    with pytest.raises(ValueError, match="`mode`"):
        resolve_mode("score", "auto", model)


def test_auto_mode_resolved_from_compiled_metrics_in_fit(tmp_path):
    x, y = _xy()
    model = _model()
    model.compile("sgd", loss="mse", metrics=[keras.metrics.R2Score()])
    model.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[BestKCheckpoint(tmp_path, monitor="r2_score")],
    )
    assert BestKCheckpoint.read_manifest(tmp_path)["mode"] == "max"


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"k": 0}, "k"),
        ({"k": 1.5}, "k"),
        ({"k": True}, "k"),
        ({"mode": "avg"}, "mode"),
        ({"save_last": "yes"}, "save_last"),
        ({"directory": ""}, "directory"),
        ({"directory": None}, "directory"),
        ({"monitor": ""}, "monitor"),
        ({"monitor": 3}, "monitor"),
    ],
)
def test_bad_arguments(kwargs, name):
    kwargs = {"directory": "ckpt", **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        BestKCheckpoint(**kwargs)


def test_restore_best_needs_a_model_and_config_round_trips(tmp_path):
    with pytest.raises(ValueError, match="`model`"):
        BestKCheckpoint(tmp_path).restore_best()
    callback = BestKCheckpoint(tmp_path, "val_accuracy", "max", 5, False)
    config = callback.get_config()
    assert config == {
        "directory": str(tmp_path),
        "monitor": "val_accuracy",
        "mode": "max",
        "k": 5,
        "save_last": False,
    }
    assert BestKCheckpoint(**config).get_config() == config


# -- atomic writers -----------------------------------------------------------


def test_atomic_writers_write_whole_files_and_leave_nothing_else(tmp_path):
    target = tmp_path / "sub" / "data.bin"
    atomic.atomic_write_bytes(str(target), b"abc")
    assert target.read_bytes() == b"abc"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    atomic.atomic_write_text(str(target), "héllo")
    assert target.read_text(encoding="utf-8") == "héllo"
    seen = []

    def writer(path):
        seen.append(os.path.basename(path))
        np.savez(path, a=np.arange(3))

    atomic.atomic_write(str(tmp_path / "arrays.npz"), writer)
    with np.load(tmp_path / "arrays.npz") as data:
        np.testing.assert_array_equal(data["a"], np.arange(3))
    # The temporary name keeps the extension (np.savez would append ".npz").
    assert seen[0].startswith(".arrays.npz.") and seen[0].endswith(".dlkit-tmp.npz")
    assert atomic.is_temporary_file(seen[0])
    assert not atomic.is_temporary_file("arrays.npz")
    model = _model()
    atomic.atomic_write(str(tmp_path / "m.weights.h5"), model.save_weights)
    model.load_weights(tmp_path / "m.weights.h5")
    assert sorted(os.listdir(tmp_path)) == ["arrays.npz", "m.weights.h5", "sub"]
    assert os.listdir(tmp_path / "sub") == ["data.bin"]
    # The data-set cache keeps its names.
    assert _cache.atomic_write_bytes is atomic.atomic_write_bytes
    assert _cache.atomic_write_text is atomic.atomic_write_text


def test_failing_writer_leaves_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(b"previous")

    def writer(path):
        with open(path, "wb") as handle:
            handle.write(b"half of the new")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.atomic_write(str(target), writer)
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["model.keras"]


KILLED_WRITER = textwrap.dedent(
    """
    import importlib.util, os, signal, sys
    spec = importlib.util.spec_from_file_location("_atomic", sys.argv[1])
    atomic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(atomic)
    target, where = sys.argv[2], sys.argv[3]
    new = bytes(range(256)) * 4096  # 1 MiB
    atomic.atomic_write_bytes(target, b"previous checkpoint")

    def die():
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def writer(path):
        with open(path, "wb") as handle:
            handle.write(new[: len(new) // 2])
            handle.flush()
            os.fsync(handle.fileno())
            if where == "mid-write":
                die()
            handle.write(new[len(new) // 2 :])

    if where == "before-replace":
        os.replace = lambda src, dst: die()
    atomic.atomic_write(target, writer)
    sys.exit(3)  # not reached
    """
)


@pytest.mark.subprocess
@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX only")
@pytest.mark.parametrize("where", ["mid-write", "before-replace"])
def test_sigkill_during_atomic_write_keeps_previous_file(tmp_path, where):
    target = tmp_path / "best.keras"
    process = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(ATOMIC_PATH), str(target), where],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert target.read_bytes() == b"previous checkpoint"
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 2 and names[1] == "best.keras"
    leftover = names[0]
    assert atomic.is_temporary_file(leftover) and leftover.endswith(".keras")
    size = (tmp_path / leftover).stat().st_size
    assert size == (2**19 if where == "mid-write" else 2**20)
    assert atomic.remove_temporary_files(str(tmp_path)) == [leftover]
    assert os.listdir(tmp_path) == ["best.keras"]


def test_json_manifest_is_valid_after_every_epoch(tmp_path):
    values = [3.0, 2.0, 1.0]
    x, y = _xy()
    seen = []

    class ReadManifest(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            with open(tmp_path / "manifest.json", encoding="utf-8") as handle:
                seen.append(json.load(handle)["last"]["epoch"])

    _model().fit(
        x,
        y,
        epochs=3,
        verbose=0,
        callbacks=[
            Script("score", values),
            BestKCheckpoint(tmp_path, "score", "min", 1),
            ReadManifest(),
        ],
    )
    assert seen == [1, 2, 3]
