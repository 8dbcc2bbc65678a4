"""Tests for ``keras_dlkit.callbacks.ResumeFromCrash``.

The reference for every resumed run is the same run trained without
interruption: final model and optimizer variables must be bit-identical.
"""

import importlib.util
import json
import os
import pathlib
import signal
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest

from keras_dlkit.callbacks import BestKCheckpoint, ResumeFromCrash

WORKER_PATH = pathlib.Path(__file__).with_name("_resume_worker.py")


def _load_worker():
    spec = importlib.util.spec_from_file_location("_resume_worker", WORKER_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


worker = _load_worker()


def _values(variables):
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in variables]


def _assert_same_training_state(model, reference):
    ours = _values(model.variables) + _values(model.optimizer.variables)
    theirs = _values(reference.variables) + _values(reference.optimizer.variables)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def _assert_every_file_readable(run_dir):
    """Every snapshot, checkpoint and manifest in the run folder loads."""
    resume_dir = os.path.join(run_dir, "resume")
    for name in os.listdir(resume_dir):
        assert name.startswith("snapshot-") and name.endswith(".npz"), name
        with np.load(os.path.join(resume_dir, name), allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        meta = json.loads(str(arrays["meta"][()]))
        assert name == f"snapshot-{meta['epoch']:06d}.npz"
    best_dir = os.path.join(run_dir, "best")
    manifest = BestKCheckpoint.read_manifest(best_dir)
    listed = {e["file"] for e in manifest["best"]} | {manifest["last"]["file"]}
    assert set(os.listdir(best_dir)) == listed | {"manifest.json"}
    for name in listed:
        model = keras.saving.load_model(os.path.join(best_dir, name))
        assert model.optimizer is not None
    return manifest


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The worker's run trained without interruption (shared by two tests)."""
    run_dir = tmp_path_factory.mktemp("reference")
    model, history, resume, _ = worker.train(str(run_dir))
    assert resume.initial_epoch == 0
    return {
        "model": model,
        "history": history.history,
        "logs": resume.logs,
        "manifest": BestKCheckpoint.read_manifest(run_dir / "best"),
    }


@pytest.mark.subprocess
@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX only")
def test_sigkill_mid_epoch_then_resume_is_bit_identical(tmp_path, reference):
    run_dir = str(tmp_path / "run")
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    # Killed after batch 5 of the third epoch (0-based epoch 2).
    process = subprocess.run(
        [sys.executable, str(WORKER_PATH), run_dir, "2", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr[-3000:]
    assert sorted(os.listdir(os.path.join(run_dir, "resume"))) == [
        "snapshot-000001.npz",
        "snapshot-000002.npz",
    ]
    killed_manifest = _assert_every_file_readable(run_dir)
    assert killed_manifest["last"]["epoch"] == 2

    model, history, resume, best = worker.train(run_dir)
    assert resume.initial_epoch == 2
    assert resume.resumed_from.endswith("snapshot-000002.npz")
    assert len(history.history["loss"]) == 2  # epochs 3 and 4 only
    assert model._initial_epoch is None  # does not leak into a later fit()

    _assert_same_training_state(model, reference["model"])
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 4 * 12
    # The logs of all epochs, before and after the kill, are the reference's.
    assert resume.logs == reference["logs"]
    assert history.history["val_loss"] == reference["history"]["val_loss"][2:]
    # The best-k ranking continued across the kill: same manifest.
    assert _assert_every_file_readable(run_dir) == reference["manifest"]


def test_falls_back_to_previous_snapshot_when_newest_is_corrupt(tmp_path, reference):
    run_dir = str(tmp_path / "run")
    worker.train(run_dir, epochs=3)
    resume_dir = tmp_path / "run" / "resume"
    assert sorted(os.listdir(resume_dir)) == [
        "snapshot-000002.npz",
        "snapshot-000003.npz",
    ]
    newest = resume_dir / "snapshot-000003.npz"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    with pytest.warns(UserWarning, match="unreadable snapshot"):
        model, history, resume, _ = worker.train(run_dir)
    assert resume.initial_epoch == 2
    assert len(history.history["loss"]) == 2
    _assert_same_training_state(model, reference["model"])
    # The corrupt snapshot was replaced by a good one.
    assert sorted(os.listdir(resume_dir)) == [
        "snapshot-000003.npz",
        "snapshot-000004.npz",
    ]
    with np.load(newest) as data:
        assert json.loads(str(data["meta"][()]))["epoch"] == 3


def _tiny(seed=0, units=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
    model.compile(keras.optimizers.Adam(0.01), loss="mse")
    return model


def _xy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


class _Crash(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.crash_epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.crash_epoch:
            raise RuntimeError("simulated crash")


def test_snapshot_content_and_rng_states(tmp_path):
    x, y = _xy()
    model = _tiny()
    callback = ResumeFromCrash(tmp_path, keep=3, delete_on_train_end=False)
    states = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            np.random.uniform()  # RNG draws by a later callback are captured
            states[epoch + 1] = (
                _values(self.model.variables),
                _values(self.model.optimizer.variables),
                np.random.get_state(legacy=True),
            )

    model.fit(
        x,
        y,
        batch_size=4,
        epochs=4,
        shuffle=False,
        verbose=0,
        callbacks=[callback, Record()],
    )
    names = sorted(os.listdir(tmp_path))
    assert names == [f"snapshot-00000{i}.npz" for i in (2, 3, 4)]
    for epoch in (2, 3, 4):
        with np.load(tmp_path / f"snapshot-{epoch:06d}.npz") as data:
            meta = json.loads(str(data["meta"][()]))
            assert meta["epoch"] == epoch
            assert len(meta["logs"]) == epoch
            weights, slots, np_state = states[epoch]
            for i, value in enumerate(weights):
                np.testing.assert_array_equal(data[f"model_{i:05d}"], value)
            for i, value in enumerate(slots):
                np.testing.assert_array_equal(data[f"optimizer_{i:05d}"], value)
            np.testing.assert_array_equal(data["rng_numpy_keys"], np_state[1])
            assert meta["numpy_random"]["pos"] == np_state[2]
    assert [entry["loss"] for entry in callback.logs] == pytest.approx(
        model.history.history["loss"], rel=1e-6
    )


def test_restores_python_and_numpy_random_states(tmp_path):
    x, y = _xy()
    try:
        _tiny().fit(
            x,
            y,
            epochs=3,
            shuffle=False,
            verbose=0,
            callbacks=[ResumeFromCrash(tmp_path), _Crash(2)],
        )
    except RuntimeError:
        pass
    import random

    # Draws made at the start of epoch 3 in the interrupted run.
    with np.load(tmp_path / "snapshot-000002.npz") as data:
        meta = json.loads(str(data["meta"][()]))
        keys = data["rng_numpy_keys"]
        py_state = tuple(int(v) for v in data["rng_python_state"])
    npr = meta["numpy_random"]
    np.random.set_state(
        ("MT19937", keys, npr["pos"], npr["has_gauss"], npr["cached_gaussian"])
    )
    random.setstate((meta["python_random"]["version"], py_state, None))
    expected = (np.random.uniform(size=3), random.random())

    seen = {}

    class Draw(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.setdefault(epoch, (np.random.uniform(size=3), random.random()))

    np.random.seed(99)
    random.seed(99)
    resume = ResumeFromCrash(tmp_path)
    _tiny().fit(x, y, epochs=3, shuffle=False, verbose=0, callbacks=[resume, Draw()])
    assert list(seen) == [2]
    np.testing.assert_array_equal(seen[2][0], expected[0])
    assert seen[2][1] == expected[1]
    # Finished normally: the snapshots and the folder are gone.
    assert not tmp_path.exists() or os.listdir(tmp_path) == []


def test_history_spans_the_interruption(tmp_path):
    x, y = _xy()
    with pytest.raises(RuntimeError):
        _tiny().fit(
            x,
            y,
            epochs=5,
            shuffle=False,
            verbose=0,
            callbacks=[ResumeFromCrash(tmp_path), _Crash(3)],
        )
    resume = ResumeFromCrash(tmp_path, verbose=1)
    history = _tiny().fit(x, y, epochs=5, shuffle=False, verbose=0, callbacks=[resume])
    assert resume.initial_epoch == 3
    assert len(resume.logs) == 5
    assert resume.history["loss"][3:] == pytest.approx(
        history.history["loss"], rel=1e-6
    )
    reference = _tiny().fit(x, y, epochs=5, shuffle=False, verbose=0)
    reference = reference.history["loss"]
    assert resume.history["loss"] == pytest.approx(reference, rel=1e-6)


def test_nothing_to_resume_when_already_finished(tmp_path):
    x, y = _xy()
    model = _tiny()
    model.fit(
        x,
        y,
        epochs=2,
        shuffle=False,
        verbose=0,
        callbacks=[ResumeFromCrash(tmp_path, delete_on_train_end=False)],
    )
    again = _tiny()
    resume = ResumeFromCrash(tmp_path)
    history = again.fit(x, y, epochs=2, shuffle=False, verbose=0, callbacks=[resume])
    assert resume.initial_epoch == 2 and history.history == {}
    _assert_same_training_state(again, model)
    assert again._initial_epoch is None
    # Later fits of the same model are not affected.
    assert len(again.fit(x, y, epochs=2, verbose=0).history["loss"]) == 2


def test_arrays_shuffled_by_fit_with_dropout_resume_exactly(tmp_path):
    x, y = _xy()

    def make():
        keras.utils.set_random_seed(7)
        model = keras.Sequential(
            [
                keras.Input((3,)),
                keras.layers.Dense(8, activation="relu"),
                keras.layers.Dropout(0.5),
                keras.layers.Dense(1),
            ]
        )
        model.compile(keras.optimizers.Adam(0.01), loss="mse")
        return model

    args = dict(batch_size=4, epochs=4, shuffle=True, verbose=0)
    with pytest.raises(RuntimeError):
        make().fit(x, y, callbacks=[ResumeFromCrash(tmp_path), _Crash(2)], **args)
    resumed = make()
    resume = ResumeFromCrash(tmp_path)
    resumed.fit(x, y, callbacks=[resume], **args)
    assert resume.initial_epoch == 2
    reference = make()
    reference.fit(x, y, **args)
    _assert_same_training_state(resumed, reference)


def test_model_built_lazily_trains_and_resuming_it_needs_a_built_model(tmp_path):
    class Lazy(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 1))

        def call(self, x):
            return keras.ops.matmul(x, self.w)

    x, y = _xy()

    def make():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([Lazy()])  # no Input: built at the first batch
        model.compile(keras.optimizers.SGD(0.01), loss="mse")
        return model

    # Training a fresh run must not build the optimizer too early.
    with pytest.raises(RuntimeError):
        make().fit(
            x, y, epochs=3, verbose=0, callbacks=[ResumeFromCrash(tmp_path), _Crash(2)]
        )
    model = make()
    if keras.backend.backend() == "tensorflow":
        # TF's fit() creates such variables at the first batch, after
        # on_train_begin: there is nothing to restore into yet.
        with pytest.raises(ValueError, match="call it on a batch"):
            model.fit(x, y, epochs=3, verbose=0, callbacks=[ResumeFromCrash(tmp_path)])
        assert not model.optimizer.built  # the same model can still be used
        model(x[:1])
    resume = ResumeFromCrash(tmp_path)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[resume])
    assert resume.initial_epoch == 2


def test_snapshot_of_another_model_is_rejected(tmp_path):
    x, y = _xy()
    with pytest.raises(RuntimeError):
        _tiny().fit(
            x, y, epochs=3, verbose=0, callbacks=[ResumeFromCrash(tmp_path), _Crash(1)]
        )
    other = _tiny(units=2)
    with pytest.raises(ValueError, match="does not match the model"):
        other.fit(
            x,
            np.repeat(y, 2, axis=1),
            epochs=3,
            verbose=0,
            callbacks=[ResumeFromCrash(tmp_path)],
        )


def test_all_snapshots_unreadable_raises(tmp_path):
    (tmp_path / "snapshot-000001.npz").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "snapshot-000002.npz").write_bytes(b"")
    x, y = _xy()
    with pytest.warns(UserWarning, match="unreadable"):
        with pytest.raises(OSError, match="no readable snapshot"):
            _tiny().fit(
                x, y, epochs=1, verbose=0, callbacks=[ResumeFromCrash(tmp_path)]
            )


def test_stale_temporary_files_are_removed(tmp_path):
    stale = tmp_path / ".snapshot-000003.npz.abcdefgh.dlkit-tmp.npz"
    stale.write_bytes(b"half")
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    x, y = _xy()
    _tiny().fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[ResumeFromCrash(tmp_path, delete_on_train_end=False)],
    )
    assert sorted(os.listdir(tmp_path)) == ["notes.txt", "snapshot-000001.npz"]
    assert zipfile.is_zipfile(tmp_path / "snapshot-000001.npz")


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"directory": ""}, "directory"),
        ({"directory": None}, "directory"),
        ({"keep": 0}, "keep"),
        ({"keep": 1.0}, "keep"),
        ({"delete_on_train_end": "yes"}, "delete_on_train_end"),
        ({"verbose": 2}, "verbose"),
    ],
)
def test_bad_arguments(kwargs, name, tmp_path):
    kwargs = {"directory": str(tmp_path), **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        ResumeFromCrash(**kwargs)


def test_get_config():
    callback = ResumeFromCrash("run", keep=3, delete_on_train_end=False, verbose=1)
    assert ResumeFromCrash(**callback.get_config()).get_config() == {
        "directory": "run",
        "keep": 3,
        "delete_on_train_end": False,
        "verbose": 1,
    }
