"""
A seq2seq chatbot that answers in Shakespeare's lines
=====================================================

The chatbot of the classic deep-learning curriculum is a translation model
whose "source language" is one speaker's line and whose "target language" is
the reply that follows it (Vinyals & Le, 2015). We build such pairs from the
speaker turns of Shakespeare's plays
(:func:`keras_dlkit.datasets.load_shakespeare`), train the same
encoder-decoder with attention as the translation example
(:func:`keras_dlkit.models.seq2seq`), measure how much better than word
frequencies it predicts the replies, and ask it a few questions.

A model this size, trained for a minute on a few thousand exchanges,
learns which words replies are made of, not what they mean: keep
expectations low, and read the conclusion.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run. ``quick`` (default on a CPU)
# trains a 64-unit model for 8 epochs on 4,000 exchanges; ``full`` (default
# with a GPU) trains a 256-unit, two-layer model for 40 epochs on every
# exchange of the 38 plays.
import collections
import re
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import load_shakespeare
from keras_dlkit.models import seq2seq, seq2seq_translate

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"pairs": 4000, "units": 64, "depth": 1, "epochs": 8},
    "full": {"pairs": None, "units": 256, "depth": 2, "epochs": 40},
}[PROFILE]
MAX_WORDS = 12
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data: speaker turns
# -------------------
# In the text, a turn is a block of lines separated from the next by a blank
# line and opened by the speaker's name in capitals followed by a colon::
#
#     HORATIO:
#     Well, sit we down,
#     And let us hear Bernardo speak of this.
#
# Headings and stage directions are blocks without a speaker: they end a
# conversation. Two consecutive turns of two different speakers make one
# (prompt, reply) pair: the last sentence of the first turn (what the reply
# answers) and the first sentence of the second, each of at most
# ``MAX_WORDS`` words, so the model sees exchanges, not speeches.
SPEAKER = re.compile(r"^[A-Z][A-Z .,'\-]+:$")
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[?!.,;]")
SENTENCE = re.compile(r"[^.?!]+[.?!]*")


def tokenize(text):
    return " ".join(WORD.findall(text.lower()))


text = load_shakespeare()
turns = []  # (speaker, words) or None where a conversation breaks
for block in text.split("\n\n"):
    lines = block.strip().split("\n")
    if len(lines) >= 2 and SPEAKER.match(lines[0]):
        turns.append((lines[0][:-1], tokenize(" ".join(lines[1:]))))
    else:
        turns.append(None)
pairs = []
for first, second in zip(turns, turns[1:], strict=False):
    if first is None or second is None or first[0] == second[0]:
        continue
    prompt = SENTENCE.findall(first[1])[-1].strip() if first[1] else ""
    reply = SENTENCE.findall(second[1])[0].strip() if second[1] else ""
    if 0 < len(prompt.split()) <= MAX_WORDS and 0 < len(reply.split()) <= MAX_WORDS:
        pairs.append((prompt, reply))
print(f"{sum(t is not None for t in turns)} turns, {len(pairs)} short exchanges")
order = np.random.default_rng(0).permutation(len(pairs))
if SIZES["pairs"] is not None:
    order = order[: SIZES["pairs"]]
n_test = len(order) // 10
test_idx, train_idx = order[:n_test], order[n_test:]
for i in train_idx[:6]:
    print(f"  {pairs[i][0]!r:45s} -> {pairs[i][1]!r}")

# %%
# One vocabulary serves both sides (they are the same language): the 3,000
# most frequent words of the training exchanges; rarer words become the
# out-of-vocabulary token ``[UNK]``. Replies carry ``<s>`` and ``</s>``.
vectorizer = keras.layers.TextVectorization(
    max_tokens=3000, standardize=None, output_sequence_length=MAX_WORDS + 2
)
vectorizer.adapt([f"<s> {pairs[i][0]} {pairs[i][1]} </s>" for i in train_idx])
vocabulary = vectorizer.get_vocabulary()
START, END = vocabulary.index("<s>"), vocabulary.index("</s>")


def vectorize(indices):
    prompts = np.asarray(vectorizer([pairs[i][0] for i in indices]), "int32")
    replies = np.asarray(
        vectorizer([f"<s> {pairs[i][1]} </s>" for i in indices]), "int32"
    )
    decoder_inputs = replies[:, :-1].copy()
    decoder_inputs[decoder_inputs == END] = 0
    return prompts[:, :MAX_WORDS], decoder_inputs, replies[:, 1:]


train_prompts, train_decoder_inputs, train_replies = vectorize(train_idx)
test_prompts, test_decoder_inputs, test_replies = vectorize(test_idx)
print(
    f"vocabulary: {len(vocabulary)} tokens; {len(train_idx)} train, {n_test} held out"
)

# %%
# Look at the data
# ----------------
# The most frequent first words of the replies: the openings a model can
# learn before it learns anything about the prompt.
first_words = collections.Counter(pairs[i][1].split()[0] for i in train_idx)
common = first_words.most_common(15)
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar([w for w, _ in common], [c / len(train_idx) for _, c in common])
ax.set(ylabel="share of replies", title="First word of the reply")
ax.tick_params(axis="x", rotation=45)
fig.tight_layout()

# %%
# Model and training
# ------------------
# The translation example's encoder-decoder: LSTM, Luong attention this time
# (multiplicative scores), dropout against the small data set.
model = seq2seq(
    len(vocabulary),
    len(vocabulary),
    cell="lstm",
    attention="luong",
    units=SIZES["units"],
    embedding_dim=64,
    depth=SIZES["depth"],
    dropout=0.2,
)
BATCH = 64
steps = SIZES["epochs"] * int(np.ceil(len(train_idx) / BATCH))
model.compile(
    keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(1e-2, decay_steps=steps),
        clipnorm=1.0,
    ),
    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
start = time.perf_counter()
history = model.fit(
    [train_prompts, train_decoder_inputs],
    train_replies,
    validation_data=([test_prompts, test_decoder_inputs], test_replies),
    batch_size=BATCH,
    epochs=SIZES["epochs"],
    verbose=2,
)
print(f"training: {time.perf_counter() - start:.1f} s")

# %%
# Evaluate
# --------
# Perplexity per reply token on the held-out exchanges (the exponential of
# the cross-entropy: the number of equally likely words the model hesitates
# between), against the unigram model that ignores the prompt and predicts
# every word with its training frequency.
counts = np.bincount(train_replies[train_replies > 0], minlength=len(vocabulary))
unigram = (counts + 1) / (counts + 1).sum()
held_out = test_replies[test_replies > 0]
unigram_perplexity = float(np.exp(-np.log(unigram[held_out]).mean()))
model_perplexity = float(np.exp(history.history["val_loss"][-1]))
print(
    f"held-out perplexity per reply token: seq2seq {model_perplexity:.0f}, "
    f"unigram {unigram_perplexity:.0f}"
)

fig, ax = plt.subplots(figsize=(6, 3.5))
epochs = np.arange(1, SIZES["epochs"] + 1)
ax.plot(epochs, np.exp(history.history["loss"]), label="seq2seq, train")
ax.plot(epochs, np.exp(history.history["val_loss"]), "--", label="seq2seq, held out")
ax.axhline(unigram_perplexity, color="gray", linestyle=":", label="unigram, held out")
ax.set(xlabel="epoch", ylabel="perplexity per token", title="Reply perplexity")
ax.legend()
fig.tight_layout()
# sphinx_gallery_thumbnail_number = 2

# %%
# Talk to it
# ----------
# Greedy decoding picks the likeliest word at every step and settles on the
# most common replies; sampling at temperature 0.8 among the 20 likeliest
# words gives more varied, less safe answers. Words outside the vocabulary
# are read as ``[UNK]``.
prompts = [
    "who is there ?",
    "what is your name ?",
    "how now , my lord ?",
    "i love thee .",
    "where is the king ?",
    "will you go with me ?",
    "what news ?",
    "good morrow , sir .",
]


def words(ids):
    out = []
    for i in ids:
        if i in (0, END):
            break
        out.append(vocabulary[i])
    return " ".join(out)


source = np.asarray(vectorizer(prompts), "int32")[:, :MAX_WORDS]
kwargs = {"max_length": MAX_WORDS + 1, "start_token": START, "end_token": END}
greedy = seq2seq_translate(model, source, **kwargs)
sampled = seq2seq_translate(
    model, source, method="sample", temperature=0.8, top_k=20, seed=1, **kwargs
)
for prompt, g, s in zip(prompts, greedy, sampled, strict=True):
    print(f"> {prompt}\n  greedy : {words(g)}\n  sampled: {words(s)}")

test_greedy = seq2seq_translate(model, test_prompts, **kwargs)
distinct = len({words(row) for row in test_greedy})
print(f"\n{distinct} distinct greedy replies to {n_test} held-out prompts")

# %%
# Conclusion
# ----------
# The model predicts reply words better than their frequencies alone (the
# perplexity above), so it has learned something about which words follow
# which prompts. As a conversational partner the quick model is useless:
# greedy decoding repeats the most frequent word ("i i i ...") or a few safe
# lines for every prompt (count the distinct replies above), and sampling
# strings together frequent words without sense. That is the "generic
# response" problem Li et al. (2016) describe for neural chatbots trained on
# millions of exchanges, made worse here by a few thousand exchanges in
# Early Modern English, most of them unlike any other. The same code with
# ``DLKIT_GALLERY_PROFILE=full`` trains a larger model on every exchange of
# the plays for longer; expect more varied replies, still without
# understanding.
