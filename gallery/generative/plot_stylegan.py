"""
StyleGAN at 32x32: samples, style mixing and truncation
=======================================================

StyleGAN (Karras et al., 2019) feeds the latent code to the generator not
at its input but as *styles*: a mapping network turns ``z`` into ``w``, and
every layer of the synthesis network scales its feature maps by an affine
function of ``w``. The network starts from a learned constant; per-pixel
noise adds stochastic detail. StyleGAN2 (Karras et al., 2020) replaced
AdaIN by *modulated and demodulated convolutions* (the style scales the
kernel's input channels, then each output channel is renormalised) and the
progressive growing by toRGB *skip* outputs summed over resolutions, and
regularised the discriminator with the R1 penalty.

Two tricks come with the design. **Style mixing**: during training, with
probability 0.9, the styles after a random layer come from a second latent,
so the layers learn to work with styles that do not belong together; at
test time, taking the coarse (low-resolution) styles from one latent and
the fine ones from another transfers shape from one and texture from the
other. **Truncation**: the generator tracks the average ``w``; pulling a
sample's ``w`` towards it, ``w_avg + psi * (w - w_avg)``, trades variety for
typical, cleaner images (``psi = 0`` gives the "average image").

Here :func:`keras_dlkit.models.stylegan` builds a small StyleGAN2 for 32x32
Fashion-MNIST images, :class:`keras_dlkit.training.StyleGAN` trains it with
plain ``fit()``, and :func:`keras_dlkit.models.stylegan_synthesize` and
:func:`keras_dlkit.models.stylegan_generate` draw the style-mixing grid and
the truncation strip.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run. ``quick`` (default on a CPU)
# trains a narrow StyleGAN on 640 images for 2 epochs (40 steps): a few
# seconds of training, far too few for a GAN, so the pictures below show
# the *mechanics* (the grids are laid out right, psi = 0 gives one image,
# the styles mix) on a barely trained generator, not good samples. ``full``
# (default with a GPU) trains 256-channel networks with the paper's 8-layer
# mapping network on all 60,000 images for 40 epochs.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.callbacks import make_image_grid
from keras_dlkit.datasets import load_fashion_mnist
from keras_dlkit.models import stylegan_generate, stylegan_styles, stylegan_synthesize

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {
        "train": 640,
        "epochs": 2,
        "batch_size": 32,
        "latent_dim": 32,
        "mapping_layers": 2,
        "channel_base": 128,
        "channel_max": 16,
    },
    "full": {
        "train": 60000,
        "epochs": 40,
        "batch_size": 64,
        "latent_dim": 256,
        "mapping_layers": 8,
        "channel_base": 8192,
        "channel_max": 256,
    },
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# StyleGAN needs power-of-2 sizes: the 28x28 images are padded to 32x32 with
# the background colour and scaled to ``[-1, 1]`` (the generator has no output
# activation, as in the paper).
(x_train, _), (x_test, _) = load_fashion_mnist()


def to_32(images):
    images = images.astype("float32") / 127.5 - 1.0
    return np.pad(images, ((0, 0), (2, 2), (2, 2)), constant_values=-1.0)[..., None]


x_train = to_32(x_train[: SIZES["train"]])
x_test = to_32(x_test[:500])
print("train:", x_train.shape, "range:", x_train.min(), x_train.max())


def show(ax, images, rows, cols, title):
    grid = make_image_grid(np.clip(images[..., 0], -1, 1), rows, cols, padding=1)
    ax.imshow(grid, cmap="gray", vmin=-1, vmax=1)
    ax.set_title(title)
    ax.axis("off")


# %%
# Look at the data
# ----------------
fig, ax = plt.subplots(figsize=(5, 5))
show(ax, x_train[:64], 8, 8, "Real images, padded to 32x32")

# %%
# Model
# -----
# The generator: mapping network (``z`` normalised, then dense layers with a
# 100x smaller learning rate), then one synthesis block per resolution, 4x4
# to 32x32, each with two modulated 3x3 convolutions (one upsampling), two
# noise inputs and a toRGB output. 32x32 images use ``2 * log2(32) - 2 = 8``
# styles: two per resolution, toRGB sharing its style with the next block.
# The discriminator is StyleGAN2's residual network with minibatch standard
# deviation. Every layer uses the equalized learning rate.
gan = keras_dlkit.models.create_model(
    "stylegan",
    image_shape=(32, 32, 1),
    latent_dim=SIZES["latent_dim"],
    mapping_layers=SIZES["mapping_layers"],
    channel_base=SIZES["channel_base"],
    channel_max=SIZES["channel_max"],
    seed=0,
)
generator = gan.generator
NUM_WS = generator.get_layer("style_mixing").num_ws
for part in (generator.get_layer("mapping"), generator.get_layer("synthesis")):
    print(f"{part.name}: {part.count_params():,} parameters")
print(f"discriminator: {gan.discriminator.count_params():,} parameters")
print("styles per image:", NUM_WS)

# %%
# Train
# -----
# ``compile()`` defaults to StyleGAN2's settings: the non-saturating loss,
# ``Adam(0.002, beta_1=0, beta_2=0.99)`` and the R1 penalty with
# ``gamma = 10``, which the paper tuned for 1024x1024 faces. For small
# images StyleGAN2-ADA uses ``gamma = 0.0002 * size**2 / batch``, so we pass
# that. Style mixing, the noise and the moving average of ``w`` all run
# inside the generator's layers during ``fit()``.
gamma = 0.0002 * 32**2 / SIZES["batch_size"]
gan.compile(r1_penalty_weight=gamma)
print(f"R1 gamma = {gamma:.4f}")
start = time.perf_counter()
history = gan.fit(
    x_train, epochs=SIZES["epochs"], batch_size=SIZES["batch_size"], verbose=2
)
print(f"trained in {time.perf_counter() - start:.1f} s")

# %%
# Evaluate
# --------
# A GAN has no test loss. Rough checks: the discriminator's accuracy on
# held-out real images against generated ones (50 % would mean it can no
# longer tell them apart), the generated pixels' mean and spread against the
# real ones, and how truncation narrows the samples: the per-pixel standard
# deviation over 128 samples shrinks towards zero as ``psi`` goes to 0.
rng = np.random.default_rng(1)
z = rng.standard_normal((128, SIZES["latent_dim"])).astype("float32")
fake = keras.ops.convert_to_numpy(stylegan_generate(generator, z))
real_logits = keras.ops.convert_to_numpy(gan.discriminator(x_test[:128]))
fake_logits = keras.ops.convert_to_numpy(gan.discriminator(fake))
accuracy = (np.mean(real_logits > 0) + np.mean(fake_logits < 0)) / 2
print(f"discriminator accuracy, held-out real vs generated: {accuracy:.3f}")
print(
    f"pixel mean/std  real {x_test.mean():.3f}/{x_test.std():.3f}"
    f"  generated {fake.mean():.3f}/{fake.std():.3f}"
)
PSIS = (0.0, 0.25, 0.5, 0.75, 1.0)
for psi in PSIS:
    images = keras.ops.convert_to_numpy(
        stylegan_generate(generator, z, truncation_psi=psi, noise_mode="const")
    )
    print(f"psi={psi:.2f}: per-pixel std over samples {images.std(axis=0).mean():.4f}")

# %%
# Samples
# -------
# 64 samples with ``psi = 1`` (no truncation) and random noise, as the
# generator produces them.
fig, ax = plt.subplots(figsize=(5, 5))
show(ax, fake[:64], 8, 8, "Generated samples (psi = 1)")

# %%
# Style mixing
# ------------
# Five row sources and five column sources; each cell takes its *coarse*
# styles (the 4x4 and 8x8 layers, styles 0-3) from its row's source and its
# *fine* styles (16x16 and 32x32, styles 4-7) from its column's source. The
# noise is the layers' fixed noise maps (``noise_mode="const"``), so only the
# styles differ between cells. With a trained generator the rows share
# silhouettes and the columns share shading and detail.
COARSE = NUM_WS // 2
sources = rng.standard_normal((10, SIZES["latent_dim"])).astype("float32")
ws = keras.ops.convert_to_numpy(stylegan_styles(generator, sources))
row_ws, col_ws = ws[:5], ws[5:]
mixed = np.concatenate(
    [
        np.repeat(row_ws[:, None, :COARSE], 5, axis=1),
        np.repeat(col_ws[None, :, COARSE:], 5, axis=0),
    ],
    axis=2,
).reshape(25, NUM_WS, -1)
cells = keras.ops.convert_to_numpy(
    stylegan_synthesize(generator, mixed, noise_mode="const")
)
sources_images = keras.ops.convert_to_numpy(
    stylegan_synthesize(generator, ws, noise_mode="const")
)
blank = np.full((1, 32, 32, 1), -1.0, "float32")
layout = [blank, sources_images[5:]]
for i in range(5):
    layout += [sources_images[i : i + 1], cells[5 * i : 5 * i + 5]]
fig, ax = plt.subplots(figsize=(6, 6))
show(ax, np.concatenate(layout), 6, 6, "Coarse styles from rows, fine from columns")

# %%
# Truncation
# ----------
# Each row is one latent, each column a ``psi`` from 0 to 1. The first column
# is the same image in every row: the image of the average ``w``.
strip_z = rng.standard_normal((6, SIZES["latent_dim"])).astype("float32")
strip = [
    keras.ops.convert_to_numpy(
        stylegan_generate(generator, strip_z, truncation_psi=psi, noise_mode="const")
    )
    for psi in PSIS
]
strip = np.stack(strip, axis=1).reshape(-1, 32, 32, 1)
fig, ax = plt.subplots(figsize=(4, 5))
show(ax, strip, 6, len(PSIS), "psi = " + ", ".join(f"{p:g}" for p in PSIS))
print(
    "max difference between rows at psi=0:",
    float(np.abs(strip[0 :: len(PSIS)] - strip[0]).max()),
)

# %%
# Loss curves
# -----------
# The two losses pull against each other; ``r1_penalty`` is the unweighted
# mean squared gradient norm of the discriminator on real images.
fig, ax = plt.subplots(figsize=(6, 3.5))
epochs = np.arange(1, SIZES["epochs"] + 1)
for key in ("d_loss", "g_loss"):
    ax.plot(epochs, history.history[key], "o-", label=key)
ax.set(xlabel="epoch", ylabel="loss")
ax.legend()
fig.tight_layout()

# %%
# Conclusion
# ----------
# The quick profile trains for a few CPU seconds, and a StyleGAN needs hours
# on a GPU: its samples are blurred, grey, roughly garment-sized blobs, the
# discriminator still separates them from real images, and the style-mixing
# grid and truncation strip show the machinery working (rows and columns
# carry their sources' styles, every row of the ``psi = 0`` column is the
# same image, and the per-pixel spread printed above grows with ``psi``)
# rather than meaningful fashion. The full profile (256 channels, the 8-layer
# mapping network, all 60,000 images, 40 epochs) is where recognisable
# clothes, a mixing grid whose rows keep a silhouette, and a truncation strip
# that trades variety for typicality appear; the pictures on this page come
# from whichever profile built it. Not reproduced from the paper: lazy
# regularisation, the path length penalty, the generator's weight average
# and the FIR resampling filters.
