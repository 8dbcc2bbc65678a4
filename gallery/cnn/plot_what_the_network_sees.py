"""
What the network sees: Grad-CAM and first-layer filters
=======================================================

Two ways to look inside a trained convolutional network. Its **first-layer
filters** are its weights read as images: after training they become edge
and blob detectors. **Grad-CAM** (Selvaraju et al., 2017) asks where in the
image the evidence for a class is: it weights each channel of a
convolutional layer's output by the average gradient of the class score
with respect to that channel, sums the weighted maps and keeps the positive
part. We train LeNet-5 (:func:`keras_dlkit.models.lenet5`, with ReLU) on
Fashion-MNIST and draw both.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run: ``quick`` (default on a CPU) trains
# for four epochs on 6,000 images, enough for readable heatmaps and filters;
# ``full`` (default with a GPU) trains for fifteen epochs on all 60,000.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"train": 6000, "epochs": 4, "batch_size": 64},
    "full": {"train": 60000, "epochs": 15, "batch_size": 64},
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# 28x28 images zero-padded to LeNet-5's 32x32, with a channel axis.
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()


def prepare(images):
    images = images.astype("float32") / 255.0
    return np.pad(images, ((0, 0), (2, 2), (2, 2)))[..., None]


x_train, y_train = prepare(x_train[: SIZES["train"]]), y_train[: SIZES["train"]]
x_test, y_test = prepare(x_test[:2000]), y_test[:2000]
print("train:", x_train.shape, "test:", x_test.shape)

# %%
# Look at the data
# ----------------
fig, axes = plt.subplots(1, 10, figsize=(11, 1.6))
for label, ax in enumerate(axes):
    ax.imshow(x_train[np.flatnonzero(y_train == label)[0], ..., 0], cmap="gray_r")
    ax.set_title(FASHION_MNIST_CLASSES[label], fontsize=7)
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# LeNet-5 with ReLU, returning logits (Grad-CAM differentiates the class
# score before the softmax). Its first layer ``c1`` has six 5x5 filters; its
# last convolution with a spatial extent, ``c3``, gives sixteen 10x10 maps:
# that is where Grad-CAM looks.
model = keras_dlkit.models.lenet5(
    input_shape=(32, 32, 1), activation="relu", classifier_activation=None
)
filters_before = keras.ops.convert_to_numpy(model.get_layer("c1").kernel).copy()
print(f"{model.count_params():,} parameters")

# %%
# Train
# -----
model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
start = time.perf_counter()
model.fit(
    x_train,
    y_train,
    validation_split=0.1,
    epochs=SIZES["epochs"],
    batch_size=SIZES["batch_size"],
    verbose=2,
)
print(f"training took {time.perf_counter() - start:.1f} s")

# %%
# Evaluate
# --------
score = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print(f"test accuracy {score['accuracy']:.4f}  loss {score['loss']:.4f}")

# %%
# First-layer filters
# -------------------
# Before training the six 5x5 kernels are noise; after, most are oriented
# edge detectors (a dark band next to a light one) or blob detectors, the
# filters every image network learns first.
filters_after = keras.ops.convert_to_numpy(model.get_layer("c1").kernel)
fig, axes = plt.subplots(2, 6, figsize=(8, 3))
for row, (title, kernels) in enumerate(
    (("before", filters_before), ("after", filters_after))
):
    for i, ax in enumerate(axes[row]):
        kernel = kernels[..., 0, i]
        limit = np.abs(kernel).max()
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.axis("off")
    axes[row, 0].set_title(f"{title} training", fontsize=8, loc="left")
fig.tight_layout()

# %%
# Gradients, on any backend
# -------------------------
# Grad-CAM needs the gradient of a class score with respect to a hidden
# feature map. Keras has no backend-neutral ``grad``, so this example asks
# the active backend for it: ``tf.GradientTape`` on TensorFlow, ``jax.grad``
# on JAX, ``backward()`` on PyTorch. The network is split at ``c3``: ``head``
# maps the image to the ``c3`` maps, ``tail`` the maps to the logits.
head = keras.Model(model.inputs[0], model.get_layer("c3").output)
tail = keras.Model(model.get_layer("c3").output, model.output)


def gradient(function, x):
    """The gradient of ``sum(function(x))`` with respect to ``x``."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = keras.ops.sum(function(x))
        return tape.gradient(total, x)
    if backend == "jax":
        import jax

        return jax.grad(lambda value: keras.ops.sum(function(value)))(x)
    if backend == "torch":
        x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
        keras.ops.sum(function(x)).backward()
        return x.grad
    raise ValueError(f"No gradient for the {backend!r} backend.")


def grad_cam(images, classes):
    """Grad-CAM heatmaps (``c3``'s 10x10 grid) for ``classes`` of ``images``."""
    maps = head(images)
    one_hot = keras.ops.one_hot(classes, 10)
    grads = gradient(lambda m: keras.ops.sum(tail(m) * one_hot, axis=-1), maps)
    maps = keras.ops.convert_to_numpy(maps)
    weights = keras.ops.convert_to_numpy(grads).mean(axis=(1, 2))  # (n, 16)
    cams = np.maximum(np.einsum("nhwc,nc->nhw", maps, weights), 0.0)
    return cams / np.maximum(cams.max(axis=(1, 2), keepdims=True), 1e-12)


images = x_test[:8]
predicted = np.argmax(keras.ops.convert_to_numpy(model(images)), axis=-1)
cams = grad_cam(images, predicted)
print("heatmap grid:", cams.shape)

# %%
# Grad-CAM heatmaps
# -----------------
# Each ``c3`` position sees a 14x14 patch of the input, so the 10x10 heatmap
# is stretched over the 32x32 image. For the predicted class the network
# looks at the garment's outline: collars and sleeves for tops, the sole
# and heel for shoes, the strap for bags. A heatmap for a wrong class
# (bottom row, the runner-up) lights up the regions that class would
# explain, usually much weaker before normalization.
logits = keras.ops.convert_to_numpy(model(images))
runner_up = np.argsort(logits, axis=-1)[:, -2]
cams_wrong = grad_cam(images, runner_up)
upsampled = {
    key: keras.ops.convert_to_numpy(
        keras.ops.image.resize(value[..., None], (32, 32), interpolation="bilinear")
    )[..., 0]
    for key, value in (("predicted", cams), ("runner-up", cams_wrong))
}
fig, axes = plt.subplots(3, 8, figsize=(11, 4.6))
for i in range(8):
    axes[0, i].imshow(images[i, ..., 0], cmap="gray_r")
    axes[0, i].set_title(f"true: {FASHION_MNIST_CLASSES[y_test[i]]}", fontsize=7)
    for row, (key, classes) in enumerate(
        (("predicted", predicted), ("runner-up", runner_up)), start=1
    ):
        axes[row, i].imshow(images[i, ..., 0], cmap="gray_r")
        axes[row, i].imshow(upsampled[key][i], cmap="jet", alpha=0.45)
        axes[row, i].set_title(
            f"{key}: {FASHION_MNIST_CLASSES[classes[i]]}", fontsize=7
        )
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()

# %%
# Conclusion
# ----------
# The filters show what the first layer measures; Grad-CAM shows where the
# last convolutional layer found the evidence for a decision, which is how
# one catches a classifier looking at the background instead of the object.
# The quick profile trains for four epochs on a tenth of the data (about
# 80% test accuracy) and already gives sensible heatmaps; the full profile
# trains to about 90% and sharper filters.
