"""Our CNN builders against ``keras.applications``: training-step time and peak memory.

For each pair (our ``resnet50`` against ``keras.applications.ResNet50``, our
``efficientnet_b0`` against ``keras.applications.EfficientNetB0``) both
models are built with random weights for the same input size and classes,
compiled with the same SGD optimizer and loss, and trained with
``train_on_batch`` on the same random batch.

* **Step time**: ``--processes`` fresh processes each hold all the models.
  Each model is warmed up first (tracing and compilation, left out), then
  the rounds alternate ours and theirs, timing ``--steps`` consecutive steps
  each, in the order ours-theirs then theirs-ours (ABBA, :func:`_common.abba`),
  so drift in machine load and the position in a round hit both alike. The
  figure is the median step time over the samples of every process, and the
  ratio ours over theirs of the medians, with a 95% bootstrap interval
  paired by process, round and step (:func:`_common.bootstrap_interval`).
  One process alone is not enough: a
  ratio measured in one process moves by a few percent from process to
  process (where the allocator happens to place each model's buffers), so
  the per-process ratios are printed beside the pooled one.
* **Peak memory**: one fresh subprocess per model builds it, compiles and
  warms it up (``--warmup`` steps), then resets the kernel's resident-set
  high-water mark (``VmHWM``, through ``/proc/self/clear_refs``) and trains
  ``--steps`` steps. The figure is that high-water mark: the peak resident
  memory of the process while it takes training steps, model, optimizer
  state and the framework's native buffers included (``tracemalloc`` does
  not see TensorFlow's or JAX's). The one-time work before it is printed
  beside it: the high-water mark of building, compiling and warming up,
  which on JAX also holds the compiled executables of every initializer
  shape. Linux reports kilobytes.

Every child is run by :func:`_common.run_child` and replies with one JSON
line. The last line printed is the result as JSON
(:func:`_common.result_record`; the memory figures under ``extra``). Run:

    KERAS_BACKEND=tensorflow python benchmarks/cnn_vs_keras_applications.py --rounds 5
    KERAS_BACKEND=jax python benchmarks/cnn_vs_keras_applications.py --rounds 5

Target (issue 4): ratios <= 1.00.
"""

import argparse
import gc
import os
import statistics

import _common
import keras
import numpy as np

import keras_dlkit.models as ours

PAIRS = {
    "resnet50": ("resnet50", "ResNet50"),
    "efficientnet_b0": ("efficientnet_b0", "EfficientNetB0"),
}


def build(model, implementation, args):
    """One model of a pair, compiled; ``implementation`` is 'ours' or 'keras'."""
    keras.utils.set_random_seed(0)
    mine, theirs = PAIRS[model]
    shape = (args.size, args.size, 3)
    if implementation == "ours":
        network = getattr(ours, mine)(input_shape=shape, num_classes=args.classes)
    else:
        network = getattr(keras.applications, theirs)(
            weights=None, input_shape=shape, classes=args.classes
        )
    network.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
        loss="sparse_categorical_crossentropy",
    )
    return network


def batch(args):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(args.batch_size, args.size, args.size, 3))
    y = rng.integers(0, args.classes, size=(args.batch_size,))
    return x.astype("float32"), y


def timed_steps(network, data, steps):
    x, y = data
    return _common.time_steps(lambda: network.train_on_batch(x, y), steps)


def child(args):
    """Build one model, warm it up, train; print the memory figures as JSON."""
    base = _common.rss_kb()
    network = build(args.child_model, args.child_impl, args)
    data = batch(args)
    timed_steps(network, data, args.warmup)
    gc.collect()
    # VmHWM, the high-water mark of this process image (see _common.peak_kb).
    setup_peak = _common.peak_kb()
    if not _common.reset_peak():
        raise SystemExit("cannot reset VmHWM through /proc/self/clear_refs")
    timed_steps(network, data, args.steps)
    _common.reply(
        {
            "base_kb": base,
            "setup_peak_kb": setup_peak,
            "step_peak_kb": _common.peak_kb(),
        }
    )


def timing_child(args):
    """Build every model, warm it up, time the rounds; print the samples as JSON."""
    data = batch(args)
    networks = {}
    for model in args.models:
        for implementation in ("ours", "keras"):
            network = build(model, implementation, args)
            timed_steps(network, data, args.warmup)  # Tracing, compilation.
            networks[f"{model}/{implementation}"] = network
    samples = {key: [] for key in networks}
    order = list(networks)
    for round_index in range(args.rounds):
        for key in _common.abba(order, round_index):
            samples[key] += timed_steps(networks[key], data, args.steps)
    _common.reply(samples)


def timing(models, args):
    """Samples of every model, from ``--processes`` fresh processes."""
    flags = ["--child-timing", "--models", *models, f"--rounds={args.rounds}"]
    return [run_child(flags, args) for _ in range(args.processes)]


def memory(model, implementation, args):
    return run_child(["--child-model", model, "--child-impl", implementation], args)


def run_child(flags, args):
    """Run this script in a fresh process with ``flags``; its JSON reply."""
    shared = [f"--{k.replace('_', '-')}={v}" for k, v in _shared(args).items()]
    return _common.run_child(_common.script_command(__file__, *flags, *shared))


def _shared(args):
    return {
        "size": args.size,
        "batch_size": args.batch_size,
        "classes": args.classes,
        "steps": args.steps,
        "warmup": args.warmup,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", default=list(PAIRS), choices=PAIRS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--child-timing", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-model", help=argparse.SUPPRESS)
    parser.add_argument("--child-impl", help=argparse.SUPPRESS)
    args = _common.parse_args(
        parser,
        quick={
            "models": ["resnet50"],
            "processes": 1,
            "rounds": 1,
            "steps": 1,
            "warmup": 1,
            "batch_size": 2,
            "size": 32,
            "classes": 10,
        },
    )
    if args.child_model:
        return child(args)
    if args.child_timing:
        return timing_child(args)
    if args.rounds < 1 or args.steps < 1 or args.processes < 1:
        parser.error("--rounds, --steps and --processes must be >= 1")
    models = [m for m in args.models if hasattr(ours, PAIRS[m][0])]
    missing = sorted(set(args.models) - set(models))
    runs = timing(models, args)
    print(
        f"backend={keras.backend.backend()} processes={args.processes} "
        f"rounds={args.rounds} steps={args.steps} "
        f"warmup={args.warmup} batch={args.batch_size} input={args.size}x"
        f"{args.size}x3 classes={args.classes} cpus={os.cpu_count()}"
    )
    if missing:
        print(f"skipped (no builder yet): {missing}")
    n = args.processes * args.rounds * args.steps
    samples, anchors, extra = {}, {}, {"per_process": {}, "peak_mb": {}}
    for model in models:
        pooled = {
            impl: [t for run in runs for t in run[f"{model}/{impl}"]]
            for impl in ("ours", "keras")
        }
        samples[f"{model}/ours"] = pooled["ours"]
        samples[f"{model}/keras"] = pooled["keras"]
        anchors[f"{model}/ours"] = f"{model}/keras"
        medians = {impl: statistics.median(pooled[impl]) for impl in pooled}
        per_process = [
            _common.ratio_of_medians(run[f"{model}/ours"], run[f"{model}/keras"])
            for run in runs
        ]
        extra["per_process"][model] = per_process
        each = " ".join(f"{ratio:.3f}" for ratio in per_process)
        low, high = _common.bootstrap_interval(pooled["ours"], pooled["keras"])
        print(
            f"{model:16s} step  ours {1000 * medians['ours']:8.1f} ms  keras "
            f"{1000 * medians['keras']:8.1f} ms  ratio "
            f"{medians['ours'] / medians['keras']:5.3f} [95%: {low:5.3f}-{high:5.3f}]"
            f" (n={n}; per process: {each})"
        )
        if args.no_memory:
            continue
        figures = {impl: memory(model, impl, args) for impl in ("ours", "keras")}
        mb = {
            key: {impl: figures[impl][f"{key}_kb"] / 1024 for impl in figures}
            for key in ("step_peak", "setup_peak", "base")
        }
        extra["peak_mb"][model] = mb
        step, setup = mb["step_peak"], mb["setup_peak"]
        print(
            f"{model:16s} peak  ours {step['ours']:8.0f} MB  keras "
            f"{step['keras']:8.0f} MB  ratio {step['ours'] / step['keras']:5.3f}"
            f"   (build+compile+warm-up: ours {setup['ours']:6.0f} MB keras "
            f"{setup['keras']:6.0f} MB ratio {setup['ours'] / setup['keras']:5.3f};"
            f" before building {mb['base']['ours']:.0f} / {mb['base']['keras']:.0f} MB)"
        )
    extra["settings"] = _shared(args) | {
        "processes": args.processes,
        "rounds": args.rounds,
    }
    _common.print_result(
        _common.result_record(
            "cnn_vs_keras_applications",
            samples,
            anchors,
            backend=keras.backend.backend(),
            extra=extra,
        )
    )


if __name__ == "__main__":
    main()
