"""
Weight initialisation: Glorot, He and what goes wrong without them
==================================================================

A deep network multiplies its input by one weight matrix per layer. If each
layer scales the signal by a factor a little above or below one, the scales
compound: after a dozen layers the activations (forward) and the gradients
(backward) have exploded or vanished, and gradient descent cannot train the
first layers. A linear layer with ``n_in`` inputs and weights of variance
``Var(W)`` scales the variance of its input by ``n_in * Var(W)``, so:

* **Glorot (Xavier)** initialisation (Glorot & Bengio, 2010) takes
  ``Var(W) = 2 / (n_in + n_out)``, a compromise between keeping the forward
  (``1 / n_in``) and the backward (``1 / n_out``) signal. It is right for
  activations that are linear around zero, such as tanh, and it is Keras's
  default (``"glorot_uniform"``).
* **He** initialisation (He et al., 2015) takes ``Var(W) = 2 / n_in``: ReLU
  zeroes half of its inputs and halves the second moment, the factor 2 makes
  up for it.
* A fixed standard deviation ignores the width: ``N(0, 0.01)`` scales the
  signal by ``0.01 * sqrt(n_in)`` per layer (it vanishes), ``N(0, 1)`` by
  ``sqrt(n_in)`` (tanh saturates, ReLU explodes).

We measure the standard deviation of every layer's activations and of every
layer's weight gradient in a deep MLP from :func:`keras_dlkit.models.mlp`,
on a real batch of Fashion-MNIST, for these four initialisations with tanh
and with ReLU, then train each network for a short while.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run: ``quick`` (default on a CPU) uses a
# narrow network and a few thousand images, ``full`` (default with a GPU) a
# wider network and the whole training set.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

import keras_dlkit
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"train": 4096, "epochs": 3, "batch_size": 128, "width": 64},
    "full": {"train": 60000, "epochs": 10, "batch_size": 128, "width": 256},
}[PROFILE]
DEPTH = 12  # hidden layers
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# The analysis above assumes inputs of mean 0 and variance 1, so the pixels
# are standardised with the training set's mean and standard deviation.
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train[: SIZES["train"]].astype("float32") / 255.0
y_train = y_train[: SIZES["train"]]
x_test = x_test.astype("float32") / 255.0
mean, std = x_train.mean(), x_train.std()
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std
print("train:", x_train.shape, "test:", x_test.shape)
print(f"pixel mean {mean:.4f}, std {std:.4f} (before standardising)")

# %%
# Look at the data
# ----------------
# The statistics are measured on the first training batch, which starts
# with these images.
x_batch = x_train[: SIZES["batch_size"]]
y_batch = y_train[: SIZES["batch_size"]]
fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for ax, image, label in zip(axes.flat, x_batch[:16], y_batch[:16], strict=True):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(FASHION_MNIST_CLASSES[label], fontsize=8)
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# Twelve hidden layers of the same width and a linear head (the loss takes
# logits). Every hidden stage of :func:`~keras_dlkit.models.mlp` is named
# ``stage_{i}``, so a second functional model over the same layers returns all
# the activations at once.
#
# Gradients are not visible from outside a training step.
# :class:`keras_dlkit.optimizers.GradientNormTracker` is the optimizer
# wrapper that sees them; a subclass only has to say what state it keeps
# (``build_state``) and what it does with the gradients
# (``transform_gradients``, a pure function of tensors). This one passes the
# gradients through unchanged and keeps the standard deviation of each,
# which works the same on tensorflow, jax and torch.
INITIALIZERS = {
    "Glorot": "glorot_normal",
    "He": "he_normal",
    "N(0, 0.01)": {"class_name": "RandomNormal", "config": {"stddev": 0.01}},
    "N(0, 1)": {"class_name": "RandomNormal", "config": {"stddev": 1.0}},
}


class GradientStd(keras_dlkit.optimizers.GradientNormTracker):
    """Record the standard deviation of each variable's gradient."""

    def build_state(self, var_list):
        self.gradient_std = self.add_variable(
            shape=(len(var_list),), dtype="float32", name="gradient_std"
        )
        return {"gradient_std": self.gradient_std}

    def transform_gradients(
        self, grads, trainable_values, trainable_variables, norm, state
    ):
        stds = [ops.std(ops.cast(g, "float32")) for g in grads]
        return grads, {"gradient_std": ops.stack(stds)}


class BatchLosses(keras.callbacks.Callback):
    """Each batch's own loss (``fit`` logs the epoch's running mean: undo it)."""

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_epoch_begin(self, epoch, logs=None):
        self.mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        self.losses.append((batch + 1) * mean - batch * self.mean)
        self.mean = mean


def initialize(model, initializer):
    """Draw new weights, as ``mlp(kernel_initializer=initializer)`` would."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel = keras.initializers.get(initializer)(layer.kernel.shape)
            layer.kernel.assign(kernel)
            layer.bias.assign(ops.zeros(layer.bias.shape))


print(
    keras_dlkit.models.mlp(
        (28, 28), 10, hidden_units=(SIZES["width"],) * DEPTH
    ).count_params(),
    "parameters",
)

# %%
# Measure and train
# -----------------
# One model per activation, compiled once; each initialisation redraws its
# weights. The first training step runs on the batch shown above; its
# gradients, taken before the step changes the weights, are the ones
# recorded. Plain SGD then trains on the whole training subset.
results = {}
for activation in ("tanh", "relu"):
    keras.utils.set_random_seed(0)
    model = keras_dlkit.models.mlp(
        (28, 28),
        10,
        hidden_units=(SIZES["width"],) * DEPTH,
        activation=activation,
        classifier_activation=None,
        name=f"mlp_{activation}",
    )
    probe = keras.Model(
        model.input, [model.get_layer(f"stage_{i}").output for i in range(DEPTH)]
    )
    optimizer = GradientStd(keras.optimizers.SGD(learning_rate=0.05))
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    paths = [variable.path for variable in model.trainable_variables]
    kernels = [paths.index(f"dense_{i}/kernel") for i in range(DEPTH)]
    for init_name, initializer in INITIALIZERS.items():
        start = time.perf_counter()
        initialize(model, initializer)
        activation_std = [np.std(ops.convert_to_numpy(a)) for a in probe(x_batch)]
        first = model.train_on_batch(x_batch, y_batch, return_dict=True)
        gradient_std = ops.convert_to_numpy(optimizer.gradient_std)[kernels]
        recorder = BatchLosses()
        print(f"--- {activation}, {init_name}")
        history = model.fit(
            x_train,
            y_train,
            epochs=SIZES["epochs"],
            batch_size=SIZES["batch_size"],
            verbose=2,
            callbacks=[recorder],
        )
        score = model.evaluate(
            x_test, y_test, batch_size=1000, verbose=0, return_dict=True
        )
        results[activation, init_name] = {
            "activation_std": np.array(activation_std),
            "gradient_std": gradient_std,
            "first_loss": float(first["loss"]),
            "batch_losses": np.array(recorder.losses),
            "test_accuracy": score["accuracy"],
        }
        print(f"{activation}, {init_name}: {time.perf_counter() - start:.1f} s")

# %%
# Evaluate
# --------
# Standard deviation of the activations after the first, middle and last
# hidden layer and of the kernel gradients of the same layers, the loss of
# the very first step and the test accuracy after training.
middle = DEPTH // 2 - 1
print(
    f"{'':17s} {'activation std':^29s} {'gradient std':^29s}"
    f" {'first loss':>10s} {'test acc':>8s}"
)
for (activation, init_name), r in results.items():
    a, g = r["activation_std"], r["gradient_std"]
    print(
        f"{activation:4s} {init_name:11s} "
        f"{a[0]:9.2e} {a[middle]:9.2e} {a[-1]:9.2e}  "
        f"{g[0]:9.2e} {g[middle]:9.2e} {g[-1]:9.2e}  "
        f"{r['first_loss']:10.3g} {r['test_accuracy']:8.4f}"
    )

# %%
# Activations and gradients through the layers
# --------------------------------------------
# Log scale: a straight line is a constant factor per layer.
fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
layers = np.arange(1, DEPTH + 1)
for row, activation in enumerate(("tanh", "relu")):
    for init_name in INITIALIZERS:
        r = results[activation, init_name]
        axes[row, 0].plot(layers, r["activation_std"], "o-", label=init_name)
        axes[row, 1].plot(layers, r["gradient_std"], "o-", label=init_name)
    axes[row, 0].set(ylabel="std", title=f"{activation}: activations")
    axes[row, 1].set(title=f"{activation}: kernel gradients (first step)")
for ax in axes.flat:
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
for ax in axes[1]:
    ax.set_xlabel("hidden layer")
axes[0, 0].legend(fontsize=8)
fig.tight_layout()

# %%
# Learning curves
# ---------------
# The loss of every batch, smoothed over 8 batches. A run whose loss became
# NaN has no curve after that point.
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, activation in zip(axes, ("tanh", "relu"), strict=True):
    for init_name in INITIALIZERS:
        r = results[activation, init_name]
        losses = r["batch_losses"]
        smooth = np.convolve(losses, np.ones(8) / 8, mode="valid")
        label = f"{init_name} (test acc {r['test_accuracy']:.2f})"
        if not np.isfinite(losses).all():
            label = f"{init_name} (NaN)"
        ax.plot(np.arange(len(smooth)) + 8, smooth, label=label)
    ax.set(xlabel="step", title=activation)
    ax.set_yscale("log")
    ax.legend(fontsize=8)
axes[0].set_ylabel("cross-entropy")
fig.tight_layout()

# %%
# Conclusion
# ----------
# What the quick run shows:
#
# * **Each init with the activation it was derived for keeps the gradients
#   level.** With Glorot for tanh and He for ReLU the kernel gradients have
#   about the same size in the first and in the last hidden layer, and both
#   networks train. With tanh the activations still shrink with depth under
#   Glorot (tanh compresses what it receives); He's larger weights keep them
#   steadier. The quick run is too short to rank Glorot and He for tanh.
# * **Glorot with ReLU starves the network.** Nothing makes up for the half
#   that ReLU zeroes, so the activations shrink by about ``1 / sqrt(2)`` per
#   layer, and the weight gradients are one to two orders of magnitude
#   smaller than with He in every layer. With the same learning rate and steps it
#   reaches a far lower test accuracy than He.
# * **N(0, 0.01) vanishes.** The activations reach ``1e-13`` or less in the
#   last layer and the gradients are smaller still: the loss stays at
#   ``ln 10 = 2.30`` and the accuracy at chance. Nothing is learnt.
# * **N(0, 1) explodes.** With tanh every unit saturates (the activations'
#   std is close to 1: they sit at -1 or +1), and the gradients grow
#   towards the input, thousands of times larger in the first layer than in
#   the last: training stays near chance. With ReLU the activations grow by
#   ``sqrt(n / 2)`` per layer, the first loss is astronomically large and
#   the training loss is ``NaN`` from the first epoch.
#
# Batch or layer normalisation (``mlp(normalization=...)``) and residual
# connections make deep networks far less sensitive to the initial scale,
# which is why they are everywhere; a careful initialisation is still the
# first thing to get right.
