"""
Face generation with a DCGAN on Labeled Faces in the Wild
=========================================================

The curriculum's face-generation project: train a GAN to produce new face
images. The data here are the 100 grey 25x25 face crops from Labeled Faces
in the Wild that ship with scikit-image (loaded by
:func:`keras_dlkit.datasets.load_lfw_faces`), so everything runs offline. One
hundred faces is a tiny training set for a GAN, and that is the lesson of
this example as much as the faces: with so few images a generator can copy
its training set instead of learning to generate, so after training we look
for each sample's nearest training face.
"""

# %%
# Setup
# -----
# ``quick`` (default on a CPU) trains small networks for a few hundred steps:
# the samples become rough faces (a light oval on a darker background,
# darker bands at the eyes and mouth) but no more. ``full`` (default with a GPU) trains the
# wider networks for 30 times as many steps.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.callbacks import SampleGrid, make_image_grid
from keras_dlkit.datasets import load_lfw_faces

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"epochs": 32, "generator_width": 32, "discriminator_width": 32},
    "full": {"epochs": 1200, "generator_width": 128, "discriminator_width": 64},
}[PROFILE]
BATCH_SIZE, LATENT_DIM = 25, 64
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# A DCGAN doubles a small map with stride-2 transposed convolutions, so it
# can only produce even sizes: :func:`keras_dlkit.models.dcgan` refuses
# 25x25 with an error saying so. We crop one pixel row and column (24x24:
# two doublings from 6x6), scale to ``[-1, 1]`` for the ``tanh`` output, and
# add the mirror image of every face (a face flipped left to right is still
# a face), which doubles the data to 200 images.
faces = load_lfw_faces()[:, :24, :24, None]
faces = faces * 2.0 - 1.0
faces = np.concatenate([faces, faces[:, :, ::-1]]).astype("float32")
print("faces:", faces.shape, "range:", faces.min(), faces.max())
try:
    keras_dlkit.models.dcgan(image_shape=(25, 25, 1))
except ValueError as error:
    print("25x25:", str(error)[:90], "...")

# %%
# Look at the data
# ----------------
fig, ax = plt.subplots(figsize=(6, 6))
ax.imshow(
    make_image_grid(faces[:64, :, :, 0], 8, 8, padding=1, pad_value=1.0),
    cmap="gray",
    vmin=-1,
    vmax=1,
)
ax.set_title("LFW faces (24x24 crops)")
ax.axis("off")

# %%
# Model
# -----
# A DCGAN: the generator projects 64 noise values to a 6x6 map and doubles
# it twice; the discriminator halves the image twice and ends in one logit.
gan = keras_dlkit.models.create_model(
    "dcgan",
    image_shape=(24, 24, 1),
    latent_dim=LATENT_DIM,
    generator_width=SIZES["generator_width"],
    discriminator_width=SIZES["discriminator_width"],
    seed=0,
)
print(
    f"generator {gan.generator.count_params():,} parameters, "
    f"discriminator {gan.discriminator.count_params():,}"
)

# %%
# Train
# -----
# The DCGAN paper's settings (``compile()`` with no arguments) and fixed
# noise for the sample grids.
gan.compile()
sample_grid = SampleGrid(
    None, rows=6, cols=6, seed=1, every_n_epochs=max(1, SIZES["epochs"] // 4)
)
start = time.perf_counter()
history = gan.fit(
    faces,
    epochs=SIZES["epochs"],
    batch_size=BATCH_SIZE,
    callbacks=[sample_grid],
    verbose=2 if PROFILE == "quick" else 0,
)
steps = SIZES["epochs"] * len(faces) // BATCH_SIZE
print(
    f"{steps} steps in {time.perf_counter() - start:.1f} s; last epoch: "
    f"d_loss {history.history['d_loss'][-1]:.3f}, "
    f"g_loss {history.history['g_loss'][-1]:.3f}"
)

# %%
# Evaluate: memorization
# ----------------------
# For 8 new samples, the closest training face (Euclidean distance in pixel
# space). Typical distances between two different training faces give the
# scale: a generator that copies its data would produce samples much closer
# to one training face than training faces are to each other.
noise = np.random.default_rng(3).standard_normal((8, LATENT_DIM)).astype("float32")
samples = gan.generator.predict(noise, verbose=0)
flat_faces = faces[:100].reshape(100, -1)
distances = np.linalg.norm(samples.reshape(8, 1, -1) - flat_faces[None], axis=-1)
nearest = distances.argmin(axis=1)
between = np.linalg.norm(flat_faces[:, None] - flat_faces[None], axis=-1)
typical = np.median(between[np.triu_indices(100, 1)])
print(
    f"sample to nearest training face: median {np.median(distances.min(1)):.2f}; "
    f"training face to training face: median {typical:.2f}"
)

fig, axes = plt.subplots(2, 8, figsize=(11, 3.2))
for i in range(8):
    axes[0, i].imshow(samples[i, :, :, 0], cmap="gray", vmin=-1, vmax=1)
    axes[1, i].imshow(faces[nearest[i], :, :, 0], cmap="gray", vmin=-1, vmax=1)
    axes[0, i].axis("off")
    axes[1, i].axis("off")
axes[0, 0].set_title("generated", loc="left", fontsize=9)
axes[1, 0].set_title("nearest training face", loc="left", fontsize=9)
fig.tight_layout()

# %%
# Samples over training
# ---------------------
fig, axes = plt.subplots(
    1, len(sample_grid.grids), figsize=(3.2 * len(sample_grid.grids), 3.6)
)
for ax, (epoch, grid) in zip(np.atleast_1d(axes), sample_grid.grids, strict=True):
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"epoch {epoch}")
    ax.axis("off")
fig.tight_layout()

# %%
# Loss curves
# -----------
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(history.history["d_loss"], label="discriminator")
ax.plot(history.history["g_loss"], label="generator")
ax.set(xlabel="epoch", ylabel="loss")
ax.legend()
fig.tight_layout()

# %%
# Conclusion
# ----------
# Quick shows the first stage of GAN training on faces: the generator finds
# the layout of a face crop (a bright oval, dark background, darker bands
# at the eyes and mouth) long before identities or sharp features. Its
# samples are nearer to some training face than two training faces are to
# each other, but not because they are copies: a blurred, average-looking
# face is close to many faces at once, and the pairs above show no copied
# identity. With only 100 faces (200 with mirror images) the danger grows
# with training: the full run learns sharper faces, and the nearest-
# neighbour check is the honest test of whether they are new (a sample much
# closer to one training face than to all others is a copy). Real face
# GANs train on tens of thousands of faces (CelebA, full LFW), which cannot
# be downloaded on the machines that build this gallery.
