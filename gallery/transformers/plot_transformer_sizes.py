"""
Model sizes: parameters and FLOPs per token, from BERT-tiny to GPT-3 175B
=========================================================================

How big is a transformer, and how much arithmetic does it do for each token
it reads? Both follow from its configuration alone. The parameters are a sum
over the weight matrices: per layer, four ``d x d`` attention projections
and two ``d x 4d`` feed-forward matrices, about ``12 d^2``, plus the token
and position tables. The arithmetic of a forward pass is, per token, one
multiply and one add for each weight of the matrices it goes through, plus
the attention of the token to the others in its context. Kaplan et al.
("Scaling Laws for Neural Language Models", 2020, Table 1) write it

.. math::

   C_\\text{forward} \\approx 2N + 2\\, n_\\text{layer}\\, n_\\text{ctx}\\, d_\\text{model},

with :math:`N` the parameters outside the embeddings; a training step
(forward and backward) costs about three times that, the familiar
:math:`6N` per token.

This example **trains nothing and builds nothing**: it reads every
transformer of the :mod:`keras_dlkit.models` registry (family
``"transformers"``) and sizes it with :func:`keras_dlkit.models.count_params`,
which computes the count from the builder's configuration by a closed-form
rule, without creating a weight (the tests hold the rule to the built
models' ``count_params()``). So GPT-3 175B, whose float32 weights would take
700 GB, is sized in microseconds. It runs in a few seconds on any machine
and has no quick or full profile.
"""

# %%
# Setup
# -----
import time

import matplotlib.pyplot as plt
import numpy as np

from keras_dlkit.models import count_params, list_models

start = time.perf_counter()

# %%
# The registry
# ------------
# Every registered transformer. The generic builders (``bert``, ``gpt``,
# ``t5``, ``vit``) take any configuration; at their defaults they are
# BERT-base, GPT-2 small, T5-small and ViT-B/16, so the table lists them
# but the plots leave them out.
names = list_models(family="transformers")
print(len(names), "registered transformers:", ", ".join(names))
GENERIC = {"bert": "bert_base", "gpt": "gpt2_small", "t5": "t5_small", "vit": "vit_b16"}

# %%
# The architectures
# -----------------
# The counts come from the library; the FLOPs need three more numbers per
# model, which the papers give: the number of layers, ``d_model`` and the
# context ``n_ctx`` the model reads (BERT and T5: 512 tokens, GPT-2: 1024,
# GPT-3: 2048, the Llama-3-style decoder: 8192, ViT: the 196 patches of a
# 224 x 224 image plus the class token). The vocabulary and the position
# table give the embedding parameters that Kaplan et al. leave out of
# :math:`N`. T5 has ``n_layer`` layers in its encoder *and* in its decoder.
BERT, GPT, T5, VIT = "BERT", "GPT", "T5", "ViT"
# name: (kind, n_layer, d_model, n_ctx, vocabulary, learned positions)
ARCHITECTURES = {
    "bert_tiny": (BERT, 2, 128, 512, 30522, 512 + 2),  # + 2 segment rows
    "bert_small": (BERT, 4, 512, 512, 30522, 512 + 2),
    "bert_base": (BERT, 12, 768, 512, 30522, 512 + 2),
    "bert_large": (BERT, 24, 1024, 512, 30522, 512 + 2),
    "gpt2_small": (GPT, 12, 768, 1024, 50257, 1024),
    "gpt2_medium": (GPT, 24, 1024, 1024, 50257, 1024),
    "gpt2_large": (GPT, 36, 1280, 1024, 50257, 1024),
    "gpt2_xl": (GPT, 48, 1600, 1024, 50257, 1024),
    "gpt3_125m": (GPT, 12, 768, 2048, 50257, 2048),
    "gpt3_350m": (GPT, 24, 1024, 2048, 50257, 2048),
    "gpt3_760m": (GPT, 24, 1536, 2048, 50257, 2048),
    "gpt3_1_3b": (GPT, 24, 2048, 2048, 50257, 2048),
    "gpt3_2_7b": (GPT, 32, 2560, 2048, 50257, 2048),
    "gpt3_6_7b": (GPT, 32, 4096, 2048, 50257, 2048),
    "gpt3_13b": (GPT, 40, 5120, 2048, 50257, 2048),
    "gpt3_175b": (GPT, 96, 12288, 2048, 50257, 2048),
    "llama_style": (GPT, 32, 4096, 8192, 128256, 0),  # rotary: no table
    "t5_small": (T5, 6, 512, 512, 32128, 0),  # relative position bias
    "t5_base": (T5, 12, 768, 512, 32128, 0),
    "vit_ti16": (VIT, 12, 192, 197, 0, 197 + 1),  # + the class token
    "vit_s16": (VIT, 12, 384, 197, 0, 197 + 1),
    "vit_b16": (VIT, 12, 768, 197, 0, 197 + 1),
    "vit_l16": (VIT, 24, 1024, 197, 0, 197 + 1),
}


# %%
# Parameters and FLOPs per token
# ------------------------------
# ``count_params(name, head=None)`` is the backbone: no classifier or
# masked-LM head (GPT's and T5's language-model heads reuse the token
# embedding and add nothing; Llama's untied head is left out, as keras-hub's
# backbones leave it out). For T5 the attention term counts the encoder's
# self-attention and the decoder's self- and cross-attention, for one input
# and one target token. ViT's FLOPs are also given per image (197 tokens).
def flops_per_token(kind, n_layer, d_model, n_ctx, non_embedding):
    attention = 2 * n_layer * n_ctx * d_model
    if kind == T5:  # encoder self + decoder self + decoder cross
        attention *= 3
    return 2 * non_embedding + attention


rows = []
# Smallest first (the generic builders, first in the alphabet, go first).
names = sorted(names, key=lambda n: (n not in GENERIC, count_params(n, head=None)))
for name in names:
    total = count_params(name, head=None)
    if name in GENERIC:
        print(f"{name:12s} {total:>16,d}  (generic builder: its defaults are "
              f"{GENERIC[name]})")  # fmt: skip
        continue
    if name not in ARCHITECTURES:  # a builder registered after this page
        print(f"{name:12s} {total:>16,d}  (no architecture entry: not plotted)")
        continue
    kind, n_layer, d_model, n_ctx, vocabulary, positions = ARCHITECTURES[name]
    embedding = (vocabulary + positions) * d_model
    non_embedding = total - embedding
    forward = flops_per_token(kind, n_layer, d_model, n_ctx, non_embedding)
    rows.append(
        dict(
            name=name, kind=kind, n_layer=n_layer, d_model=d_model, n_ctx=n_ctx,
            total=total, non_embedding=non_embedding, forward=forward,
            kaplan=12 * n_layer * d_model**2 * (2 if kind == T5 else 1),
        )
    )  # fmt: skip

header = (
    f"{'model':12s} {'layers':>6s} {'d_model':>7s} {'n_ctx':>5s} "
    f"{'parameters':>16s} {'non-embedding N':>16s} {'12 L d^2':>9s} "
    f"{'forward GFLOP/tok':>17s} {'train GFLOP/tok':>15s}"
)
print(header)
print("-" * len(header))
for r in rows:
    print(
        f"{r['name']:12s} {r['n_layer']:6d} {r['d_model']:7d} {r['n_ctx']:5d} "
        f"{r['total']:16,d} {r['non_embedding']:16,d} "
        f"{r['non_embedding'] / r['kaplan']:8.3f}x "
        f"{r['forward'] / 1e9:17.3f} {3 * r['forward'] / 1e9:15.3f}"
    )
vit_b = next(r for r in rows if r["name"] == "vit_b16")
print(
    f"ViT-B/16 per 224 x 224 image: {197 * vit_b['forward'] / 1e9:.1f} GFLOP "
    f"forward ({197 * vit_b['forward'] / 2e9:.1f} G multiply-adds)"
)

# %%
# The ``12 L d^2`` column is the non-embedding count over Kaplan's estimate
# ``12 n_layer d_model^2`` (T5: twice that for two stacks, whose decoder
# layers have a third, cross-attention, projection set, hence more than
# 1x). The estimate leaves out biases and norms, which matter only for the
# narrowest models. The Llama-style decoder has a gated feed-forward of width
# 3.5 ``d`` (three matrices, ``10.5 d^2``) and grouped-query attention (8
# key/value heads for 32 queries: ``2.5 d^2``): ``13 d^2`` a layer, 1.08x.
#
# The GPT-3 ladder
# ----------------
# Brown et al. (2020), Table 2.1, name the eight models by their parameter
# counts: 125M, 350M, 760M, 1.3B, 2.7B, 6.7B, 13B and 175B. The counts of the
# builders at the table's layers and widths (with a 2048-token context and
# GPT-2's 50,257-token vocabulary) land within 2% of those names (the paper
# rounds, and its 13B has a ``d_model`` of 5140 that its 40 heads do not
# divide; the builder uses 5120).
PAPER = {
    "gpt3_125m": 125e6, "gpt3_350m": 350e6, "gpt3_760m": 760e6,
    "gpt3_1_3b": 1.3e9, "gpt3_2_7b": 2.7e9, "gpt3_6_7b": 6.7e9,
    "gpt3_13b": 13e9, "gpt3_175b": 175e9,
}  # fmt: skip
ladder = [r for r in rows if r["name"] in PAPER]
for r in ladder:
    paper = PAPER[r["name"]]
    print(
        f"{r['name']:10s} count_params {r['total']:>16,d}   paper {paper:>9.3g}   "
        f"{(r['total'] - paper) / paper:+.2%}"
    )
worst = max(abs(r["total"] - PAPER[r["name"]]) / PAPER[r["name"]] for r in ladder)
print(f"largest difference from the paper's names: {worst:.2%}")

# %%
# The training compute of GPT-3 175B: three times the forward FLOPs per
# token, over the 300 billion tokens it was trained on. The paper's Appendix
# D gives 3.14e23 FLOPs (3,640 petaflop/s-days), from ``6 N D``.
gpt3 = next(r for r in rows if r["name"] == "gpt3_175b")
train_flops = 3 * gpt3["forward"] * 300e9
print(
    f"GPT-3 175B training compute: {train_flops:.3g} FLOPs "
    f"({train_flops / (1e15 * 86400):,.0f} petaflop/s-days); paper: 3.14e23 "
    f"({(train_flops - 3.14e23) / 3.14e23:+.1%})"
)

# %%
# Pictures
# --------
# Parameters against forward FLOPs per token, log-log. The models sit on the
# line ``FLOPs = 2N``: the weights dominate, and the context term matters
# only for narrow models reading long contexts (printed below). The small
# BERTs fall below it: most of BERT-tiny's 4.4 million weights are its
# embedding tables, which are looked up, not multiplied. BERT-base
# and GPT-2 small, the same width and depth, nearly coincide; ViT-B/16 too.
# A ViT's cost per *image* is 197 times its cost per token.
markers = {BERT: "s", GPT: "o", T5: "^", VIT: "D"}
fig, ax = plt.subplots(figsize=(9, 6))
for kind, marker in markers.items():
    group = [r for r in rows if r["kind"] == kind]
    ax.scatter(
        [r["total"] for r in group],
        [r["forward"] for r in group],
        marker=marker,
        s=50,
        label=kind if kind != GPT else "GPT-2, GPT-3, Llama-style",
    )
    for index, r in enumerate(group):  # alternate the labels above and below
        below = index % 2 if kind == GPT else kind in (BERT, T5)
        ax.annotate(
            r["name"], (r["total"], r["forward"]), fontsize=6.5,
            xytext=(5, -9 if below else 3), textcoords="offset points",
        )  # fmt: skip
span = np.array([3e6, 3e11])
ax.plot(span, 2 * span, "k:", linewidth=1, label="2N (all parameters)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set(
    xlabel="parameters (count_params, backbone)",
    ylabel="forward FLOPs per token",
    title="Every registered transformer: size and cost per token",
)
ax.grid(True, which="major", alpha=0.3)
ax.legend()
fig.tight_layout()
# sphinx_gallery_thumbnail_number = 1

# %%
# The GPT-3 ladder against the paper, and where the arithmetic goes: the
# share of a forward pass spent in the projection and feed-forward matrices
# (``2N``) and in the attention over the 2048-token context. Kaplan's count
# leaves out the output logits, a ``d x 50257`` product per token; the last
# column says what they would add.
for r in ladder:
    attention = 1 - 2 * r["non_embedding"] / r["forward"]
    logits = 2 * r["d_model"] * 50257 / r["forward"]
    print(
        f"{r['name']:10s} attention {attention:6.1%} of the forward FLOPs; "
        f"the logits would add {logits:6.1%}"
    )
fig, (ax_left, ax_right) = plt.subplots(1, 2, figsize=(11, 4))
labels = [r["name"].replace("gpt3_", "").replace("_", ".") for r in ladder]
position = np.arange(len(ladder))
ax_left.bar(position - 0.2, [PAPER[r["name"]] for r in ladder], 0.4, label="paper")
ax_left.bar(position + 0.2, [r["total"] for r in ladder], 0.4, label="count_params")
ax_left.set_yscale("log")
ax_left.set_xticks(position, labels)
ax_left.set(ylabel="parameters", title="GPT-3, Brown et al. (2020) Table 2.1")
ax_left.legend()
weights = np.array([2 * r["non_embedding"] / r["forward"] for r in ladder])
ax_right.bar(position, weights, label="2N (weights)")
ax_right.bar(position, 1 - weights, bottom=weights, label="attention over 2048 tokens")
ax_right.set_xticks(position, labels)
ax_right.set(ylabel="share of forward FLOPs", ylim=(0, 1), title="Where it goes")
ax_right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
fig.tight_layout()
print(f"{time.perf_counter() - start:.2f} s, no weight created")

# %%
# Conclusion
# ----------
# A transformer's size and cost per token follow from a handful of numbers:
# ``count_params`` turns a builder's configuration into the exact count
# without allocating it, and two multiply-adds per weight plus the attention
# term give the FLOPs. The GPT-3 builders match the paper's names within 2%,
# and ``3 x forward x tokens`` gives the 3.1e23 FLOPs the paper reports for
# GPT-3 175B. The same numbers size a training run: divide the FLOPs by an
# accelerator's sustained throughput (the model FLOPs utilization that the
# benchmark measures) to get its time.
