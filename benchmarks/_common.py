"""The method every benchmark shares: timers, A/B alternation, ratios, isolation.

A benchmark here compares a configuration of ours with an anchor (plain
Keras, ``keras.applications``, a hand-written loop, ``import keras``) on the
same machine in the same run, and reports the ratio of their median times.
Machines are noisy, so the method is built against drift and outliers:

* **Timers** (:func:`time_steps`, :class:`Stopwatch`, and for ``fit()`` the
  Keras callbacks :class:`StepTimer` and :class:`EpochTimer`): wall time by
  :func:`time.perf_counter`, with warm-up calls (tracing, compilation, cold
  caches) run first and left out.
* **A/B alternation** (:func:`abba`): configurations take turns in the order
  A-B, B-A, A-B, ..., so that a machine whose speed drifts, and the position
  of a configuration within a turn, hit each alike.
* **Ratio of medians** (:func:`ratio_of_medians`) with a **paired bootstrap
  interval** (:func:`bootstrap_interval`): the i-th sample of each
  configuration come from the same turn, so they are resampled together;
  the interval says whether the run can tell the ratio from its target.
* **Process isolation** (:func:`run_child`, :func:`reply`): a configuration
  or a round can run in a fresh interpreter that prints one JSON line last;
  the parent reads it back.
* **Peak memory** (:func:`status_kb`, :func:`reset_peak`): the kernel's
  resident-set high-water mark (``VmHWM``), which sees the frameworks'
  native buffers that ``tracemalloc`` does not.
* **The result line** (:func:`result_record`, :func:`print_result`,
  :func:`parse_result`): every benchmark prints one JSON object last, with
  the same keys (:data:`RESULT_KEYS`), so runs can be collected and compared.

This module imports only the standard library and NumPy (Keras is imported
when a Keras callback is first used), so that ``import_time.py`` and the
unit tests stay light. Scripts import it as ``_common`` (their own folder
is first on ``sys.path`` when run as ``python benchmarks/<script>.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

# ---------------------------------------------------------------- timers


def time_steps(step: Callable[[], Any], steps: int, warmup: int = 0) -> list[float]:
    """Seconds of each of ``steps`` calls of ``step``, after ``warmup`` calls.

    The warm-up calls (tracing, compilation, first allocations) run first and
    are not returned. ``step`` must return only when its work is done (for a
    training step: ``train_on_batch``, which returns the losses as NumPy).
    """
    if steps < 0 or warmup < 0:
        raise ValueError(
            f"`steps` and `warmup` must be >= 0, got steps={steps}, warmup={warmup}"
        )
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


class Stopwatch:
    """Wall time by :func:`time.perf_counter`, in ``seconds`` once stopped.

    Use it as ``with Stopwatch() as watch: ...`` or ``watch = Stopwatch().start()``
    ... ``watch.stop()`` (which also returns the seconds).
    """

    def __init__(self):
        self.seconds = 0.0
        self._start = None

    def start(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def stop(self) -> float:
        if self._start is None:
            raise RuntimeError("the stopwatch was stopped before it was started")
        self.seconds = time.perf_counter() - self._start
        return self.seconds

    def __enter__(self) -> Stopwatch:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def time_process(command: Sequence[str], env: Mapping[str, str] | None = None) -> float:
    """Wall seconds of one run of ``command`` in a fresh process; it must succeed."""
    with Stopwatch() as watch:
        subprocess.run(list(command), check=True, env=dict(env or os.environ))
    return watch.seconds


def drop_warmup(samples: Sequence[float], count: int = 1) -> list[float]:
    """``samples`` without the first ``count`` (the epochs that traced and compiled)."""
    if len(samples) <= count:
        raise ValueError(
            f"need more than {count} samples to leave {count} out, got {len(samples)}"
        )
    return list(samples[count:])


def _keras_timers():
    """Define the Keras callbacks on first use, so importing this module stays light."""
    import keras

    class StepTimer(keras.callbacks.Callback):
        """Per-epoch step time: the median training step plus the epoch's other work.

        Each training step is timed from ``on_train_batch_begin`` to
        ``on_train_batch_end``. Overriding the batch-end hook makes Keras hand
        this callback the step's logs as Python floats, so the step has
        finished on every backend when it is timed (the same synchronisation
        ``fit``'s default progress bar, ``verbose=1``, does each step). An
        epoch may take several ``fit`` calls (a benchmark that alternates
        configurations segment by segment); the caller closes it with
        :meth:`close_epoch`. Its sample is the median of its steps plus,
        spread over them, the rest of its ``fit`` calls' epochs: the time
        between steps, validation and the epoch-end work of the callbacks
        placed before this one. The median keeps a burst of load from
        another process out of the figure; the rest keeps every cost of the
        configuration in it. ``times`` holds the samples, ``parts`` the
        (median step, rest per step) of each.
        """

        def __init__(self):
            super().__init__()
            self.times = []
            self.parts = []
            self._steps = []
            self._rest = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._call_start = time.perf_counter()
            self._call_steps = 0.0

        def on_train_batch_begin(self, batch, logs=None):
            self._step_start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            step = time.perf_counter() - self._step_start
            self._steps.append(step)
            self._call_steps += step

        def on_epoch_end(self, epoch, logs=None):
            total = time.perf_counter() - self._call_start
            self._rest += total - self._call_steps

        def close_epoch(self):
            """Record the epoch's sample; the next ``fit`` call starts a new one."""
            median = statistics.median(self._steps)
            spread = self._rest / len(self._steps)
            self.parts.append((median, spread))
            self.times.append(median + spread)
            self._steps = []
            self._rest = 0.0

    class EpochTimer(keras.callbacks.Callback):
        """Wall time of each epoch, from its start to the end of its callbacks."""

        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._start)

    return {"StepTimer": StepTimer, "EpochTimer": EpochTimer}


_LAZY: dict[str, type] = {}


def __getattr__(name: str):
    if name in ("StepTimer", "EpochTimer"):
        if not _LAZY:
            _LAZY.update(_keras_timers())
        return _LAZY[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------- alternation


def abba(configs: Sequence[str], turn: int) -> list[str]:
    """The order of ``configs`` in turn ``turn``: as given when even, reversed when odd.

    Turns 0, 1, 2, 3 of ``("A", "B")`` give A-B, B-A, A-B, B-A: each
    configuration runs first as often as second, and two neighbouring turns
    are symmetric about their middle, so a linear drift in machine speed
    costs each configuration alike.
    """
    if turn < 0:
        raise ValueError(f"`turn` must be >= 0, got {turn}")
    order = list(configs)
    return order[::-1] if turn % 2 else order


def abba_schedule(configs: Sequence[str], turns: int) -> list[str]:
    """Every turn of :func:`abba`, flattened: the order configurations run in."""
    return [config for turn in range(turns) for config in abba(configs, turn)]


# ---------------------------------------------------------------- ratios


def ratio_of_medians(values: Sequence[float], anchor: Sequence[float]) -> float:
    """``median(values) / median(anchor)``."""
    if len(values) == 0 or len(anchor) == 0:
        raise ValueError(
            f"need samples on both sides, got {len(values)} and {len(anchor)}"
        )
    return float(np.median(values) / np.median(anchor))


def bootstrap_interval(
    values: Sequence[float],
    anchor: Sequence[float],
    *,
    paired: bool = True,
    resamples: int = 4000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """A bootstrap interval for :func:`ratio_of_medians` (percentile method).

    With ``paired`` (the default), ``values[i]`` and ``anchor[i]`` come from
    the same turn (the same round, epoch or segment of an A/B alternation),
    so they are resampled together: the interval is what the machine's
    drift and noise leave of the figure. Without it (samples from separate
    processes or runs), each side is resampled on its own. Where the
    interval straddles a target, the run cannot tell which side the true
    ratio is on; more rounds narrow it. The same ``seed`` gives the same
    interval.
    """
    values = np.asarray(values, dtype=float)
    anchor = np.asarray(anchor, dtype=float)
    if len(values) == 0 or len(anchor) == 0:
        raise ValueError(
            f"need samples on both sides, got {len(values)} and {len(anchor)}"
        )
    if paired and len(values) != len(anchor):
        raise ValueError(
            "paired samples must be as many on each side, got "
            f"{len(values)} and {len(anchor)}; pass paired=False"
        )
    if not 0 < level < 1:
        raise ValueError(f"`level` must be in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), size=(resamples, len(values)))
    if paired:
        anchor_picks = picks
    else:
        anchor_picks = rng.integers(0, len(anchor), size=(resamples, len(anchor)))
    ratios = np.median(values[picks], axis=1) / np.median(anchor[anchor_picks], axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(low), float(high)


def compare(
    samples: Mapping[str, Sequence[float]],
    anchor: str | Mapping[str, str],
    *,
    paired: bool = True,
) -> tuple[dict, dict]:
    """Ratio of medians and bootstrap interval of each configuration to its anchor.

    ``anchor`` is one configuration (every other is compared with it) or a
    mapping from each compared configuration to its own anchor (a benchmark
    of several pairs). Returns ``(ratio, interval)``, both keyed
    ``"<config> vs <anchor>"``; a pair with no samples on a side is left out.
    """
    if isinstance(anchor, str):
        if anchor not in samples:
            raise ValueError(f"`anchor` must be one of {list(samples)}, got {anchor!r}")
        pairs = {config: anchor for config in samples if config != anchor}
    else:
        pairs = dict(anchor)
        unknown = sorted({*pairs, *pairs.values()} - set(samples))
        if unknown:
            raise ValueError(
                f"`anchor` names configurations without samples: {unknown}"
            )
    ratio, interval = {}, {}
    for config, base in pairs.items():
        if len(samples[config]) == 0 or len(samples[base]) == 0:
            continue
        key = f"{config} vs {base}"
        ratio[key] = ratio_of_medians(samples[config], samples[base])
        interval[key] = list(
            bootstrap_interval(samples[config], samples[base], paired=paired)
        )
    return ratio, interval


# ---------------------------------------------------------------- isolation


class ChildError(RuntimeError):
    """A child process failed or printed no JSON line; holds its output's tail."""


def script_command(script: str, *flags: str) -> list[str]:
    """``[python, script, *flags]`` with this interpreter."""
    return [sys.executable, os.path.abspath(script), *flags]


def run_part(script: str, part: str, index: int, args: Any, keys: Sequence[str]) -> Any:
    """Run ``part`` of ``script`` in a fresh process (:func:`run_child`).

    The child gets ``--child=part``, ``--child-index=index`` and, for each
    of ``keys``, ``args``' value as ``--key-name=value``.
    """
    flags = [f"--{key.replace('_', '-')}={getattr(args, key)}" for key in keys]
    return run_child(
        script_command(script, f"--child={part}", f"--child-index={index}", *flags)
    )


def run_child(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Any:
    """Run ``command`` in a fresh process; return its last stdout line, parsed as JSON.

    The child reports with :func:`reply`. Raises :class:`ChildError` (with the
    tail of its stderr) when it exits with an error, runs past ``timeout``
    or prints no JSON last.
    """
    try:
        out = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            env=dict(env or os.environ),
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as error:
        raise ChildError(f"{shlex.join(command)} ran past {timeout} s") from error
    if out.returncode != 0:
        raise ChildError(
            f"{shlex.join(command)} exited with {out.returncode}:\n"
            + "\n".join(out.stderr.strip().splitlines()[-15:])
        )
    lines = out.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as error:
        raise ChildError(
            f"{shlex.join(command)} printed no JSON line last: "
            f"{lines[-1] if lines else '(nothing)'}"
        ) from error


def reply(payload: Any) -> None:
    """The child's side of :func:`run_child`: ``payload`` as one JSON line."""
    print(json.dumps(payload), flush=True)


# ---------------------------------------------------------------- memory


def status_kb(field: str) -> int:
    """A ``/proc/self/status`` figure in kB (``VmRSS``, ``VmHWM``); 0 where absent."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb() -> int:
    """The process's resident set now, in kB."""
    return status_kb("VmRSS")


def peak_kb() -> int:
    """The process's resident-set high-water mark (``VmHWM``) in kB.

    Not ``ru_maxrss``: Linux carries that over ``fork`` and ``exec``, so a
    child would report its parent's size whenever the parent is larger.
    """
    return status_kb("VmHWM")


def reset_peak() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux 4.0+); False where refused."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


# ---------------------------------------------------------------- the result line

#: The keys of every benchmark's result line, in order.
RESULT_KEYS = (
    "benchmark",
    "backend",
    "device",
    "configs",
    "medians",
    "unit",
    "n",
    "ratio",
    "interval",
    "command",
    "extra",
)


def describe_device() -> str:
    """The GPU (``nvidia-smi -L``'s first line), else the CPU model and cores."""
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20
            )
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError):
            pass
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"cpu: {model} ({os.cpu_count()} cores)"


def command_line(argv: Sequence[str] | None = None) -> str:
    """The shell command that reruns this benchmark, with the backend in front."""
    argv = list(sys.argv if argv is None else argv)
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    return f"KERAS_BACKEND={backend} python {shlex.join(argv)}"


def result_record(
    benchmark: str,
    samples: Mapping[str, Sequence[float]],
    anchor: str | Mapping[str, str],
    *,
    paired: bool = True,
    unit: str = "s",
    backend: str | None = None,
    device: str | None = None,
    command: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict:
    """The result line of a benchmark, from each configuration's samples.

    ``medians`` and ``n`` are keyed by configuration; ``ratio`` and
    ``interval`` (see :func:`compare`, which takes ``anchor`` and
    ``paired``) by ``"<config> vs <anchor>"``.
    Configurations without samples are listed with a ``None`` median.
    ``extra`` holds what a benchmark measures beside the timed ratio (peak
    memory, per-process ratios).
    """
    ratio, interval = compare(samples, anchor, paired=paired)
    return {
        "benchmark": benchmark,
        "backend": backend or os.environ.get("KERAS_BACKEND", "tensorflow"),
        "device": device or describe_device(),
        "configs": list(samples),
        "medians": {
            config: float(np.median(values)) if len(values) else None
            for config, values in samples.items()
        },
        "unit": unit,
        "n": {config: len(values) for config, values in samples.items()},
        "ratio": ratio,
        "interval": interval,
        "command": command or command_line(),
        "extra": dict(extra or {}),
    }


def print_result(record: Mapping[str, Any]) -> None:
    """Print ``record`` as the benchmark's last line: one JSON object."""
    missing = [key for key in RESULT_KEYS if key not in record]
    if missing:
        raise ValueError(f"the result line lacks {missing}")
    print(json.dumps({key: record[key] for key in RESULT_KEYS}), flush=True)


def parse_result(text: str) -> dict | None:
    """The last result line in ``text`` (a benchmark's output), or None."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and all(key in record for key in RESULT_KEYS):
            return record
    return None


def format_ratio(record: Mapping[str, Any], key: str) -> str:
    """``1.031 [95%: 0.992-1.070]`` for one ratio of a result line."""
    low, high = record["interval"][key]
    return f"{record['ratio'][key]:5.3f} [95%: {low:5.3f}-{high:5.3f}]"


# ---------------------------------------------------------------- arguments


def parse_args(
    parser: argparse.ArgumentParser,
    quick: Mapping[str, Any],
    argv: Iterable[str] | None = None,
) -> argparse.Namespace:
    """Parse with a ``--quick`` flag that sets ``quick`` as the defaults.

    ``--quick`` is the smallest run that still goes through every step (for
    a smoke test, not a figure); flags given beside it still win.
    """
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the smallest run through every step, to check the script "
        "(its figures mean nothing); other flags still apply",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    known, _ = parser.parse_known_args(argv)
    if known.quick:
        parser.set_defaults(**quick)
    return parser.parse_args(argv)
