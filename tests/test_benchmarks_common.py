"""The benchmarks' shared method (``benchmarks/_common.py``): its pure functions.

Fast: no model is built or trained; the one child process is a bare Python.
"""

import importlib.util
import json
import os
import sys

import numpy as np
import pytest

_PATH = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", "_common.py")


def _load():
    spec = importlib.util.spec_from_file_location("_common", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


common = _load()


def test_ratio_of_medians_on_known_arrays():
    # Medians 3 (odd count) and 2.5 (even count: the mean of the middle two).
    assert common.ratio_of_medians([5, 1, 3], [4, 1, 2, 3]) == pytest.approx(1.2)
    assert common.ratio_of_medians([2.0, 2.0], [1.0, 100.0]) == pytest.approx(
        2.0 / 50.5
    )
    with pytest.raises(ValueError, match="both sides"):
        common.ratio_of_medians([], [1.0])


def _paired_samples(ratio, n, seed):
    """Anchor times that drift and jitter, and ``ratio`` times them, jittered."""
    rng = np.random.default_rng(seed)
    drift = np.linspace(1.0, 1.5, n)  # the machine slows down through the run
    anchor = 0.010 * drift * rng.lognormal(0.0, 0.05, n)
    values = ratio * 0.010 * drift * rng.lognormal(0.0, 0.05, n)
    return values, anchor


def test_bootstrap_interval_contains_the_true_ratio():
    values, anchor = _paired_samples(1.10, n=40, seed=1)
    low, high = common.bootstrap_interval(values, anchor)
    assert low < 1.10 < high
    assert low <= common.ratio_of_medians(values, anchor) <= high
    # Narrow enough to tell 1.10 from 1.00 with 40 pairs at 5% jitter.
    assert low > 1.0
    assert high - low < 0.15


def test_bootstrap_interval_is_deterministic_for_a_seed():
    values, anchor = _paired_samples(1.05, n=20, seed=2)
    first = common.bootstrap_interval(values, anchor, seed=7)
    assert common.bootstrap_interval(values, anchor, seed=7) == first
    assert common.bootstrap_interval(values, anchor, seed=8) != first


def test_bootstrap_interval_of_identical_pairs_is_a_point():
    values = [1.0, 2.0, 3.0, 4.0]
    anchor = [0.5, 1.0, 1.5, 2.0]
    assert common.bootstrap_interval(values, anchor) == (2.0, 2.0)


def test_pairing_removes_the_shared_drift():
    # Each pair shares its turn's drift: resampled as pairs, the drift cancels.
    values, anchor = _paired_samples(1.10, n=30, seed=3)
    low, high = common.bootstrap_interval(values, anchor, paired=True)
    low_u, high_u = common.bootstrap_interval(values, anchor, paired=False)
    assert high - low < high_u - low_u


def test_bootstrap_interval_rejects_bad_input():
    with pytest.raises(ValueError, match="paired=False"):
        common.bootstrap_interval([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="level"):
        common.bootstrap_interval([1.0], [1.0], level=1.5)
    # Unpaired samples may differ in count.
    low, high = common.bootstrap_interval([2.0, 2.0, 2.0], [1.0], paired=False)
    assert (low, high) == (2.0, 2.0)


def test_abba_order():
    assert [common.abba("AB", turn) for turn in range(4)] == [
        ["A", "B"],
        ["B", "A"],
        ["A", "B"],
        ["B", "A"],
    ]
    assert common.abba_schedule(["A", "B"], 4) == list("ABBAABBA")
    assert common.abba_schedule(["x", "y", "z"], 2) == ["x", "y", "z", "z", "y", "x"]
    # Each configuration runs first and last equally often over an even count.
    schedule = common.abba_schedule(["A", "B"], 6)
    positions = {c: [i % 2 for i, x in enumerate(schedule) if x == c] for c in "AB"}
    assert sum(positions["A"]) == sum(positions["B"]) == 3
    with pytest.raises(ValueError, match="turn"):
        common.abba("AB", -1)


def test_time_steps_leaves_the_warmup_out():
    calls = []
    times = common.time_steps(lambda: calls.append(1), steps=3, warmup=2)
    assert len(calls) == 5
    assert len(times) == 3
    assert all(t >= 0 for t in times)
    assert common.drop_warmup([9.0, 1.0, 2.0]) == [1.0, 2.0]
    with pytest.raises(ValueError, match="more than 1"):
        common.drop_warmup([9.0])


def test_compare_with_one_anchor_and_with_pairs():
    samples = {"plain": [1.0, 1.0, 1.0], "a": [2.0, 2.0, 2.0], "b": [3.0, 3.0, 3.0]}
    ratio, interval = common.compare(samples, "plain")
    assert ratio == {"a vs plain": 2.0, "b vs plain": 3.0}
    assert interval["b vs plain"] == [3.0, 3.0]
    ratio, _ = common.compare(samples, {"b": "a"})
    assert ratio == {"b vs a": 1.5}
    with pytest.raises(ValueError, match="anchor"):
        common.compare(samples, "missing")
    with pytest.raises(ValueError, match="missing"):
        common.compare(samples, {"a": "missing"})


def test_result_line_round_trips(capsys):
    samples = {"plain": [0.010, 0.011, 0.012], "toolkit": [0.011, 0.012, 0.013]}
    record = common.result_record(
        "demo",
        samples,
        "plain",
        backend="jax",
        device="cpu: test",
        command="KERAS_BACKEND=jax python benchmarks/demo.py",
        extra={"settings": {"epochs": 2}},
    )
    assert tuple(record) == common.RESULT_KEYS
    assert record["medians"] == {"plain": 0.011, "toolkit": 0.012}
    assert record["n"] == {"plain": 3, "toolkit": 3}
    assert record["ratio"]["toolkit vs plain"] == pytest.approx(0.012 / 0.011)
    print("backend=jax some human-readable lines")
    common.print_result(record)
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    assert json.loads(last) == record  # one JSON object, the last line
    assert common.parse_result(out) == record
    assert common.parse_result("no result here\n{not json") is None
    text = common.format_ratio(record, "toolkit vs plain")
    assert text.startswith(f"{0.012 / 0.011:5.3f} [95%: ")
    with pytest.raises(ValueError, match="lacks"):
        common.print_result({"benchmark": "demo"})


def test_result_line_defaults_name_the_backend_device_and_command(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.setattr(sys, "argv", ["benchmarks/demo.py", "--rounds", "2"])
    record = common.result_record("demo", {"a": [1.0], "b": [2.0]}, "a")
    assert record["backend"] == "torch"
    assert record["device"]
    assert (
        record["command"] == "KERAS_BACKEND=torch python benchmarks/demo.py --rounds 2"
    )
    assert record["medians"]["b"] == 2.0


def test_parse_args_quick_sets_defaults_that_flags_override():
    import argparse

    def parser():
        p = argparse.ArgumentParser()
        p.add_argument("--rounds", type=int, default=5)
        p.add_argument("--epochs", type=int, default=3)
        return p

    args = common.parse_args(parser(), {"rounds": 1, "epochs": 2}, [])
    assert (args.rounds, args.epochs, args.quick) == (5, 3, False)
    args = common.parse_args(parser(), {"rounds": 1, "epochs": 2}, ["--quick"])
    assert (args.rounds, args.epochs) == (1, 2)
    args = common.parse_args(
        parser(), {"rounds": 1, "epochs": 2}, ["--quick", "--epochs", "4"]
    )
    assert (args.rounds, args.epochs) == (1, 4)


def test_run_child_reads_the_last_json_line():
    code = "print('chatter'); print('{\"x\": [1, 2]}')"
    assert common.run_child([sys.executable, "-c", code]) == {"x": [1, 2]}
    with pytest.raises(common.ChildError, match="no JSON"):
        common.run_child([sys.executable, "-c", "print('no json')"])
    with pytest.raises(common.ChildError, match="exited with 3"):
        common.run_child([sys.executable, "-c", "import sys; sys.exit(3)"])


def test_peak_memory_reads_the_kernel():
    if not os.path.exists("/proc/self/status"):
        pytest.skip("no /proc (not Linux)")
    rss, peak = common.rss_kb(), common.peak_kb()
    assert 0 < rss <= peak
