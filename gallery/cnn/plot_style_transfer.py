"""
Neural style transfer: a photo in the style of a painting
=========================================================

Gatys, Ecker and Bethge (2016) found that a convolutional network trained
for classification separates the *content* of an image (what is where: the
feature maps of a deep layer) from its *style* (which features occur
together, whatever the position: the Gram matrices of the feature maps of
several layers). Style transfer then optimises the pixels of an image so
that its content features match a photo's and its Gram matrices match a
painting's. :func:`keras_dlkit.models.style_transfer` does this with VGG19
features; the optimisation is an ordinary ``fit`` of a model whose only
trainable weight is the image, so it runs on every Keras backend.

.. note::

   This needs VGG19's **ImageNet weights**, which the ``full`` profile
   downloads (``weights="imagenet"``). The build machines of this gallery
   have no internet, so the **quick profile uses VGG19 with random
   weights**: the losses fall and the mechanics are the same, but the
   "style" is then the statistics of random filters, and the picture shows
   coloured texture noise rather than brush strokes. Run the example with
   ``DLKIT_GALLERY_PROFILE=full`` on a machine with internet (and ideally a
   GPU) to see a real result.
"""

# %%
# Setup
# -----
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import load_photo

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"height": 96, "steps": 30, "weights": None},
    "full": {"height": 384, "steps": 500, "weights": "imagenet"},
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# The photo is scikit-image's ``chelsea`` (a cat), the painting van Gogh's
# *The Starry Night* (OpenCV's sample image), both from
# :func:`keras_dlkit.datasets.load_photo`. Both are scaled to the profile's
# height; the painting may keep its own size, because normalised Gram
# matrices do not depend on it.


def resize(photo, height):
    """uint8 RGB to float RGB in [0, 1] of the given height."""
    width = int(round(photo.shape[1] * height / photo.shape[0]))
    scaled = keras.ops.image.resize(photo.astype("float32") / 255.0, (height, width))
    return np.clip(keras.ops.convert_to_numpy(scaled), 0.0, 1.0)


content = resize(load_photo("chelsea"), SIZES["height"])
style = resize(load_photo("starry_night"), SIZES["height"])
print("content", content.shape, "style", style.shape)

# %%
# Look at the data
# ----------------
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
for ax, picture, title in zip(
    axes, (content, style), ("content: chelsea", "style: The Starry Night"), strict=True
):
    ax.imshow(picture)
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# VGG19 without its classifier, from :func:`keras_dlkit.models.vgg19`. Its
# ImageNet weights come from ``keras.applications`` through
# :func:`keras_dlkit.models.from_keras_applications` when there is internet.
# The paper's layers: style from ``block1_conv1`` ... ``block5_conv1`` with
# equal weights, content from one deep layer (``block5_conv2``, as in the
# keras.io example; the paper uses ``block4_conv2``).
weights = SIZES["weights"]
try:
    vgg = keras_dlkit.models.vgg19(
        input_shape=(None, None, 3), include_top=False, weights=weights
    )
except Exception as error:  # no internet: say so, and go on with random weights
    print(f"could not load ImageNet weights ({type(error).__name__}); random weights")
    weights = None
    vgg = keras_dlkit.models.vgg19(input_shape=(None, None, 3), include_top=False)
print(f"VGG19 features, {vgg.count_params():,} parameters, weights={weights}")

# %%
# Optimise the image
# ------------------
# Starting from the photo, Adam moves the pixels (kept in [0, 1]) to lower
# ``content_weight * L_content + style_weight * L_style``; the default ratio
# is the paper's 1e-3. Each step runs VGG19 forward and backward once.
start = time.perf_counter()
image, history = keras_dlkit.models.style_transfer(
    content,
    style,
    feature_model=vgg,
    steps=SIZES["steps"],
    initial_image="content",
)
print(f"{SIZES['steps']} steps in {time.perf_counter() - start:.1f} s")
print(
    f"style loss {history['style_loss'][0]:.4g} -> {history['style_loss'][-1]:.4g}, "
    f"content loss {history['content_loss'][0]:.4g} -> {history['content_loss'][-1]:.4g}"
)

# %%
# The result
# ----------
title = "ImageNet VGG19" if weights == "imagenet" else "RANDOM-weight VGG19 (offline)"
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for ax, picture, name in zip(
    axes, (content, style, image), ("content", "style", f"result, {title}"), strict=True
):
    ax.imshow(picture)
    ax.set_title(name, fontsize=10)
    ax.axis("off")
fig.tight_layout()

# %%
# Losses during the optimisation
# ------------------------------
# Starting from the photo the content loss is zero and grows as the style
# loss falls: the optimisation trades one against the other.
fig, ax = plt.subplots(figsize=(6, 3.5))
steps = np.arange(1, SIZES["steps"] + 1)
ax.semilogy(steps, history["style_loss"], label="style loss")
ax.semilogy(steps[1:], history["content_loss"][1:], label="content loss")
ax.set(xlabel="step", ylabel="loss (log scale)", title="Gatys losses per step")
ax.legend()
fig.tight_layout()

# %%
# Conclusion
# ----------
# The style loss falls by an order of magnitude while the content loss stays
# bounded, on any backend and with no custom training loop. In the quick
# profile the network's weights are random, so what is transferred is the
# texture statistics of random filters: coloured noise laid over the cat.
# With ImageNet weights (``full`` profile, internet needed) the same code
# paints the swirls and the palette of *The Starry Night* onto the photo; a
# ``total_variation_weight`` then smooths the result.
