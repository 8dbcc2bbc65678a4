"""
Autoencoders on Fashion-MNIST: vanilla, denoising and sparse
============================================================

An autoencoder is trained to copy its input to its output through a narrow
*code*: the encoder compresses, the decoder rebuilds, and the reconstruction
error is the loss. No labels are needed. Three variants change what the code
has to capture:

- the **vanilla** autoencoder (:func:`keras_dlkit.models.dense_autoencoder`)
  only has the bottleneck;
- the **denoising** autoencoder (Vincent et al., 2008;
  :func:`keras_dlkit.models.denoising_autoencoder`) sees a corrupted input
  in training (here Gaussian noise) and must rebuild the clean image, so it
  learns what clothes look like rather than the pixels it was given;
- the **sparse** autoencoder (:func:`keras_dlkit.models.sparse_autoencoder`)
  pays an L1 penalty on a ReLU code, so each image is described by a few
  active units.

All three are :class:`keras_dlkit.training.Autoencoder` trainers: plain
``fit(x)`` on images, ``Adam(1e-3)`` and the mean squared error by default.
We compare their reconstructions of clean and of noisy test images, their
error against the simplest baseline (predict the mean training image for
every input), and how sparse their codes are.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run. ``quick`` (default on a CPU) trains
# each model on 5,000 images for 4 epochs: the ranking below already shows,
# the images are still blurry. ``full`` (default with a GPU) trains on all
# 60,000 images for 30 epochs, and reconstructions sharpen.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"train": 5000, "epochs": 4, "batch_size": 128},
    "full": {"train": 60000, "epochs": 30, "batch_size": 128},
}[PROFILE]
LATENT_DIM = 32
NOISE = 0.5  # standard deviation of the corruption, in training and in the test
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# Pixels scaled to ``[0, 1]``, one channel. The noisy test set adds the same
# Gaussian noise the denoising autoencoder is trained with.
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train[: SIZES["train"], ..., None].astype("float32") / 255.0
x_test = x_test[..., None].astype("float32") / 255.0
rng = np.random.default_rng(0)
x_noisy = (x_test + NOISE * rng.standard_normal(x_test.shape)).astype("float32")
print("train:", x_train.shape, "test:", x_test.shape)

# %%
# Look at the data
# ----------------
# Top row: test images. Bottom row: the same with noise (shown clipped to
# ``[0, 1]``; the models see the unclipped values).
fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for i in range(8):
    axes[0, i].imshow(x_test[i, ..., 0], cmap="gray_r", vmin=0, vmax=1)
    axes[0, i].set_title(FASHION_MNIST_CLASSES[y_test[i]], fontsize=8)
    axes[1, i].imshow(np.clip(x_noisy[i, ..., 0], 0, 1), cmap="gray_r", vmin=0, vmax=1)
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# The same fully connected network for all three: 784 -> 256 -> 128 -> 32
# and back, a sigmoid output. Only the extras differ: a ``GaussianNoise``
# layer at the encoder's input (active in training only) for the denoising
# one, a ReLU code with an L1 activity penalty for the sparse one.
ARCH = {"input_shape": (28, 28, 1), "latent_dim": LATENT_DIM}
BUILDERS = {
    "vanilla": ("dense_autoencoder", {}),
    "denoising": ("denoising_autoencoder", {"noise_stddev": NOISE}),
    "sparse": ("sparse_autoencoder", {"sparsity": "l1"}),
}
ae = keras_dlkit.models.create_model("denoising_autoencoder", **ARCH)
ae.encoder.summary()
print(ae.encoder.count_params() + ae.decoder.count_params(), "parameters")

# %%
# Train
# -----
models, histories = {}, {}
for label, (name, kwargs) in BUILDERS.items():
    keras.utils.set_random_seed(0)
    model = keras_dlkit.models.create_model(name, **ARCH, **kwargs)
    model.compile()
    start = time.perf_counter()
    history = model.fit(
        x_train,
        epochs=SIZES["epochs"],
        batch_size=SIZES["batch_size"],
        validation_data=(x_test[:2000], x_test[:2000]),
        verbose=2,
    )
    print(f"{label}: {time.perf_counter() - start:.1f} s")
    models[label], histories[label] = model, history.history

# %%
# Evaluate
# --------
# Mean squared error per pixel on the 10,000 test images, clean and noisy
# (the target is always the clean image), against predicting the mean
# training image for every input.
baseline = float(np.mean((x_train.mean(axis=0) - x_test) ** 2))
reconstructions, scores = {}, {}
for label, model in models.items():
    clean = model.predict(x_test, batch_size=1000, verbose=0)
    noisy = model.predict(x_noisy, batch_size=1000, verbose=0)
    reconstructions[label] = (clean, noisy)
    scores[label] = (
        float(np.mean((clean - x_test) ** 2)),
        float(np.mean((noisy - x_test) ** 2)),
    )
print(f"{'mean image':10s} MSE {baseline:.4f}")
for label, (clean, noisy) in scores.items():
    print(
        f"{label:10s} MSE clean {clean:.4f} ({clean / baseline:.0%} of baseline)"
        f"  noisy {noisy:.4f} ({noisy / baseline:.0%})"
    )

fig, ax = plt.subplots(figsize=(6, 3.5))
positions = np.arange(len(scores))
ax.bar(positions - 0.2, [s[0] for s in scores.values()], 0.4, label="clean input")
ax.bar(positions + 0.2, [s[1] for s in scores.values()], 0.4, label="noisy input")
ax.axhline(baseline, color="black", linestyle="--", label="mean image")
ax.set_xticks(positions, list(scores))
ax.set(ylabel="test MSE per pixel", title="Reconstruction error")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Reconstructions
# ---------------
# Left block: clean inputs; right block: noisy inputs. Each row shows what
# one autoencoder rebuilds. The vanilla and sparse models, never trained on
# noise, return faded or smeared garments for noisy inputs; the denoising
# model returns clean ones.
show = np.arange(6)
rows = [("input", x_test, x_noisy)] + [
    (label, clean, noisy) for label, (clean, noisy) in reconstructions.items()
]
fig, axes = plt.subplots(len(rows), 2 * len(show), figsize=(12, 1.2 * len(rows)))
for r, (label, clean, noisy) in enumerate(rows):
    for c, i in enumerate(show):
        axes[r, c].imshow(clean[i, ..., 0], cmap="gray_r", vmin=0, vmax=1)
        axes[r, c + len(show)].imshow(
            np.clip(noisy[i, ..., 0], 0, 1), cmap="gray_r", vmin=0, vmax=1
        )
    axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_title("clean input", loc="left", fontsize=9)
axes[0, len(show)].set_title("noisy input", loc="left", fontsize=9)
fig.tight_layout()

# %%
# Sparsity of the codes
# ---------------------
# The vanilla and denoising codes are linear: every unit takes some value
# for every image. The sparse code is a ReLU with an L1 penalty: most
# entries are exactly zero. The second picture shows how it gets there: a
# few units are active for most images, a few for some, and many are
# switched off for (almost) all of them. L1 buys sparsity partly with such
# "dead" units; the KL penalty of ``sparse_autoencoder(sparsity="kl")``
# instead asks every unit to be active a set fraction (``target``) of the
# time.
codes = {
    label: keras.ops.convert_to_numpy(
        model.encoder.predict(x_test, batch_size=1000, verbose=0)
    )
    for label, model in models.items()
}
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
for ax, (label, code) in zip(axes, codes.items(), strict=True):
    near_zero = float(np.mean(np.abs(code) < 1e-3))
    print(
        f"{label:10s} code: {near_zero:.0%} of entries ~0, "
        f"mean |code| {np.abs(code).mean():.3f}"
    )
    ax.hist(code.ravel(), bins=60, color="tab:blue")
    ax.set_yscale("log")
    ax.set(title=f"{label}: {near_zero:.0%} zeros", xlabel="code value")
axes[0].set_ylabel("count (log)")
fig.tight_layout()

active = (codes["sparse"] > 1e-3).mean(axis=0)
fig, ax = plt.subplots(figsize=(8, 2.8))
ax.bar(np.arange(LATENT_DIM), np.sort(active)[::-1], color="tab:green")
ax.set(
    xlabel="sparse code unit (sorted)",
    ylabel="fraction of images",
    title="How often each unit of the sparse code is active",
)
fig.tight_layout()

# %%
# Conclusion
# ----------
# All three autoencoders rebuild unseen test images far better than the
# mean-image baseline, from 32 numbers per image. On clean inputs the
# vanilla model is the most accurate (it spends nothing on robustness or
# sparsity); the denoising model is the least, since it learned to smooth.
# On noisy inputs the denoising model wins clearly: it has learned to map
# corrupted images back to clean clothes. The sparse model pays a little
# accuracy for a code in which most entries are exactly zero. The quick
# profile shows this ranking after a few epochs on a subset; the full
# profile trains longer and sharpens every reconstruction. The variational
# autoencoder example turns such a code into a generative model.
