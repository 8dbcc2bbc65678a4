"""
The CNN zoo: parameters, FLOPs and feature maps
===============================================

Every convolutional network in :mod:`keras_dlkit.models` at the size its
authors trained it: how many parameters it has and how many
multiply-accumulates (MACs) one image costs, from LeNet-5's 61 thousand
parameters to EfficientNet-B7's 66 million. The counts come from
:func:`keras_dlkit.utils.count_flops`, which traces a model symbolically and
adds up the MACs of its convolutions and dense layers. Then we train the
smallest of them, LeNet-5, on Fashion-MNIST and look inside it: the feature
maps of its two convolutional stages, read with
:func:`keras_dlkit.models.feature_extractor`.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run. ``quick`` (default on a CPU) counts
# one network of each family (building and tracing all thirty takes a couple
# of minutes on a laptop) and trains for three epochs on 6,000 images;
# ``full`` (default with a GPU) counts every registered CNN and trains for
# twenty epochs on all 60,000.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist
from keras_dlkit.models import create_model, feature_extractor, list_models
from keras_dlkit.utils import count_flops

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"zoo": "sample", "train": 6000, "epochs": 3, "batch_size": 64},
    "full": {"zoo": "all", "train": 60000, "epochs": 20, "batch_size": 64},
}[PROFILE]
SAMPLE = ("lenet5", "resnet18", "googlenet", "efficientnet_b0")
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# The zoo
# -------
# Each builder runs with its defaults: the published input size (299x299 for
# Inception-v3, 600x600 for EfficientNet-B7, 32x32x1 for LeNet-5) and the
# 1000-class ImageNet head. The models are built inside a
# ``keras.StatelessScope(initialize_variables=False)``: the layers and the
# shapes of their weights exist, but no weight is drawn, so counting costs
# the time of building and tracing the graph only (the count runs inside the
# scope too). ``keras.utils.clear_session()`` then drops the
# never-initialized variables.
names = list_models(family="cnn")
counted = names if SIZES["zoo"] == "all" else [n for n in names if n in SAMPLE]
rows = []
for name in counted:
    start = time.perf_counter()
    with keras.StatelessScope(initialize_variables=False):
        model = create_model(name)
        shape = tuple(model.input_shape[1:])
        if None in shape:  # A fully convolutional builder: count at 256x256.
            shape = (256, 256, *shape[2:])
        macs = count_flops(model, shape)
    rows.append(
        {
            "name": name,
            "input": "x".join(str(d) for d in shape),
            "params": model.count_params(),
            "macs": macs,
            "seconds": time.perf_counter() - start,
        }
    )
    del model
    keras.utils.clear_session()

print(f"{'model':18s} {'input':>11s} {'params':>12s} {'GMACs':>8s}")
for row in rows:
    print(
        f"{row['name']:18s} {row['input']:>11s} {row['params']:>12,d} "
        f"{row['macs'] / 1e9:8.3f}"
    )
skipped = [n for n in names if n not in counted]
if skipped:
    print(f"counted in the full profile only: {', '.join(skipped)}")
print(f"building and counting took {sum(r['seconds'] for r in rows):.1f} s")

# %%
# Parameters against cost
# -----------------------
# Parameters and MACs are different budgets: VGG's dense head holds most of
# its 138 million parameters but costs little, while its 3x3 convolutions on
# large maps cost most of its 15 GMACs. GoogLeNet has fewer parameters than
# AlexNet for more computation; EfficientNet buys accuracy with depthwise
# convolutions, which are cheap in both.
order = sorted(rows, key=lambda row: row["macs"])
fig, (ax_params, ax_macs) = plt.subplots(
    1, 2, figsize=(10, 0.35 * len(order) + 1.5), sharey=True
)
labels = [row["name"] for row in order]
ax_params.barh(labels, [row["params"] / 1e6 for row in order], color="tab:blue")
ax_macs.barh(labels, [row["macs"] / 1e9 for row in order], color="tab:orange")
ax_params.set(xscale="log", xlabel="parameters (millions)", title="Parameters")
ax_macs.set(xscale="log", xlabel="GMACs per image", title="Cost of one forward pass")
fig.tight_layout()

# %%
# Data
# ----
# Fashion-MNIST, zero-padded to the 32x32 inputs LeNet-5 was designed for,
# with a channel axis.
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
fig, axes = plt.subplots(1, 8, figsize=(10, 1.8))
for ax, image, label in zip(axes, x_train[:8], y_train[:8], strict=True):
    ax.imshow(image[..., 0], cmap="gray_r")
    ax.set_title(FASHION_MNIST_CLASSES[label], fontsize=8)
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# The smallest network of the zoo, LeNet-5 (tanh, average pooling), whose
# stages are ``stage_1`` (C1 and S2: six 14x14 maps) and ``stage_2`` (C3
# and S4: sixteen 5x5 maps).
model = create_model("lenet5", input_shape=(32, 32, 1), num_classes=10)
print(f"{model.count_params():,} parameters, {count_flops(model):,} MACs per image")
print(keras_dlkit.models.feature_info(model))

# %%
# Train
# -----
model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
start = time.perf_counter()
history = model.fit(
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
# Feature maps
# ------------
# :func:`~keras_dlkit.models.feature_extractor` turns the classifier into a
# model that returns its stage outputs as a dict. The first stage's six maps
# are filtered copies of the image (edges of one orientation, dark or light
# regions); the second stage's sixteen 5x5 maps are coarse detectors of
# where parts of the garment are.
features = feature_extractor(model, ["stage_1", "stage_2"])
images = x_test[:3]
maps = {k: keras.ops.convert_to_numpy(v) for k, v in features(images).items()}
fig, axes = plt.subplots(3, 9, figsize=(11, 4.2))
for row, image in enumerate(images):
    axes[row, 0].imshow(image[..., 0], cmap="gray_r")
    axes[row, 0].set_title(FASHION_MNIST_CLASSES[y_test[row]], fontsize=8)
    for col in range(4):
        axes[row, 1 + col].imshow(maps["stage_1"][row, ..., col], cmap="viridis")
        axes[row, 5 + col].imshow(maps["stage_2"][row, ..., col], cmap="viridis")
axes[0, 1].set_title("stage_1 (14x14)", fontsize=8, loc="left")
axes[0, 5].set_title("stage_2 (5x5)", fontsize=8, loc="left")
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()

# %%
# Conclusion
# ----------
# Parameter count and computation are separate axes: a model's size on disk
# says little about its speed. The feature extractor reads any stage of any
# builder by name, which is how the U-Net and the detector of this gallery
# reuse these backbones. The quick profile counts four networks and trains
# LeNet-5 for three epochs on a tenth of the data; the full profile counts
# the whole zoo and trains for twenty epochs on everything.
