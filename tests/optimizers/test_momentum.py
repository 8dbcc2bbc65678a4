"""ScheduledMomentum: the momentum of SGD / Adam / AdamW follows a schedule per step.

The parameter trajectory under ``fit()`` (tensorflow's traced step, JAX's
stateless step, torch's eager step) and under ``optimizer.apply`` is checked
against NumPy references of Keras's SGD and Adam update formulas, with the
momentum of step ``t`` taken from ``OneCycle.momentum_at(t)``.
"""

import re

import keras
import numpy as np
import pytest
from _helpers import to_np64
from keras import ops

from keras_dlkit.optimizers import AutoClip, ScheduledMomentum
from keras_dlkit.schedules import OneCycle

FEATURES, UNITS = 3, 2
N, BATCH = 12, 3  # 4 steps per epoch
EPOCHS = 2
STEPS = EPOCHS * N // BATCH


def one_cycle():
    # A wide momentum range, so that a constant momentum is far off.
    return OneCycle(
        0.1,
        total_steps=STEPS,
        pct_start=0.5,
        div_factor=5.0,
        final_div_factor=10.0,
        base_momentum=0.3,
        max_momentum=0.95,
    )


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, FEATURES)).astype("float32")
    y = rng.normal(size=(N, UNITS)).astype("float32")
    return x, y


def linear_model(optimizer, seed=1):
    rng = np.random.default_rng(seed)
    model = keras.Sequential(
        [keras.Input((FEATURES,)), keras.layers.Dense(UNITS, name="dense")]
    )
    kernel = rng.normal(size=(FEATURES, UNITS)).astype("float32")
    bias = (0.1 * rng.normal(size=(UNITS,))).astype("float32")
    model.set_weights([kernel, bias])
    if optimizer is not None:
        model.compile(optimizer=optimizer, loss="mse")
    return model, [kernel.astype(np.float64), bias.astype(np.float64)]


def mse_grads(x, y, kernel, bias):
    """Gradients of keras' MSE (mean over outputs and batch) of x @ kernel + bias."""
    residual = x @ kernel + bias - y
    scale = 2.0 / residual.size
    return [scale * x.T @ residual, scale * residual.sum(axis=0)]


# -- NumPy references of keras/src/optimizers/sgd.py and adam.py ---------------------


def np_sgd(weights, x, y, lrs, momenta, nesterov=False):
    weights = [w.copy() for w in weights]
    velocities = [np.zeros_like(w) for w in weights]
    for step, (lr, mu) in enumerate(zip(lrs, momenta, strict=True)):
        rows = slice((step * BATCH) % N, (step * BATCH) % N + BATCH)
        grads = mse_grads(x[rows], y[rows], *weights)
        for w, v, g in zip(weights, velocities, grads, strict=True):
            v[...] = mu * v - lr * g
            w += (mu * v - lr * g) if nesterov else v
    return weights


def np_adam(weights, x, y, lrs, beta_1s, beta_2, epsilon, weight_decay=0.0):
    weights = [w.copy() for w in weights]
    ms = [np.zeros_like(w) for w in weights]
    vs = [np.zeros_like(w) for w in weights]
    for step, (lr, b1) in enumerate(zip(lrs, beta_1s, strict=True)):
        rows = slice((step * BATCH) % N, (step * BATCH) % N + BATCH)
        grads = mse_grads(x[rows], y[rows], *weights)
        t = step + 1
        # Keras's bias correction with this step's beta_1 (the convention
        # ScheduledMomentum documents; PyTorch's Adam under OneCycleLR too).
        alpha = lr * np.sqrt(1 - beta_2**t) / (1 - b1**t)
        for w, m, v, g in zip(weights, ms, vs, grads, strict=True):
            w -= w * weight_decay * lr  # AdamW: decay first, then the update
            m += (g - m) * (1 - b1)
            v += (g * g - v) * (1 - beta_2)
            w -= m * alpha / (np.sqrt(v) + epsilon)
    return weights


def schedule_values(schedule):
    steps = range(STEPS)
    lrs = [float(to_np64(schedule(s))) for s in steps]
    momenta = [float(to_np64(schedule.momentum_at(s))) for s in steps]
    return lrs, momenta


CASES = ["sgd", "sgd-nesterov", "adam", "adamw"]


def make_inner(case, schedule):
    if case == "sgd":
        return keras.optimizers.SGD(learning_rate=schedule, momentum=0.9)
    if case == "sgd-nesterov":
        return keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True)
    if case == "adam":
        return keras.optimizers.Adam(learning_rate=schedule, beta_2=0.99, epsilon=1e-3)
    return keras.optimizers.AdamW(
        learning_rate=schedule, weight_decay=0.5, beta_2=0.99, epsilon=1e-3
    )


def reference(case, weights, x, y, lrs, momenta):
    if case.startswith("sgd"):
        return np_sgd(weights, x, y, lrs, momenta, nesterov=case == "sgd-nesterov")
    decay = 0.5 if case == "adamw" else 0.0
    return np_adam(weights, x, y, lrs, momenta, 0.99, 1e-3, weight_decay=decay)


class CountingOneCycle(OneCycle):
    """Counts the Python calls of ``momentum_at`` (one per trace, or per step)."""

    calls = 0

    def momentum_at(self, step):
        CountingOneCycle.calls += 1
        return super().momentum_at(step)


@pytest.mark.parametrize("case", CASES)
def test_fit_trajectory_matches_numpy_with_scheduled_momentum(case):
    schedule = one_cycle()
    counting = CountingOneCycle(**schedule.get_config())
    CountingOneCycle.calls = 0
    inner = make_inner(case, schedule)
    attribute = "momentum" if case.startswith("sgd") else "beta_1"
    float_momentum = getattr(inner, attribute)
    model, weights = linear_model(ScheduledMomentum(inner, counting))
    x, y = data()
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)

    lrs, momenta = schedule_values(schedule)
    assert max(momenta) - min(momenta) > 0.5  # the test has teeth
    expected = reference(case, weights, x, y, lrs, momenta)
    got = [to_np64(w) for w in model.get_weights()]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)

    # With the inner optimizer's constant momentum the result is different,
    # far beyond the tolerance: the schedule really reached the update.
    constant = reference(case, weights, x, y, lrs, [float_momentum] * STEPS)
    assert max(np.max(np.abs(g - c)) for g, c in zip(got, constant, strict=True)) > 1e-3

    optimizer = model.optimizer
    assert int(to_np64(optimizer.iterations)) == STEPS
    assert float(to_np64(optimizer.current_momentum)) == pytest.approx(momenta[-1])
    # The inner optimizer keeps its float between steps.
    assert getattr(inner, attribute) == float_momentum
    assert not {"update_step", "_parallel_update_step"} & set(vars(inner))
    # Traced once on tensorflow and jax (no retracing per step); torch runs
    # eagerly and evaluates the schedule at every step.
    if keras.backend.backend() == "torch":
        assert CountingOneCycle.calls == STEPS
    else:
        assert 1 <= CountingOneCycle.calls <= 2


@pytest.mark.parametrize("case", ["sgd", "adam"])
def test_apply_trajectory_matches_numpy(case):
    schedule = one_cycle()
    optimizer = ScheduledMomentum(make_inner(case, schedule), schedule)
    _, weights = linear_model(None)
    variables = [keras.Variable(w.astype("float32")) for w in weights]
    x, y = data()
    for step in range(STEPS):
        rows = slice((step * BATCH) % N, (step * BATCH) % N + BATCH)
        current = [to_np64(v) for v in variables]
        grads = mse_grads(x[rows].astype(np.float64), y[rows], *current)
        optimizer.apply(
            [ops.convert_to_tensor(g.astype("float32")) for g in grads], variables
        )
    lrs, momenta = schedule_values(schedule)
    expected = reference(case, weights, x, y, lrs, momenta)
    for v, e in zip(variables, expected, strict=True):
        np.testing.assert_allclose(to_np64(v), e, rtol=1e-5, atol=1e-6)


def test_plain_schedule_values_are_the_momentum():
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([1], [0.0, 0.5])
    optimizer = ScheduledMomentum(keras.optimizers.SGD(1.0, momentum=0.9), schedule)
    variable = keras.Variable([0.0])
    for _ in range(3):
        optimizer.apply([ops.convert_to_tensor([1.0])], [variable])
    # Momentum 0 at steps 0 and 1 (the velocity is still updated: -1, -1),
    # 0.5 at step 2 (velocity 0.5 * -1 - 1 = -1.5).
    np.testing.assert_allclose(to_np64(variable), [-3.5])
    assert float(to_np64(optimizer.current_momentum)) == 0.5


def test_clipping_wrapper_around_it_and_mixed_float16():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        schedule = one_cycle()
        wrapper = ScheduledMomentum(keras.optimizers.Adam(schedule), schedule)
        model, _ = linear_model(AutoClip(wrapper, percentile=100.0))
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        x, y = data()
        model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    finally:
        keras.config.set_dtype_policy(previous)
    # The loss scale may skip an overflowing step; the momentum follows the
    # inner optimizer's count of real updates.
    done = int(to_np64(wrapper.iterations))
    assert 1 <= done <= N // BATCH
    expected = float(to_np64(schedule.momentum_at(done - 1)))
    assert float(to_np64(wrapper.current_momentum)) == pytest.approx(expected)
    assert all(np.isfinite(to_np64(w)).all() for w in model.get_weights())


# -- serialization -------------------------------------------------------------------


def test_config_round_trip():
    schedule = one_cycle()
    optimizer = ScheduledMomentum(
        keras.optimizers.AdamW(schedule, weight_decay=0.01), schedule, name="cycled"
    )
    config = optimizer.get_config()
    restored = ScheduledMomentum.from_config(config)
    assert restored.get_config() == config
    assert type(restored.schedule) is OneCycle
    serialized = keras.optimizers.serialize(optimizer)
    assert serialized["registered_name"] == "keras_dlkit>ScheduledMomentum"
    again = keras.optimizers.deserialize(serialized)
    assert type(again) is ScheduledMomentum
    assert type(again.inner_optimizer) is type(optimizer.inner_optimizer)
    assert again.get_config() == config


def test_keras_file_round_trip_safe_mode_resumes_the_cycle(tmp_path):
    schedule = one_cycle()
    optimizer = ScheduledMomentum(
        keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True), schedule
    )
    model, _ = linear_model(optimizer)
    x, y = data()
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)

    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded.optimizer) is ScheduledMomentum
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(to_np64(a), to_np64(b))
    # The second epoch (steps 4..7 of the cycle) is the same on both.
    for m in (model, loaded):
        m.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(to_np64(loaded.optimizer.iterations)) == STEPS


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, argument",
    [
        (lambda: ScheduledMomentum("sgd", one_cycle()), "optimizer"),  # momentum 0
        (lambda: ScheduledMomentum("rmsprop", one_cycle()), "optimizer"),
        (lambda: ScheduledMomentum("no_such_optimizer", one_cycle()), "optimizer"),
        (lambda: ScheduledMomentum(object(), one_cycle()), "optimizer"),
        (
            lambda: ScheduledMomentum(
                keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam()),
                one_cycle(),
            ),
            "optimizer",
        ),
        (lambda: ScheduledMomentum(AutoClip("adam"), one_cycle()), "optimizer"),
        (lambda: ScheduledMomentum("adam", 0.9), "schedule"),
        (lambda: ScheduledMomentum("adam", lambda step: 0.9), "schedule"),
        (lambda: ScheduledMomentum("adam", one_cycle(), clipnorm=1.0), "clipnorm"),
        (lambda: ScheduledMomentum("adam", one_cycle(), momentum=0.9), "momentum"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(build, argument):
    with pytest.raises(ValueError, match=re.escape(f"`{argument}`")):
        build()
