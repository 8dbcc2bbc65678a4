"""One small training run, for ``test_resume.py`` (not collected by pytest).

Imported by the tests, which train in-process, and run as a script in a
subprocess that kills itself with SIGKILL in the middle of an epoch:

    python _resume_worker.py RUN_DIR KILL_EPOCH KILL_BATCH

Everything random is seeded and drawn where ``ResumeFromCrash`` can replay
it: the ``Dropout`` layer's ``SeedGenerator``, a reshuffle of the samples at
every epoch start from NumPy's global generator (``PyDataset.on_epoch_begin``),
and ``fit(shuffle=True)``, which shuffles the batch order of a ``PyDataset``
with Python's ``random``. Batch normalization and an Adam optimizer with a
decaying learning rate add non-trainable and optimizer state.
"""

from __future__ import annotations

import math
import os
import signal
import sys

import keras
import numpy as np

from keras_dlkit.callbacks import BestKCheckpoint, ResumeFromCrash

SEED = 1234
EPOCHS = 4
BATCH_SIZE = 8
NUM_TRAIN = 96  # 12 batches per epoch
NUM_VAL = 32


class ShuffledData(keras.utils.PyDataset):
    """Samples reshuffled at every epoch start from NumPy's global generator."""

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


class KillAt(keras.callbacks.Callback):
    """SIGKILL this process after batch ``batch`` of epoch ``epoch``."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.kill_epoch, self.kill_batch, self.epoch = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (self.kill_epoch, self.kill_batch):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(NUM_TRAIN + NUM_VAL, 6)).astype("float32")
    teacher = rng.normal(size=(6, 3))
    y = np.argmax(x @ teacher + 0.5 * rng.normal(size=(len(x), 3)), axis=1)
    return (x[:NUM_TRAIN], y[:NUM_TRAIN]), (x[NUM_TRAIN:], y[NUM_TRAIN:])


def build_model():
    keras.utils.set_random_seed(SEED)
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    hidden = keras.layers.BatchNormalization()(hidden)
    hidden = keras.layers.Dropout(0.3)(hidden)
    outputs = keras.layers.Dense(3, activation="softmax")(hidden)
    model = keras.Model(inputs, outputs)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.02, 10, 0.8)
    model.compile(
        keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train(run_dir, epochs=EPOCHS, kill_at=None):
    """Train (or resume) the run in ``run_dir``; return model, history, callbacks.

    ``ResumeFromCrash`` comes first in the callback list on purpose: its
    snapshot must still follow the checkpoint written at the same epoch end.
    """
    model = build_model()
    (x, y), validation = make_data()
    resume = ResumeFromCrash(os.path.join(run_dir, "resume"), delete_on_train_end=False)
    best = BestKCheckpoint(os.path.join(run_dir, "best"), monitor="val_loss", k=2)
    callbacks = [resume, best]
    if kill_at is not None:
        callbacks.append(KillAt(*kill_at))
    history = model.fit(
        ShuffledData(x, y, BATCH_SIZE),
        validation_data=validation,
        epochs=epochs,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    return model, history, resume, best


if __name__ == "__main__":
    # The same initial weights as the in-process run (see tests/_jax_random.py).
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import _jax_random

    _jax_random.install_for_tests()
    run_dir, kill_epoch, kill_batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    train(run_dir, kill_at=(kill_epoch, kill_batch))
    print("the run was not killed", file=sys.stderr)
    sys.exit(3)
