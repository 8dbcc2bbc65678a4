"""
Learning-rate schedules, the range test and 1cycle
==================================================

The learning rate is the hyperparameter that matters most: too small and
training crawls, too large and the loss diverges. Two tools help. A
*schedule* changes the rate with the step: a warm-up at the start (large
rates on random weights are unstable), a decay at the end (small steps settle
into a minimum), and in between constant, cyclical or one-cycle shapes. The
*learning-rate range test* (Smith, 2015) finds the scale: train for a few
hundred batches while the rate grows exponentially, and watch where the loss
falls fastest and where it blows up.

This example draws the schedules of :mod:`keras_dlkit.schedules`, runs
:class:`keras_dlkit.callbacks.LRFinder` on an MLP for Fashion-MNIST, and then
trains the same MLP twice: with a constant rate at the finder's suggestion,
and with the 1cycle policy (Smith & Topin, 2018), which warms up to a peak
above that rate and anneals far below it.
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
from keras import ops

import keras_dlkit
from keras_dlkit.callbacks import LRFinder
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist
from keras_dlkit.optimizers import ScheduledMomentum
from keras_dlkit.schedules import (
    CyclicalLearningRate,
    InverseSqrtDecay,
    OneCycle,
    Warmup,
)

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {"train": 8192, "epochs": 4, "batch_size": 128},
    "full": {"train": 60000, "epochs": 20, "batch_size": 128},
}[PROFILE]
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# %%
# Data
# ----
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
# The schedules
# -------------
# Every schedule is a ``keras.optimizers.schedules.LearningRateSchedule``:
# pass it as an optimizer's ``learning_rate`` and the optimizer calls it with
# its step counter. They are written with ``keras.ops`` element by element,
# so calling one on an array of steps draws its whole curve at once.
#
# * :class:`~keras_dlkit.schedules.OneCycle` rises from ``max / 25`` to the
#   peak in the first 30 % of the steps and anneals to ``max / 25e4``, by a
#   cosine or a straight line; :meth:`~keras_dlkit.schedules.OneCycle.momentum_at`
#   gives the momentum that goes the other way (0.95 to 0.85 and back).
# * :class:`~keras_dlkit.schedules.Warmup` puts a linear warm-up in front of
#   any schedule, here Keras's ``CosineDecayRestarts`` (SGDR), whose periods
#   double and whose peaks shrink by 0.8 at each restart.
# * :class:`~keras_dlkit.schedules.InverseSqrtDecay` is the Transformer's
#   schedule: linear warm-up, then ``1 / sqrt(step)``.
# * :class:`~keras_dlkit.schedules.CyclicalLearningRate` bounces between two
#   rates: ``triangular`` keeps the amplitude, ``triangular2`` halves it every
#   cycle, ``exp_range`` shrinks it by ``gamma`` every step.
TOTAL = 2000
steps = np.arange(TOTAL)
one_cycle = OneCycle(0.1, total_steps=TOTAL)
schedules = {
    "OneCycle, cos": one_cycle,
    "OneCycle, linear": OneCycle(0.1, total_steps=TOTAL, anneal="linear"),
    "Warmup + CosineDecayRestarts": Warmup(
        keras.optimizers.schedules.CosineDecayRestarts(
            0.1, first_decay_steps=300, t_mul=2.0, m_mul=0.8
        ),
        warmup_steps=100,
    ),
    "InverseSqrtDecay": InverseSqrtDecay(d_model=128, warmup_steps=200, scale=0.5),
    "triangular": CyclicalLearningRate(0.01, 0.1, step_size=250),
    "triangular2": CyclicalLearningRate(0.01, 0.1, step_size=250, mode="triangular2"),
    "exp_range": CyclicalLearningRate(
        0.01, 0.1, step_size=250, mode="exp_range", gamma=0.999
    ),
}
curves = {name: ops.convert_to_numpy(s(steps)) for name, s in schedules.items()}
momentum = ops.convert_to_numpy(one_cycle.momentum_at(steps))
for name, curve in curves.items():
    print(
        f"{name:29s} step 0: {curve[0]:.2e}  max {curve.max():.2e} "
        f"at step {curve.argmax():4d}  last: {curve[-1]:.2e}"
    )
print(
    f"OneCycle momentum: {momentum[0]:.3f} -> {momentum.min():.3f} "
    f"at step {momentum.argmin()} -> {momentum[-1]:.3f}"
)

fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
ax = axes[0, 0]
for name in ("OneCycle, cos", "OneCycle, linear"):
    ax.plot(steps, curves[name], label=name)
ax.set(ylabel="learning rate", title="OneCycle")
ax.legend(fontsize=8, loc="upper right")
ax_momentum = ax.twinx()
ax_momentum.plot(steps, momentum, ":", color="gray", label="momentum_at (cos)")
ax_momentum.set_ylabel("momentum")
ax_momentum.legend(fontsize=8, loc="center right")
axes[0, 1].plot(steps, curves["Warmup + CosineDecayRestarts"])
axes[0, 1].set(title="Warmup + CosineDecayRestarts")
axes[1, 0].plot(steps, curves["InverseSqrtDecay"])
axes[1, 0].set(xlabel="step", ylabel="learning rate", title="InverseSqrtDecay")
for name in ("triangular", "triangular2", "exp_range"):
    axes[1, 1].plot(steps, curves[name], label=name)
axes[1, 1].set(xlabel="step", title="CyclicalLearningRate")
axes[1, 1].legend(fontsize=8)
fig.tight_layout()

# %%
# Model
# -----
# The MLP of :func:`keras_dlkit.models.mlp` (two hidden layers of 256 and
# 128 ReLU units), trained by SGD with momentum 0.9.


def build_model():
    keras.utils.set_random_seed(0)
    return keras_dlkit.models.mlp((28, 28), 10, hidden_units=(256, 128))


print(build_model().count_params(), "parameters")

# %%
# The learning-rate range test
# ----------------------------
# :class:`~keras_dlkit.callbacks.LRFinder` sweeps the rate from ``1e-4`` to
# ``10`` over 100 batches (or until the smoothed loss is four times its
# minimum) and then puts the weights and the optimizer back as they were.
# Its :meth:`~keras_dlkit.callbacks.LRFinder.suggestion` reads a rate off the
# smoothed loss by one of fastai's rules: ``"valley"`` (the default) half way
# along the longest fall, ``"steepest"`` where the loss falls fastest per
# decade, ``"minimum"`` a tenth of the rate of the lowest loss. All three
# skip the first third of the sweep, where the moving average is still a
# mean of a few noisy batches and its wiggles can look like a fall.
model = build_model()
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
finder = LRFinder(min_learning_rate=1e-4, max_learning_rate=10.0, num_steps=100)
start = time.perf_counter()
model.fit(
    x_train,
    y_train,
    epochs=10,  # the finder stops the run after at most 100 batches
    batch_size=SIZES["batch_size"],
    verbose=0,
    callbacks=[finder],
)
suggestions = {
    method: finder.suggestion(method=method)
    for method in ("valley", "steepest", "minimum")
}
suggestion = suggestions["valley"]
lowest = int(np.argmin(finder.smoothed_losses))
print(
    f"range test: {len(finder.learning_rates)} batches in "
    f"{time.perf_counter() - start:.1f} s; lowest smoothed loss "
    f"{finder.smoothed_losses[lowest]:.3f} at {finder.learning_rates[lowest]:.3g}"
)
for method, rate in suggestions.items():
    print(f"suggestion {method:8s} {rate:.3g}")
# The red dot is the valley rule's point, the one trained below; the dashed
# lines are the other two rules.
ax = finder.plot(method="valley")
for method, style in (("steepest", "--"), ("minimum", ":")):
    rate = suggestions[method]
    ax.axvline(rate, linestyle=style, color="gray", label=f"{method} {rate:.2e}")
ax.legend()
ax.set_title("LRFinder on the MLP")

# %%
# Train
# -----
# The same model from the same initial weights, twice: a constant rate at the
# suggestion, and 1cycle with its peak three times higher (still well below
# the rate where the range test's loss was lowest). 1cycle's warm-up makes
# such a peak safe, and its long anneal ends far below either. The constant
# run keeps SGD's momentum at 0.9; the 1cycle run also cycles the momentum
# drawn above (0.95 down to 0.85 and back), through
# :class:`keras_dlkit.optimizers.ScheduledMomentum`, which applies
# ``momentum_at`` inside the training step.
PEAK_FACTOR = 3.0
steps_per_epoch = int(np.ceil(0.9 * SIZES["train"] / SIZES["batch_size"]))
total_steps = SIZES["epochs"] * steps_per_epoch
runs = {
    f"constant {suggestion:.3g}": suggestion,
    f"1cycle, peak {PEAK_FACTOR * suggestion:.3g}": OneCycle(
        PEAK_FACTOR * suggestion, total_steps=total_steps
    ),
}
histories, models = {}, {}
for name, learning_rate in runs.items():
    model = build_model()
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    if isinstance(learning_rate, OneCycle):
        optimizer = ScheduledMomentum(optimizer, learning_rate)
    model.compile(
        optimizer=optimizer,
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
    print(f"{name}: {time.perf_counter() - start:.1f} s")
    histories[name] = history.history
    models[name] = model

# %%
# Evaluate
# --------
scores = {
    name: model.evaluate(x_test, y_test, batch_size=1000, verbose=0, return_dict=True)
    for name, model in models.items()
}
for name, score in scores.items():
    print(f"{name:22s} test accuracy {score['accuracy']:.4f}  loss {score['loss']:.4f}")

# %%
# Learning curves
# ---------------
fig, (ax_rate, ax_loss, ax_acc) = plt.subplots(1, 3, figsize=(13, 4))
epochs = np.arange(1, SIZES["epochs"] + 1)
all_steps = np.arange(total_steps)
for name, learning_rate in runs.items():
    if isinstance(learning_rate, float):
        rate = np.full(total_steps, learning_rate)
    else:
        rate = ops.convert_to_numpy(learning_rate(all_steps))
    (line,) = ax_rate.plot(all_steps, rate, label=name)
    history = histories[name]
    ax_loss.plot(epochs, history["loss"], color=line.get_color(), label=f"{name} train")
    ax_loss.plot(
        epochs,
        history["val_loss"],
        "--",
        color=line.get_color(),
        label=f"{name} validation",
    )
    ax_acc.plot(epochs, history["val_accuracy"], color=line.get_color(), label=name)
ax_rate.set(xlabel="step", ylabel="learning rate", title="Learning rate")
ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
for ax in (ax_rate, ax_loss, ax_acc):
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Conclusion
# ----------
# * The schedules are pure functions of the step: they can be drawn, tested
#   and composed before any training (``Warmup`` wraps Keras's own
#   ``CosineDecayRestarts`` here). ``OneCycle``'s two anneal modes share the
#   same end points and differ only in the shape in between; its momentum
#   mirrors the rate, and ``ScheduledMomentum`` applies it in training.
# * The range test costs under a hundred batches. Its curve has the expected
#   shape: flat at tiny rates, falling, then blowing up, which stops the
#   test early. The valley suggestion lies about an order of magnitude
#   below the rate of the lowest loss, the usual relation, and the three
#   rules land within a factor of two of each other on this curve (the
#   figures printed above). On noisier curves (small batches) they spread
#   further; each skips the flat, noisy start of the sweep.
# * In the quick run, 1cycle starts behind: its first epoch is mostly the
#   warm-up from a 25th of the peak, with the momentum at its highest. Four
#   epochs on a subset leave its anneal little time to pay off, and it ends
#   within a few points of test accuracy of the constant rate (the figures
#   printed above; the order changes from backend to backend, each drawing
#   its own initial weights). That is too short and too noisy to tell which
#   policy is better; the full profile trains 20 epochs on all the training
#   images to measure that.
