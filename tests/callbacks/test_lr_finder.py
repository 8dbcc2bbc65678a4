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


# -- suggestion rules on synthetic curves ------------------------------------


def _finder_with_curve(smoothed, min_lr=1e-4, max_lr=1.0, **kwargs):
    finder = LRFinder(min_lr, max_lr, num_steps=len(smoothed), **kwargs)
    finder.learning_rates = [finder.learning_rate_at(i) for i in range(len(smoothed))]
    finder.smoothed_losses = [float(v) for v in smoothed]
    finder.losses = list(finder.smoothed_losses)
    return finder


def _valley_reference(losses):
    """fastai's ``valley`` loop, written out as fastai writes it."""
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def test_valley_known_answer():
    # 20 flat points, a straight fall over points 20..59, then a rise. The
    # longest strictly decreasing subsequence is one flat point and the 40
    # falling ones: it ends at 59 with length 41, so start = 59 - 41 = 18,
    # sections = 41 / 3 and the index is 18 + 13 + 6 = 37.
    curve = np.concatenate(
        [np.full(20, 10.0), np.linspace(9.5, 2.0, 40), np.linspace(2.5, 8.0, 20)]
    )
    finder = _finder_with_curve(curve)
    expected = finder.learning_rate_at(37)
    assert finder.suggestion(0, 0, method="valley") == pytest.approx(expected)
    assert finder.suggestion(0, 0) == pytest.approx(expected)  # the default


@pytest.mark.parametrize("seed", range(5))
def test_valley_matches_fastai_loop_on_noisy_curves(seed):
    rng = np.random.default_rng(seed)
    x = np.linspace(-3, 3, 60)
    curve = 5.0 - 4.0 * np.tanh(x) + 0.5 * np.exp(x) + rng.normal(0, 0.3, 60)
    finder = _finder_with_curve(curve)
    expected = finder.learning_rate_at(_valley_reference(list(curve)))
    assert finder.suggestion(0, 0) == pytest.approx(expected)


def test_steepest_known_answer():
    # loss = 6 - 4 tanh(2 (log10(lr) + 2)): steepest in log-rate at 1e-2,
    # which is point 20 of a 1e-4..1 sweep of 41 points.
    finder = _finder_with_curve(np.zeros(41))
    log_lr = np.log10(finder.learning_rates)
    finder.smoothed_losses = list(6.0 - 4.0 * np.tanh(2.0 * (log_lr + 2.0)))
    assert finder.learning_rates[20] == pytest.approx(1e-2)
    assert finder.suggestion(0, 0, method="steepest") == pytest.approx(1e-2)


def test_minimum_known_answer():
    # A parabola in log-rate with its lowest point at 10 ** -1.5.
    finder = _finder_with_curve(np.zeros(41))
    log_lr = np.log10(finder.learning_rates)
    finder.smoothed_losses = list((log_lr + 1.5) ** 2 + 1.0)
    assert finder.suggestion(0, 0, method="minimum") == pytest.approx(10**-1.5 / 10)


@pytest.mark.parametrize(
    "smoothing, skipped",
    # max(num_steps // 10, min(start-up, num_steps // 3)) with num_steps=100;
    # the start-up is the number of n >= 1 with smoothing ** n > 1 / 2.
    [(0.0, 10), (0.9, 10), (0.95, 13), (0.98, 33), (0.99, 33)],
)
def test_default_skip_leaves_out_the_start_up(smoothing, skipped):
    # A smooth fall, lowest at its last point, and one deep dip at point
    # ``dip``: the minimum rule picks the dip unless it is skipped.
    points = np.arange(100)
    fall = 6.0 - 4.0 * np.tanh((points - 70) / 10.0)

    def finder_with_dip(dip):
        curve = fall.copy()
        curve[dip] = -100.0
        return _finder_with_curve(curve, 1e-7, 10.0, smoothing=smoothing)

    finder = finder_with_dip(skipped - 1)
    last = 100 - 3 - 1  # skip_end=3
    assert finder.suggestion(method="minimum") == pytest.approx(
        finder.learning_rate_at(last) / 10
    )
    assert finder.suggestion(0, method="minimum") == pytest.approx(
        finder.learning_rate_at(skipped - 1) / 10
    )
    finder = finder_with_dip(skipped)
    assert finder.suggestion(method="minimum") == pytest.approx(
        finder.learning_rate_at(skipped) / 10
    )


def test_default_skip_ignores_a_noisy_start():
    # Losses that jump by +-20% around a fall centred on 1e-2, smoothed with
    # the callback's own formula. The 0.98 average of the first few points
    # is a mean of a few noisy losses: its slope there beats the lagged real
    # fall, and the old default (skip 3 points, steepest) picks from the flat
    # start (on 7 of the seeds 0-7; this is seed 0).
    rng = np.random.default_rng(0)
    finder = LRFinder()  # 1e-7 to 10 in 100 points
    lrs = np.array([finder.learning_rate_at(i) for i in range(100)])
    true = 6.0 - 4.0 * np.tanh(np.log10(lrs) + 2.0)
    raw = true * (1.0 + 0.2 * rng.standard_normal(100))
    avg, smoothed = 0.0, []
    for i, loss in enumerate(raw):
        avg = 0.98 * avg + 0.02 * loss
        smoothed.append(avg / (1.0 - 0.98 ** (i + 1)))
    finder.learning_rates, finder.smoothed_losses = list(lrs), smoothed
    finder.losses = list(raw)
    assert finder.suggestion(3, method="steepest") < 1e-5  # the old default
    for method in ("valley", "steepest", "minimum"):
        assert 1e-4 < finder.suggestion(method=method) < 1.0


def test_unknown_method_rejected():
    finder = _finder_with_curve(np.linspace(5.0, 1.0, 20))
    with pytest.raises(ValueError, match=r"`method`.*'valley'.*'fastest'"):
        finder.suggestion(method="fastest")
    pytest.importorskip("matplotlib").use("Agg")
    with pytest.raises(ValueError, match=r"`method`.*'steepest'.*'fastest'"):
        finder.plot(method="fastest")


def test_skip_arguments_keep_their_positions():
    curve = np.concatenate([np.full(10, 10.0), np.linspace(9.0, 1.0, 30)])
    finder = _finder_with_curve(curve)
    # 0.1.0's signature was suggestion(skip_begin=3, skip_end=3).
    assert finder.suggestion(5, 2, method="minimum") == pytest.approx(
        finder.suggestion(skip_begin=5, skip_end=2, method="minimum")
    )
    assert finder.suggestion(5, 2, method="minimum") == pytest.approx(
        finder.learning_rate_at(37) / 10
    )
    with pytest.raises(ValueError, match="`skip_begin`"):
        finder.suggestion(-1)
    with pytest.raises(ValueError, match="Too few points"):
        finder.suggestion(30, 9)


@pytest.mark.parametrize("method", ["valley", "steepest", "minimum"])
def test_plot_marks_the_chosen_point(method):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    curve = np.concatenate(
        [np.full(20, 10.0), np.linspace(9.5, 2.0, 40), np.linspace(2.5, 8.0, 20)]
    )
    finder = _finder_with_curve(curve)
    ax = finder.plot(method=method)
    lr = finder.suggestion(method=method)
    xs, ys = ax.lines[-1].get_data()
    assert xs[0] == pytest.approx(lr)
    expected_loss = np.interp(
        np.log(lr), np.log(finder.learning_rates), finder.smoothed_losses
    )
    assert ys[0] == pytest.approx(expected_loss)
    assert method in ax.lines[-1].get_label()
    matplotlib.pyplot.close(ax.figure)


# -- suggestions on noisy small batches --------------------------------------


def _regression(seed=0, n=512, d=8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    w = rng.normal(size=(d, 1))
    noise = 0.3 * rng.normal(size=(n, 1))
    y = x @ w + 0.5 * np.sin(2.0 * x[:, :1]) + noise
    return x, y.astype("float32")


def _classification(seed=0, n=512, d=8, classes=4):
    rng = np.random.default_rng(seed)
    centres = 1.5 * rng.normal(size=(classes, d))
    y = rng.integers(0, classes, size=n)
    x = centres[y] + rng.normal(size=(n, d))
    return x.astype("float32"), y.astype("int32")


def _small_model(problem, learning_rate, seed=1):
    keras.utils.set_random_seed(seed)
    outputs, loss = {
        "regression": (1, "mse"),
        "classification": (
            4,
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        ),
    }[problem]
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(outputs),
        ]
    )
    model.compile(keras.optimizers.Adam(learning_rate), loss=loss)
    return model


_DATA = {"regression": _regression, "classification": _classification}
# Half-decades from 1e-4 to 1.
_GRID = [float(10**e) for e in np.arange(-4.0, 0.01, 0.5)]


@pytest.mark.parametrize("problem", ["regression", "classification"])
def test_suggestion_trains_about_as_well_as_the_best_grid_rate(problem):
    x, y = _DATA[problem]()
    # One compiled model for the whole test (no retracing): every run starts
    # from the same weights and a fresh optimizer, as LRFinder restores them.
    model = _small_model(problem, 1e-3)
    model.optimizer.build(model.trainable_variables)
    variables = model.variables + model.optimizer.variables
    initial = [np.array(keras.ops.convert_to_numpy(v.value)) for v in variables]
    losses = {}

    def final_loss(learning_rate):
        """Loss after a fixed budget (3 epochs of 32 batches of 16)."""
        if learning_rate not in losses:
            for variable, value in zip(variables, initial, strict=True):
                variable.assign(value)
            model.optimizer.learning_rate.assign(learning_rate)
            keras.utils.set_random_seed(2)
            model.fit(x, y, batch_size=16, epochs=3, verbose=0)
            losses[learning_rate] = float(
                model.evaluate(x, y, batch_size=512, verbose=0)
            )
        return losses[learning_rate]

    finder = LRFinder()  # the default sweep, 1e-7 to 10 in 100 batches
    keras.utils.set_random_seed(2)
    model.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[finder])
    grid = {lr: final_loss(lr) for lr in _GRID}
    best = min(grid.values())
    assert grid[_GRID[0]] > 5 * best  # the grid does span a flat start
    for method in ("valley", "steepest", "minimum"):
        suggested = finder.suggestion(method=method)
        # Never from the flat start of the sweep, where nothing trains (on
        # these problems the loss after the budget at 1e-4 is 10-60x the
        # best).
        assert suggested >= 100 * finder.min_learning_rate, (method, suggested)
        # Within 2x of the best grid rate's loss: the grid steps the rate by
        # sqrt(10), the rates next to the best reach within ~1.1-1.8x of it,
        # and a rate that trains nothing stays 10-60x above it.
        loss = final_loss(suggested)
        assert loss <= 2.0 * best, (method, suggested, loss, grid)
