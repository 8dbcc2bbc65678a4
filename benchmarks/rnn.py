"""RNN family: our stacked LSTM against plain Keras, and generation with a cached state.

Two figures, each a ratio of medians with a 95% bootstrap interval
(:func:`_common.bootstrap_interval`), paired by process, round and step:

* **Training step** (``step/ours`` over ``step/keras``): our
  :func:`keras_dlkit.models.rnn_classifier` with ``cell="lstm", depth=2``
  against the same stack written in plain Keras,
  ``Embedding(mask_zero=True) -> LSTM(return_sequences=True) -> LSTM ->
  Dense(softmax)``, both with random weights, the same Adam optimizer and
  loss, trained with ``train_on_batch`` on the same batch of right-padded
  token ids (lengths drawn between a quarter of ``--length`` and all of it,
  zeros after the tokens). The parameter counts must agree (the script
  stops otherwise). Each model is warmed up first (tracing, compilation;
  left out), then the rounds alternate ours and theirs in ABBA order
  (:func:`_common.abba`), ``--steps`` consecutive steps each. Target:
  ratio <= 1.00 (the same layers).
* **Generation** (``generate/cached`` over ``generate/uncached``): seconds
  per generated token (``--new-tokens`` greedy tokens after a
  ``--prompt``-token prompt, ``--gen-batch`` sequences at once) of
  :func:`keras_dlkit.models.rnn_generate` on a
  :func:`keras_dlkit.models.rnn_language_model` (LSTM, ``depth=2``), with
  the recurrent state carried from step to step (``use_cache=True``: one
  step of the stack per token) against re-running the whole prefix every
  step (``use_cache=False``: ``prompt + t`` steps for token ``t``). Rounds
  alternate the two in ABBA order after one warm-up call each. Both decode
  greedily, so they must return the same tokens (checked: ``same_tokens``
  under ``extra``). The result line's ``extra.tokens_per_s`` holds the
  throughput, ``--gen-batch`` over the median seconds per token. Expected:
  well below 1, falling as prompt and generation grow.

Each figure pools ``--processes`` fresh processes (:func:`_common.run_child`),
one for the training steps and one for generation each (the odd ones build,
warm up and run the anchor first, so no side always goes first); the
per-process ratios are printed beside the pooled one. The last line printed is the
result as JSON (:func:`_common.result_record`; ``unit`` is seconds, per
training step for ``step/*`` and per generated token for ``generate/*``).
Run:

    KERAS_BACKEND=tensorflow python benchmarks/rnn.py
    KERAS_BACKEND=jax python benchmarks/rnn.py

``--quick`` is a smoke run through every step; its figures mean nothing.
On a 2-core CPU the default run takes about 10 minutes a backend, most of
it re-running prefixes (``--parts step`` or ``--parts generate`` runs one
figure).
"""

import argparse
import os
import statistics

import _common
import keras
import numpy as np

import keras_dlkit.models as models

PARTS = ("step", "generate")


# ---------------------------------------------------------------- training step


def build_classifier(implementation, args):
    """Our classifier or the plain-Keras stack, compiled; the same layers."""
    keras.utils.set_random_seed(0)
    if implementation == "ours":
        network = models.rnn_classifier(
            args.vocabulary,
            num_classes=args.classes,
            cell="lstm",
            units=args.units,
            depth=2,
            embedding_dim=args.embedding,
        )
    else:
        inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        x = keras.layers.Embedding(
            args.vocabulary, args.embedding, mask_zero=True, name="embedding"
        )(inputs)
        x = keras.layers.LSTM(args.units, return_sequences=True, name="lstm_0")(x)
        x = keras.layers.LSTM(args.units, name="lstm_1")(x)
        outputs = keras.layers.Dense(
            args.classes, activation="softmax", name="predictions"
        )(x)
        network = keras.Model(inputs, outputs, name="keras_lstm_stack")
    network.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
    )
    return network


def token_batch(args, batch_size, length, seed=0):
    """Token ids in ``[1, vocabulary)``, right-padded with 0 to ``length``."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, args.vocabulary, size=(batch_size, length))
    lengths = rng.integers(max(1, length // 4), length + 1, size=batch_size)
    ids[np.arange(length)[None, :] >= lengths[:, None]] = 0
    return ids.astype("int32")


def step_child(args):
    """Warm both models up, alternate their steps; reply with the samples."""
    x = token_batch(args, args.batch_size, args.length)
    y = np.random.default_rng(1).integers(0, args.classes, size=args.batch_size)
    # Odd processes build, warm up and start with the anchor: no side is
    # always first.
    order = _common.abba(["step/ours", "step/keras"], args.child_index)
    networks = {key: build_classifier(key.split("/")[1], args) for key in order}
    counts = {key: int(net.count_params()) for key, net in networks.items()}
    if len(set(counts.values())) != 1:
        raise SystemExit(f"the two stacks differ: parameters {counts}")

    def timed(network, steps):
        return _common.time_steps(lambda: network.train_on_batch(x, y), steps)

    for network in networks.values():
        timed(network, args.warmup)  # Tracing, compilation.
    samples = {key: [] for key in networks}
    for turn in range(args.rounds):
        for key in _common.abba(order, turn):
            samples[key] += timed(networks[key], args.steps)
    _common.reply({"samples": samples, "params": counts["step/ours"]})


# ---------------------------------------------------------------- generation


def build_language_model(args):
    keras.utils.set_random_seed(0)
    return models.rnn_language_model(
        args.vocabulary,
        cell="lstm",
        units=args.units,
        depth=2,
        embedding_dim=args.embedding,
    )


def generate(model, prompt, args, use_cache):
    tokens = models.rnn_generate(model, prompt, args.new_tokens, use_cache=use_cache)
    return keras.ops.convert_to_numpy(tokens)


def generate_child(args):
    """Warm both ways up, alternate them; reply with seconds per token."""
    model = build_language_model(args)
    prompt = token_batch(args, args.gen_batch, args.prompt, seed=2)
    prompt[prompt == 0] = 1  # A prompt is all tokens: no padding.
    order = _common.abba(["generate/cached", "generate/uncached"], args.child_index)
    configs = {key: key == "generate/cached" for key in order}
    outputs = {
        key: generate(model, prompt, args, cache) for key, cache in configs.items()
    }
    same = bool(
        np.array_equal(outputs["generate/cached"], outputs["generate/uncached"])
    )
    samples = {key: [] for key in configs}
    for turn in range(args.gen_rounds):
        for key in _common.abba(list(configs), turn):
            with _common.Stopwatch() as watch:
                generate(model, prompt, args, configs[key])
            samples[key].append(watch.seconds / args.new_tokens)
    _common.reply({"samples": samples, "same_tokens": same})


# ---------------------------------------------------------------- parent


SHARED = (
    "vocabulary",
    "classes",
    "units",
    "embedding",
    "length",
    "batch_size",
    "steps",
    "warmup",
    "rounds",
    "prompt",
    "new_tokens",
    "gen_batch",
    "gen_rounds",
)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--vocabulary", type=int, default=10000)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--embedding", type=int, default=128)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--prompt", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--gen-batch", type=int, default=8)
    parser.add_argument("--gen-rounds", type=int, default=3)
    parser.add_argument("--child", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--child-index", type=int, default=0, help=argparse.SUPPRESS)
    args = _common.parse_args(
        parser,
        quick={
            "processes": 1,
            "vocabulary": 50,
            "units": 8,
            "embedding": 8,
            "length": 12,
            "batch_size": 4,
            "steps": 2,
            "warmup": 1,
            "rounds": 2,
            "prompt": 4,
            "new_tokens": 4,
            "gen_batch": 2,
            "gen_rounds": 2,
        },
    )
    if args.child == "step":
        return step_child(args)
    if args.child == "generate":
        return generate_child(args)
    for flag in ("processes", "steps", "rounds", "new_tokens", "gen_rounds"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1")
    if args.length < 2 or args.prompt < 1 or args.vocabulary < 2:
        parser.error("--length must be >= 2, --prompt >= 1, --vocabulary >= 2")

    backend = keras.backend.backend()
    print(
        f"backend={backend} processes={args.processes} vocabulary={args.vocabulary} "
        f"units={args.units} embedding={args.embedding} cpus={os.cpu_count()}"
    )
    samples, anchors = {}, {}
    extra = {"per_process": {}, "settings": {k: getattr(args, k) for k in SHARED}}
    extra["settings"]["processes"] = args.processes
    pairs = {"step": ("step/ours", "step/keras")}
    pairs["generate"] = ("generate/cached", "generate/uncached")
    for part in args.parts:
        runs = [
            _common.run_part(__file__, part, index, args, SHARED)
            for index in range(args.processes)
        ]
        mine, theirs = pairs[part]
        for key in (mine, theirs):
            samples[key] = [t for run in runs for t in run["samples"][key]]
        anchors[mine] = theirs
        extra["per_process"][part] = [
            _common.ratio_of_medians(run["samples"][mine], run["samples"][theirs])
            for run in runs
        ]
        if part == "step":
            extra["params"] = runs[0]["params"]
        else:
            extra["same_tokens"] = all(run["same_tokens"] for run in runs)
            extra["tokens_per_s"] = {
                key: args.gen_batch / statistics.median(samples[key])
                for key in (mine, theirs)
            }
    record = _common.result_record(
        "rnn", samples, anchors, backend=backend, extra=extra
    )
    for part in args.parts:
        mine, theirs = pairs[part]
        each = " ".join(f"{r:.3f}" for r in extra["per_process"][part])
        unit = "ms/step" if part == "step" else "ms/token"
        print(
            f"{part:8s} {mine.split('/')[1]} "
            f"{1000 * record['medians'][mine]:8.3f} {unit}  "
            f"{theirs.split('/')[1]} {1000 * record['medians'][theirs]:8.3f} "
            f"{unit}  ratio {_common.format_ratio(record, f'{mine} vs {theirs}')}"
            f" (n={record['n'][mine]}; per process: {each})"
        )
    if "step" in args.parts:
        print(
            f"step: {extra['params']:,} parameters each, batch {args.batch_size} "
            f"x {args.length} tokens (right-padded)"
        )
    if "generate" in args.parts:
        rate = extra["tokens_per_s"]
        print(
            f"generate: {rate['generate/cached']:.1f} tokens/s cached, "
            f"{rate['generate/uncached']:.1f} uncached (prompt {args.prompt}, "
            f"{args.new_tokens} new, batch {args.gen_batch}); "
            f"same tokens: {extra['same_tokens']}"
        )
    _common.print_result(record)


if __name__ == "__main__":
    main()
