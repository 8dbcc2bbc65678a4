"""StochasticWeightAveraging and update_batch_norm_statistics.

The average is checked against the NumPy mean of per-epoch snapshots taken by
a separate callback; the batch-norm refresh against the NumPy mean and
(biased) variance of the layer's inputs over the data.
"""

import re
import warnings

import keras
import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale
from keras import ops

from keras_dlkit.callbacks import (
    StochasticWeightAveraging,
    update_batch_norm_statistics,
)


class Snapshots(keras.callbacks.Callback):
    """Records every model variable at the end of every epoch."""

    def on_train_begin(self, logs=None):
        self.trainable, self.non_trainable = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.trainable.append([to_np64(v) for v in self.model.trainable_variables])
        self.non_trainable.append(
            [to_np64(v) for v in self.model.non_trainable_variables]
        )


def data(n=40, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=1.5, scale=2.0, size=(n, features)).astype("float32")
    y = (x @ rng.normal(size=(features, 1))).astype("float32")
    return x, y


def bn_model(seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, name="dense"),
            keras.layers.BatchNormalization(momentum=0.5, name="bn"),
            keras.layers.Dense(1, name="head"),
        ]
    )
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    return model


# -- averaging ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "start_epoch, frequency, epochs, averaged",
    [(0, 1, 3, [0, 1, 2]), (1, 2, 6, [1, 3, 5]), (4, 3, 5, [4])],
)
def test_average_is_numpy_mean_of_epoch_snapshots(
    start_epoch, frequency, epochs, averaged
):
    model = bn_model()
    x, y = data()
    swa = StochasticWeightAveraging(start_epoch=start_epoch, frequency=frequency)
    snapshots = Snapshots()
    model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, callbacks=[swa, snapshots])
    assert swa.averaged_epochs == averaged
    assert swa.n_averaged == len(averaged)

    for i, variable in enumerate(model.trainable_variables):
        expected = np.mean([snapshots.trainable[e][i] for e in averaged], axis=0)
        # A float32 running mean (snapshots can cancel): errors are ulps of the
        # variable's largest entry, not of each averaged entry.
        assert_close_to_scale(to_np64(variable), expected, rel=1e-6)
    if len(averaged) > 1:  # the average is not simply the last weights
        last = snapshots.trainable[-1]
        assert any(
            np.max(np.abs(to_np64(v) - w)) > 1e-3
            for v, w in zip(model.trainable_variables, last, strict=True)
        )
    # Non-trainable weights (the batch-norm statistics) keep their last values.
    for variable, last in zip(
        model.non_trainable_variables, snapshots.non_trainable[-1], strict=True
    ):
        np.testing.assert_array_equal(to_np64(variable), last)


def test_average_restarts_with_each_fit_and_counts_initial_epoch():
    model = bn_model()
    x, y = data()
    swa = StochasticWeightAveraging(start_epoch=2)
    snapshots = Snapshots()
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[swa])
    model.fit(
        x,
        y,
        batch_size=8,
        initial_epoch=3,
        epochs=5,
        verbose=0,
        callbacks=[swa, snapshots],
    )
    assert swa.averaged_epochs == [3, 4]
    for i, variable in enumerate(model.trainable_variables):
        expected = np.mean([s[i] for s in snapshots.trainable], axis=0)
        assert_close_to_scale(to_np64(variable), expected, rel=1e-6)  # as above


def test_no_snapshot_warns_and_keeps_the_weights():
    model = bn_model()
    x, y = data()
    snapshots = Snapshots()
    swa = StochasticWeightAveraging(start_epoch=5)
    with pytest.warns(UserWarning, match="start_epoch"):
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[swa, snapshots])
    for variable, last in zip(
        model.trainable_variables, snapshots.trainable[-1], strict=True
    ):
        np.testing.assert_array_equal(to_np64(variable), last)
    assert swa.n_averaged == 0


# -- batch-norm statistics --------------------------------------------------------------


def np_bn_inputs_dense(model, x):
    dense = model.get_layer("dense")
    return x.astype(np.float64) @ to_np64(dense.kernel) + to_np64(dense.bias)


def assert_bn_stats(layer, inputs, axes):
    np.testing.assert_allclose(
        to_np64(layer.moving_mean), inputs.mean(axis=axes), rtol=1e-5, atol=1e-5
    )
    # Keras's convention: the biased variance (divided by the count).
    np.testing.assert_allclose(
        to_np64(layer.moving_variance), inputs.var(axis=axes), rtol=1e-5, atol=1e-5
    )


def batched(x, y, size):
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


@pytest.mark.parametrize("form", ["arrays", "list-of-tuples", "generator"])
def test_refresh_gives_numpy_mean_and_variance_of_bn_inputs(form):
    model = bn_model()
    x, y = data(n=70)  # batches of 32, 32 and 6
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    bn = model.get_layer("bn")
    momentum = bn.momentum
    inputs = np_bn_inputs_dense(model, x)
    stale = to_np64(bn.moving_variance)
    assert np.max(np.abs(stale - inputs.var(axis=0))) > 1e-2  # a real change

    if form == "arrays":
        seen = update_batch_norm_statistics(model, x, batch_size=32)
    elif form == "list-of-tuples":
        seen = update_batch_norm_statistics(model, batched(x, y, 32))
    else:
        seen = update_batch_norm_statistics(model, (b for b, _ in batched(x, y, 32)))
    assert seen == 70
    assert_bn_stats(bn, inputs, axes=0)
    assert bn.momentum == momentum
    # Averaging per-batch statistics with equal weights, as update_bn does,
    # would be off here (the last batch holds 6 samples, not 32).
    batch_means = [inputs[i : i + 32].mean(axis=0) for i in range(0, 70, 32)]
    assert np.max(np.abs(np.mean(batch_means, axis=0) - inputs.mean(axis=0))) > 1e-3


def test_refresh_steps_and_conv_reduction_axes():
    keras.utils.set_random_seed(3)
    conv = keras.layers.Conv2D(2, 3, name="conv")
    bn = keras.layers.BatchNormalization(name="bn")
    model = keras.Sequential([keras.Input((6, 6, 1)), conv, bn])
    rng = np.random.default_rng(0)
    x = rng.normal(loc=-1.0, size=(20, 6, 6, 1)).astype("float32")
    seen = update_batch_norm_statistics(model, x, batch_size=8, steps=2)
    assert seen == 16
    inputs = ops.convert_to_numpy(conv(x[:16])).astype(np.float64)
    assert_bn_stats(bn, inputs, axes=(0, 1, 2))


def test_refresh_batch_renormalization():
    bn = keras.layers.BatchNormalization(renorm=True, name="bn")
    model = keras.Sequential([keras.Input((3,)), bn])
    x = np.random.default_rng(0).normal(2.0, 3.0, size=(50, 3)).astype("float32")
    renorm_mean = to_np64(bn.renorm_mean)
    update_batch_norm_statistics(model, x, batch_size=16)
    assert_bn_stats(bn, x.astype(np.float64), axes=0)
    np.testing.assert_allclose(
        to_np64(bn.moving_stddev), np.sqrt(x.var(axis=0) + bn.epsilon), rtol=1e-5
    )
    # The renorm statistics are not touched.
    np.testing.assert_array_equal(to_np64(bn.renorm_mean), renorm_mean)


def test_refresh_leaves_frozen_layers_and_weights_alone():
    model = bn_model()
    frozen = keras.layers.BatchNormalization(name="frozen")
    model = keras.Sequential([*model.layers, frozen])
    model.build((None, 4))
    frozen.moving_mean.assign([5.0])
    frozen.trainable = False
    x, _ = data()
    before = [to_np64(v) for v in model.trainable_variables]
    update_batch_norm_statistics(model, x)
    assert to_np64(frozen.moving_mean).tolist() == [5.0]
    assert to_np64(frozen.moving_variance).tolist() == [1.0]
    for variable, value in zip(model.trainable_variables, before, strict=True):
        np.testing.assert_array_equal(to_np64(variable), value)
    assert_bn_stats(model.get_layer("bn"), np_bn_inputs_dense(model, x), axes=0)


def test_callback_refreshes_bn_after_averaging():
    model = bn_model()
    x, y = data()
    swa = StochasticWeightAveraging(start_epoch=1, batch_norm_data=x)
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[swa])
    # The statistics belong to the averaged dense weights.
    assert_bn_stats(model.get_layer("bn"), np_bn_inputs_dense(model, x), axes=0)


def test_refresh_without_batch_norm_or_data():
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    assert update_batch_norm_statistics(plain, np.ones((4, 4), "float32")) == 0
    model = bn_model()
    model.build((None, 4))
    bn = model.get_layer("bn")
    bn.moving_mean.assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="`data`"):
        update_batch_norm_statistics(model, [])
    # A failed refresh restores the statistics and the momentum.
    assert to_np64(bn.moving_mean).tolist() == [1.0, 2.0, 3.0]
    assert bn.momentum == 0.5


# -- config and arguments ------------------------------------------------------------


def test_config_round_trip():
    swa = StochasticWeightAveraging(
        start_epoch=3, frequency=2, batch_norm_data=np.ones((2, 4)), batch_norm_steps=5
    )
    config = swa.get_config()
    assert config == {"start_epoch": 3, "frequency": 2, "batch_norm_steps": 5}
    assert StochasticWeightAveraging(**config).get_config() == config


@pytest.mark.parametrize(
    "build, argument",
    [
        (lambda: StochasticWeightAveraging(start_epoch=-1), "start_epoch"),
        (lambda: StochasticWeightAveraging(start_epoch=1.0), "start_epoch"),
        (lambda: StochasticWeightAveraging(frequency=0), "frequency"),
        (lambda: StochasticWeightAveraging(frequency=True), "frequency"),
        (lambda: StochasticWeightAveraging(batch_norm_steps=0), "batch_norm_steps"),
        (lambda: update_batch_norm_statistics("model", np.ones((2, 4))), "model"),
        (
            lambda: update_batch_norm_statistics(bn_model(), np.ones((2, 4)), 0),
            "batch_size",
        ),
        (
            lambda: update_batch_norm_statistics(bn_model(), np.ones((2, 4)), steps=0),
            "steps",
        ),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(build, argument):
    with pytest.raises(ValueError, match=re.escape(f"`{argument}`")):
        build()


def test_no_warning_when_averaging_happened():
    model = bn_model()
    x, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.fit(
            x,
            y,
            epochs=1,
            verbose=0,
            callbacks=[StochasticWeightAveraging()],
        )
