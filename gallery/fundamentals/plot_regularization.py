"""
Regularization: dropout, batch norm, layer norm, weight decay and SWA
=====================================================================

A network with many more weights than training examples can memorise its
training set: training accuracy keeps climbing while validation accuracy
stalls and validation loss rises again. The difference between
training and validation accuracy, the *generalisation gap*, is what
regularization tries to shrink. We train one wide MLP from
:func:`keras_dlkit.models.mlp` on a deliberately small part of
Fashion-MNIST, once without regularization and once with each of:

* **dropout**: each hidden unit is zeroed with probability 0.5 at every
  training step (and the survivors scaled by 2), so no unit can rely on any
  other; at inference nothing is dropped;
* **batch normalization**: each hidden unit is standardised with the mean and
  variance of the current mini-batch, which adds batch-dependent noise while
  training and usually speeds it up;
* **layer normalization**: each example is standardised over its own hidden
  units; no batch statistics, so no noise from the batch;
* **L2 penalty**: :math:`\\lambda \\lVert W \\rVert^2` added to the loss
  (``weight_decay=`` of :func:`~keras_dlkit.models.mlp` puts a
  ``keras.regularizers.L2`` on every kernel);
* **decoupled weight decay** (AdamW): the weights are shrunk directly,
  :math:`W \\leftarrow W - \\eta\\, \\mathrm{wd}\\, W` at every step,
  outside the gradient.

The last two are the same thing for plain SGD (the gradient of
:math:`\\lambda \\lVert W \\rVert^2` is :math:`2 \\lambda W`, and SGD
subtracts :math:`\\eta` times it), but not for Adam. Adam divides every
coordinate of the gradient by the running root-mean-square of its past
gradients, and an L2 term is part of the gradient, so it is divided too:
weights with large, noisy gradients are barely decayed, weights with small
gradients are decayed hard. AdamW (Loshchilov and Hutter, *Decoupled Weight
Decay Regularization*, ICLR 2019) applies the decay after the adaptive step,
so every weight loses the same fraction per step, whatever its gradient
history. In Keras every optimizer takes ``weight_decay=`` and applies it this
decoupled way; ``keras.optimizers.AdamW`` is Adam with a non-zero default.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run. To make overfitting visible in a
# short run, ``quick`` trains a wide MLP on only 500 images for 10 epochs;
# ``full`` trains a wider one on all 55,000 training images for 50 epochs.
import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {
        "train": 500,
        "val": 1000,
        "epochs": 10,
        "batch_size": 25,
        "hidden": (256, 256),
        "l2": 1e-3,
        "decay": 3.0,
    },
    "full": {
        "train": 55000,
        "val": 5000,
        "epochs": 50,
        "batch_size": 128,
        "hidden": (1024, 1024),
        "l2": 1e-4,
        "decay": 0.1,
    },
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# The first training images are trained on; the last ones, never trained on,
# are the validation set.
(x_train, y_train), _ = load_fashion_mnist()
x_train = x_train.astype("float32") / 255.0
x_val, y_val = x_train[-SIZES["val"] :], y_train[-SIZES["val"] :]
x_train, y_train = x_train[: SIZES["train"]], y_train[: SIZES["train"]]
print("train:", x_train.shape, "validation:", x_val.shape)

# %%
# Look at the data
# ----------------
# With 500 training images (quick) each class has about fifty examples.
print("training images per class:", np.bincount(y_train, minlength=10))
fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for ax, image, label in zip(axes.flat, x_train[:16], y_train[:16], strict=True):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(FASHION_MNIST_CLASSES[label], fontsize=8)
    ax.axis("off")
fig.tight_layout()

# %%
# Model
# -----
# Every variant is the same :func:`~keras_dlkit.models.mlp` (ReLU, Glorot
# initialisation), rebuilt from seed 0, and trained with Adam at 0.001; only
# the regularizer changes. With a normalization layer the ``Dense`` layers
# have no bias (the normalization's offset replaces it). The AdamW variant
# excludes biases from the decay, as the L2 penalty only covers kernels.
#
# The two decay strengths depend on the profile. Decoupled decay removes the
# fraction :math:`\eta\,\mathrm{wd}` of every weight at every step, so its
# effect grows with the number of steps: the quick run's 200 steps need
# strong values (an L2 coefficient of 0.001, a decay of 3), the full run's
# 21,000 or so steps conventional ones (0.0001 and 0.1).
L2, DECAY = SIZES["l2"], SIZES["decay"]


def adam():
    return keras.optimizers.Adam(learning_rate=0.001)


def adamw():
    optimizer = keras.optimizers.AdamW(learning_rate=0.001, weight_decay=DECAY)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    return optimizer


VARIANTS = {
    "none": ({}, adam),
    "dropout 0.5": ({"dropout": 0.5}, adam),
    "batch norm": ({"normalization": "batch"}, adam),
    "layer norm": ({"normalization": "layer"}, adam),
    f"L2 {L2:g}": ({"weight_decay": L2}, adam),
    f"AdamW {DECAY:g}": ({}, adamw),
}
keras.utils.set_random_seed(0)
print(
    keras_dlkit.models.mlp((28, 28), 10, hidden_units=SIZES["hidden"]).count_params(),
    "parameters for",
    SIZES["train"],
    "training images",
)

# %%
# Train
# -----
# The reported training ``loss`` of the L2 variant includes the penalty, so
# we also track the plain cross-entropy as a metric (``ce``), which is
# comparable across variants.
histories, models = {}, {}
for name, (options, make_optimizer) in VARIANTS.items():
    print(f"--- {name}")
    keras.utils.set_random_seed(0)
    model = keras_dlkit.models.mlp(
        (28, 28), 10, hidden_units=SIZES["hidden"], **options
    )
    model.compile(
        optimizer=make_optimizer(),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", keras.metrics.SparseCategoricalCrossentropy(name="ce")],
    )
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        validation_batch_size=500,
        epochs=SIZES["epochs"],
        batch_size=SIZES["batch_size"],
        verbose=2,
    )
    histories[name] = history.history
    models[name] = model

# %%
# Evaluate
# --------
# The accuracy logged during training (``fit acc``, last epoch) is measured
# in training mode, with dropout active and batch normalization using the
# statistics of the current batch, and averaged over an epoch in which the
# weights kept changing. For the gap we evaluate the final model in inference
# mode, on its own training images and on the validation images.
rows = {}
for name, model in models.items():
    train = model.evaluate(
        x_train, y_train, batch_size=500, verbose=0, return_dict=True
    )
    val = model.evaluate(x_val, y_val, batch_size=500, verbose=0, return_dict=True)
    kernel_norm = np.sqrt(
        sum(
            np.sum(keras.ops.convert_to_numpy(layer.kernel) ** 2)
            for layer in model.layers
            if isinstance(layer, keras.layers.Dense)
        )
    )
    rows[name] = {
        "fit acc": histories[name]["accuracy"][-1],
        "train": train["accuracy"],
        "val": val["accuracy"],
        "gap": train["accuracy"] - val["accuracy"],
        "best val ce": min(histories[name]["val_ce"]),
        "final val ce": histories[name]["val_ce"][-1],
        "kernel norm": kernel_norm,
    }
columns = list(next(iter(rows.values())))
print(f"{'variant':12s}" + "".join(f"{column:>13s}" for column in columns))
for name, row in rows.items():
    print(f"{name:12s}" + "".join(f"{row[column]:13.4f}" for column in columns))

# %%
# Learning curves
# ---------------
# Solid: training cross-entropy; dashed: validation cross-entropy. The space
# between them is the overfitting; a dashed line that turns upwards means the
# model has started to memorise.
fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), sharex=True, sharey=True)
epochs = np.arange(1, SIZES["epochs"] + 1)
for ax, (name, history) in zip(axes.flat, histories.items(), strict=True):
    ax.plot(epochs, history["ce"], label="train")
    ax.plot(epochs, history["val_ce"], "--", label="validation")
    ax.set_title(f"{name}: gap {rows[name]['gap']:.3f}", fontsize=10)
    ax.set_yscale("log")
for ax in axes[-1]:
    ax.set_xlabel("epoch")
for ax in axes[:, 0]:
    ax.set_ylabel("cross-entropy")
axes[0, 0].legend()
fig.tight_layout()

# %%
# The generalisation gap
# ----------------------
names = list(rows)
fig, (ax_acc, ax_norm) = plt.subplots(1, 2, figsize=(12, 4))
positions = np.arange(len(names))
ax_acc.bar(positions - 0.2, [rows[n]["train"] for n in names], 0.4, label="train")
ax_acc.bar(positions + 0.2, [rows[n]["val"] for n in names], 0.4, label="validation")
ax_acc.set_xticks(positions, names, rotation=20)
ax_acc.set_ylim(0.6, 1.0)
ax_acc.set(ylabel="accuracy (inference mode)", title="Train vs validation accuracy")
ax_acc.legend()
ax_norm.bar(positions, [rows[n]["kernel norm"] for n in names], color="tab:gray")
ax_norm.set_xticks(positions, names, rotation=20)
ax_norm.set(ylabel=r"$\sqrt{\sum W^2}$ over all kernels", title="Size of the weights")
fig.tight_layout()

# %%
# Where the weight decay acts
# ---------------------------
# The first layer has one row of weights per input pixel. Some pixels, near
# the corners, are dark in almost every image: their weights get (almost) no
# gradient from the data, only from the decay. The maps show the mean
# absolute weight per pixel, relative to the unregularized model.
quiet = np.mean(x_train.reshape(len(x_train), -1) > 0, axis=0) < 0.05
print(f"{quiet.sum()} of 784 pixels are non-zero in fewer than 5 % of the images")


def pixel_weight(name):
    kernel = keras.ops.convert_to_numpy(models[name].get_layer("dense_0").kernel)
    return np.mean(np.abs(kernel), axis=1)


reference = pixel_weight("none")
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
for ax, name in zip(axes, (f"L2 {L2:g}", f"AdamW {DECAY:g}"), strict=True):
    ratio = pixel_weight(name) / reference
    image = ax.imshow(ratio.reshape(28, 28), cmap="viridis", vmin=0, vmax=1.1)
    ax.set_title(f"{name}", fontsize=10)
    ax.axis("off")
    print(
        f"{name:12s} mean |w| relative to none: quiet pixels "
        f"{ratio[quiet].mean():.3f}, other pixels {ratio[~quiet].mean():.3f}"
    )
fig.colorbar(image, ax=axes, label="mean |w| / mean |w| without decay")

# %%
# Averaging the weights (SWA)
# ---------------------------
# A different kind of regularizer acts on where training ends, not on the
# loss. :class:`keras_dlkit.callbacks.StochasticWeightAveraging` (Izmailov et
# al., *Averaging Weights Leads to Wider Optima*, 2018) keeps a running mean
# of the weights at the end of every epoch from ``start_epoch`` on and sets
# the model to it when ``fit()`` ends. With a constant learning rate (Adam at
# 0.001 here) the late epochs' weights wander around a minimum; their mean
# lies nearer its flat centre than any one of them.
#
# We train the batch-norm variant again, from the same seed and with the
# same optimizer, averaging its second half of epochs. The average's
# batch-norm statistics belong to none of the averaged weights, so we
# evaluate it twice: with the moving statistics left from the last epoch,
# and after :func:`keras_dlkit.callbacks.update_batch_norm_statistics` has
# recomputed them over the training images.
keras.utils.set_random_seed(0)
swa_model = keras_dlkit.models.mlp(
    (28, 28), 10, hidden_units=SIZES["hidden"], normalization="batch"
)
swa_model.compile(
    optimizer=adam(),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy", keras.metrics.SparseCategoricalCrossentropy(name="ce")],
)
swa = keras_dlkit.callbacks.StochasticWeightAveraging(start_epoch=SIZES["epochs"] // 2)
swa_model.fit(
    x_train,
    y_train,
    epochs=SIZES["epochs"],
    batch_size=SIZES["batch_size"],
    callbacks=[swa],
    verbose=0,
)
print("epochs averaged:", swa.averaged_epochs)


def validation(model):
    return model.evaluate(x_val, y_val, batch_size=500, verbose=0, return_dict=True)


swa_rows = {"last epoch": validation(models["batch norm"])}
swa_rows["SWA, stale BN"] = validation(swa_model)
keras_dlkit.callbacks.update_batch_norm_statistics(
    swa_model, x_train, batch_size=SIZES["batch_size"]
)
swa_rows["SWA, BN refreshed"] = validation(swa_model)
for name, row in swa_rows.items():
    print(f"{name:18s} val accuracy {row['accuracy']:.4f}  val ce {row['ce']:.4f}")

fig, (ax_acc, ax_ce) = plt.subplots(1, 2, figsize=(10, 3.6))
positions = np.arange(len(swa_rows))
ax_acc.bar(positions, [row["accuracy"] for row in swa_rows.values()])
ax_acc.set_xticks(positions, list(swa_rows))
ax_acc.set_ylim(0.5, 1.0)
ax_acc.set(ylabel="validation accuracy", title="Batch-norm MLP")
ax_ce.bar(positions, [row["ce"] for row in swa_rows.values()], color="tab:orange")
ax_ce.set_xticks(positions, list(swa_rows))
ax_ce.set(ylabel="validation cross-entropy", title="Lower is better")
fig.tight_layout()

# %%
# Conclusion
# ----------
# Without regularization the wide MLP overfits within ten epochs of 500
# images: it classifies well over 90 % of its own training images correctly
# but only about 80 % of unseen ones, and its validation cross-entropy passes
# a minimum about half-way through and climbs again while the training
# cross-entropy keeps falling.
#
# Dropout leaves the smallest gap, and its validation loss does not climb
# back at all. Decoupled weight decay (AdamW) leaves the next smallest gap,
# and its validation loss climbs back less than the plain model's. Dropout
# pays for its effect with slower learning: with half the units silenced at
# every step, ten epochs leave its validation accuracy below the plain
# model's (and its logged ``fit acc``, measured with the units dropped,
# understates what the model knows: compare it with ``train``). The L2
# penalty, at the strength used here, barely changes the gap: through Adam it
# shrinks the weights that the data use less than AdamW does (last
# paragraph). None of the three raises validation *accuracy* by more than
# about one percentage point, the noise of 1,000 validation images (one
# standard error is about 1.3 points): in a run this short, regularization
# mostly keeps the model from becoming over-confident on what it has
# memorised.
#
# The two normalization layers are not regularizers here: both leave a gap as
# wide as the plain model's, or wider. Their purpose is to make deep networks
# easier to train, not to close the gap.
#
# Weight averaging, in the quick run, moves validation accuracy by a point
# or two either way, with the statistics refreshed or not: within the noise
# of 1,000 images. Five averaged epochs of 20 steps are too few for the
# weights to wander far. It needs a longer run at a constant (or cyclical)
# learning rate, as in the full profile, which averages 25 epochs of 430
# steps. Refreshing the batch-norm statistics is still the step not to skip
# there: the last epoch's moving statistics describe other weights.
#
# The weight maps show the difference between the two decays. L2 through Adam
# all but wipes out the weights of the rarely lit corner pixels, whose only
# gradient is the penalty's, and shrinks the busy ones much less; AdamW
# shrinks every weight by about the same factor. The quick profile needed
# strong coefficients to show any of this in 200 steps. The full profile
# trains a wider MLP on all 55,000 images for 50 epochs with conventional
# coefficients; its table and curves are the place to judge what each method
# does to accuracy.
