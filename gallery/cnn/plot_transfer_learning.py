"""
Transfer learning: reuse a ResNet trained on other classes
==========================================================

Training a deep network needs many labelled images. Transfer learning
reuses a network trained on a large labelled set for a new task with few
labels: the convolutional features (edges, textures, parts) carry over, and
only a new head, and perhaps the last layers, is trained on the new labels.

Here the "large" task is five Fashion-MNIST classes (T-shirt, trouser,
pullover, dress, coat) and the new task the five others (sandal, shirt,
sneaker, bag, ankle boot) with only 20 labelled images per class. A small
:func:`keras_dlkit.models.resnet18` is pretrained on the first task; its
backbone then gets a new head trained on the 100 labels, first with the
backbone frozen, then fine-tuned. The same network trained from scratch on
the same 100 labels is the baseline. At the end we show how the builders
load ``keras.applications`` ImageNet weights for the same recipe on photos.
"""

# %%
# Setup
# -----
# ``quick`` (default on a CPU) pretrains on 5,000 images for 3 epochs;
# ``full`` (default with a GPU) on all 30,000 images of the first five
# classes for 15 epochs. Both fine-tune on the same 100 labelled images.
import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"pretrain": 5000, "pretrain_epochs": 3, "head_epochs": 30},
    "full": {"pretrain": 30000, "pretrain_epochs": 15, "head_epochs": 60},
}[PROFILE]
LABELS_PER_CLASS = 20
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# Images padded to 32x32 with a channel axis. Source task: labels 0-4;
# target task: labels 5-9, renumbered 0-4, with 20 training images per class
# (the rest of the target training images are not used) and the whole
# target test set for evaluation.
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()


def prepare(images):
    images = images.astype("float32") / 255.0
    return np.pad(images, ((0, 0), (2, 2), (2, 2)))[..., None]


source = y_train < 5
x_source = prepare(x_train[source][: SIZES["pretrain"]])
y_source = y_train[source][: SIZES["pretrain"]]

rng = np.random.default_rng(0)
few = np.concatenate(
    [
        rng.choice(np.flatnonzero(y_train == label), LABELS_PER_CLASS, replace=False)
        for label in range(5, 10)
    ]
)
x_few, y_few = prepare(x_train[few]), y_train[few] - 5
target_test = y_test >= 5
x_target_test, y_target_test = prepare(x_test[target_test]), y_test[target_test] - 5
SOURCE_NAMES, TARGET_NAMES = FASHION_MNIST_CLASSES[:5], FASHION_MNIST_CLASSES[5:]
print(
    "source:", x_source.shape, "few labels:", x_few.shape, "test:", x_target_test.shape
)

# %%
# Look at the data
# ----------------
# Top: the source task; bottom: the whole labelled training set of the
# target task has 20 images like these per class.
fig, axes = plt.subplots(2, 10, figsize=(11, 2.8))
for i in range(10):
    index = np.flatnonzero(y_source == i % 5)[i // 5]
    axes[0, i].imshow(x_source[index, ..., 0], cmap="gray_r")
    axes[0, i].set_title(SOURCE_NAMES[i % 5], fontsize=7)
    index = np.flatnonzero(y_few == i % 5)[i // 5]
    axes[1, i].imshow(x_few[index, ..., 0], cmap="gray_r")
    axes[1, i].set_title(TARGET_NAMES[i % 5], fontsize=7)
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# The backbone is ResNet-18 at a quarter of the width without its top,
# ending in global average pooling: a 128-dimensional feature per image.
# ``classifier`` puts a fresh 5-way head on a backbone.


def make_backbone():
    return keras_dlkit.models.resnet18(
        input_shape=(32, 32, 1),
        include_top=False,
        pooling="avg",
        width_multiplier=0.25,
        name="backbone",
    )


def classifier(backbone, name):
    inputs = keras.Input((32, 32, 1))
    features = backbone(inputs)
    outputs = keras.layers.Dense(5, activation="softmax", name="head")(features)
    return keras.Model(inputs, outputs, name=name)


def compile_model(model, learning_rate):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


backbone = make_backbone()
print(
    f"backbone: {backbone.count_params():,} parameters, output {backbone.output_shape}"
)

# %%
# Train
# -----
# **Pretraining** on the source task.
keras.utils.set_random_seed(0)
pretrain = classifier(backbone, "pretrain")
compile_model(pretrain, 1e-3)
pretrain.fit(
    x_source,
    y_source,
    epochs=SIZES["pretrain_epochs"],
    batch_size=64,
    validation_split=0.1,
    verbose=2,
)

# %%
# **Transfer, step 1: linear probe.** The pretrained backbone is frozen
# (``trainable = False`` also runs its batch norm in inference mode) and a
# new head learns from the 100 labels.
backbone.trainable = False
transfer = classifier(backbone, "transfer")
compile_model(transfer, 1e-2)
probe = transfer.fit(
    x_few, y_few, epochs=SIZES["head_epochs"], batch_size=32, verbose=0
).history
print(f"linear probe: final training accuracy {probe['accuracy'][-1]:.3f}")

# %%
# **Transfer, step 2: fine-tuning.** Everything is unfrozen and trained a
# little further with a small learning rate, so the pretrained features move
# only slightly. Recompiling is needed after changing ``trainable``.
backbone.trainable = True
compile_model(transfer, 1e-4)
fine = transfer.fit(x_few, y_few, epochs=10, batch_size=32, verbose=0).history
print(f"fine-tuned: final training accuracy {fine['accuracy'][-1]:.3f}")

# %%
# **Baseline from scratch**: the same architecture, random initialization,
# the same 100 labels and as many epochs as the two transfer steps together.
keras.utils.set_random_seed(0)
scratch = classifier(make_backbone(), "scratch")
compile_model(scratch, 1e-3)
from_scratch = scratch.fit(
    x_few, y_few, epochs=SIZES["head_epochs"] + 10, batch_size=32, verbose=0
).history
print(f"from scratch: final training accuracy {from_scratch['accuracy'][-1]:.3f}")

# %%
# Evaluate
# --------
# Accuracy on the target test set (5,000 images the models never saw). The
# training accuracies above are all near 100%: 100 images are easy to
# memorize; only the test set tells what generalizes.
results = {
    "from scratch": scratch.evaluate(x_target_test, y_target_test, verbose=0)[1],
    "pretrained, fine-tuned": transfer.evaluate(
        x_target_test, y_target_test, verbose=0
    )[1],
}
for name, accuracy in results.items():
    print(f"{name:24s} target test accuracy {accuracy:.4f}")

# %%
# Pictures
# --------
# Left: test accuracy of both models. Right: per-class recall of each, on
# the target classes.
fig, (ax_bar, ax_class) = plt.subplots(1, 2, figsize=(10, 3.8))
ax_bar.bar(list(results), list(results.values()), color=["tab:gray", "tab:blue"])
ax_bar.set(
    ylim=(0, 1), ylabel="test accuracy", title=f"{LABELS_PER_CLASS} labels per class"
)
for i, value in enumerate(results.values()):
    ax_bar.text(i, value + 0.02, f"{value:.2f}", ha="center")
width = 0.4
for offset, (name, model) in zip(
    (-width / 2, width / 2),
    (("from scratch", scratch), ("transfer", transfer)),
    strict=True,
):
    predicted = np.argmax(model.predict(x_target_test, verbose=0), axis=-1)
    recall = [np.mean(predicted[y_target_test == c] == c) for c in range(5)]
    ax_class.bar(np.arange(5) + offset, recall, width, label=name)
ax_class.set_xticks(range(5), TARGET_NAMES, fontsize=8)
ax_class.set(ylim=(0, 1), ylabel="recall", title="Per class")
ax_class.legend(fontsize=8)
fig.tight_layout()

# %%
# ImageNet weights
# ----------------
# On photos, the source task is usually ImageNet. Every builder with a
# ``keras.applications`` counterpart (ResNet-50/101/152, their V2s,
# VGG-16/19) takes ``weights="imagenet"``: it builds the
# ``keras.applications`` model with its ImageNet weights and copies them
# into ours with :func:`keras_dlkit.models.from_keras_applications`. Keras
# downloads those weights on first use, so **this needs internet and is not
# executed here**; the recipe is the one above::
#
#     backbone = keras_dlkit.models.resnet50(
#         weights="imagenet", include_top=False, pooling="avg",
#         input_shape=(224, 224, 3),
#     )
#     backbone.trainable = False
#     inputs = keras.Input((224, 224, 3))
#     x = keras.applications.resnet50.preprocess_input(inputs)
#     outputs = keras.layers.Dense(num_classes, activation="softmax")(backbone(x))
#     model = keras.Model(inputs, outputs)
#
# Use the preprocessing of the source model (``resnet50.preprocess_input``
# for ResNet-50 and VGG, ``resnet_v2.preprocess_input`` for the V2s): the
# weights expect the inputs they were trained on.

# %%
# Conclusion
# ----------
# With 20 labels per class, the network pretrained on the other five
# classes beats the same network trained from scratch on the target test
# set (the printed accuracies above): features learned on clothes carry
# over to shoes and bags. The gap is what pretraining buys; it shrinks as
# the number of labels grows. The full profile pretrains longer on six
# times more images, which gives better features to transfer.
