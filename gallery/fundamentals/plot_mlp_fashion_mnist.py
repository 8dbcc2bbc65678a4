"""
MLP on Fashion-MNIST: ReLU, sigmoid and tanh
============================================

A multilayer perceptron is the first network of the curriculum: a stack of
fully connected layers, each an affine map followed by a non-linearity. Which
non-linearity matters. Sigmoid saturates at both ends and its derivative is at
most 0.25, so gradients shrink as they flow back through the layers; tanh is
zero-centred but also saturates; ReLU passes gradients unchanged for positive
inputs. Here we train the same MLP from :func:`keras_dlkit.models.mlp` with
each of the three on Fashion-MNIST (70,000 grey 28x28 images of clothing in 10
classes) and compare learning curves and the confusion matrix of the best one.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run: ``quick`` (default on a CPU) trains
# on a subset for a few epochs, ``full`` (default with a GPU) on everything.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"train": 12000, "epochs": 4, "batch_size": 128},
    "full": {"train": 60000, "epochs": 30, "batch_size": 128},
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# :func:`keras_dlkit.datasets.load_fashion_mnist` is
# ``keras.datasets.fashion_mnist.load_data()`` itself; offline it reads the
# cache filled by ``python -m keras_dlkit.datasets seed``.
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train[: SIZES["train"]].astype("float32") / 255.0
y_train = y_train[: SIZES["train"]]
x_test = x_test.astype("float32") / 255.0
print("train:", x_train.shape, "test:", x_test.shape)

# %%
# Look at the data
# ----------------
fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for ax, image, label in zip(axes.flat, x_train[:16], y_train[:16], strict=True):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(FASHION_MNIST_CLASSES[label], fontsize=8)
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# Two hidden layers of 256 and 128 units, Glorot (Xavier) initialisation and
# a softmax head; only the activation changes between runs.
print(
    keras_dlkit.models.mlp((28, 28), 10, hidden_units=(256, 128)).count_params(),
    "parameters",
)

# %%
# Train
# -----
histories, models = {}, {}
for activation in ("relu", "sigmoid", "tanh"):
    keras.utils.set_random_seed(0)
    model = keras_dlkit.models.create_model(
        "mlp",
        input_shape=(28, 28),
        num_classes=10,
        hidden_units=(256, 128),
        activation=activation,
        name=f"mlp_{activation}",
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1),
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
    print(f"{activation}: {time.perf_counter() - start:.1f} s")
    histories[activation] = history.history
    models[activation] = model

# %%
# Evaluate
# --------
scores = {
    name: model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    for name, model in models.items()
}
for name, score in scores.items():
    print(f"{name:8s} test accuracy {score['accuracy']:.4f}  loss {score['loss']:.4f}")

# %%
# Learning curves
# ---------------
# Sigmoid starts slowest: its small derivatives shrink the gradient at every
# layer. ReLU and tanh learn quickly from the first epoch.
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
epochs = np.arange(1, SIZES["epochs"] + 1)
for name, history in histories.items():
    (line,) = ax_loss.plot(epochs, history["loss"], label=f"{name} train")
    ax_loss.plot(
        epochs,
        history["val_loss"],
        "--",
        color=line.get_color(),
        label=f"{name} validation",
    )
    ax_acc.plot(epochs, history["val_accuracy"], color=line.get_color(), label=name)
ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
ax_loss.legend(fontsize=8)
ax_acc.legend(fontsize=8)
fig.tight_layout()

# %%
# Confusion matrix of the best activation
# ---------------------------------------
best = max(scores, key=lambda name: scores[name]["accuracy"])
predicted = np.argmax(models[best].predict(x_test, verbose=0), axis=-1)
matrix = np.zeros((10, 10), dtype=int)
np.add.at(matrix, (y_test, predicted), 1)
fig, ax = plt.subplots(figsize=(6.5, 5.5))
image = ax.imshow(matrix, cmap="Blues")
ax.set_xticks(range(10), FASHION_MNIST_CLASSES, rotation=60, ha="right", fontsize=8)
ax.set_yticks(range(10), FASHION_MNIST_CLASSES, fontsize=8)
for i in range(10):
    for j in range(10):
        ax.text(
            j,
            i,
            matrix[i, j],
            ha="center",
            va="center",
            fontsize=6,
            color="white" if matrix[i, j] > matrix.max() / 2 else "black",
        )
ax.set(xlabel="predicted", ylabel="true", title=f"Confusion matrix ({best})")
fig.colorbar(image, ax=ax)
fig.tight_layout()

# %%
# Conclusion
# ----------
# With the same architecture, optimizer and data, the non-linearity alone
# changes how fast the network learns. Shirts, T-shirts, pullovers and coats
# are the classes the MLP confuses most: an MLP sees pixels, not shapes; the
# CNN section of the gallery does better on exactly these classes.
