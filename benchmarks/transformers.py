"""Transformer family: our GPT-2-style model against keras-hub's ``GPT2CausalLM``.

Two figures in tokens per second, each a ratio ours over keras-hub of the
medians with a 95% bootstrap interval (:func:`_common.bootstrap_interval`),
paired by process, round and step; ``>= 1.00`` means ours is at least as
fast (issue 21's target):

* **Training** (``train/ours`` over ``train/keras_hub``): our
  :func:`keras_dlkit.models.gpt` (pre-norm GPT-2 blocks, causal-LM head
  tied to the token embedding) against keras-hub's ``GPT2CausalLM`` on a
  ``GPT2Backbone`` of the same configuration (``preprocessor=None``; both
  with random weights, nothing downloaded). The parameter counts must
  agree (the script stops otherwise). Both are compiled with the same
  ``AdamW`` and ``SparseCategoricalCrossentropy(from_logits=True)``, no
  metric, ``jit_compile`` left at its default, and trained with
  ``train_on_batch`` on the same batch of ``--batch`` x ``--seq`` random
  token ids (dropout 0.1 on, as both builders default). Each model is
  warmed up first (tracing, compilation; left out), then the rounds
  alternate ours and theirs in ABBA order (:func:`_common.abba`),
  ``--steps`` consecutive steps each; a sample is ``batch * seq`` over one
  step's seconds.
* **Cached generation** (``generate/ours`` over ``generate/keras_hub``):
  :func:`keras_dlkit.models.generate` with ``sampler="greedy"`` against
  ``GPT2CausalLM.generate`` with keras-hub's ``GreedySampler``, on the same
  weights (our model is :func:`keras_dlkit.models.from_keras_hub` of
  keras-hub's backbone) and the same ``--gen-batch`` prompts of
  ``--prompt / 2`` to ``--prompt`` tokens, right-padded, generated to
  ``--max-length`` (no stop token). A sample is the new tokens (``batch *
  max_length`` less the prompts' tokens) over one call's seconds, after one
  warm-up call each (tracing and compilation left out). Ours without the
  cache (``use_cache=False``, the whole buffer re-run every step) is timed
  in the same rounds (``generate/ours_uncached``, compared with
  ``generate/ours``), to show what the cache buys. Greedy decoding is
  deterministic, so the three must return the same tokens: the script
  prints the agreement (``same_tokens`` under ``extra``: keras-hub's tokens
  against ours cached and uncached).

Where a GPU is visible, training runs in ``mixed_bfloat16`` (``--precision``
overrides) and the script reports the model FLOPs utilization of each side,
``6 * params * tokens/s / peak``, with the peak dense bf16 FLOP/s from a
small table of cards (:data:`PEAK_FLOPS`; ``--peak-flops`` overrides). On
a CPU it says MFU is not reported. ``6 * params`` leaves out the attention
scores' FLOPs (about ``12 * layers * hidden * seq`` more per token), so the
figure is a lower bound, comparable between the two sides.

Each part pools ``--processes`` fresh processes (:func:`_common.run_child`;
the odd ones build, warm up and run keras-hub first); the per-process ratios
are printed beside the pooled ones. The last line printed is the result as
JSON (:func:`_common.result_record`; ``unit`` is tokens/s). Run:

    KERAS_BACKEND=tensorflow python benchmarks/transformers.py
    KERAS_BACKEND=jax python benchmarks/transformers.py
    KERAS_BACKEND=jax python benchmarks/transformers.py --size gpt2_small  # a GPU

The defaults (4 layers, 256 wide, 4 heads, vocabulary 8192, batch 8 x 128
tokens) take 2 to 2.5 minutes of CPU time a backend on a 2-core CPU (4 to 9
minutes of wall time where other jobs share it; torch, eager, is slower:
``--rounds 2 --gen-rounds 1 --processes 1`` there); ``--size
gpt2_small`` is GPT-2 small (12 layers, 768 wide, 12 heads, vocabulary
50257, batch 8 x 1024 tokens), for a GPU. ``--quick`` is a smoke run
through every step; its figures mean nothing.
"""

import argparse
import functools
import importlib.util
import os
import shutil
import statistics
import subprocess
import time

import _common
import keras
import numpy as np

PARTS = ("train", "generate")

#: Sizes by name: the flags they set (flags given beside ``--size`` win).
SIZES = {
    "small": dict(
        layers=4, hidden=256, heads=4, vocab=8192, seq=128, batch=8, context=1024
    ),
    "gpt2_small": dict(
        layers=12, hidden=768, heads=12, vocab=50257, seq=1024, batch=8, context=1024
    ),
}

#: Peak dense bf16 FLOP/s (no sparsity) by a name in ``nvidia-smi``'s GPU
#: name; the first match wins, so the more specific names come first.
PEAK_FLOPS = (
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("GH200", 989e12),
    ("H200", 989e12),
    ("H100", 989e12),  # SXM (HBM3)
    ("A100", 312e12),
    ("L40S", 362e12),
    ("A10G", 70e12),
    ("L4", 121e12),
)


# ---------------------------------------------------------------- devices


def gpu_name():
    """The first GPU's name from ``nvidia-smi``, or None."""
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.strip().splitlines()
    return lines[0].strip() if out.returncode == 0 and lines else None


def backend_sees_gpu():
    """Whether the Keras backend of this process places work on a GPU."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.default_backend() == "gpu"
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    return False


def peak_flops(name):
    """The table's peak bf16 FLOP/s for a GPU name, or None."""
    for key, flops in PEAK_FLOPS:
        if name and key.lower() in name.lower():
            return flops
    return None


# ---------------------------------------------------------------- models


def config(args):
    return dict(
        vocabulary_size=args.vocab,
        num_layers=args.layers,
        num_heads=args.heads,
        hidden_dim=args.hidden,
        intermediate_dim=4 * args.hidden,
        max_sequence_length=args.context,
    )


def hub_causal_lm(args):
    """keras-hub's ``GPT2CausalLM`` on a ``GPT2Backbone`` of our configuration."""
    import keras_hub

    backbone = keras_hub.models.GPT2Backbone(**config(args))
    return keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)


def build_trainer(implementation, args):
    """Ours or keras-hub's causal LM, compiled alike."""
    from keras_dlkit.models import gpt

    keras.utils.set_random_seed(0)
    options = {}
    if implementation == "ours":
        network = gpt(**config(args))
    else:
        network = hub_causal_lm(args)
        options["weighted_metrics"] = None  # keras-hub would add an accuracy
    network.compile(
        optimizer=keras.optimizers.AdamW(1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        **options,
    )
    return network


# ---------------------------------------------------------------- training


def timed(call):
    """Wall and CPU seconds of one call (the CPU time of every thread here).

    On a shared machine a process waits for a core: wall time counts the
    wait, CPU time does not (but counts threads spinning while they wait).
    The figures are wall time; CPU time is printed beside them.
    """
    wall, used = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - used


def train_child(args):
    """Warm both models up, alternate their steps; reply with tokens/s samples."""
    gpu = backend_sees_gpu()
    precision = args.precision
    if precision == "auto":
        precision = "mixed_bfloat16" if gpu else "float32"
    keras.config.set_dtype_policy(precision)
    rng = np.random.default_rng(0)
    shape = (args.batch, args.seq)
    x = {
        "token_ids": rng.integers(0, args.vocab, size=shape).astype("int32"),
        "padding_mask": np.ones(shape, "int32"),
    }
    y = rng.integers(0, args.vocab, size=shape).astype("int32")
    order = _common.abba(["train/ours", "train/keras_hub"], args.child_index)
    networks = {key: build_trainer(key.split("/")[1], args) for key in order}
    counts = {key: int(net.count_params()) for key, net in networks.items()}
    if len(set(counts.values())) != 1:
        raise SystemExit(f"the two models differ: parameters {counts}")
    tokens = args.batch * args.seq

    for network in networks.values():
        for _ in range(args.warmup):  # Tracing, compilation.
            network.train_on_batch(x, y)
    samples = {key: [] for key in networks}
    cpu = {key: [] for key in networks}
    for turn in range(args.rounds):
        for key in _common.abba(order, turn):
            step = functools.partial(networks[key].train_on_batch, x, y)
            for _ in range(args.steps):
                wall, used = timed(step)
                samples[key].append(tokens / wall)
                cpu[key].append(tokens / used)
    _common.reply(
        {
            "samples": samples,
            "cpu": cpu,
            "params": counts["train/ours"],
            "gpu": gpu,
            "precision": precision,
        }
    )


# ---------------------------------------------------------------- generation


def prompts(args):
    """``--gen-batch`` prompts of ``--prompt / 2`` to ``--prompt`` random tokens."""
    rng = np.random.default_rng(2)
    low = max(1, args.prompt // 2)
    lengths = rng.integers(low, args.prompt + 1, size=args.gen_batch)
    lengths[0] = args.prompt  # The longest is --prompt.
    return [rng.integers(1, args.vocab, size=n).tolist() for n in lengths]


def padded(rows, length):
    """keras-hub's input without a preprocessor: right-padded to ``length``."""
    ids = np.zeros((len(rows), length), "int32")
    mask = np.zeros((len(rows), length), bool)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = True
    return {"token_ids": ids, "padding_mask": mask}


def generate_child(args):
    """Warm the three up, alternate them; reply with tokens/s and the agreement."""
    import keras_hub

    from keras_dlkit.models import from_keras_hub, generate

    keras.utils.set_random_seed(0)
    hub = hub_causal_lm(args)
    hub.compile(sampler=keras_hub.samplers.GreedySampler())
    ours = from_keras_hub(hub.backbone, head="causal_lm")
    rows = prompts(args)
    buffer = padded(rows, args.max_length)
    new_tokens = args.gen_batch * args.max_length - sum(len(r) for r in rows)

    def run_hub():
        return hub.generate(dict(buffer), stop_token_ids=None)["token_ids"]

    def run_ours(use_cache):
        out = generate(
            ours, rows, args.max_length, sampler="greedy", use_cache=use_cache
        )
        return np.asarray(out["token_ids"])

    calls = {
        "generate/keras_hub": run_hub,
        "generate/ours": lambda: run_ours(True),
        "generate/ours_uncached": lambda: run_ours(False),
    }
    order = list(calls)
    if args.child_index % 2 == 0:  # Odd processes start with keras-hub.
        order = order[1:] + order[:1]
    outputs = {key: np.asarray(calls[key]()) for key in order}  # Warm-up.
    reference = outputs["generate/keras_hub"]
    same = {
        key: bool(np.array_equal(outputs[key], reference))
        for key in ("generate/ours", "generate/ours_uncached")
    }
    samples = {key: [] for key in order}
    cpu = {key: [] for key in order}
    for turn in range(args.gen_rounds):
        for key in _common.abba(order, turn):
            wall, used = timed(calls[key])
            samples[key].append(new_tokens / wall)
            cpu[key].append(new_tokens / used)
    _common.reply(
        {
            "samples": samples,
            "cpu": cpu,
            "same_tokens": same,
            "new_tokens": new_tokens,
        }
    )


# ---------------------------------------------------------------- parent


SHARED = (
    "layers",
    "hidden",
    "heads",
    "vocab",
    "seq",
    "batch",
    "context",
    "steps",
    "warmup",
    "rounds",
    "precision",
    "prompt",
    "max_length",
    "gen_batch",
    "gen_rounds",
)


def parse(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    parser.add_argument(
        "--size",
        choices=sorted(SIZES),
        default="small",
        help="a named size (its flags; flags given beside it win)",
    )
    parser.add_argument("--layers", type=int)
    parser.add_argument("--hidden", type=int)
    parser.add_argument("--heads", type=int)
    parser.add_argument("--vocab", type=int)
    parser.add_argument("--seq", type=int, help="training sequence length")
    parser.add_argument("--batch", type=int, help="training batch size")
    parser.add_argument("--context", type=int, help="max_sequence_length")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--precision",
        default="auto",
        help="training dtype policy; auto: mixed_bfloat16 where a GPU is "
        "visible, else float32",
    )
    parser.add_argument(
        "--peak-flops", type=float, help="the GPU's peak FLOP/s, for the MFU"
    )
    parser.add_argument("--prompt", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--gen-batch", type=int, default=4)
    parser.add_argument("--gen-rounds", type=int, default=2)
    parser.add_argument("--child", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--child-index", type=int, default=0, help=argparse.SUPPRESS)
    args = _common.parse_args(
        parser,
        quick={
            "processes": 1,
            "layers": 1,
            "hidden": 16,
            "heads": 2,
            "vocab": 64,
            "seq": 8,
            "batch": 2,
            "context": 32,
            "steps": 1,
            "warmup": 1,
            "rounds": 2,
            "prompt": 4,
            "max_length": 10,
            "gen_batch": 2,
            "gen_rounds": 2,
        },
        argv=argv,
    )
    for key, value in SIZES[args.size].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for flag in ("processes", "steps", "rounds", "gen_rounds", "layers", "heads"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1")
    if args.hidden % args.heads:
        parser.error(f"--heads ({args.heads}) must divide --hidden ({args.hidden})")
    if not 1 <= args.prompt < args.max_length <= args.context:
        parser.error(
            "need 1 <= --prompt < --max-length <= --context, got "
            f"{args.prompt}, {args.max_length}, {args.context}"
        )
    if args.seq > args.context:
        parser.error(f"--seq ({args.seq}) must be <= --context ({args.context})")
    return args


def main():
    args = parse()
    if importlib.util.find_spec("keras_hub") is None:
        raise SystemExit(
            "benchmarks/transformers.py compares with keras-hub, which is not "
            "installed: pip install keras-dlkit[hub]"
        )
    if args.child == "train":
        return train_child(args)
    if args.child == "generate":
        return generate_child(args)

    backend = keras.backend.backend()
    print(
        f"backend={backend} size={args.size} layers={args.layers} "
        f"hidden={args.hidden} heads={args.heads} vocab={args.vocab} "
        f"processes={args.processes} cpus={os.cpu_count()}"
    )
    samples, anchors, cpu = {}, {}, {}
    extra = {"per_process": {}, "settings": {k: getattr(args, k) for k in SHARED}}
    extra["settings"].update(size=args.size, processes=args.processes)
    pairs = {
        "train": [("train/ours", "train/keras_hub")],
        "generate": [
            ("generate/ours", "generate/keras_hub"),
            ("generate/ours_uncached", "generate/ours"),
        ],
    }
    for part in args.parts:
        runs = [
            _common.run_part(__file__, part, index, args, SHARED)
            for index in range(args.processes)
        ]
        for mine, theirs in pairs[part]:
            for key in (mine, theirs):
                samples[key] = [t for run in runs for t in run["samples"][key]]
                cpu[key] = [t for run in runs for t in run["cpu"][key]]
            anchors[mine] = theirs
            extra["per_process"][f"{mine} vs {theirs}"] = [
                _common.ratio_of_medians(run["samples"][mine], run["samples"][theirs])
                for run in runs
            ]
        if part == "train":
            extra["params"] = runs[0]["params"]
            extra["precision"] = runs[0]["precision"]
            extra["gpu"] = runs[0]["gpu"]
        else:
            extra["new_tokens"] = runs[0]["new_tokens"]
            extra["same_tokens"] = {
                key: all(run["same_tokens"][key] for run in runs)
                for key in runs[0]["same_tokens"]
            }
    if "train" in args.parts:
        name = gpu_name() if extra["gpu"] else None
        peak = args.peak_flops or peak_flops(name)
        if extra["gpu"] and peak:
            extra["peak_flops"] = peak
            extra["mfu"] = {
                key: 6 * extra["params"] * statistics.median(samples[key]) / peak
                for key in ("train/ours", "train/keras_hub")
            }
    ratio, interval = _common.compare(cpu, anchors)
    extra["cpu"] = {
        "medians": {key: statistics.median(values) for key, values in cpu.items()},
        "ratio": ratio,
        "interval": interval,
    }
    record = _common.result_record(
        "transformers", samples, anchors, unit="tokens/s", backend=backend, extra=extra
    )
    for mine, theirs in [pair for part in args.parts for pair in pairs[part]]:
        key = f"{mine} vs {theirs}"
        each = " ".join(f"{r:.3f}" for r in extra["per_process"][key])
        print(
            f"{mine:23s} {record['medians'][mine]:10.1f} tokens/s  "
            f"{theirs:19s} {record['medians'][theirs]:10.1f} tokens/s  "
            f"ratio {_common.format_ratio(record, key)} "
            f"(n={record['n'][mine]}; per process: {each})"
        )
        low, high = extra["cpu"]["interval"][key]
        print(
            f"{'':23s} {extra['cpu']['medians'][mine]:10.1f} per CPU s  "
            f"{'':19s} {extra['cpu']['medians'][theirs]:10.1f} per CPU s  "
            f"ratio {extra['cpu']['ratio'][key]:5.3f} [95%: {low:5.3f}-{high:5.3f}]"
        )
    if "train" in args.parts:
        print(
            f"train: {extra['params']:,} parameters each, batch {args.batch} x "
            f"{args.seq} tokens, AdamW, {extra['precision']}"
        )
        if "mfu" in extra:
            mfu = extra["mfu"]
            print(
                f"MFU ({extra['precision']}, 6 * params * tokens/s over "
                f"{extra['peak_flops']:.3g} FLOP/s): ours "
                f"{100 * mfu['train/ours']:.1f}%, keras-hub "
                f"{100 * mfu['train/keras_hub']:.1f}%"
            )
        elif extra["gpu"]:
            print("MFU not reported: unknown GPU peak (pass --peak-flops)")
        else:
            print("MFU not reported: no GPU visible")
    if "generate" in args.parts:
        same = extra["same_tokens"]
        speedup = 1 / record["ratio"]["generate/ours_uncached vs generate/ours"]
        print(
            f"generate: greedy, {args.gen_batch} prompts of {args.prompt // 2}-"
            f"{args.prompt} tokens to {args.max_length} ({extra['new_tokens']} new "
            f"tokens a call, compilation excluded); cached over uncached "
            f"tokens/s: {speedup:.2f}x; same tokens as "
            f"keras-hub: cached {same['generate/ours']}, uncached "
            f"{same['generate/ours_uncached']}"
        )
    _common.print_result(record)


if __name__ == "__main__":
    main()
