"""
Optimizers on Fashion-MNIST: SGD, momentum, Nesterov, RMSprop, Adam, AdamW
==========================================================================

Every optimizer walks downhill on the loss; they differ in how they choose the
step. Plain stochastic gradient descent (SGD) steps along the mini-batch
gradient, scaled by one learning rate. Momentum keeps a running sum of past
gradients, so steps grow along directions the gradients agree on and cancel
along directions where they flip sign; Nesterov's variant evaluates the
gradient after the momentum step, a look-ahead that damps overshoot. RMSprop
divides each coordinate's step by a running root-mean-square of its
gradients, so every weight gets its own step size. Adam combines both ideas
(momentum on the gradient, RMS scaling, bias correction of the two running
averages), and AdamW adds *decoupled* weight decay to Adam.

Here we train the same MLP from :func:`keras_dlkit.models.mlp`, from the same
initial weights and on the same data, with each optimizer, and compare the
learning curves (training loss and validation accuracy per epoch) and the
final scores. A toy two-dimensional problem after the results shows the paths
the optimizers take.
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
    "quick": {
        "train": 4000,
        "val": 2000,
        "epochs": 4,
        "batch_size": 128,
        "hidden": (128, 64),
    },
    "full": {
        "train": 55000,
        "val": 5000,
        "epochs": 30,
        "batch_size": 128,
        "hidden": (256, 128),
    },
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
# :func:`keras_dlkit.datasets.load_fashion_mnist` returns the 60,000 training
# and 10,000 test images; pixels are scaled to ``[0, 1]``. The last training
# images (2,000 quick, 5,000 full) are held out for validation and never
# trained on; the first ones (4,000 quick, 55,000 full) are trained on.
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
x_val, y_val = x_train[-SIZES["val"] :], y_train[-SIZES["val"] :]
x_train, y_train = x_train[: SIZES["train"]], y_train[: SIZES["train"]]
print("train:", x_train.shape, "validation:", x_val.shape, "test:", x_test.shape)

# %%
# Look at the data
# ----------------
# The ten classes are about equally frequent; here is one image of each.
fig, axes = plt.subplots(1, 10, figsize=(12, 1.8))
for label, ax in enumerate(axes):
    ax.imshow(x_train[np.flatnonzero(y_train == label)[0]], cmap="gray_r")
    ax.set_title(FASHION_MNIST_CLASSES[label], fontsize=8)
    ax.axis("off")
fig.tight_layout()
print("images per class:", np.bincount(y_train, minlength=10))


# %%
# Model
# -----
# Two hidden ReLU layers (128 and 64 units quick, 256 and 128 full) and a
# softmax head. The model is rebuilt for each optimizer after
# ``keras.utils.set_random_seed(0)``, so every run starts from exactly the
# same weights.
def build_model():
    keras.utils.set_random_seed(0)
    return keras_dlkit.models.mlp((28, 28), 10, hidden_units=SIZES["hidden"])


print(build_model().count_params(), "parameters")

# %%
# Train
# -----
# The learning rates are the usual starting points for each method: 0.01 for
# SGD (with momentum 0.9 the effective step along a steady gradient is ten
# times larger, 0.1), and 0.001 for the adaptive methods. AdamW uses Keras's
# default decay of 0.004.
OPTIMIZERS = {
    "SGD": lambda: keras.optimizers.SGD(learning_rate=0.01),
    "SGD + momentum": lambda: keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    "SGD + Nesterov": lambda: keras.optimizers.SGD(
        learning_rate=0.01, momentum=0.9, nesterov=True
    ),
    "RMSprop": lambda: keras.optimizers.RMSprop(learning_rate=0.001),
    "Adam": lambda: keras.optimizers.Adam(learning_rate=0.001),
    "AdamW": lambda: keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.004),
}
histories, models, seconds = {}, {}, {}
first_kernel = None
for name, make_optimizer in OPTIMIZERS.items():
    model = build_model()
    kernel = keras.ops.convert_to_numpy(model.get_layer("dense_0").kernel)
    if first_kernel is None:
        first_kernel = kernel
    print(
        f"{name}: same initial weights as the first run: {np.array_equal(kernel, first_kernel)}"
    )
    model.compile(
        optimizer=make_optimizer(),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=SIZES["epochs"],
        batch_size=SIZES["batch_size"],
        verbose=2,
    )
    seconds[name] = time.perf_counter() - start
    histories[name] = history.history
    models[name] = model

# %%
# Evaluate
# --------
# The table reports the last epoch's training loss and validation accuracy,
# the test accuracy on all 10,000 test images, and the training time.
scores = {
    name: model.evaluate(x_test, y_test, batch_size=1000, verbose=0, return_dict=True)
    for name, model in models.items()
}
print(
    f"{'optimizer':16s} {'train loss':>10s} {'val acc':>8s} {'test acc':>8s} {'time':>7s}"
)
for name in OPTIMIZERS:
    print(
        f"{name:16s} {histories[name]['loss'][-1]:10.4f} "
        f"{histories[name]['val_accuracy'][-1]:8.4f} "
        f"{scores[name]['accuracy']:8.4f} {seconds[name]:6.1f}s"
    )

# %%
# Learning curves
# ---------------
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
epochs = np.arange(1, SIZES["epochs"] + 1)
for name, history in histories.items():
    style = "--" if name == "AdamW" else "-"
    ax_loss.plot(epochs, history["loss"], style, marker="o", ms=3, label=name)
    ax_acc.plot(epochs, history["val_accuracy"], style, marker="o", ms=3, label=name)
ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Training loss")
ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
for ax in (ax_loss, ax_acc):
    ax.set_xticks(epochs)
ax_loss.legend(fontsize=8)
fig.tight_layout()

# %%
# Paths on a toy problem
# ----------------------
# Why momentum and per-coordinate scaling help is easiest to see in two
# dimensions. The loss :math:`f(w) = (w_1^2 + 20\,w_2^2) / 2` is a long,
# narrow valley: steep across (:math:`w_2`), flat along (:math:`w_1`), like
# the ill-conditioned valleys of a network's loss. We feed its exact gradient
# to each Keras optimizer for 40 steps from the same start. The learning
# rates are picked by hand for this problem, not copied from above: SGD's is
# just under :math:`2/20`, beyond which it would diverge across the valley,
# and RMSprop and Adam share one.
TOY = {
    "SGD": keras.optimizers.SGD(learning_rate=0.09),
    "SGD + momentum": keras.optimizers.SGD(learning_rate=0.02, momentum=0.9),
    "SGD + Nesterov": keras.optimizers.SGD(
        learning_rate=0.02, momentum=0.9, nesterov=True
    ),
    "RMSprop": keras.optimizers.RMSprop(learning_rate=0.2),
    "Adam": keras.optimizers.Adam(learning_rate=0.2),
}
curvature = np.array([1.0, 20.0], dtype="float32")
paths = {}
for name, optimizer in TOY.items():
    w = keras.Variable(np.array([-4.0, 1.0], dtype="float32"), name="w")
    path = [keras.ops.convert_to_numpy(w)]
    for _ in range(40):
        gradient = curvature * path[-1]
        optimizer.apply([keras.ops.convert_to_tensor(gradient)], [w])
        path.append(keras.ops.convert_to_numpy(w))
    paths[name] = np.array(path)
    final = paths[name][-1]
    print(
        f"{name:16s} after 40 steps: w={final.round(3)}, f={0.5 * np.sum(curvature * final**2):.4f}"
    )

grid_1, grid_2 = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-1.5, 1.5, 200))
fig, ax = plt.subplots(figsize=(9, 4.5))
ax.contour(grid_1, grid_2, 0.5 * (grid_1**2 + 20 * grid_2**2), levels=20, colors="0.8")
for name, path in paths.items():
    ax.plot(path[:, 0], path[:, 1], marker="o", ms=2, lw=1, label=name)
ax.plot(0, 0, "k*", ms=12)
ax.set(
    xlabel="$w_1$ (flat)", ylabel="$w_2$ (steep)", title="40 steps on a narrow valley"
)
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# On the valley, plain SGD zig-zags across the steep direction and creeps
# along the flat one. Momentum builds up speed along the valley but
# overshoots the minimum and swings back; Nesterov's look-ahead damps the
# swing. RMSprop divides each coordinate by its own gradient scale, so it
# heads almost straight for the floor of the valley and then along it. Adam
# adds momentum to that and overshoots too: on a smooth, noise-free bowl the
# adaptive methods have no advantage that a well-chosen SGD step lacks. Their
# strength is the noisy, badly scaled landscape of a real network, where one
# learning rate cannot suit every weight.

# %%
# Conclusion
# ----------
# Same model, same data, same initial weights: only the update rule changes,
# and in the quick run it changes a lot. Plain SGD at 0.01 is far behind
# after four epochs: it gets about two thirds of the validation images right,
# where every other method gets roughly three quarters or more, and its
# training loss is at least twice theirs. Momentum closes most of that
# distance, and Nesterov's variant behaves much the same. RMSprop ends with a
# lower training loss than the two momentum methods; their validation
# accuracies are close, and their order changes from one backend to another
# (each backend draws its own initial weights from the seed), so the quick
# run does not rank these three. Adam and AdamW, with their default learning
# rate and no tuning, end with the lowest training loss and the best
# validation accuracy. AdamW's curves lie on Adam's: with a learning rate of
# 0.001 its decay of 0.004 shrinks the weights by 0.0004 % per step, which
# cannot show in a few hundred steps; decoupled decay is a regularizer, and
# the regularization example of this gallery shows what it does.
#
# The quick profile shows how fast each method *starts*, on 4,000 images, not
# where it ends: a ranking after four epochs says little about the best
# accuracy each can reach. The full profile trains 30 epochs on 55,000
# images, and its table is the one to read for final scores.
