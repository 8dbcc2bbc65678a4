"""Learning-rate schedules: closed forms, serialization, use in fit, bad args."""

import inspect
import json
import math

import keras
import numpy as np
import pytest

from keras_dlkit.schedules import (
    CyclicalLearningRate,
    InverseSqrtDecay,
    OneCycle,
    Warmup,
)

serialize = keras.optimizers.schedules.serialize
deserialize = keras.optimizers.schedules.deserialize


def values(schedule, steps, method=None):
    fn = schedule if method is None else getattr(schedule, method)
    out = []
    for s in steps:
        v = keras.ops.convert_to_numpy(fn(int(s)))
        assert v.dtype == np.float32 and v.shape == ()
        out.append(float(v))
    return np.array(out)


# ---------------------------------------------------------------------------
# NumPy references (float64)
# ---------------------------------------------------------------------------


def np_one_cycle(
    step,
    max_lr,
    total_steps,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    anneal="cos",
    start=None,
    peak=None,
    end=None,
):
    """torch.optim.lr_scheduler.OneCycleLR.get_lr (three_phase=False), reimplemented.

    ``start/peak/end`` override the learning rates (for the momentum cycle).
    Steps after ``total_steps - 1`` are clamped, as the schedule documents.
    """
    initial = max_lr / div_factor
    start = initial if start is None else start
    peak = max_lr if peak is None else peak
    end = initial / final_div_factor if end is None else end
    phases = [
        (float(pct_start * total_steps) - 1, start, peak),
        (total_steps - 1, peak, end),
    ]

    def anneal_fn(a, b, pct):
        if anneal == "cos":
            return b + (a - b) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (b - a) * pct + a

    step = min(step, total_steps - 1)
    start_step = 0
    for i, (end_step, a, b) in enumerate(phases):
        if step <= end_step or i == len(phases) - 1:
            return anneal_fn(a, b, (step - start_step) / (end_step - start_step))
        start_step = end_step


def np_inverse_sqrt(step, d_model, warmup_steps, scale=1.0):
    n = step + 1.0
    return scale * d_model**-0.5 * min(n**-0.5, n * warmup_steps**-1.5)


def np_cyclical(step, base, max_lr, step_size, mode="triangular", gamma=1.0):
    cycle = math.floor(1 + step / (2 * step_size))
    x = abs(step / step_size - 2 * cycle + 1)
    scale = {
        "triangular": 1.0,
        "triangular2": 1.0 / 2.0 ** (cycle - 1),
        "exp_range": gamma**step,
    }[mode]
    return base + (max_lr - base) * max(0.0, 1.0 - x) * scale


def np_cosine_decay(step, initial, decay_steps, alpha=0.0):
    step = min(step, decay_steps)
    return initial * (
        (1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / decay_steps)) + alpha
    )


def np_cosine_decay_restarts(
    step, initial, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0
):
    fraction = step / first_decay_steps
    if t_mul == 1.0:
        i_restart = math.floor(fraction)
        fraction -= i_restart
    else:
        i_restart = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul))
        sum_r = (1 - t_mul**i_restart) / (1 - t_mul)
        fraction = (fraction - sum_r) / t_mul**i_restart
    m_fac = m_mul**i_restart
    cosine = 0.5 * m_fac * (1 + math.cos(math.pi * fraction))
    return initial * ((1 - alpha) * cosine + alpha)


def np_warmup(step, after, warmup_steps, initial=0.0):
    """``after(s)`` is the wrapped schedule; offset by the warm-up."""
    if step < warmup_steps:
        return initial + (after(0) - initial) * step / warmup_steps
    return after(step - warmup_steps)


# ---------------------------------------------------------------------------
# OneCycle
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(max_learning_rate=0.1, total_steps=100),
        dict(max_learning_rate=2.0, total_steps=37, pct_start=0.25, div_factor=10.0),
        dict(
            max_learning_rate=1e-3,
            total_steps=10,
            pct_start=0.5,
            final_div_factor=100.0,
        ),
        dict(max_learning_rate=0.5, total_steps=3, pct_start=0.3),  # phase 1 < 1 step
        dict(
            max_learning_rate=0.5, total_steps=5, pct_start=0.2
        ),  # phase 1 of length 0
    ],
)
def test_one_cycle_matches_pytorch_formula(kwargs, anneal):
    schedule = OneCycle(anneal=anneal, **kwargs)
    total = kwargs["total_steps"]
    steps = np.arange(0, total + 15)
    expected = []
    for s in steps:
        if float(kwargs.get("pct_start", 0.3) * total) - 1 == 0 and s == 0:
            # PyTorch computes 0/0 here; we document the peak.
            expected.append(kwargs["max_learning_rate"])
        else:
            expected.append(
                np_one_cycle(
                    int(s),
                    anneal=anneal,
                    **{
                        k.replace("_learning_rate", "_lr"): v for k, v in kwargs.items()
                    },
                )
            )
    actual = values(schedule, steps)
    np.testing.assert_allclose(actual, expected, rtol=2e-5, atol=0)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_start_peak_end(anneal):
    schedule = OneCycle(0.1, 1000, pct_start=0.25, anneal=anneal)
    start, peak, end = values(schedule, [0, 249, 999])
    np.testing.assert_allclose(start, 0.1 / 25, rtol=1e-6)
    np.testing.assert_allclose(peak, 0.1, rtol=1e-6)
    np.testing.assert_allclose(end, 0.1 / 25 / 1e4, rtol=1e-5)
    # Stays at the final value afterwards; rises then falls monotonically.
    np.testing.assert_allclose(values(schedule, [1000, 5000]), [end, end], rtol=1e-6)
    lrs = values(schedule, range(0, 1000, 7))
    up, down = lrs[: lrs.argmax() + 1], lrs[lrs.argmax() :]
    assert np.all(np.diff(up) >= 0) and np.all(np.diff(down) <= 0)
    assert lrs.argmax() * 7 in (245, 252)  # the samples around the peak, 249
    assert lrs.max() <= 0.1 * (1 + 1e-6)


def test_one_cycle_cos_and_linear_differ_mid_phase():
    cos = OneCycle(1.0, 100, anneal="cos")
    lin = OneCycle(1.0, 100, anneal="linear")
    # A quarter into phase 1 (step 29 ends it): cosine is below the line.
    assert float(cos(7)) < float(lin(7))
    # Same endpoints.
    np.testing.assert_allclose(
        values(cos, [0, 29, 99]), values(lin, [0, 29, 99]), rtol=1e-5
    )


@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_momentum_matches_pytorch_formula(anneal):
    schedule = OneCycle(
        0.1, 50, pct_start=0.4, anneal=anneal, base_momentum=0.8, max_momentum=0.9
    )
    steps = np.arange(0, 60)
    expected = [
        np_one_cycle(int(s), 0.1, 50, 0.4, anneal=anneal, start=0.9, peak=0.8, end=0.9)
        for s in steps
    ]
    np.testing.assert_allclose(
        values(schedule, steps, "momentum_at"), expected, rtol=1e-6
    )
    # Inverse of the learning rate: the minimum momentum is at the LR peak.
    assert float(schedule.momentum_at(19)) == pytest.approx(0.8)
    assert float(schedule(19)) == pytest.approx(0.1)


def test_one_cycle_accepts_tensor_steps():
    schedule = OneCycle(0.1, 100)
    for step in (
        keras.ops.convert_to_tensor(29, "int32"),
        keras.ops.convert_to_tensor(29.0),
    ):
        assert float(schedule(step)) == pytest.approx(0.1)
    variable = keras.Variable(29, dtype="int32", trainable=False)
    assert float(schedule(variable)) == pytest.approx(0.1)


# ---------------------------------------------------------------------------
# Warmup
# ---------------------------------------------------------------------------


def test_warmup_of_a_float():
    schedule = Warmup(0.3, warmup_steps=20, initial_learning_rate=0.01)
    steps = np.arange(0, 60)
    expected = [np_warmup(int(s), lambda _: 0.3, 20, 0.01) for s in steps]
    np.testing.assert_allclose(values(schedule, steps), expected, rtol=1e-6)
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(10)) == pytest.approx(0.155)
    assert float(schedule(20)) == pytest.approx(0.3)


def test_warmup_of_cosine_decay_is_keras_cosine_decay_with_warmup():
    decay = keras.optimizers.schedules.CosineDecay(0.2, decay_steps=80, alpha=0.1)
    schedule = Warmup(decay, warmup_steps=15)
    # Every step through the warm-up and its end, then every 4th (Keras's
    # built-in warm-up uses ops.cond, which JAX retraces on each eager call).
    steps = np.concatenate([np.arange(0, 20), np.arange(20, 110, 4)])
    expected = [
        np_warmup(int(s), lambda t: np_cosine_decay(t, 0.2, 80, 0.1), 15) for s in steps
    ]
    actual = values(schedule, steps)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-7)
    # The documented choice: identical to Keras's own built-in warm-up.
    builtin = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=80, alpha=0.1, warmup_target=0.2, warmup_steps=15
    )
    np.testing.assert_allclose(actual, values(builtin, steps), rtol=1e-5, atol=1e-7)


def test_warmup_of_cosine_decay_restarts():
    restarts = keras.optimizers.schedules.CosineDecayRestarts(0.1, first_decay_steps=10)
    schedule = Warmup(restarts, warmup_steps=5, initial_learning_rate=0.02)
    steps = np.concatenate([np.arange(0, 40), np.arange(40, 80, 3)])
    expected = [
        np_warmup(int(s), lambda t: np_cosine_decay_restarts(t, 0.1, 10), 5, 0.02)
        for s in steps
    ]
    np.testing.assert_allclose(values(schedule, steps), expected, rtol=1e-5, atol=1e-7)
    # Restarts happen at 10 and 30 steps after the warm-up.
    np.testing.assert_allclose(values(schedule, [15, 35]), [0.1, 0.1], rtol=1e-5)


def test_warmup_of_our_schedule_and_zero_warmup():
    inner = CyclicalLearningRate(0.1, 0.5, step_size=4)
    np.testing.assert_allclose(
        values(Warmup(inner, warmup_steps=0), range(20)),
        values(inner, range(20)),
        rtol=1e-6,
    )
    wrapped = Warmup(inner, warmup_steps=3)
    np.testing.assert_allclose(
        values(wrapped, range(3, 30)), values(inner, range(0, 27)), rtol=1e-6
    )
    np.testing.assert_allclose(values(Warmup(0.5, 0), [0, 7]), [0.5, 0.5])


# ---------------------------------------------------------------------------
# InverseSqrtDecay and CyclicalLearningRate
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(d_model=512, warmup_steps=4000),
        dict(d_model=64, warmup_steps=10, scale=2.0),
        dict(d_model=1, warmup_steps=1),
    ],
)
def test_inverse_sqrt_matches_formula(kwargs):
    schedule = InverseSqrtDecay(**kwargs)
    warmup = kwargs["warmup_steps"]
    steps = np.unique(
        np.concatenate(
            [
                np.arange(0, 30),
                np.arange(max(warmup - 30, 0), warmup + 30),  # around the peak
                np.linspace(0, 3 * warmup, 100).astype(int),
                [10 * warmup, 100_000],
            ]
        )
    )
    expected = [np_inverse_sqrt(int(s), **kwargs) for s in steps]
    lrs = values(schedule, steps)
    np.testing.assert_allclose(lrs, expected, rtol=1e-5)
    # Peak at step warmup - 1, that is step_num == warmup_steps.
    assert steps[np.argmax(lrs)] == warmup - 1
    np.testing.assert_allclose(
        lrs.max(),
        kwargs.get("scale", 1.0) * (kwargs["d_model"] * warmup) ** -0.5,
        rtol=1e-5,
    )


@pytest.mark.parametrize(
    "mode, gamma", [("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.99)]
)
@pytest.mark.parametrize("step_size", [1, 5, 8])
def test_cyclical_matches_formula(mode, gamma, step_size):
    schedule = CyclicalLearningRate(
        1e-3, 6e-3, step_size=step_size, mode=mode, gamma=gamma
    )
    steps = np.arange(0, 8 * step_size + 3)
    expected = [np_cyclical(int(s), 1e-3, 6e-3, step_size, mode, gamma) for s in steps]
    np.testing.assert_allclose(values(schedule, steps), expected, rtol=1e-5, atol=1e-9)


def test_cyclical_shapes():
    tri2 = CyclicalLearningRate(0.0, 1.0, step_size=10, mode="triangular2")
    np.testing.assert_allclose(
        values(tri2, [0, 10, 20, 30, 50]), [0, 1, 0, 0.5, 0.25], atol=1e-6
    )
    exp = CyclicalLearningRate(0.0, 1.0, step_size=10, mode="exp_range", gamma=0.9)
    assert float(exp(10)) == pytest.approx(0.9**10, rel=1e-5)
    # gamma is ignored outside exp_range.
    tri = CyclicalLearningRate(0.0, 1.0, step_size=10, gamma=0.5)
    assert float(tri(30)) == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# Serialization, optimizers, saving
# ---------------------------------------------------------------------------


def make_schedules():
    return {
        "one_cycle": OneCycle(
            0.05, 40, pct_start=0.25, anneal="linear", base_momentum=0.8
        ),
        "warmup_float": Warmup(0.01, warmup_steps=3, initial_learning_rate=0.001),
        "warmup_restarts": Warmup(
            keras.optimizers.schedules.CosineDecayRestarts(
                0.02, first_decay_steps=4, t_mul=1.5
            ),
            warmup_steps=2,
        ),
        "warmup_nested": Warmup(Warmup(OneCycle(0.02, 30), 2, 0.001), 3),
        "inverse_sqrt": InverseSqrtDecay(32, 4, scale=0.5),
        "cyclical": CyclicalLearningRate(0.001, 0.01, 3, mode="exp_range", gamma=0.95),
    }


SCHEDULE_IDS = list(make_schedules())


@pytest.mark.parametrize("name", SCHEDULE_IDS)
def test_config_round_trip(name):
    schedule = make_schedules()[name]
    config = serialize(schedule)
    assert config["registered_name"] == f"keras_dlkit>{type(schedule).__name__}"
    restored = deserialize(json.loads(json.dumps(config)))
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    steps = range(0, 60, 5)
    np.testing.assert_array_equal(values(restored, steps), values(schedule, steps))
    # from_config directly, too.
    again = type(schedule).from_config(schedule.get_config())
    np.testing.assert_array_equal(values(again, steps), values(schedule, steps))


def test_get_config_has_every_argument():
    for schedule in make_schedules().values():
        params = set(inspect.signature(type(schedule).__init__).parameters) - {"self"}
        assert set(schedule.get_config()) == params
    nested = Warmup(keras.optimizers.schedules.CosineDecay(0.1, 10), 5).get_config()
    assert nested["schedule_or_value"]["class_name"] == "CosineDecay"


def tiny_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)]
    )
    return model


@pytest.mark.parametrize("name", SCHEDULE_IDS)
def test_schedule_drives_an_optimizer_in_fit(name):
    schedule = make_schedules()[name]
    model = tiny_model()
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    model.compile(optimizer=optimizer, loss="mse")
    x = np.random.default_rng(0).normal(size=(28, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # 7 steps
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 7
    assert float(optimizer.learning_rate) == pytest.approx(float(schedule(7)), rel=1e-6)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)  # 14 more
    assert float(optimizer.learning_rate) == pytest.approx(
        float(schedule(21)), rel=1e-6
    )


@pytest.mark.parametrize(
    "name", ["one_cycle", "warmup_restarts", "warmup_nested", "cyclical"]
)
def test_keras_file_keeps_the_schedule(name, tmp_path):
    schedule = make_schedules()[name]
    model = tiny_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss="mse")
    x = np.ones((8, 3), "float32")
    model.fit(x, np.ones((8, 1), "float32"), batch_size=4, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    restored = loaded.optimizer._learning_rate
    assert type(restored) is type(schedule)
    assert serialize(restored) == serialize(schedule)
    assert int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)) == 2
    assert float(loaded.optimizer.learning_rate) == pytest.approx(
        float(schedule(2)), rel=1e-6
    )


# ---------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory, argname",
    [
        (lambda: OneCycle(0.0, 100), "max_learning_rate"),
        (lambda: OneCycle(-0.1, 100), "max_learning_rate"),
        (lambda: OneCycle("0.1", 100), "max_learning_rate"),
        (lambda: OneCycle(0.1, 0), "total_steps"),
        (lambda: OneCycle(0.1, -5), "total_steps"),
        (lambda: OneCycle(0.1, 100.0), "total_steps"),
        (lambda: OneCycle(0.1, 100, pct_start=0.0), "pct_start"),
        (lambda: OneCycle(0.1, 100, pct_start=1.0), "pct_start"),
        (lambda: OneCycle(0.1, 100, pct_start=1.5), "pct_start"),
        (lambda: OneCycle(0.1, 100, div_factor=0.0), "div_factor"),
        (lambda: OneCycle(0.1, 100, final_div_factor=-1.0), "final_div_factor"),
        (lambda: OneCycle(0.1, 100, anneal="cosine"), "anneal"),
        (lambda: OneCycle(0.1, 100, base_momentum=-0.1), "base_momentum"),
        (lambda: OneCycle(0.1, 100, max_momentum=1.1), "max_momentum"),
        (
            lambda: OneCycle(0.1, 100, base_momentum=0.9, max_momentum=0.8),
            "max_momentum",
        ),
        (lambda: Warmup("cosine", 10), "schedule_or_value"),
        (lambda: Warmup(lambda step: 0.1, 10), "schedule_or_value"),
        (lambda: Warmup(-0.1, 10), "schedule_or_value"),
        (lambda: Warmup(True, 10), "schedule_or_value"),
        (lambda: Warmup(0.1, -1), "warmup_steps"),
        (lambda: Warmup(0.1, 2.5), "warmup_steps"),
        (lambda: Warmup(0.1, 10, initial_learning_rate=-1e-3), "initial_learning_rate"),
        (
            lambda: Warmup(0.1, 10, initial_learning_rate=float("nan")),
            "initial_learning_rate",
        ),
        (lambda: InverseSqrtDecay(0, 4000), "d_model"),
        (lambda: InverseSqrtDecay(512, 0), "warmup_steps"),
        (lambda: InverseSqrtDecay(512, -10), "warmup_steps"),
        (lambda: InverseSqrtDecay(512, 4000, scale=0.0), "scale"),
        (lambda: CyclicalLearningRate(-1e-3, 1e-2, 10), "base_learning_rate"),
        (lambda: CyclicalLearningRate(1e-2, 1e-3, 10), "max_learning_rate"),
        (lambda: CyclicalLearningRate(1e-3, 1e-2, 0), "step_size"),
        (lambda: CyclicalLearningRate(1e-3, 1e-2, -3), "step_size"),
        (lambda: CyclicalLearningRate(1e-3, 1e-2, 10, mode="cosine"), "mode"),
        (lambda: CyclicalLearningRate(1e-3, 1e-2, 10, gamma=0.0), "gamma"),
        (lambda: CyclicalLearningRate(1e-3, 1e-2, 10, gamma=1.5), "gamma"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(factory, argname):
    with pytest.raises(ValueError, match=f"`{argname}`") as info:
        factory()
    assert "got" in str(info.value)
