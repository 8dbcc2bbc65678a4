"""
Sentiment of clothing reviews: a bidirectional GRU against a bag of words
=========================================================================

Does the reviewer recommend the product? We read the 22,641 texts of the
Women's E-Commerce Clothing Reviews
(:func:`keras_dlkit.datasets.load_clothing_reviews` with
``label="recommended"``) with two models fed the same tokens:

* a bag of words: which words the review contains, in any order, weighted by
  one logistic regression (a ``Dense`` layer with a sigmoid), the classic
  strong baseline of text classification;
* :func:`keras_dlkit.models.rnn_classifier`: an embedding and a bidirectional
  GRU that reads the words in order, so it can see "not great" and "I
  wanted to love this, but".

Texts become integer ids with ``keras.layers.TextVectorization``. Reviews
have different lengths; the vectorizer pads them with id 0 at the end, and
the classifier's embedding masks that padding, so the GRU's final state is
read after the last real word.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run: ``quick`` (default on a CPU) trains
# on 6,000 reviews cut to 64 words, 2 epochs; ``full`` (default with a GPU)
# on 16,000 reviews of up to 120 words (all of them), with more epochs and a
# larger vocabulary. Both test on the same 4,000 held-out reviews.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import load_clothing_reviews

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"train": 6000, "words": 64, "vocabulary": 8000, "units": 32, "epochs": 2},
    "full": {
        "train": 16000,
        "words": 120,
        "vocabulary": 20000,
        "units": 64,
        "epochs": 6,
    },
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# 82% of the reviewers recommend what they bought: always answering "yes" is
# 82% accurate, so accuracy alone says little. We also report the area under
# the ROC curve (AUC: 0.5 for a guess, 1 for a perfect ranking).
texts, labels = load_clothing_reviews(label="recommended")
order = np.random.default_rng(0).permutation(len(texts))
test_index, train_index = order[:4000], order[4000 : 4000 + SIZES["train"]]
texts = np.array(texts, dtype=object)
print(f"{len(texts)} reviews, {labels.mean():.1%} recommended")
for text, label in zip(texts[:3], labels[:3], strict=True):
    print(f"  [{'yes' if label else 'no '}] {text[:110]}")

# %%
# Tokens
# ------
# One vectorizer, adapted on the training texts only: lowercase, punctuation
# stripped, the ``vocabulary`` most frequent words (id 1 is reserved for
# out-of-vocabulary words, 0 for padding), every review padded or cut to the
# same number of words.
vectorizer = keras.layers.TextVectorization(
    max_tokens=SIZES["vocabulary"], output_sequence_length=SIZES["words"]
)
vectorizer.adapt(list(texts[train_index]))


def tokenize(batch):
    return keras.ops.convert_to_numpy(vectorizer(list(batch))).astype("int32")


x_train, y_train = tokenize(texts[train_index]), labels[train_index]
x_test, y_test = tokenize(texts[test_index]), labels[test_index]
vocabulary_size = vectorizer.vocabulary_size()
print("tokens:", x_train.shape, "vocabulary:", vocabulary_size)
print("first review as ids:", x_train[0][:16], "...")

# %%
# Look at the data
# ----------------
# Review lengths, in words, and the share of each class.
lengths = (x_train > 0).sum(axis=1)
fig, ax = plt.subplots(figsize=(7, 3))
for value, name in ((1, "recommended"), (0, "not recommended")):
    ax.hist(lengths[y_train == value], bins=30, alpha=0.6, label=name, density=True)
ax.set(xlabel="words kept", ylabel="density", title="Review lengths (after cutting)")
ax.legend()
fig.tight_layout()

# %%
# The two models
# --------------
# The bag of words turns the ids into a multi-hot vector of the vocabulary
# (``CategoryEncoding``) and weighs each word once. The recurrent model
# embeds each word in 64 dimensions and reads the review in both directions
# with a GRU (``2 * units`` features) before its sigmoid head.
ids = keras.Input((None,), dtype="int32", name="token_ids")
bag = keras.layers.CategoryEncoding(vocabulary_size, output_mode="multi_hot")(ids)
bag_of_words = keras.Model(
    ids,
    keras.layers.Dense(1, activation="sigmoid", name="logistic_regression")(bag),
    name="bag_of_words",
)
gru = keras_dlkit.models.rnn_classifier(
    vocabulary_size,
    num_classes=1,
    cell="gru",
    units=SIZES["units"],
    bidirectional=True,
    dropout=0.2,
    embedding_dim=64,
    classifier_activation="sigmoid",
    name="bidirectional_gru",
)
gru.summary()

# %%
# Train
# -----
# Binary cross-entropy and Adam for both; the bag of words trains with a
# higher learning rate and more epochs, as a logistic regression can.
models = {"bag of words": bag_of_words, "bidirectional GRU": gru}
settings = {
    "bag of words": {"learning_rate": 1e-2, "epochs": 3 * SIZES["epochs"]},
    "bidirectional GRU": {"learning_rate": 2e-3, "epochs": SIZES["epochs"]},
}
for name, model in models.items():
    keras.utils.set_random_seed(0)
    model.compile(
        optimizer=keras.optimizers.Adam(settings[name]["learning_rate"]),
        loss="binary_crossentropy",
        metrics=["accuracy", keras.metrics.AUC(name="auc")],
    )
    start = time.perf_counter()
    model.fit(
        x_train,
        y_train,
        epochs=settings[name]["epochs"],
        batch_size=32,
        verbose=2,
    )
    print(f"{name}: {time.perf_counter() - start:.1f} s")

# %%
# Evaluate
# --------
scores = {}
probabilities = {}
for name, model in models.items():
    scores[name] = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    probabilities[name] = model.predict(x_test, verbose=0)[:, 0]
print(f"always 'recommended'     accuracy {y_test.mean():.4f}  AUC 0.5000")
for name, score in scores.items():
    print(f"{name:24s} accuracy {score['accuracy']:.4f}  AUC {score['auc']:.4f}")

# %%
# Where they disagree
# -------------------
# Test reviews on which the two models differ most: usually reviews whose
# words are positive but whose sense is not (or the reverse).
gap = probabilities["bidirectional GRU"] - probabilities["bag of words"]
for i in np.argsort(-np.abs(gap))[:4]:
    print(
        f"[truth {'yes' if y_test[i] else 'no '}] GRU {probabilities['bidirectional GRU'][i]:.2f}"
        f", bag {probabilities['bag of words'][i]:.2f}: {texts[test_index][i][:160]}"
    )


# %%
# ROC curves
# ----------
# The true-positive rate against the false-positive rate as the decision
# threshold moves (computed with NumPy), and the scores side by side. The
# recurrent model ranks better where it matters most for this skewed set,
# at low false-positive rates: the reviews it is surest are recommended
# contain fewer complaints dressed in positive words.
def roc_curve(labels, scores):
    order = np.argsort(-scores)
    hits = labels[order]
    tpr = np.concatenate([[0.0], np.cumsum(hits) / hits.sum()])
    fpr = np.concatenate([[0.0], np.cumsum(1 - hits) / (1 - hits).sum()])
    return fpr, tpr


fig, (ax_roc, ax_bar) = plt.subplots(
    1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.2, 1]}
)
for name in models:
    fpr, tpr = roc_curve(y_test, probabilities[name])
    ax_roc.plot(fpr, tpr, label=f"{name} (AUC {scores[name]['auc']:.3f})")
ax_roc.plot([0, 1], [0, 1], ":", color="grey", label="guess (AUC 0.5)")
ax_roc.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC")
ax_roc.legend(fontsize=8, loc="lower right")
names = ["always yes", *models]
accuracy = [y_test.mean()] + [scores[n]["accuracy"] for n in models]
auc = [0.5] + [scores[n]["auc"] for n in models]
positions = np.arange(len(names))
ax_bar.bar(positions - 0.2, accuracy, 0.4, label="accuracy")
ax_bar.bar(positions + 0.2, auc, 0.4, label="AUC")
for x, (a, b) in enumerate(zip(accuracy, auc, strict=True)):
    ax_bar.text(x - 0.2, a + 0.01, f"{a:.3f}", ha="center", fontsize=7)
    ax_bar.text(x + 0.2, b + 0.01, f"{b:.3f}", ha="center", fontsize=7)
ax_bar.set_xticks(positions, names, fontsize=8)
ax_bar.set(ylim=(0.4, 1.0), title="Test scores (4,000 reviews)")
ax_bar.legend(fontsize=8, loc="upper left")
fig.tight_layout()

# %%
# Conclusion
# ----------
# The bag of words is a strong baseline: a few words ("returned", "cheap",
# "love") decide most reviews, and on the quick profile's 6,000 reviews and
# two epochs the GRU only matches its accuracy, with a higher AUC. What
# reading in order buys shows in the reviews where the two disagree most:
# "I wanted to love this ... but alas it went back" is all positive words to
# the bag of words. More data and epochs (the ``full`` profile) widen the
# margin. Variable lengths cost nothing: the padding is masked.

# sphinx_gallery_thumbnail_number = 2
