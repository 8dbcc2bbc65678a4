"""rnn_forecaster: beats persistence on the sunspots, output shapes, checks."""

import keras
import numpy as np
import pytest

from keras_dlkit.datasets import load_sunspots
from keras_dlkit.models import get_model_entry, rnn_forecaster

pytest.importorskip("statsmodels")


def test_beats_persistence_on_sunspots():
    # Yearly sunspot numbers 1700-2008: train on windows of 12 years whose
    # target year is before 1949, forecast each of the last 60 years from the
    # 12 before it. Persistence (next year = this year) has MAE 25.05.
    _, activity = load_sunspots()
    window, held_out = 12, 60
    split = len(activity) - held_out
    mean, std = activity[:split].mean(), activity[:split].std()
    z = (activity - mean) / std
    targets = np.arange(window, len(activity))
    x = np.stack([z[t - window : t] for t in targets])[..., None]
    y = z[targets]
    train = targets < split
    keras.utils.set_random_seed(0)
    model = rnn_forecaster((window, 1), cell="gru", units=16)
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    model.fit(x[train], y[train], epochs=10, batch_size=64, verbose=0)
    forecast = keras.ops.convert_to_numpy(model(x[~train]))[:, 0] * std + mean
    truth = activity[targets[~train]]
    mae = np.abs(forecast - truth).mean()
    persistence = np.abs(activity[targets[~train] - 1] - truth).mean()
    np.testing.assert_allclose(persistence, 25.05, atol=0.01)
    # Measured 14-16.6 over seeds and backends: well below persistence.
    assert mae < 0.8 * persistence, (mae, persistence)


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({"input_shape": (10, 1)}, (None, 1)),
        ({"input_shape": (10, 1), "horizon": 4}, (None, 4)),
        ({"input_shape": (10, 3), "horizon": 4}, (None, 4)),
        ({"input_shape": (10, 3), "horizon": 4, "output_features": 3}, (None, 4, 3)),
        ({"input_shape": (10, 3), "horizon": 1, "output_features": 2}, (None, 1, 2)),
        ({"input_shape": (None, 2), "horizon": 30}, (None, 30)),
    ],
)
def test_output_shapes(kwargs, shape):
    model = rnn_forecaster(units=3, **kwargs)
    assert model.output_shape == shape
    timesteps = kwargs["input_shape"][0] or 5
    x = np.zeros((2, timesteps, kwargs["input_shape"][1]), "float32")
    assert tuple(model(x).shape) == (2, *shape[1:])


def test_multistep_multivariate_head_is_one_dense_layer():
    # 2 stacked bidirectional LSTMs, then Dense(horizon * outputs) reshaped.
    model = rnn_forecaster(
        (16, 3), horizon=5, units=4, depth=2, bidirectional=True, output_features=2
    )
    lstm_0 = 2 * 4 * (4 * (3 + 4) + 4)
    lstm_1 = 2 * 4 * (4 * (8 + 4) + 4)
    dense = 8 * 10 + 10
    assert model.count_params() == lstm_0 + lstm_1 + dense
    assert isinstance(model.get_layer("stage_1"), keras.layers.Bidirectional)
    assert isinstance(model.get_layer("predictions"), keras.layers.Reshape)
    x = np.random.default_rng(0).normal(size=(3, 16, 3)).astype("float32")
    flat = keras.ops.convert_to_numpy(
        keras.Model(model.inputs[0], model.get_layer("dense").output)(x)
    )
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model(x)), flat.reshape(3, 5, 2)
    )


def test_called_on_data_of_the_wrong_rank():
    model = rnn_forecaster((6, 2), horizon=2, units=3)
    with pytest.raises(ValueError):
        model(np.zeros((2, 6, 2, 3), "float32"))
    with pytest.raises(ValueError):
        model(np.zeros((6,), "float32"))


def test_registry_entry():
    entry = get_model_entry("rnn_forecaster")
    assert entry.family == "sequence"
    model = entry.builder(**entry.test_config)
    assert model.output_shape == (None, 3, 2)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (10,)}, "input_shape"),
        ({"input_shape": (10, 2, 1)}, "input_shape"),
        ({"input_shape": (10, None)}, "input_shape"),
        ({"input_shape": (0, 2)}, "input_shape"),
        ({"input_shape": "10x2"}, "input_shape"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": 11}, "horizon"),
        ({"horizon": 2.0}, "horizon"),
        ({"cell": "rnn"}, "cell"),
        ({"units": 0}, "units"),
        ({"depth": 0}, "depth"),
        ({"bidirectional": "yes"}, "bidirectional"),
        ({"dropout": 1.5}, "dropout"),
        ({"output_features": 0}, "output_features"),
        ({"name": None}, "name"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, argument):
    base = {"input_shape": (10, 2)}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        rnn_forecaster(**base)


def test_horizon_may_equal_the_window_and_is_unbounded_without_one():
    assert rnn_forecaster((10, 1), horizon=10, units=2).output_shape == (None, 10)
    assert rnn_forecaster((None, 1), horizon=100, units=2).output_shape == (None, 100)
