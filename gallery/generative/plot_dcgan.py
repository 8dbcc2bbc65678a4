"""
DCGAN on Fashion-MNIST
======================

A generative adversarial network trains two networks against each other: a
generator that turns random noise into images and a discriminator that tells
real images from generated ones. DCGAN (Radford et al., 2015) made this work
for images with a few rules: strided (transposed) convolutions instead of
pooling, batch normalization, ReLU in the generator and LeakyReLU in the
discriminator, a ``tanh`` output, and Adam with a learning rate of 2e-4 and
``beta_1 = 0.5``. Here :func:`keras_dlkit.models.dcgan` builds those networks
for 28x28 grey images, the :class:`keras_dlkit.training.GAN` trainer trains
them with plain ``fit()``, and :class:`keras_dlkit.callbacks.SampleGrid` draws
the same 64 noise vectors after every epoch, so we can watch one set of
samples take shape.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run. ``quick`` (default on a CPU) trains
# narrow networks on 1,920 images for 4 epochs (240 steps of 32): enough to see the
# generator leave noise behind and find the rough silhouettes of clothes,
# not enough for a GAN to converge. ``full`` (default with a GPU) trains the
# paper's widths on all 60,000 images for 25 epochs.
import os
import tempfile
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.callbacks import SampleGrid, make_image_grid
from keras_dlkit.datasets import load_fashion_mnist

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {
        "train": 1920,
        "epochs": 4,
        "batch_size": 32,
        "generator_width": 16,
        "discriminator_width": 16,
    },
    "full": {
        "train": 60000,
        "epochs": 25,
        "batch_size": 128,
        "generator_width": 128,
        "discriminator_width": 64,
    },
}[PROFILE]
LATENT_DIM = 100
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# The generator ends in ``tanh``, so the images are scaled to ``[-1, 1]``.
# A GAN learns from images alone: the labels are not used here (see the
# conditional GAN example for a generator that is told the class).
(x_train, _), (x_test, _) = load_fashion_mnist()
x_train = x_train[: SIZES["train"], :, :, None].astype("float32") / 127.5 - 1.0
x_test = x_test[:, :, :, None].astype("float32") / 127.5 - 1.0
print("train:", x_train.shape, "range:", x_train.min(), x_train.max())

# %%
# Look at the data
# ----------------
# :func:`keras_dlkit.callbacks.make_image_grid` tiles images into one array;
# this is how the sample grids below are drawn too.
fig, ax = plt.subplots(figsize=(6, 6))
ax.imshow(
    make_image_grid(x_train[:64, :, :, 0], 8, 8, padding=1, pad_value=1.0),
    cmap="gray",
    vmin=-1,
    vmax=1,
)
ax.set_title("Real Fashion-MNIST images")
ax.axis("off")

# %%
# Model
# -----
# For 28x28 the generator projects the noise to a 7x7 map and doubles it
# twice with 5x5 stride-2 transposed convolutions; the discriminator mirrors
# it with two stride-2 convolutions and one logit. Kernels start from
# ``N(0, 0.02)``, as in the paper.
gan = keras_dlkit.models.create_model(
    "dcgan",
    image_shape=(28, 28, 1),
    latent_dim=LATENT_DIM,
    generator_width=SIZES["generator_width"],
    discriminator_width=SIZES["discriminator_width"],
    seed=0,
)
for network in (gan.generator, gan.discriminator):
    shapes = [
        (layer.name, tuple(layer.output.shape[1:]))
        for layer in network.layers
        if layer.name in ("reshape", "up_0", "images", "down_0", "down_1", "logits")
    ]
    print(f"{network.name}: {network.count_params():,} parameters", shapes)

# %%
# Train
# -----
# ``compile()`` with no arguments uses the paper's settings: the
# non-saturating loss and ``Adam(2e-4, beta_1=0.5)`` for each network. The
# logs hold the discriminator's loss (real and fake terms summed) and the
# generator's. ``SampleGrid`` writes each grid as a PNG file (atomically) and
# keeps it in ``sample_grid.grids``; with ``log_dir=...`` it would also log
# the grids to TensorBoard.
gan.compile()
sample_dir = tempfile.mkdtemp(prefix="dcgan-samples-")
sample_grid = SampleGrid(sample_dir, rows=8, cols=8, seed=1)
batch_logs = []
record = keras.callbacks.LambdaCallback(
    on_train_batch_end=lambda batch, logs: batch_logs.append(
        (float(logs["d_loss"]), float(logs["g_loss"]))
    )
)
start = time.perf_counter()
history = gan.fit(
    x_train,
    epochs=SIZES["epochs"],
    batch_size=SIZES["batch_size"],
    callbacks=[sample_grid, record],
    verbose=2,
)
print(f"trained in {time.perf_counter() - start:.1f} s")
print("PNG files:", sorted(os.listdir(sample_dir)))

# %%
# Evaluate
# --------
# A GAN has no test loss. Two rough checks: how often the trained
# discriminator calls held-out real images real and generated images fake
# (near 50 % would mean it can no longer tell them apart), and whether the
# generated pixels have the real images' mean and spread. The discriminator
# runs as it was trained, with batch statistics in its batch normalization
# (``training=True``) on a batch of real and a batch of generated images:
# after a short run the moving averages used at inference still lag.
noise = np.random.default_rng(2).standard_normal((500, LATENT_DIM)).astype("float32")
fake = gan.generator.predict(noise, verbose=0)
real_logits = keras.ops.convert_to_numpy(gan.discriminator(x_test[:500], training=True))
fake_logits = keras.ops.convert_to_numpy(gan.discriminator(fake, training=True))
accuracy = (np.mean(real_logits > 0) + np.mean(fake_logits < 0)) / 2
print(f"discriminator accuracy on held-out real vs generated: {accuracy:.3f}")
print(
    f"pixel mean/std  real {x_test.mean():.3f}/{x_test.std():.3f}"
    f"  generated {fake.mean():.3f}/{fake.std():.3f}"
)

# %%
# Sample grids over training
# --------------------------
# The same 64 noise vectors after each epoch (the first, the middle and the
# last are shown).
shown = [
    sample_grid.grids[0],
    sample_grid.grids[len(sample_grid.grids) // 2],
    sample_grid.grids[-1],
]
fig, axes = plt.subplots(1, 3, figsize=(12, 4.4))
for ax, (epoch, grid) in zip(axes, shown, strict=True):
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"after epoch {epoch}")
    ax.axis("off")
fig.tight_layout()

# %%
# Loss curves
# -----------
# ``fit()`` logs each loss as a running mean over the epoch; the loss of each
# step is recovered by differencing those means (all batches have the same
# size). The two losses pull against each other: they do not fall together
# as a classifier's loss does, and a discriminator loss that drops to zero
# would mean the generator has lost.
running = np.array(batch_logs)
steps_per_epoch = len(running) // SIZES["epochs"]
k = np.tile(np.arange(1, steps_per_epoch + 1), SIZES["epochs"])[:, None]
previous = np.where(k > 1, np.roll(running, 1, axis=0), 0.0)
per_step = k * running - (k - 1) * previous
fig, (ax_batch, ax_epoch) = plt.subplots(1, 2, figsize=(11, 4))
ax_batch.plot(per_step[:, 0], label="discriminator", alpha=0.8)
ax_batch.plot(per_step[:, 1], label="generator", alpha=0.8)
ax_batch.set(xlabel="step", ylabel="loss", title="Per step")
epochs = np.arange(1, SIZES["epochs"] + 1)
ax_epoch.plot(epochs, history.history["d_loss"], "o-", label="discriminator")
ax_epoch.plot(epochs, history.history["g_loss"], "o-", label="generator")
ax_epoch.set(xlabel="epoch", ylabel="loss", title="Per epoch (mean)")
ax_batch.legend()
ax_epoch.legend()
fig.tight_layout()

# %%
# Conclusion
# ----------
# In the quick profile the networks are narrow and see 240 batches: the
# samples go from the uniform grey of the untrained generator to bright,
# garment-shaped blobs on the black background of Fashion-MNIST, the pixel
# statistics approach the real ones, and the discriminator still tells
# real from generated images apart almost every time. The per-step curves
# show the moment the generator starts to win ground (its loss rises as the
# discriminator's falls, then both level out). That is what a few CPU
# seconds of GAN training give; it is not a converged model. The full
# profile (the paper's widths, 60,000 images, 25 epochs) is the setting in
# which DCGAN produces recognisable shirts, trousers, sneakers and bags; the
# figures and numbers on this page come from whichever profile built it.
