"""
Semantic segmentation of cell nuclei with U-Net
===============================================

Semantic segmentation labels every pixel. U-Net (Ronneberger et al., 2015)
does it with an encoder that halves the resolution step by step and a
decoder that doubles it back, each decoder step concatenating the encoder's
map of the same size (the skip connection) so that fine detail survives the
bottleneck. Here we train :func:`keras_dlkit.models.unet` to separate nuclei
from background in a fluorescence microscopy image (512x512, 125 nuclei, from
the 2018 Data Science Bowl as bundled with stardist), on random crops of the
left three quarters of the image, and measure Dice and IoU on the right
quarter, which the network never sees.
"""

# %%
# Setup
# -----
# ``quick`` (default on a CPU) trains a narrow U-Net for a few hundred steps;
# ``full`` (default with a GPU) trains a wider one for longer.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import load_nuclei
from keras_dlkit.losses import soft_dice_loss

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"crop": 64, "crops": 384, "filters": 8, "depth": 3, "epochs": 4},
    "full": {"crop": 128, "crops": 4096, "filters": 32, "depth": 4, "epochs": 30},
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# :func:`keras_dlkit.datasets.load_nuclei` returns the image, an instance
# mask (one id per nucleus) and one box per nucleus. For semantic
# segmentation every nucleus is simply foreground. Columns 0-383 train,
# columns 384-511 are held out.
image, instances, _ = load_nuclei()
image = (image / image.max()).astype("float32")
foreground = (instances > 0).astype("float32")
split = 384
train_image, train_mask = image[:, :split], foreground[:, :split]
test_image, test_mask = image[:, split:], foreground[:, split:]
print("image", image.shape, "foreground fraction", foreground.mean().round(3))


def random_crops(img, mask, count, size, rng):
    """Random square crops with random flips and 90-degree rotations."""
    rows = rng.integers(0, img.shape[0] - size + 1, count)
    cols = rng.integers(0, img.shape[1] - size + 1, count)
    x = np.stack(
        [img[r : r + size, c : c + size] for r, c in zip(rows, cols, strict=True)]
    )
    y = np.stack(
        [mask[r : r + size, c : c + size] for r, c in zip(rows, cols, strict=True)]
    )
    for i in range(count):
        k = rng.integers(4)
        x[i], y[i] = np.rot90(x[i], k), np.rot90(y[i], k)
        if rng.random() < 0.5:
            x[i], y[i] = x[i][:, ::-1], y[i][:, ::-1]
    return x[..., None], y[..., None]


rng = np.random.default_rng(0)
x_train, y_train = random_crops(
    train_image, train_mask, SIZES["crops"], SIZES["crop"], rng
)
x_val, y_val = random_crops(test_image, test_mask, 64, SIZES["crop"], rng)
print("train crops", x_train.shape, "validation crops", x_val.shape)

# %%
# Look at the data
# ----------------
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
axes[0].imshow(image, cmap="magma")
axes[0].axvline(split - 0.5, color="w", ls="--")
axes[0].set_title("image (dashed: train | held out)")
axes[1].imshow(instances, cmap="tab20", interpolation="nearest")
axes[1].set_title(f"{len(np.unique(instances)) - 1} nuclei (instance mask)")
axes[2].imshow(x_train[0, ..., 0], cmap="magma")
axes[2].contour(y_train[0, ..., 0], levels=[0.5], colors="c")
axes[2].set_title("a training crop and its mask")
for ax in axes:
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# One output channel with a sigmoid (foreground probability) and "same"
# padding so the output has the input's size; no batch normalization (with a
# few hundred steps its moving statistics would lag behind the weights). The
# model takes any height and width that are multiples of ``2**depth``: it
# trains on crops and predicts the whole held-out strip at once.
model = keras_dlkit.models.unet(
    input_shape=(None, None, 1),
    num_classes=1,
    filters=SIZES["filters"],
    depth=SIZES["depth"],
    classifier_activation="sigmoid",
)
print(f"{model.count_params():,} parameters")


def bce_dice(y_true, y_pred):
    """Pixel-wise cross-entropy plus the soft Dice loss of each crop."""
    bce = keras.ops.mean(keras.losses.binary_crossentropy(y_true, y_pred), axis=(1, 2))
    return bce + soft_dice_loss(y_true, y_pred)


# %%
# Train
# -----
# Keras's ``BinaryIoU`` (threshold 0.5, foreground class) is the metric; the
# loss adds :func:`keras_dlkit.losses.soft_dice_loss` to the cross-entropy,
# which balances the small foreground against the background.
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=bce_dice,
    metrics=[keras.metrics.BinaryIoU(target_class_ids=[1], name="iou")],
)
start = time.perf_counter()
history = model.fit(
    x_train,
    y_train,
    validation_data=(x_val, y_val),
    epochs=SIZES["epochs"],
    batch_size=16,
    verbose=2,
)
print(f"trained in {time.perf_counter() - start:.1f} s")

# %%
# Evaluate on the held-out strip
# ------------------------------
# Dice and IoU of the thresholded prediction over the whole 512x128 strip.
# For sets of pixels, Dice = 2 IoU / (1 + IoU).
probability = model.predict(test_image[None, ..., None], verbose=0)[0, ..., 0]
iou_metric = keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
iou_metric.update_state(test_mask, probability)
iou = float(iou_metric.result())
dice = 2 * iou / (1 + iou)
print(f"held-out IoU {iou:.3f}  Dice {dice:.3f}")

# %%
# Predicted masks
# ---------------
# Cyan: the true nuclei outlines; red: the prediction at probability 0.5.
fig, axes = plt.subplots(1, 3, figsize=(10, 7))
axes[0].imshow(test_image, cmap="magma")
axes[0].set_title("held-out strip")
axes[1].imshow(probability, cmap="gray", vmin=0, vmax=1)
axes[1].set_title("foreground probability")
axes[2].imshow(test_image, cmap="magma")
axes[2].contour(test_mask, levels=[0.5], colors="c", linewidths=1)
axes[2].contour(probability, levels=[0.5], colors="r", linewidths=1)
axes[2].set_title(f"overlay (IoU {iou:.2f}, Dice {dice:.2f})")
for ax in axes:
    ax.axis("off")
fig.tight_layout()

# %%
# Learning curves
# ---------------
fig, (ax_loss, ax_iou) = plt.subplots(1, 2, figsize=(10, 3.5))
epochs = np.arange(1, SIZES["epochs"] + 1)
ax_loss.plot(epochs, history.history["loss"], label="train")
ax_loss.plot(epochs, history.history["val_loss"], "--", label="held out")
ax_iou.plot(epochs, history.history["iou"], label="train")
ax_iou.plot(epochs, history.history["val_iou"], "--", label="held out")
ax_loss.set(xlabel="epoch", ylabel="BCE + Dice loss", title="Loss")
ax_iou.set(xlabel="epoch", ylabel="IoU", title="Foreground IoU")
ax_loss.legend()
ax_iou.legend()
fig.tight_layout()

# %%
# Conclusion
# ----------
# Even the quick profile's small U-Net (a few thousand parameters, a couple
# of minutes of CPU at most) finds the nuclei, because bright blobs on a dark
# background are an easy per-pixel problem; its mistakes are at the borders
# and where touching nuclei merge. The full profile's wider, deeper network
# trained for longer draws tighter outlines. Separating touching nuclei needs
# instance segmentation (a boundary class, or a detector such as the one in
# the object-detection example).
