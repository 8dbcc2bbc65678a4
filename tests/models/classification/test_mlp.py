"""MLP builder: architecture against hand counts and a NumPy forward pass."""

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_dlkit.models import create_model, mlp


def test_parameter_count_matches_hand_count():
    # 784*256+256 + 256*128+128 + 128*10+10
    model = mlp((28, 28), num_classes=10)
    assert model.count_params() == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert model.output_shape == (None, 10)


def test_batch_norm_drops_dense_bias_and_counts():
    model = mlp((20,), num_classes=3, hidden_units=(16,), normalization="batch")
    # dense without bias + BN (gamma, beta, mean, var) + head
    assert model.count_params() == 20 * 16 + 4 * 16 + 16 * 3 + 3
    assert len(model.non_trainable_weights) == 2
    assert model.get_layer("dense_0").use_bias is False


def test_layer_norm_stage():
    model = mlp((5,), num_classes=2, hidden_units=(4,), normalization="layer")
    assert isinstance(model.get_layer("layer_norm_0"), keras.layers.LayerNormalization)


def test_forward_pass_matches_numpy_reference():
    model = mlp((6,), num_classes=3, hidden_units=(5, 4), activation="tanh", name="ref")
    x = np.random.default_rng(0).normal(size=(7, 6)).astype("float32")
    h = x
    for i in range(2):
        w, b = model.get_layer(f"dense_{i}").get_weights()
        h = np.tanh(h @ w + b)
    w, b = model.get_layer("predictions").get_weights()
    logits = h @ w + b
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(x)), expected, rtol=1e-5, atol=1e-6
    )


def test_weight_decay_adds_l2_loss():
    model = mlp((3,), num_classes=2, hidden_units=(4,), weight_decay=0.01)
    model(np.zeros((1, 3), "float32"))
    kernels = [model.get_layer(n).kernel for n in ("dense_0", "predictions")]
    expected = sum(0.01 * np.sum(keras.ops.convert_to_numpy(k) ** 2) for k in kernels)
    total = sum(float(keras.ops.convert_to_numpy(loss)) for loss in model.losses)
    assert len(model.losses) == 2
    np.testing.assert_allclose(total, expected, rtol=1e-5)


def test_kernel_initializer_is_used():
    model = mlp((4,), num_classes=2, hidden_units=(3,), kernel_initializer="zeros")
    assert not np.any(model.get_layer("dense_0").get_weights()[0])
    model = mlp((4,), num_classes=2, hidden_units=(3,), kernel_initializer="ones")
    assert np.all(model.get_layer("dense_0").get_weights()[0] == 1.0)


def test_dropout_active_in_training_only():
    model = mlp(
        (50,),
        num_classes=None,
        hidden_units=(400,),
        dropout=0.5,
        activation="linear",
        kernel_initializer="ones",
    )
    x = np.ones((2, 50), "float32")
    inference = keras.ops.convert_to_numpy(model(x, training=False))
    training = keras.ops.convert_to_numpy(model(x, training=True))
    assert np.all(inference == 50.0)
    zero_fraction = np.mean(training == 0.0)
    assert 0.35 < zero_fraction < 0.65


def test_headless_model_returns_last_stage():
    model = mlp((8,), num_classes=None, hidden_units=(5, 3))
    assert model.output_shape == (None, 3)
    assert model.get_layer("stage_1").output.shape == (None, 3)


def test_create_model_uses_overrides():
    model = create_model("mlp", input_shape=(4,), num_classes=7, hidden_units=(2,))
    assert model.output_shape == (None, 7)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (0,)}, "input_shape"),
        ({"input_shape": "28"}, "input_shape"),
        ({"num_classes": 0}, "num_classes"),
        ({"num_classes": 2.0}, "num_classes"),
        ({"num_classes": True}, "num_classes"),
        ({"hidden_units": (8, -1)}, "hidden_units"),
        ({"hidden_units": 8}, "hidden_units"),
        ({"activation": "relux"}, "activation"),
        ({"activation": 3}, "activation"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"normalization": "group"}, "normalization"),
        ({"weight_decay": -1e-4}, "weight_decay"),
        ({"weight_decay": float("nan")}, "weight_decay"),
        ({"kernel_initializer": "xavier_magic"}, "kernel_initializer"),
        ({"classifier_activation": "sofmax"}, "classifier_activation"),
        ({"num_classes": None, "hidden_units": ()}, "num_classes"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, argument):
    base = {"input_shape": (4,), "num_classes": 2, "hidden_units": (3,)}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`") as info:
        mlp(**base)
    assert repr(kwargs[argument]) in str(info.value)


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 40),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.text(max_size=8),
    st.sampled_from(["relu", "tanh", "batch", "layer", "he_normal", "softmax"]),
    st.lists(st.integers(-2, 6), max_size=3),
    st.tuples(st.integers(-1, 5)),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    input_shape=st.one_of(_values, st.tuples(st.integers(1, 4), st.integers(1, 3))),
    num_classes=st.one_of(_values, st.integers(1, 5)),
    hidden_units=_values,
    activation=_values,
    dropout=st.one_of(_values, st.floats(0, 0.9)),
    normalization=st.one_of(_values, st.sampled_from([None, "batch", "layer"])),
    weight_decay=_values,
    kernel_initializer=_values,
)
def test_property_builds_and_runs_or_raises_value_error(
    input_shape,
    num_classes,
    hidden_units,
    activation,
    dropout,
    normalization,
    weight_decay,
    kernel_initializer,
):
    try:
        model = mlp(
            input_shape,
            num_classes,
            hidden_units=hidden_units,
            activation=activation,
            dropout=dropout,
            normalization=normalization,
            weight_decay=weight_decay,
            kernel_initializer=kernel_initializer,
        )
    except ValueError:
        return
    x = np.ones((2, *model.input_shape[1:]), "float32")
    out = keras.ops.convert_to_numpy(model(x))
    assert out.shape[0] == 2
