"""
Early stopping, best-k checkpoints and resuming after a crash
=============================================================

Validation loss usually falls, flattens and then rises again as a network
starts to memorise its training set. Three callbacks turn that curve into
decisions and keep a long run safe:

* ``keras.callbacks.EarlyStopping`` stops training once the validation loss
  has not improved for ``patience`` epochs and, with
  ``restore_best_weights=True``, puts back the weights of the best epoch;
* :class:`keras_dlkit.callbacks.BestKCheckpoint` keeps the ``k`` best epochs
  on disk as ``.keras`` files (plus the last one) and a JSON manifest that
  says which is which. Every file is written to a temporary file and renamed
  into place, so a crash never leaves a truncated checkpoint;
* :class:`keras_dlkit.callbacks.ResumeFromCrash` snapshots the whole training
  state between epochs (weights, optimizer slots, the dropout layers' seed
  states, the NumPy and Python random states) and lets a new ``fit()``
  continue after the last finished epoch. Keras's own
  ``keras.callbacks.BackupAndRestore`` restores weights and optimizer but not
  the random states, so a resumed run with dropout and shuffling drifts away
  from the uninterrupted one; here the resumed run ends with bit-identical
  weights.

We train an MLP from :func:`keras_dlkit.models.mlp` on Fashion-MNIST.
"""

# %%
# Setup
# -----
# ``DLKIT_GALLERY_PROFILE`` sizes the run: ``quick`` (default on a CPU) trains
# on 2,000 images, ``full`` (default with a GPU) on 54,000.
import json
import math
import os
import tempfile

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_dlkit
from keras_dlkit.callbacks import BestKCheckpoint, ResumeFromCrash
from keras_dlkit.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

PROFILE = keras_dlkit.utils.gallery_profile()
SIZES = {
    "quick": {
        "train": 2000,
        "val": 1000,
        "batch_size": 100,
        "hidden": (256,),
        "max_epochs": 10,
        "patience": 2,
        "resume_epochs": 4,
        "crash_epoch": 2,
    },
    "full": {
        "train": 54000,
        "val": 6000,
        "batch_size": 128,
        "hidden": (512, 256),
        "max_epochs": 60,
        "patience": 5,
        "resume_epochs": 20,
        "crash_epoch": 12,
    },
}[PROFILE]
print(f"profile={PROFILE}, backend={keras.backend.backend()}, sizes={SIZES}")

# Checkpoints go to a temporary folder, deleted at the end of the example.
workdir = tempfile.TemporaryDirectory()

# %%
# Data
# ----
# The first training images are trained on; the last ones, never trained on,
# are the validation set.
(x_all, y_all), (x_test, y_test) = load_fashion_mnist()
x_all = x_all.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
x_train, y_train = x_all[: SIZES["train"]], y_all[: SIZES["train"]]
x_val, y_val = x_all[-SIZES["val"] :], y_all[-SIZES["val"] :]
print("train:", x_train.shape, "validation:", x_val.shape, "test:", x_test.shape)

# %%
# An exact resume needs every random draw to be replayable. We reshuffle the
# training set ourselves, at the start of every epoch, from NumPy's global
# generator, whose state :class:`~keras_dlkit.callbacks.ResumeFromCrash` saves
# and restores: exact by construction, and a fresh order every epoch on every
# backend. (``fit(shuffle=True)`` on arrays also resumes exactly in Keras 3.15,
# but on TensorFlow it repeats one permutation in every epoch; a shuffled
# ``tf.data`` pipeline cannot be resumed exactly at all.)


class ShuffledBatches(keras.utils.PyDataset):
    """Mini-batches of (x, y), reshuffled at the start of every epoch."""

    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.order = np.arange(len(x))

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def on_epoch_begin(self):
        self.order = np.random.permutation(len(self.x))

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]


train_data = ShuffledBatches(x_train, y_train, SIZES["batch_size"])

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
# The same seeded MLP with dropout for every run. Seeding before building
# fixes the initial weights and the dropout layers' seeds.


def make_model():
    keras.utils.set_random_seed(0)
    model = keras_dlkit.models.mlp(
        (28, 28), 10, hidden_units=SIZES["hidden"], dropout=0.2
    )
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


print(make_model().count_params(), "parameters")

# %%
# Train with early stopping and the best three checkpoints
# --------------------------------------------------------
# ``BestKCheckpoint`` ranks epochs by ``val_loss`` (``mode="auto"`` minimises
# losses and maximises accuracies, like Keras's ``ModelCheckpoint``).
checkpoint_dir = os.path.join(workdir.name, "best")
model = make_model()
early_stopping = keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=SIZES["patience"], restore_best_weights=True
)
best_k = BestKCheckpoint(checkpoint_dir, monitor="val_loss", k=3)
history = model.fit(
    train_data,
    validation_data=(x_val, y_val),
    epochs=SIZES["max_epochs"],
    shuffle=False,
    callbacks=[best_k, early_stopping],
    verbose=2,
)
curves = history.history

# %%
# The manifest lists the kept epochs, best first, and the last epoch; the
# folder holds exactly those files.
manifest = BestKCheckpoint.read_manifest(checkpoint_dir)
print(json.dumps(manifest, indent=2))
print(sorted(os.listdir(checkpoint_dir)))

# %%
# Evaluate
# --------
# ``EarlyStopping`` restored the weights of its best epoch (kept in memory);
# the best checkpoint on disk is the same epoch, with the same weights.
scores = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print(f"test accuracy {scores['accuracy']:.4f}, test loss {scores['loss']:.4f}")
from_disk = make_model()
entry = best_k.restore_best(from_disk)
same = all(
    np.array_equal(a, b)
    for a, b in zip(model.get_weights(), from_disk.get_weights(), strict=True)
)
print(
    f"EarlyStopping's best epoch: {early_stopping.best_epoch + 1}; best "
    f"checkpoint: epoch {entry['epoch']}; identical weights: {same}"
)
assert entry["epoch"] == early_stopping.best_epoch + 1 and same

# %%
# Validation curve with the kept epochs
# -------------------------------------
# Circles mark the three checkpoints kept (ranked), the square the last epoch;
# the dotted line is the epoch whose weights ``EarlyStopping`` restored, which
# stopped training ``patience`` epochs after it.
epochs = np.arange(1, len(curves["val_loss"]) + 1)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(epochs, curves["loss"], label="training loss", color="tab:gray")
ax.plot(epochs, curves["val_loss"], label="validation loss", color="tab:blue")
for rank, kept in enumerate(manifest["best"], start=1):
    ax.plot(kept["epoch"], kept["value"], "o", ms=13, mfc="none", color="tab:red")
    ax.annotate(
        f"#{rank}",
        (kept["epoch"], kept["value"]),
        textcoords="offset points",
        xytext=(0, 10),
        ha="center",
        color="tab:red",
    )
last = manifest["last"]
ax.plot(last["epoch"], last["value"], "s", ms=18, mfc="none", color="black")
ax.plot([], [], "o", mfc="none", color="tab:red", label="best 3 (kept)")
ax.plot([], [], "s", mfc="none", color="black", label="last epoch (kept)")
ax.axvline(
    early_stopping.best_epoch + 1,
    ls=":",
    color="black",
    label="restored by EarlyStopping",
)
ax.set_xticks(epochs)
ax.set(xlabel="epoch", ylabel="cross-entropy", title="Best-k checkpoints")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Crash and resume
# ----------------
# A crash is simulated by a callback that raises in the middle of an epoch,
# after its fifth batch. ``ResumeFromCrash`` has saved a snapshot after every
# finished epoch; a *new* model (as a restarted script would build it) with the
# same callback picks up after the last finished epoch.


class SimulatedCrash(keras.callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.crash_at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.crash_at:
            raise RuntimeError(f"simulated crash in epoch {self.epoch + 1}")


resume_dir = os.path.join(workdir.name, "resume")
fit_args = dict(
    validation_data=(x_val, y_val),
    epochs=SIZES["resume_epochs"],
    shuffle=False,
    verbose=2,
)
crashed = make_model()
try:
    crashed.fit(
        train_data,
        callbacks=[
            ResumeFromCrash(resume_dir),
            SimulatedCrash(SIZES["crash_epoch"], 4),
        ],
        **fit_args,
    )
except RuntimeError as error:
    print("crashed:", error)
print("snapshots on disk:", sorted(os.listdir(resume_dir)))

resumed = make_model()
resume = ResumeFromCrash(resume_dir)
resumed.fit(train_data, callbacks=[resume], **fit_args)
print(
    f"resumed after epoch {resume.initial_epoch} from "
    f"{os.path.basename(resume.resumed_from)}"
)

# %%
# The reference: the same run, never interrupted.
reference = make_model()
reference_curves = reference.fit(train_data, **fit_args).history

difference = max(
    float(np.max(np.abs(a - b)))
    for a, b in zip(resumed.get_weights(), reference.get_weights(), strict=True)
)
print(f"largest weight difference, resumed vs uninterrupted: {difference}")
print(
    "validation losses equal:",
    resume.history["val_loss"] == reference_curves["val_loss"],
)
assert difference == 0.0

# %%
# Resumed curve against the uninterrupted one
# -------------------------------------------
# ``resume.history`` holds the logs of every epoch of the run, before and after
# the crash. The resumed epochs land exactly on the uninterrupted curve.
epochs = np.arange(1, SIZES["resume_epochs"] + 1)
crash = SIZES["crash_epoch"]
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, name in zip(axes, ("val_loss", "val_accuracy"), strict=True):
    ax.plot(
        epochs,
        reference_curves[name],
        color="tab:gray",
        lw=4,
        alpha=0.5,
        label="uninterrupted",
    )
    ax.plot(
        epochs[:crash],
        resume.history[name][:crash],
        "o",
        color="tab:blue",
        label="before the crash",
    )
    ax.plot(
        epochs[crash:],
        resume.history[name][crash:],
        "x",
        ms=9,
        color="tab:red",
        label="after resuming",
    )
    ax.axvline(crash + 0.5, ls=":", color="black", label="crash")
    ax.set_xticks(epochs)
    ax.set(xlabel="epoch", title=name)
    ax.legend(fontsize=8)
fig.tight_layout()

workdir.cleanup()

# %%
# Conclusion
# ----------
# ``EarlyStopping`` decides *when* to stop and which weights to keep in memory;
# ``BestKCheckpoint`` keeps the best few epochs on disk with a manifest, so
# they survive the process and can be compared or ensembled later. Neither
# makes training itself survive a crash: ``ResumeFromCrash`` does, exactly,
# provided every random draw comes from a state it restores (seeded layers,
# NumPy and Python generators, reshuffling at the start of an epoch). Callbacks
# with their own counters, like ``EarlyStopping``'s patience, start afresh
# after a resume, so keep those out of runs you need to reproduce bit for bit.
