"""
Mixed precision: float16 and bfloat16 next to float32
=====================================================

Mixed precision trains with two floating-point types at once: the layers
*compute* in a 16-bit type, which halves memory traffic and runs on the
tensor cores of recent GPUs (and TPUs), while the *variables* stay in
float32, so that many small updates still add up. Keras selects this with a
dtype policy: ``"mixed_float16"`` or ``"mixed_bfloat16"``.

The two 16-bit types split their bits differently. float16 has 5 exponent
and 10 mantissa bits: about three decimal digits, but a range of only
:math:`6 \\times 10^{-8}` to 65,504, so small gradients underflow to zero.
Keras counters this with *loss scaling*: under ``"mixed_float16"``,
``compile()`` wraps the optimizer in a ``keras.optimizers.LossScaleOptimizer``
that multiplies the loss by a large factor before differentiation and divides
the gradients by it afterwards. bfloat16 keeps float32's 8 exponent bits, so
it has float32's range and needs no loss scaling, but only 7 mantissa bits:
about two decimal digits.

We train the same MLP from :func:`keras_dlkit.models.mlp` on Fashion-MNIST
under the three policies, check that the accuracy is the same, look at which
tensors are in which type, and follow the loss scale during training.
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
        "epochs": 4,
        "batch_size": 128,
        "hidden": (256, 128),
        "growth_steps": 10,
    },
    "full": {
        "train": 60000,
        "epochs": 20,
        "batch_size": 128,
        "hidden": (1024, 512),
        "growth_steps": 2000,
    },
}[PROFILE]
POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
keras.utils.set_random_seed(0)
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")
print("global dtype policy:", keras.config.dtype_policy().name)

# %%
# Data
# ----
# The inputs stay float32 NumPy arrays: each layer casts its inputs to its
# compute dtype itself.
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train = x_train[: SIZES["train"]].astype("float32") / 255.0
y_train = y_train[: SIZES["train"]]
x_test = x_test.astype("float32") / 255.0
print("train:", x_train.shape, "test:", x_test.shape)

# %%
# Look at the data, and at the number formats
# -------------------------------------------
# A pixel value :math:`k/255` survives the cast to 16 bits with a relative
# error below :math:`2^{-11}` in float16 and :math:`2^{-8}` in bfloat16:
# invisible in an image.
fig, axes = plt.subplots(1, 10, figsize=(12, 1.8))
for label, ax in enumerate(axes):
    ax.imshow(x_train[np.flatnonzero(y_train == label)[0]], cmap="gray_r")
    ax.set_title(FASHION_MNIST_CLASSES[label], fontsize=8)
    ax.axis("off")
fig.tight_layout()


def round_trip(values, dtype):
    """Cast float32 values to ``dtype`` and back, with Keras ops."""
    tensor = keras.ops.cast(keras.ops.convert_to_tensor(values), dtype)
    return keras.ops.convert_to_numpy(keras.ops.cast(tensor, "float32"))


pixels = np.arange(1, 256, dtype="float32") / 255.0
for dtype in ("float16", "bfloat16"):
    error = np.max(np.abs(round_trip(pixels, dtype) - pixels) / pixels)
    print(f"largest relative error of a pixel value in {dtype}: {error:.2e}")

# %%
# Range and precision over twenty orders of magnitude: the worst relative
# error of a round trip through each type, per narrow band of values. float16
# loses everything below :math:`6 \times 10^{-8}` and above 65,504 (values
# become 0 or ``inf``), and precision already below :math:`6 \times
# 10^{-5}`; bfloat16 covers the whole float32 range with a coarser, constant
# precision.
magnitudes = np.logspace(-10, 10, 4000, dtype="float32")
fig, ax = plt.subplots(figsize=(8, 3.5))
for dtype in ("float16", "bfloat16"):
    with np.errstate(invalid="ignore"):
        relative = np.abs(round_trip(magnitudes, dtype) - magnitudes) / magnitudes
    worst = np.nan_to_num(relative, nan=1.0).clip(max=1).reshape(200, 20).max(axis=1)
    ax.loglog(magnitudes.reshape(200, 20)[:, 10], worst, label=dtype)
ax.axvline(65504, color="0.6", ls=":")
ax.set(xlabel="value", ylabel="worst relative error (1 = lost)")
ax.legend()
fig.tight_layout()

# %%
# This is why float16 needs loss scaling: a gradient of :math:`10^{-8}`
# becomes 0, but the same gradient computed from a loss multiplied by
# :math:`2^{15}` survives, and dividing by :math:`2^{15}` afterwards, in
# float32, restores it.
tiny_gradient = np.array([1e-8, 1e-8 * 2**15], dtype="float32")
print("1e-8 and 1e-8 * 2**15 in float16: ", round_trip(tiny_gradient, "float16"))
print("1e-8 and 1e-8 * 2**15 in bfloat16:", round_trip(tiny_gradient, "bfloat16"))

# %%
# Model
# -----
# The dtype policy is global: ``keras.config.set_dtype_policy`` before
# building, and every layer built afterwards follows it. The MLP's head is
# built without an activation (it returns logits), and the softmax is added
# as its own layer with ``dtype="float32"``, so the model outputs float32
# probabilities. The loss is then computed in float32 too (Keras losses cast
# their inputs to ``keras.config.floatx()``, float32, whatever the policy).


def build_model(policy, seed=0):
    keras.config.set_dtype_policy(policy)
    keras.utils.set_random_seed(seed)
    body = keras_dlkit.models.mlp(
        (28, 28),
        10,
        hidden_units=SIZES["hidden"],
        classifier_activation=None,
        name=f"mlp_{policy}",
    )
    probabilities = keras.layers.Activation("softmax", dtype="float32", name="softmax")(
        body.output
    )
    return keras.Model(body.input, probabilities, name=body.name)


model = build_model("mixed_float16")
print(f"{'layer':12s} {'policy':16s} {'variables':10s} {'compute':9s} output")
for layer in model.layers:
    weights = {weight.dtype for weight in layer.weights} or {"-"}
    print(
        f"{layer.name:12s} {layer.dtype_policy.name:16s} {','.join(weights):10s} "
        f"{layer.compute_dtype:9s} {layer.output.dtype}"
    )

# %%
# Why keep the softmax and the loss in float32? The model's output is what
# its users read: probabilities that should sum to 1 and be accurate to more
# than two digits. Computed in 16 bits they are rounded to 11 (float16) or 8
# (bfloat16) significant bits, and a row no longer sums to 1. Here are 1,000
# rows of random logits:
logits = np.random.default_rng(0).normal(0, 3, size=(1000, 10)).astype("float32")
reference = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
for dtype in ("float16", "bfloat16"):
    probabilities = round_trip(
        keras.ops.softmax(keras.ops.cast(logits, dtype)), "float32"
    )
    print(
        f"softmax in {dtype:8s}: rows sum to 1 within "
        f"{np.max(np.abs(probabilities.sum(axis=1) - 1)):.1e}, "
        f"largest probability error {np.max(np.abs(probabilities - reference)):.1e}"
    )

# %%
# A float32 loss also leaves room for loss scaling: the optimizer multiplies
# the loss by the scale, :math:`2^{15}` at first, and for an untrained
# 10-class model (a cross-entropy of about 2.3) the product is beyond
# float16's largest number. In float32 it is an ordinary number; only the
# gradients flowing back into the float16 layers have to fit in float16.
print(
    "2.3 * 2**15 in float16:", round_trip(np.array([2.3 * 2**15], "float32"), "float16")
)

# %%
# Train
# -----
# Under ``mixed_float16``, ``compile()`` wraps the optimizer: ``model.optimizer``
# becomes a ``LossScaleOptimizer`` around our Adam.
model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
print(
    "compile() under mixed_float16 gives",
    type(model.optimizer).__name__,
    "around",
    type(model.optimizer.inner_optimizer).__name__,
    "with initial scale",
    model.optimizer.initial_scale,
    "and dynamic_growth_steps",
    model.optimizer.dynamic_growth_steps,
)

# %%
# Its scale starts at :math:`2^{15}`. Whenever the scaled gradients overflow
# (``inf`` or ``nan`` in float16) the step is skipped and the scale halved;
# after ``dynamic_growth_steps`` finite steps in a row it is doubled. With the
# default of 2,000 steps, nothing would move in the quick run's 128 steps, so
# we wrap the optimizer ourselves with a growth interval of 10 steps (2,000 in
# the full profile); ``compile()`` leaves an optimizer that already is a
# ``LossScaleOptimizer`` as it is. A callback records the scale after every
# step.
#
# A fourth run, float32 again but from seed 1, is the yardstick for "the
# same accuracy": two float32 runs that differ only in their random initial
# weights and data order do not end in exactly the same place either.


class RecordLossScale(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.scales = []

    def on_train_batch_end(self, batch, logs=None):
        optimizer = self.model.optimizer
        if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            self.scales.append(
                float(keras.ops.convert_to_numpy(optimizer.dynamic_scale))
            )


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


RUNS = {policy: (policy, 0) for policy in POLICIES}
RUNS["float32, seed 1"] = ("float32", 1)
histories, models, timers, scales = {}, {}, {}, {}
for run, (policy, seed) in RUNS.items():
    print(f"--- {run}")
    model = build_model(policy, seed)
    optimizer = keras.optimizers.Adam(learning_rate=0.001)
    if policy == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(
            optimizer, dynamic_growth_steps=SIZES["growth_steps"]
        )
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    timer, recorder = EpochTimer(), RecordLossScale()
    history = model.fit(
        x_train,
        y_train,
        epochs=SIZES["epochs"],
        batch_size=SIZES["batch_size"],
        callbacks=[timer, recorder],
        verbose=2,
    )
    histories[run], models[run], timers[run] = history.history, model, timer
    scales[run] = recorder.scales
keras.config.set_dtype_policy("float32")

# %%
# Evaluate
# --------
# Test accuracy on all 10,000 test images, how often each run predicts the
# same class as the float32 run from seed 0, and the time per epoch: the
# fastest epoch after the first (the first also traces and compiles the
# training step; the fastest is the one least disturbed by anything else
# running on the machine).
scores = {
    run: models[run].evaluate(
        x_test, y_test, batch_size=1000, verbose=0, return_dict=True
    )
    for run in RUNS
}
probabilities = {
    run: models[run].predict(x_test, batch_size=1000, verbose=0) for run in RUNS
}
predictions = {run: np.argmax(probabilities[run], axis=-1) for run in RUNS}
epoch_time = {run: min(timers[run].seconds[1:]) for run in RUNS}
print(
    f"{'run':16s} {'test acc':>8s} {'test loss':>9s} {'agree':>7s} "
    f"{'s/epoch':>8s} {'vs float32':>10s}"
)
for run in RUNS:
    agree = np.mean(predictions[run] == predictions["float32"])
    print(
        f"{run:16s} {scores[run]['accuracy']:8.4f} {scores[run]['loss']:9.4f} "
        f"{agree:7.1%} {epoch_time[run]:8.3f} "
        f"{epoch_time[run] / epoch_time['float32']:9.2f}x"
    )
confidence = probabilities["float32"].max(axis=-1)
disagree = np.zeros(len(x_test), dtype=bool)
for run in POLICIES[1:]:
    disagree |= predictions[run] != predictions["float32"]
print(
    f"float32's top probability: {confidence.mean():.2f} on average, "
    f"{confidence[disagree].mean():.2f} on the {disagree.sum()} test images "
    "where a 16-bit run predicts another class"
)

# %%
# Learning curves, loss scale and speed
# -------------------------------------
fig, (ax_loss, ax_scale, ax_time) = plt.subplots(1, 3, figsize=(13, 3.8))
epochs = np.arange(1, SIZES["epochs"] + 1)
for run in RUNS:
    style = "--" if run == "float32, seed 1" else "-"
    ax_loss.plot(epochs, histories[run]["loss"], style, marker="o", label=run)
ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Training loss")
ax_loss.set_xticks(epochs)
ax_loss.legend()
steps = np.arange(1, len(scales["mixed_float16"]) + 1)
ax_scale.step(steps, scales["mixed_float16"], where="post")
ax_scale.set_yscale("log", base=2)
ax_scale.set(xlabel="step", ylabel="loss scale", title="LossScaleOptimizer (float16)")
ax_time.bar(
    [run.replace(", ", "\n") for run in RUNS],
    [epoch_time[run] for run in RUNS],
    color=["C0", "C1", "C2", "C3"],
)
ax_time.set(
    ylabel="fastest epoch (s)", title=f"Speed ({keras.backend.backend()} backend)"
)
fig.tight_layout()
scale_trace = np.array(scales["mixed_float16"])
halvings = int(np.sum(scale_trace[1:] < scale_trace[:-1]))
print(
    f"loss scale: first {scale_trace[0]:g}, last {scale_trace[-1]:g}, "
    f"min {scale_trace.min():g}, max {scale_trace.max():g}; "
    f"{halvings} of {len(scale_trace)} steps overflowed and were skipped"
)
print("global dtype policy restored to:", keras.config.dtype_policy().name)

# %%
# Conclusion
# ----------
# The three policies train the same model to the same accuracy, as far as a
# run this short can tell: the training curves lie on top of each other, and
# the 16-bit runs differ from the float32 run by no more than a second
# float32 run from another seed does. Their test accuracies are within about
# two percentage points of float32's, and they predict the same class as it
# on at least as many test images as the seed-1 run does. The images on which
# they disagree are borderline ones (float32's top probability on them is
# printed above), where a little rounding, like a different initialisation,
# tips the balance between two classes. The layer table shows how the dtypes
# are split: every variable is float32, every layer from the input to the
# head computes in 16 bits, and the softmax we added computes and returns
# float32.
#
# ``compile()`` wrapped the optimizer under ``mixed_float16`` without being
# asked. With a growth interval of 10 steps, the loss scale climbs from
# :math:`2^{15}` until the scaled gradients overflow float16, falls back by
# half, and climbs again, skipping the few steps that overflowed. With the
# default interval of 2,000 steps (the full profile) it changes rarely.
# bfloat16 needs none of this: it has float32's range.
#
# Speed is where the hardware decides. NVIDIA GPUs with tensor cores (for
# float16 from the Volta generation on, for bfloat16 from Ampere on) run
# 16-bit matrix products several times faster than float32 ones: the Keras
# documentation quotes more than 3 times on modern GPUs, for models big
# enough to keep the GPU busy. Most CPUs have no such units (recent Intel
# Xeons with AMX, and CPUs with AVX-512 BF16, are exceptions, for bfloat16),
# so on a CPU the 16-bit policies gain little or nothing and can be slower:
# the products run at about float32 speed, and the policies add casts and,
# for float16, the loss-scale bookkeeping. The epoch times above come from
# the machine that built this page; compare them with the second float32 run,
# whose difference from the first is pure timing noise. For a real
# measurement, run the full profile on a GPU.
#
# The global policy is back to float32, so the examples that run after this
# one in the same process are unaffected.
