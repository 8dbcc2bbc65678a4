"""Tests for ``keras_dlkit.callbacks.LRFinder``."""

import keras
import numpy as np
import pytest

from keras_dlkit.callbacks import LRFinder


def _linear_data(n=256, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    w = rng.normal(size=(d, 1)).astype("float32")
    return x, (x @ w).astype("float32")


def _linear_model(optimizer, seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, use_bias=False)])
    model.compile(optimizer, loss="mse")
    return model


def _snapshot(model):
    return (
        [np.array(keras.ops.convert_to_numpy(v.value)) for v in model.variables],
        [
            np.array(keras.ops.convert_to_numpy(v.value))
            for v in model.optimizer.variables
        ],
    )


@pytest.mark.parametrize("pretrain", [False, True])
def test_restores_weights_and_optimizer_exactly(pretrain):
    x, y = _linear_data(64)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(0.003), loss="mse")
    if pretrain:
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    else:
        model.optimizer.build(model.trainable_variables)
    before_model, before_opt = _snapshot(model)
    finder = LRFinder(1e-3, 1.0, num_steps=6)
    model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[finder])
    assert len(finder.learning_rates) == 6
    after_model, after_opt = _snapshot(model)
    assert len(before_model) == len(after_model)
    assert len(before_opt) == len(after_opt)
    for a, b in zip(before_model + before_opt, after_model + after_opt, strict=True):
        assert np.array_equal(a, b)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == (
        pytest.approx(0.003)
    )


def test_learning_rates_follow_exponential_formula():
    x, y = _linear_data(64)
    model = _linear_model(keras.optimizers.SGD(0.01))
    finder = LRFinder(1e-4, 1e-2, num_steps=5, divergence_threshold=1e6)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[finder])
    expected = [1e-4 * 100 ** (i / 4) for i in range(5)]
    np.testing.assert_allclose(finder.learning_rates, expected, rtol=1e-12)
    assert len(finder.losses) == len(finder.smoothed_losses) == 5


def test_losses_are_per_batch_not_running_mean():
    x, y = _linear_data(64)
    model = _linear_model(keras.optimizers.SGD(0.01))
    finder = LRFinder(1e-9, 2e-9, num_steps=4, smoothing=0.0)
    model.fit(
        x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[finder]
    )
    # With a negligible learning rate the weights do not move, so each batch
    # loss equals the loss of that batch under the initial weights.
    w = keras.ops.convert_to_numpy(model.variables[0].value)
    expected = [
        float(np.mean((x[i : i + 16] @ w - y[i : i + 16]) ** 2))
        for i in (0, 16, 32, 48)
    ]
    np.testing.assert_allclose(finder.losses, expected, rtol=1e-4)
    np.testing.assert_allclose(finder.smoothed_losses, finder.losses, rtol=1e-12)


def test_diverges_stops_early_and_suggests_stable_rate():
    # Full-batch steps, so the loss curve reflects the learning rate alone.
    x, y = _linear_data(128)
    model = _linear_model(keras.optimizers.SGD(0.01))
    finder = LRFinder(1e-3, 100.0, num_steps=40)
    model.fit(x, y, batch_size=128, epochs=40, verbose=0, callbacks=[finder])
    recorded = len(finder.learning_rates)
    assert recorded < 40  # stopped early
    losses = np.asarray(finder.smoothed_losses)
    best = float(np.nanmin(losses))
    assert not np.isfinite(losses[-1]) or losses[-1] > 4.0 * best
    blow_up = finder.learning_rates[int(np.nanargmin(losses))]
    suggested = finder.suggestion()
    assert 1e-3 < suggested < blow_up

    initial = model.evaluate(x, y, verbose=0)
    fresh = _linear_model(keras.optimizers.SGD(suggested))
    assert fresh.evaluate(x, y, verbose=0) == pytest.approx(initial, rel=1e-5)
    fresh.fit(x, y, batch_size=128, epochs=5, verbose=0)
    assert fresh.evaluate(x, y, verbose=0) < 0.5 * initial


def test_suggestion_needs_points():
    with pytest.raises(ValueError, match="Too few points"):
        LRFinder().suggestion()


def test_schedule_learning_rate_rejected():
    x, y = _linear_data(16)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model = _linear_model(keras.optimizers.SGD(schedule))
    with pytest.raises(ValueError, match="`learning_rate`"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[LRFinder(num_steps=2)])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"min_learning_rate": 0.0}, "min_learning_rate"),
        ({"min_learning_rate": 1e-3, "max_learning_rate": 1e-3}, "max_learning_rate"),
        ({"max_learning_rate": 1e-8}, "max_learning_rate"),
        ({"num_steps": 1}, "num_steps"),
        ({"num_steps": 2.0}, "num_steps"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"smoothing": -0.1}, "smoothing"),
        ({"divergence_threshold": 1.0}, "divergence_threshold"),
    ],
)
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        LRFinder(**kwargs)


def test_get_config_and_plot():
    finder = LRFinder(1e-5, 1.0, num_steps=10)
    assert LRFinder(**finder.get_config()).get_config() == finder.get_config()
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    finder.learning_rates = [finder.learning_rate_at(i) for i in range(10)]
    finder.smoothed_losses = [float(v) for v in (10, 9, 8, 6, 3, 2, 1.5, 1.4, 2, 5)]
    finder.losses = list(finder.smoothed_losses)
    ax = finder.plot()
    assert ax.get_xscale() == "log"
    assert len(ax.lines) == 2
