"""
A GPT that writes Shakespeare, and why generation needs a key/value cache
=========================================================================

A GPT (Radford et al., 2018-2019) is a stack of causal self-attention
blocks trained to predict the next token: position ``t`` attends to
positions ``<= t`` only, so one forward pass over a text of ``T`` tokens
trains ``T`` next-token predictions at once. Read one character at a time,
it learns spelling, words and the layout of a play from nothing but the
raw text, as the LSTM of :doc:`../rnn/plot_text_generation_shakespeare`
does, with attention in place of a recurrent state.

We train a small :func:`keras_dlkit.models.gpt` on Shakespeare's plays
(:func:`keras_dlkit.datasets.load_shakespeare`) with keras-hub's
``UnicodeCodepointTokenizer`` (one token per character), measure it in
**bits per character** against the baselines and the LSTM example, and
generate with :func:`keras_dlkit.models.generate` under greedy, top-k and
top-p (nucleus) sampling. Generation feeds each new token back in; without
a cache every step re-runs the whole model over the text so far, with a
**key/value cache** each step computes one position and attends to the
stored keys and values of the others. We time both.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run. ``quick`` (default on a CPU)
# trains a 2-layer, 96-wide GPT (about 0.25 M parameters) with a context of
# 96 characters for 625 steps of 16 random excerpts: about as many
# characters as the LSTM example's quick run reads (its 200 steps of 64
# excerpts of 64 characters). It learns the layout of
# a play, frequent short words and spaces, far from fluent English.
# ``full`` (default with a GPU) trains the classic character-level
# configuration (6 layers, 6 heads, width 384, context 256, dropout 0.2,
# about 10.8 M parameters) for 5,000 steps of 64 excerpts; it prints its
# own figures.
import math
import re
import time

import keras
import keras_hub
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import load_shakespeare
from keras_dlkit.models import generate, gpt

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {
        "num_layers": 2,
        "num_heads": 4,
        "hidden_dim": 96,
        "dropout": 0.0,
        "seq_len": 96,
        "train_windows": 2000,
        "val_chars": 40_000,
        "batch_size": 16,
        "epochs": 5,
        "learning_rate": 4e-3,
    },
    "full": {
        "num_layers": 6,
        "num_heads": 6,
        "hidden_dim": 384,
        "dropout": 0.2,
        "seq_len": 256,
        "train_windows": 64_000,
        "val_chars": None,  # the whole validation text
        "batch_size": 64,
        "epochs": 5,
        "learning_rate": 1e-3,
    },
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# The 38 plays as one string (about 5 million characters), split as in the
# LSTM example: the last 5 % of the text is held out for validation.
# keras-hub's ``UnicodeCodepointTokenizer`` maps each character to its
# Unicode code point; with ``vocabulary_size=128`` every code point from
# 128 up becomes id 127 (here only the 64 em dashes ``—``, which no other
# character uses, so one token is still one character). Training samples
# are random windows of ``seq_len + 1`` characters: the model reads the
# first ``seq_len`` and predicts, at every position, the character after it.
text = load_shakespeare()
tokenizer = keras_hub.tokenizers.UnicodeCodepointTokenizer(
    vocabulary_size=128, lowercase=False
)
VOCABULARY = tokenizer.vocabulary_size()
ids = np.asarray(tokenizer(text), dtype="int32")
split = int(0.95 * len(ids))
train_ids, val_ids = ids[:split], ids[split:]
if SIZES["val_chars"]:
    val_ids = val_ids[: SIZES["val_chars"]]
print(f"{len(text):,} characters, {len(np.unique(ids))} distinct ids of {VOCABULARY}")
print(f"train: {len(train_ids):,} characters, validation: {len(val_ids):,}")

T = SIZES["seq_len"]
rng = np.random.default_rng(0)
starts = rng.integers(0, len(train_ids) - T - 1, size=SIZES["train_windows"])
windows = np.stack([train_ids[s : s + T + 1] for s in starts])
val_windows = np.stack(
    [val_ids[s : s + T + 1] for s in range(0, len(val_ids) - T - 1, T)]
)


def lm_inputs(windows):
    """keras-hub's input dict (no padding: every window is full) and targets."""
    x = windows[:, :-1]
    return {"token_ids": x, "padding_mask": np.ones_like(x)}, windows[:, 1:]


x_train, y_train = lm_inputs(windows)
x_val, y_val = lm_inputs(val_windows)
print("train windows:", x_train["token_ids"].shape, "validation:", y_val.shape)


def decode(row):
    return tokenizer.detokenize(np.asarray(row, "int32")).replace("\x7f", "—")


print(repr(decode(x_train["token_ids"][0])))

# %%
# Look at the data
# ----------------
# The baselines the GPT must beat, measured on the validation text with
# frequencies counted on the training text (add-one smoothing over the
# characters that occur): the **unigram** cross-entropy (a model that
# knows only how often each character occurs) and the **bigram** one (it
# also knows the previous character). The picture shows the likeliest
# character after each frequent one.
present = np.unique(ids)
counts = np.bincount(train_ids, minlength=VOCABULARY)[present].astype("float64")
index = np.full(VOCABULARY, -1)
index[present] = np.arange(len(present))
tr, va = index[train_ids], index[val_ids]
unigram = (counts + 1) / (counts + 1).sum()
unigram_bits = -np.mean(np.log2(unigram[va]))
pairs = np.zeros((len(present), len(present)))
np.add.at(pairs, (tr[:-1], tr[1:]), 1.0)
bigram = (pairs + 1) / (pairs + 1).sum(axis=1, keepdims=True)
bigram_bits = -np.mean(np.log2(bigram[va[:-1], va[1:]]))
print(f"unigram baseline: {unigram_bits:.3f} bits/char")
print(f"bigram baseline:  {bigram_bits:.3f} bits/char")

top = np.argsort(-counts)[:20]
labels = [repr(decode([present[i]]))[1:-1] for i in top]
fig, ax = plt.subplots(figsize=(7, 6))
ax.imshow(bigram[np.ix_(top, top)], cmap="magma")
ax.set_xticks(range(len(top)), labels, fontsize=8)
ax.set_yticks(range(len(top)), labels, fontsize=8)
ax.set(
    xlabel="next character",
    ylabel="character",
    title="P(next | character), the 20 most frequent",
)
fig.tight_layout()

# %%
# Model
# -----
# ``gpt`` builds GPT-2's architecture at any size: token and learned
# position embeddings, pre-norm causal decoder blocks, a final LayerNorm and
# logits through the tied token embedding. Its inputs are keras-hub's
# ``{"token_ids", "padding_mask"}``; it returns logits at every position,
# so the loss is ``SparseCategoricalCrossentropy(from_logits=True)`` (nats
# per character; divide by ln 2 for bits). The learning rate warms up for
# 10 % of the steps, then decays to 0 along a cosine (AdamW, GPT-2's
# recipe at a small scale).
model = gpt(
    vocabulary_size=VOCABULARY,
    num_layers=SIZES["num_layers"],
    num_heads=SIZES["num_heads"],
    hidden_dim=SIZES["hidden_dim"],
    intermediate_dim=4 * SIZES["hidden_dim"],
    max_sequence_length=T,
    dropout=SIZES["dropout"],
    name="shakespeare_gpt",
)
model.summary()
steps = SIZES["epochs"] * math.ceil(SIZES["train_windows"] / SIZES["batch_size"])
schedule = keras.optimizers.schedules.CosineDecay(
    0.0,
    decay_steps=steps - steps // 10,
    warmup_target=SIZES["learning_rate"],
    warmup_steps=steps // 10,
)
model.compile(
    optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.01, global_clipnorm=1.0),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)

# %%
# Train
# -----
start = time.perf_counter()
history = model.fit(
    x_train,
    y_train,
    batch_size=SIZES["batch_size"],
    epochs=SIZES["epochs"],
    validation_data=(x_val, y_val),
    verbose=2,
)
print(f"training: {time.perf_counter() - start:.1f} s ({steps} steps)")

bits = 1 / math.log(2)
epochs = np.arange(1, SIZES["epochs"] + 1)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(epochs, np.array(history.history["loss"]) * bits, "o-", label="train")
ax.plot(epochs, np.array(history.history["val_loss"]) * bits, "s--", label="validation")
ax.axhline(unigram_bits, color="grey", linestyle=":", label="unigram baseline")
ax.axhline(bigram_bits, color="black", linestyle=":", label="bigram baseline")
ax.set(xlabel="epoch", ylabel="bits per character", title="Training curve")
ax.legend()
fig.tight_layout()

# %%
# Evaluate
# --------
# Validation cross-entropy in bits per character and its perplexity
# ``2 ** bits``. The LSTM example's figure is the one its quick profile
# prints (a 128-unit LSTM after 200 steps of 64 windows of 64 characters,
# on the same validation text): both quick runs read about as many
# characters, and both end near 3 bits, the stage where a model knows
# frequent letter sequences and short words but little of what lies
# further back. (In our quick runs the GPT reached 3.00 bits on TensorFlow
# and 3.05 on JAX, against the LSTM's 3.075; a few hundred steps are a noisy
# comparison either way, and the LSTM's steps are cheaper on a CPU.) Given
# more steps (the full profile), the transformer goes far below both
# baselines.
# Printed by gallery/rnn/plot_text_generation_shakespeare.py (quick, tensorflow).
LSTM_QUICK_BITS = 3.075
val_bits = model.evaluate(x_val, y_val, batch_size=64, verbose=0) * bits
results = {
    "unigram\n(character counts)": unigram_bits,
    "bigram\n(previous character)": bigram_bits,
    "LSTM example\n(quick profile)": LSTM_QUICK_BITS,
    f"GPT {SIZES['num_layers']}x{SIZES['hidden_dim']}\n(this model)": val_bits,
}
for name, value in results.items():
    print(
        f"{name.splitlines()[0]:>12s}: {value:.3f} bits/char, perplexity {2**value:.2f}"
    )

fig, ax = plt.subplots(figsize=(7.5, 4))
bars = ax.bar(
    list(results), list(results.values()), color=["grey", "black", "C1", "C0"]
)
for bar, value in zip(bars, results.values(), strict=True):
    ax.annotate(
        f"{value:.2f} bits\nperplexity {2**value:.1f}",
        (bar.get_x() + bar.get_width() / 2, value),
        ha="center",
        va="bottom",
        fontsize=9,
    )
ax.set_ylim(0, max(results.values()) * 1.25)
ax.set(ylabel="bits per character", title="Validation cross-entropy (lower is better)")
fig.tight_layout()
# sphinx_gallery_thumbnail_number = 3

# %%
# Generate
# --------
# :func:`keras_dlkit.models.generate` takes token-id prompts and a total
# length, and returns keras-hub's ``{"token_ids", "padding_mask"}`` (prompt
# plus new tokens). The samplers are keras-hub's (``keras_hub.samplers``):
# **greedy** takes the likeliest character, and soon loops; **top-k**
# draws among the ``k`` likeliest; **top-p** (nucleus) draws among the
# smallest set of characters whose probabilities add up to ``p``, so the
# number of candidates follows the model's confidence. On TensorFlow and
# JAX the whole loop is compiled with XLA on the first call (on torch it
# runs eagerly).
prompts = ["HAMLET:\n", "JULIET:\n", "BRUTUS:\n", "PORTIA:\n"]
prompt_ids = [list(tokenizer(p)) for p in prompts]
samplers = {
    "greedy": {"sampler": "greedy"},
    "top-k (k=5)": {"sampler": "top_k", "top_k": 5, "seed": 1},
    "top-p (p=0.9)": {"sampler": "top_p", "top_p": 0.9, "seed": 1},
}
samples = {}
for name, kwargs in samplers.items():
    out = generate(model, prompt_ids, max_length=T, **kwargs)
    samples[name] = [
        decode(row[mask])
        for row, mask in zip(out["token_ids"], out["padding_mask"], strict=True)
    ]
for name, texts in samples.items():
    print(f"===== {name} =====")
    print(texts[0])

# %%
# How real are the words? As in the LSTM example: the share of generated
# words that occur somewhere in Shakespeare, and the share of distinct words
# among them (greedy decoding repeats itself).
vocabulary = set(re.findall(r"[a-z']+", text.lower()))
for name, texts in samples.items():
    words = [
        w
        for t, p in zip(texts, prompts, strict=True)
        for w in re.findall(r"[a-z']+", t[len(p) :].lower())
    ]
    real = np.mean([w in vocabulary for w in words]) if words else 0.0
    distinct = len(set(words)) / max(len(words), 1)
    print(f"{name:14s} real words {real:6.1%}   distinct words {distinct:6.1%}")

# %%
# Generation speed: with and without the cache
# --------------------------------------------
# Without a cache, step ``t`` runs the model over all ``t`` tokens so far
# to use the last position's logits: the cost of a text of length ``T``
# grows as ``T**2`` (times ``T`` more inside attention). With the key/value
# cache, one pass over the prompt fills every layer's keys and values, and
# each step then runs the model on one new position, writes its key and
# value into the cache and attends to the cache. Both give the same tokens.
# We time the second call of each (the first one compiles) and count new
# tokens per second.
batch = [prompt_ids[i % len(prompt_ids)] for i in range(8)]
new_tokens = len(batch) * (T - len(prompt_ids[0]))
speed, outputs = {}, {}
for use_cache in (True, False):
    start = time.perf_counter()
    generate(model, batch, max_length=T, use_cache=use_cache)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    outputs[use_cache] = generate(model, batch, max_length=T, use_cache=use_cache)
    seconds = time.perf_counter() - start
    speed[use_cache] = new_tokens / seconds
    print(
        f"use_cache={use_cache!s:5s}: {speed[use_cache]:8.0f} new tokens/s "
        f"({seconds:.2f} s; first call with compilation {compile_s:.1f} s)"
    )
same = np.array_equal(outputs[True]["token_ids"], outputs[False]["token_ids"])
print(f"speed-up of the cache: {speed[True] / speed[False]:.1f}x; same tokens: {same}")

fig, ax = plt.subplots(figsize=(5, 4))
names = ["without cache", "with key/value cache"]
values = [speed[False], speed[True]]
bars = ax.bar(names, values, color=["grey", "C0"])
for bar, value in zip(bars, values, strict=True):
    ax.annotate(
        f"{value:,.0f}",
        (bar.get_x() + bar.get_width() / 2, value),
        ha="center",
        va="bottom",
    )
ax.set_ylim(0, max(values) * 1.2)
ax.set(
    ylabel="new tokens per second",
    title=f"Greedy generation, {len(batch)} prompts to {T} tokens",
)
fig.tight_layout()

# %%
# Conclusion
# ----------
# A GPT is trained exactly like the LSTM, on the next character at every
# position, but all positions of a window are computed in parallel; at the
# size and step count of the quick profile it beats the counting baselines,
# and larger models trained longer (the full profile) write recognisable
# verse. The decoding rule matters as much as the model: greedy decoding is
# dull and repetitive, top-k and top-p sampling keep the variety of the
# text. And a transformer's generation is only fast with a key/value cache:
# without one every new token re-reads the whole text, with one it costs a
# single position's worth of computation, which is what lets
# :func:`keras_dlkit.models.generate` (like keras-hub's ``generate``) keep
# up with the RNN's step-by-step state.
