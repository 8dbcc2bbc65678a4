"""AdaptiveGradientClipping, AutoClip, GradientNormTracker and GradientNormLogger.

Updates are checked against NumPy references, through ``optimizer.apply``
(the stateful path) and through ``fit`` (JAX's stateless path).
"""

import re

import keras
import numpy as np
import pytest
from _helpers import to_np64
from keras import ops

from keras_dlkit.callbacks import GradientNormLogger
from keras_dlkit.optimizers import (
    AdaptiveGradientClipping,
    AutoClip,
    GradientNormTracker,
)

# -- NumPy references ----------------------------------------------------------


def np_unitwise_norm(x):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim <= 1:
        return np.sqrt(np.sum(x**2))
    return np.sqrt(np.sum(x**2, axis=tuple(range(x.ndim - 1)), keepdims=True))


def np_agc(grad, weight, clip_factor, eps):
    max_norm = clip_factor * np.maximum(np_unitwise_norm(weight), eps)
    grad_norm = np_unitwise_norm(grad)
    clipped = grad * max_norm / np.maximum(grad_norm, 1e-6)
    return np.where(grad_norm > max_norm, clipped, grad)


def np_global_norm(grads):
    return float(np.sqrt(sum(np.sum(np.asarray(g, np.float64) ** 2) for g in grads)))


def np_linear_mse_grads(x, y, kernel, bias):
    """Gradients of keras' MSE (mean over outputs and batch) of x @ kernel + bias."""
    residual = x @ kernel + bias - y
    scale = 2.0 / residual.size
    return [scale * x.T @ residual, scale * residual.sum(axis=0)]


def linear_model(units=2, features=3, optimizer=None, seed=0):
    rng = np.random.default_rng(seed)
    model = keras.Sequential(
        [keras.Input((features,)), keras.layers.Dense(units, name="dense")]
    )
    kernel = rng.normal(size=(features, units)).astype("float32")
    bias = rng.normal(size=(units,)).astype("float32") * 0.1
    model.set_weights([kernel, bias])
    if optimizer is not None:
        model.compile(optimizer=optimizer, loss="mse")
    return model, kernel.astype(np.float64), bias.astype(np.float64)


SHAPES = [(3, 2), (2,), (2, 2, 3, 4), ()]


def _variables_and_grads(grad_scale, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [(grad_scale * rng.normal(size=s)).astype("float32") for s in SHAPES]
    return weights, grads


def _make_variables(weights):
    return [keras.Variable(w, name=f"w{i}") for i, w in enumerate(weights)]


# -- AGC ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grad_scale, clip_factor, expect_clipping",
    [(1.0, 0.05, True), (1e-4, 0.5, False)],
    ids=["clipping", "no-clipping"],
)
def test_agc_apply_matches_numpy(grad_scale, clip_factor, expect_clipping):
    weights, grads = _variables_and_grads(grad_scale)
    variables = _make_variables(weights)
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=1.0), clip_factor=clip_factor, eps=1e-3
    )
    optimizer.apply([ops.convert_to_tensor(g) for g in grads], variables)

    for w, g, var in zip(weights, grads, variables, strict=True):
        expected_grad = np_agc(g.astype(np.float64), w, clip_factor, 1e-3)
        np.testing.assert_allclose(to_np64(var), w - expected_grad, atol=1e-5)
        clipped = not np.allclose(expected_grad, g, atol=1e-7)
        assert clipped == expect_clipping
    assert to_np64(optimizer.gradient_norm) == pytest.approx(
        np_global_norm(grads), 1e-5
    )
    assert int(to_np64(optimizer.iterations)) == 1


def test_agc_eps_floor_lets_zero_weights_move():
    variable = keras.Variable(np.zeros((2, 3), "float32"))
    grad = np.full((2, 3), 5.0, "float32")
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=1.0), clip_factor=0.1, eps=0.5
    )
    optimizer.apply([ops.convert_to_tensor(grad)], [variable])
    # Each column (unit) of the gradient is clipped to norm 0.1 * 0.5.
    column_norms = np.linalg.norm(to_np64(variable), axis=0)
    np.testing.assert_allclose(column_norms, 0.05, atol=1e-6)


def test_agc_exclude_skips_matching_variables():
    model, kernel, bias = linear_model()
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=1.0), clip_factor=1e-3, exclude=["bias"]
    )
    grads = [np.ones_like(kernel, "float32"), np.ones_like(bias, "float32")]
    optimizer.apply(
        [ops.convert_to_tensor(g) for g in grads], model.trainable_variables
    )
    np.testing.assert_allclose(to_np64(model.layers[0].bias), bias - 1.0, atol=1e-6)
    expected_kernel = kernel - np_agc(grads[0].astype(np.float64), kernel, 1e-3, 1e-3)
    np.testing.assert_allclose(
        to_np64(model.layers[0].kernel), expected_kernel, atol=1e-6
    )
    # The excluded bias still counts in the logged norm of the raw gradients.
    assert to_np64(optimizer.gradient_norm) == pytest.approx(
        np_global_norm(grads), 1e-6
    )


def test_agc_successive_steps_match_numpy():
    # Each step's clipped gradients are new (on torch they reuse the last
    # step's memory): three steps with different gradients, and SGD with
    # momentum, which keeps the gradients in its slots.
    weights, _ = _variables_and_grads(1.0)
    variables = _make_variables(weights)
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=0.5, momentum=0.9), clip_factor=0.05
    )
    current = [w.astype(np.float64) for w in weights]
    velocity = [np.zeros_like(w) for w in current]
    for step in range(3):
        _, grads = _variables_and_grads(10.0 ** (step - 1), seed=step + 1)
        optimizer.apply([ops.convert_to_tensor(g) for g in grads], variables)
        for i, g in enumerate(grads):
            clipped = np_agc(g.astype(np.float64), current[i], 0.05, 1e-3)
            velocity[i] = 0.9 * velocity[i] - 0.5 * clipped
            current[i] = current[i] + velocity[i]
        for want, var in zip(current, variables, strict=True):
            np.testing.assert_allclose(to_np64(var), want, rtol=1e-5, atol=1e-5)
        assert to_np64(optimizer.gradient_norm) == pytest.approx(
            np_global_norm(grads), 1e-5
        )


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch tensors")
def test_agc_torch_gradients_that_require_grad_outside_no_grad():
    import torch

    weights, grads = _variables_and_grads(1.0)
    variables = _make_variables(weights)
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=1.0), clip_factor=0.05
    )
    tensors = [torch.tensor(g, requires_grad=True) for g in grads]
    assert torch.is_grad_enabled()
    optimizer.apply(tensors, variables)
    for w, g, var in zip(weights, grads, variables, strict=True):
        want = w - np_agc(g.astype(np.float64), w, 0.05, 1e-3)
        np.testing.assert_allclose(to_np64(var), want, atol=1e-5)


def test_agc_apply_leaves_the_callers_gradients_alone():
    weights, grads = _variables_and_grads(1.0)
    variables = _make_variables(weights)
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=1.0), clip_factor=0.05
    )
    tensors = [ops.convert_to_tensor(g) for g in grads]
    optimizer.apply(tensors, variables)
    for g, tensor in zip(grads, tensors, strict=True):
        np.testing.assert_array_equal(ops.convert_to_numpy(tensor), g)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch .grad")
def test_agc_torch_scales_the_variables_own_grad_in_place():
    # What Keras's torch train_step passes: each variable's `.grad`, which
    # the next backward pass replaces (torch's clip_grad_norm_ convention).
    import torch

    weights, grads = _variables_and_grads(1.0)
    variables = _make_variables(weights)
    for variable, g in zip(variables, grads, strict=True):
        variable.value.grad = torch.tensor(g)
    owned = [variable.value.grad for variable in variables]
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=1.0), clip_factor=0.05
    )
    optimizer.apply(owned, variables)
    for w, g, var, grad in zip(weights, grads, variables, owned, strict=True):
        clipped = np_agc(g.astype(np.float64), w, 0.05, 1e-3)
        assert var.value.grad is grad
        np.testing.assert_allclose(to_np64(grad), clipped, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_np64(var), w - clipped, atol=1e-5)


def test_agc_transform_gradients_result_outlives_the_next_step():
    weights, grads = _variables_and_grads(1.0)
    variables = _make_variables(weights)
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=0.1), clip_factor=0.05
    )
    optimizer.build(variables)
    tensors = [ops.convert_to_tensor(g) for g in grads]
    values = [ops.convert_to_tensor(v) for v in variables]
    clipped, _ = optimizer.transform_gradients(tensors, values, variables, None, {})
    optimizer.apply([t * 3.0 for t in tensors], variables)
    optimizer.apply([t * 5.0 for t in tensors], variables)
    for g, w, got in zip(grads, weights, clipped, strict=True):
        want = np_agc(g.astype(np.float64), w, 0.05, 1e-3)
        np.testing.assert_allclose(to_np64(got), want, rtol=1e-5, atol=1e-6)


def test_agc_float16_variables_match_numpy():
    weights, grads = _variables_and_grads(1.0)
    weights = [w.astype("float16") for w in weights]
    grads = [g.astype("float16") for g in grads]
    variables = [
        keras.Variable(w, dtype="float16", name=f"w{i}") for i, w in enumerate(weights)
    ]
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=1.0), clip_factor=0.05
    )
    optimizer.apply([ops.convert_to_tensor(g) for g in grads], variables)
    for w, g, var in zip(weights, grads, variables, strict=True):
        assert keras.backend.standardize_dtype(var.dtype) == "float16"
        want = w.astype(np.float64) - np_agc(
            g.astype(np.float64), w.astype(np.float64), 0.05, 1e-3
        )
        np.testing.assert_allclose(to_np64(var), want, rtol=2e-3, atol=2e-3)


def test_agc_fit_matches_numpy_and_logs_gradient_norm():
    x = np.random.default_rng(1).normal(size=(8, 3)).astype("float32")
    y = np.random.default_rng(2).normal(size=(8, 2)).astype("float32") * 5
    optimizer = AdaptiveGradientClipping(
        keras.optimizers.SGD(learning_rate=1.0), clip_factor=0.02
    )
    model, kernel, bias = linear_model(optimizer=optimizer)
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        shuffle=False,
        verbose=0,
        callbacks=[GradientNormLogger()],
    )

    grads = np_linear_mse_grads(x.astype(np.float64), y, kernel, bias)
    expected = [
        w - np_agc(g, w, 0.02, 1e-3) for w, g in zip((kernel, bias), grads, strict=True)
    ]
    assert not np.allclose(expected[0], kernel - grads[0])  # clipping was active
    for var, want in zip(model.trainable_variables, expected, strict=True):
        np.testing.assert_allclose(to_np64(var), want, atol=1e-5)
    norm = np_global_norm(grads)
    assert history.history["gradient_norm"] == [pytest.approx(norm, rel=1e-5)]
    assert to_np64(model.optimizer.gradient_norm) == pytest.approx(norm, rel=1e-5)
    assert int(to_np64(model.optimizer.iterations)) == 1


# -- AutoClip ----------------------------------------------------------------------


def test_autoclip_apply_matches_numpy_percentile_with_wraparound():
    rng = np.random.default_rng(3)
    percentile, history_size = 30.0, 4
    scales = [1.0, 4.0, 0.5, 2.0, 8.0, 0.2, 3.0]
    grads = [(s * rng.normal(size=(5,))).astype("float32") for s in scales]
    w0 = rng.normal(size=(5,)).astype("float32")
    variable = keras.Variable(w0)
    optimizer = AutoClip(
        keras.optimizers.SGD(learning_rate=1.0),
        percentile=percentile,
        history_size=history_size,
    )
    expected = w0.astype(np.float64)
    seen = []
    clipped_steps = 0
    for g in grads:
        optimizer.apply([ops.convert_to_tensor(g)], [variable])
        norm = np.linalg.norm(g.astype(np.float64))
        seen.append(norm)
        threshold = np.percentile(seen[-history_size:], percentile)  # linear
        factor = min(1.0, threshold / norm)
        clipped_steps += factor < 1.0
        expected = expected - factor * g
        np.testing.assert_allclose(to_np64(variable), expected, atol=1e-5)
        assert to_np64(optimizer.gradient_norm) == pytest.approx(norm, rel=1e-5)
    assert clipped_steps >= 3
    assert int(to_np64(optimizer.iterations)) == len(grads)


def test_autoclip_ignores_non_finite_norms():
    optimizer = AutoClip(
        keras.optimizers.SGD(learning_rate=1.0), percentile=50, history_size=4
    )
    optimizer.build([keras.Variable(np.zeros(2, "float32"))])
    history = ops.convert_to_tensor(np.array([1.0, 3.0, 0.0, 0.0], "float32"))
    count = ops.convert_to_tensor(2, dtype="int32")
    assert float(to_np64(optimizer.clip_threshold(history, count))) == 2.0
    grads, state = optimizer.transform_gradients(
        [ops.convert_to_tensor([np.inf, 0.0])],
        [None],
        [None],
        ops.convert_to_tensor(np.inf, dtype="float32"),
        {"history": history, "count": count},
    )
    assert int(to_np64(state["count"])) == 2
    np.testing.assert_array_equal(to_np64(state["history"]), to_np64(history))
    assert to_np64(grads[0])[0] == np.inf
    empty = optimizer.clip_threshold(history, ops.convert_to_tensor(0, dtype="int32"))
    assert np.isinf(float(to_np64(empty)))


def test_autoclip_fit_matches_numpy_simulation():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (rng.normal(size=(16, 2)) * np.arange(1, 17)[:, None] / 4).astype("float32")
    percentile, batch = 25.0, 4
    optimizer = AutoClip(
        keras.optimizers.SGD(learning_rate=0.1), percentile=percentile, history_size=3
    )
    model, kernel, bias = linear_model(optimizer=optimizer, seed=5)
    history = model.fit(
        x,
        y,
        batch_size=batch,
        epochs=1,
        shuffle=False,
        verbose=0,
        callbacks=[GradientNormLogger(name="gnorm")],
    )

    seen, clipped_steps = [], 0
    for start in range(0, 16, batch):
        xb, yb = x[start : start + batch].astype(np.float64), y[start : start + batch]
        grads = np_linear_mse_grads(xb, yb, kernel, bias)
        norm = np_global_norm(grads)
        seen.append(norm)
        factor = min(1.0, np.percentile(seen[-3:], percentile) / norm)
        clipped_steps += factor < 1.0
        kernel = kernel - 0.1 * factor * grads[0]
        bias = bias - 0.1 * factor * grads[1]
    assert clipped_steps >= 2
    np.testing.assert_allclose(to_np64(model.layers[0].kernel), kernel, atol=1e-5)
    np.testing.assert_allclose(to_np64(model.layers[0].bias), bias, atol=1e-5)
    assert history.history["gnorm"] == [pytest.approx(np.mean(seen), rel=1e-5)]
    assert int(to_np64(optimizer.iterations)) == 4
    state = optimizer._state_variables
    assert int(to_np64(state["count"])) == 4
    np.testing.assert_allclose(
        np.sort(to_np64(state["history"])), np.sort(seen[-3:]), rtol=1e-5
    )


# -- fit with Adam, mixed precision, nesting -----------------------------------------


@pytest.mark.parametrize("wrapper", ["agc", "autoclip"])
def test_fit_with_adam_advances_inner_optimizer(wrapper):
    inner = keras.optimizers.Adam(learning_rate=0.01)
    if wrapper == "agc":
        optimizer = AdaptiveGradientClipping(inner, clip_factor=0.01)
    else:
        optimizer = AutoClip(inner, percentile=10.0, history_size=8)
    model, kernel, _ = linear_model(optimizer=optimizer)
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.ones((8, 2), "float32")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)

    assert not np.allclose(to_np64(model.layers[0].kernel), kernel)
    assert int(to_np64(inner.iterations)) == 4
    assert int(to_np64(model.optimizer.iterations)) == 4
    moments = [v for v in inner.variables if "momentum" in v.path]
    assert moments and all(np.any(to_np64(v) != 0) for v in moments)
    assert float(to_np64(optimizer.gradient_norm)) > 0


def test_mixed_float16_loss_scale_wraps_the_clipping():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        optimizer = AdaptiveGradientClipping(keras.optimizers.SGD(learning_rate=0.1))
        model, _, _ = linear_model(optimizer=optimizer)
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        x = np.ones((4, 3), "float32")
        history = model.fit(
            x, np.ones((4, 2)), verbose=0, callbacks=[GradientNormLogger()]
        )
    finally:
        keras.config.set_dtype_policy(previous)
    norm = history.history["gradient_norm"][0]
    assert np.isfinite(norm) and norm > 0
    assert norm < 1e3  # unscaled: the loss scale is 2**15
    assert int(to_np64(optimizer.iterations)) == 1


def test_nested_wrappers_and_tracker_pass_gradients_through():
    inner = keras.optimizers.SGD(learning_rate=1.0)
    optimizer = AutoClip(GradientNormTracker(inner), percentile=100.0)
    variable = keras.Variable(np.array([1.0, 2.0], "float32"))
    optimizer.apply([ops.convert_to_tensor([3.0, 4.0])], [variable])
    np.testing.assert_allclose(to_np64(variable), [-2.0, -2.0])
    assert to_np64(optimizer.inner_optimizer.gradient_norm) == pytest.approx(5.0)
    assert int(to_np64(optimizer.iterations)) == 1


# -- serialization -------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: AdaptiveGradientClipping(
            keras.optimizers.Adam(1e-3), clip_factor=0.05, eps=1e-4, exclude=["head"]
        ),
        lambda: AutoClip(keras.optimizers.SGD(0.1), percentile=5.0, history_size=7),
        lambda: GradientNormTracker("adam"),
    ],
    ids=["agc", "autoclip", "tracker"],
)
def test_config_round_trip(make):
    optimizer = make()
    config = optimizer.get_config()
    restored = type(optimizer).from_config(config)
    assert restored.get_config() == config
    serialized = keras.optimizers.serialize(optimizer)
    assert serialized["registered_name"] == f"keras_dlkit>{type(optimizer).__name__}"
    again = keras.optimizers.deserialize(serialized)
    assert type(again) is type(optimizer)
    assert type(again.inner_optimizer) is type(optimizer.inner_optimizer)
    assert again.get_config() == config


def test_keras_file_round_trip_safe_mode(tmp_path):
    optimizer = AutoClip(
        AdaptiveGradientClipping(keras.optimizers.Adam(0.01), clip_factor=0.05),
        percentile=50.0,
        history_size=5,
    )
    model, _, _ = linear_model(optimizer=optimizer)
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    model.fit(x, np.ones((8, 2)), batch_size=4, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)

    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded.optimizer) is AutoClip
    assert type(loaded.optimizer.inner_optimizer) is AdaptiveGradientClipping
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_allclose(to_np64(a), to_np64(b), atol=1e-6)
    assert int(to_np64(loaded.optimizer.iterations)) == 2
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, argument",
    [
        (lambda: AdaptiveGradientClipping("sgd", clip_factor=0.0), "clip_factor"),
        (lambda: AdaptiveGradientClipping("sgd", clip_factor=-1.0), "clip_factor"),
        (lambda: AdaptiveGradientClipping("sgd", clip_factor="big"), "clip_factor"),
        (lambda: AdaptiveGradientClipping("sgd", eps=0.0), "eps"),
        (lambda: AdaptiveGradientClipping("sgd", eps=float("nan")), "eps"),
        (lambda: AdaptiveGradientClipping("sgd", exclude=[3]), "exclude"),
        (lambda: AdaptiveGradientClipping("sgd", exclude="(unclosed"), "exclude"),
        (lambda: AdaptiveGradientClipping(object()), "optimizer"),
        (lambda: AdaptiveGradientClipping("not_an_optimizer"), "optimizer"),
        (lambda: AdaptiveGradientClipping(keras.layers.Dense(2)), "optimizer"),
        (
            lambda: AdaptiveGradientClipping(
                keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD())
            ),
            "optimizer",
        ),
        (
            lambda: AdaptiveGradientClipping(
                keras.optimizers.SGD(loss_scale_factor=128.0)
            ),
            "optimizer",
        ),
        (lambda: AdaptiveGradientClipping("sgd", clipnorm=1.0), "clipnorm"),
        (lambda: AdaptiveGradientClipping("sgd", learning_rate=0.1), "learning_rate"),
        (lambda: AutoClip("sgd", percentile=0.0), "percentile"),
        (lambda: AutoClip("sgd", percentile=100.5), "percentile"),
        (lambda: AutoClip("sgd", history_size=0), "history_size"),
        (lambda: AutoClip("sgd", history_size=2.0), "history_size"),
        (lambda: AutoClip(None), "optimizer"),
        (lambda: GradientNormTracker(3), "optimizer"),
        (lambda: GradientNormLogger(name=""), "name"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(build, argument):
    with pytest.raises(ValueError, match=re.escape(f"`{argument}`")):
        build()


def test_logger_needs_a_wrapper_optimizer():
    model, _, _ = linear_model(optimizer=keras.optimizers.SGD())
    with pytest.raises(ValueError, match="GradientNormLogger needs"):
        model.fit(
            np.ones((2, 3)),
            np.ones((2, 2)),
            verbose=0,
            callbacks=[GradientNormLogger()],
        )


class _LogSpy(keras.callbacks.Callback):
    """Sees the logs as any later callback (TensorBoard, CSVLogger) does."""

    def __init__(self):
        super().__init__()
        self.batch_logs, self.epoch_logs = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_logs.append(dict(logs))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_logs.append(dict(logs))


def _fit_tracker(callbacks, epochs=1):
    optimizer = GradientNormTracker(keras.optimizers.SGD(learning_rate=0.1))
    model, _, _ = linear_model(optimizer=optimizer)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    y = np.ones((4, 2), "float32")
    model.fit(x, y, batch_size=2, epochs=epochs, verbose=0, callbacks=callbacks)
    return model


def test_gradient_norm_is_in_logs_seen_by_later_callbacks():
    spy = _LogSpy()
    model = _fit_tracker([GradientNormLogger(), spy], epochs=2)
    batch_norms = [logs["gradient_norm"] for logs in spy.batch_logs]
    assert len(batch_norms) == 4 and all(n > 0 for n in batch_norms)
    assert batch_norms[0] != batch_norms[1]
    epoch_norms = [logs["gradient_norm"] for logs in spy.epoch_logs]
    assert epoch_norms == pytest.approx(
        [np.mean(batch_norms[:2]), np.mean(batch_norms[2:])], rel=1e-6
    )
    assert to_np64(model.optimizer.gradient_norm) == pytest.approx(batch_norms[-1])


def test_gradient_norm_reaches_tensorboard(tmp_path):
    pytest.importorskip("tensorboard", reason="keras' TensorBoard needs tensorboard")
    tf = pytest.importorskip("tensorflow")
    tensorboard = keras.callbacks.TensorBoard(str(tmp_path), update_freq="batch")
    spy = _LogSpy()
    _fit_tracker([GradientNormLogger(), tensorboard, spy])
    values = {}
    for event_file in (tmp_path / "train").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            for value in event.summary.value:
                if value.tag.endswith("gradient_norm"):
                    values[value.tag] = float(tf.make_ndarray(value.tensor))
    want = spy.epoch_logs[0]["gradient_norm"]
    assert values["epoch_gradient_norm"] == pytest.approx(want, rel=1e-6)
    assert values["batch_gradient_norm"] == pytest.approx(
        spy.batch_logs[-1]["gradient_norm"], rel=1e-6
    )
