"""
Variational autoencoder: a 2-D latent space of Fashion-MNIST
============================================================

A variational autoencoder (Kingma & Welling, 2014) makes an autoencoder
generative. The encoder outputs a Gaussian ``q(z|x)`` (a mean and a
log-variance) instead of one code; a sample ``z`` drawn with the
reparameterization trick (:class:`keras_dlkit.layers.VAESampling`) goes
through the decoder, and training maximizes the evidence lower bound (ELBO):
the log-likelihood of the image under the decoder minus the KL divergence
of ``q(z|x)`` from the prior ``N(0, I)``
(:func:`keras_dlkit.losses.gaussian_kl_divergence`). The KL term packs the
codes of all images into the region the prior covers, so any point of that
region decodes to a plausible image.

With only two latent dimensions we can look at the whole latent space: we
train :func:`keras_dlkit.models.vae` (a :class:`keras_dlkit.training.VAE`
trainer, plain ``fit()``) on Fashion-MNIST, plot where test images land,
decode a grid of points of the plane, and walk in a straight line from one
test image to another.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run. ``quick`` (default on a CPU) trains
# on 10,000 images for 6 epochs: the classes already separate in the latent
# plane and the decoded grid shows every kind of garment, with blurry
# details. ``full`` (default with a GPU) trains on all 60,000 images for 50
# epochs, which sharpens the images and tightens the ELBO.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"train": 10000, "epochs": 6, "batch_size": 100},
    "full": {"train": 60000, "epochs": 50, "batch_size": 100},
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# Grey levels in ``[0, 1]``; the decoder models each pixel as a Bernoulli
# probability, as Kingma & Welling did for MNIST.
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train[: SIZES["train"], ..., None].astype("float32") / 255.0
x_test = x_test[..., None].astype("float32") / 255.0
print("train:", x_train.shape, "test:", x_test.shape)

# %%
# Look at the data
# ----------------
fig, axes = plt.subplots(1, 10, figsize=(10, 1.6))
for label, ax in enumerate(axes):
    ax.imshow(
        x_train[np.argmax(y_train[: len(x_train)] == label), ..., 0], cmap="gray_r"
    )
    ax.set_title(FASHION_MNIST_CLASSES[label], fontsize=7)
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# A fully connected encoder 784 -> 256 -> 128 -> (z_mean, z_log_var) in two
# dimensions and the mirrored decoder with a sigmoid output.
# ``compile()`` with no arguments uses ``Adam(1e-3)``.
vae = keras_dlkit.models.create_model(
    "vae", input_shape=(28, 28, 1), latent_dim=2, hidden_units=(256, 128), seed=0
)
vae.encoder.summary()
vae.compile()

# %%
# Train
# -----
# The logs hold the loss (the negative ELBO, per image, in nats) and its two
# terms. Before training the decoder predicts about 0.5 for every pixel:
# about 784 * log 2 = 543 nats of reconstruction loss.
before = vae.evaluate(x_test, batch_size=1000, verbose=0, return_dict=True)
start = time.perf_counter()
history = vae.fit(
    x_train,
    epochs=SIZES["epochs"],
    batch_size=SIZES["batch_size"],
    validation_data=(x_test[:2000], x_test[:2000]),
    verbose=2,
)
print(f"training: {time.perf_counter() - start:.1f} s")

# %%
# Evaluate
# --------
# The ELBO on the 10,000 test images, before and after training.
after = vae.evaluate(x_test, batch_size=1000, verbose=0, return_dict=True)
for when, logs in (("before", before), ("after", after)):
    elbo = -(logs["reconstruction_loss"] + logs["kl_loss"])
    print(
        f"{when:6s} training: ELBO {elbo:8.1f} nats = -{logs['reconstruction_loss']:.1f}"
        f" (reconstruction) - {logs['kl_loss']:.2f} (KL)"
    )

fig, (ax_loss, ax_kl) = plt.subplots(1, 2, figsize=(10, 3.5))
epochs = np.arange(1, SIZES["epochs"] + 1)
ax_loss.plot(epochs, history.history["loss"], label="train")
ax_loss.plot(epochs, history.history["val_loss"], "--", label="validation")
ax_loss.set(xlabel="epoch", ylabel="nats per image", title="Negative ELBO")
ax_kl.plot(epochs, history.history["kl_loss"], label="train")
ax_kl.plot(epochs, history.history["val_kl_loss"], "--", label="validation")
ax_kl.set(xlabel="epoch", ylabel="nats per image", title="KL(q(z|x) || N(0, I))")
ax_loss.legend()
fig.tight_layout()

# %%
# The latent space
# ----------------
# Each test image placed at the mean of its ``q(z|x)``. Similar garments
# land together although the model never saw a label: trousers on one side,
# footwear (sandals, sneakers, ankle boots) together in another region, the
# tops (T-shirts, pullovers, coats, shirts) overlapping, as they do in pixel
# space, with dresses and bags next to them. The posterior standard
# deviations printed above are much smaller than the spread of the means:
# each image gets a precise place in the plane.
z_mean, z_log_var = (
    keras.ops.convert_to_numpy(t)
    for t in vae.encoder.predict(x_test, batch_size=1000, verbose=0)
)
print("mean posterior std per latent dimension:", np.exp(0.5 * z_log_var).mean(axis=0))
fig, ax = plt.subplots(figsize=(7.5, 6))
points = ax.scatter(z_mean[:, 0], z_mean[:, 1], c=y_test, cmap="tab10", s=2)
handles = [
    plt.Line2D([], [], marker="o", linestyle="", color=points.cmap(points.norm(c)))
    for c in range(10)
]
ax.legend(handles, FASHION_MNIST_CLASSES, fontsize=7, markerscale=0.8, loc="best")
ax.set(xlabel="z[0]", ylabel="z[1]", title="Test images in the latent plane")
fig.tight_layout()

# %%
# Decoding a grid of the latent plane
# -----------------------------------
# The decoder turns every point of the plane into an image. The grid covers
# the central part of the prior (from -2.5 to 2.5 standard deviations) and
# shows garments morphing smoothly into one another: the KL term left no
# holes between the classes.
n = 15
grid = np.linspace(-2.5, 2.5, n)
z = np.array([[a, b] for b in grid[::-1] for a in grid], "float32")
images = keras.ops.convert_to_numpy(vae.decoder.predict(z, verbose=0))
canvas = images[..., 0].reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, -1)
fig, ax = plt.subplots(figsize=(7, 7))
ax.imshow(canvas, cmap="gray_r", extent=[-2.5, 2.5, -2.5, 2.5])
ax.set(xlabel="z[0]", ylabel="z[1]", title="Decoded latent grid")
fig.tight_layout()

# %%
# Interpolations
# --------------
# A straight line between the latent means of two test images, decoded at
# ten points. For each class we take its most typical test image (the one
# closest to the class's median code). The path passes through plausible
# garments all the way: the T-shirt grows sleeves into a pullover, the
# sandal fills into an ankle boot, and the trouser crosses other garments
# (dress- and top-like shapes, in this run) on its way to a bag.


def typical(label):
    """Index of the test image of ``label`` closest to the class's median code."""
    members = np.flatnonzero(y_test == label)
    centre = np.median(z_mean[members], axis=0)
    return members[np.argmin(np.sum((z_mean[members] - centre) ** 2, axis=1))]


pairs = [(typical(0), typical(2)), (typical(5), typical(9)), (typical(1), typical(8))]
steps = np.linspace(0.0, 1.0, 10)
fig, axes = plt.subplots(len(pairs), len(steps), figsize=(10, 1.2 * len(pairs)))
for row, (i, j) in enumerate(pairs):
    path = np.array([(1 - t) * z_mean[i] + t * z_mean[j] for t in steps], "float32")
    decoded = keras.ops.convert_to_numpy(vae.decoder.predict(path, verbose=0))
    for col, image in enumerate(decoded):
        axes[row, col].imshow(image[..., 0], cmap="gray_r", vmin=0, vmax=1)
        axes[row, col].axis("off")
    axes[row, 0].set_title(FASHION_MNIST_CLASSES[y_test[i]], fontsize=7, loc="left")
    axes[row, -1].set_title(FASHION_MNIST_CLASSES[y_test[j]], fontsize=7, loc="right")
fig.tight_layout()

# %%
# Conclusion
# ----------
# Two latent numbers are enough for a VAE to lay out Fashion-MNIST by kind
# of garment and to generate new images from any point of the prior; the
# test ELBO rises by hundreds of nats from the untrained model. Two
# dimensions are a strong bottleneck, which is why the decoded images are
# blurry: a larger ``latent_dim`` (16 or 32) reconstructs far better, and
# ``beta`` > 1 (a beta-VAE) trades reconstruction for a smoother, more
# disentangled latent space. The quick profile trains a few epochs on a
# subset; the full profile trains on all 60,000 images.
