"""FeedForward: NumPy reference for every activation, sublayers, harness, bad arguments."""

import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale
from _transformer_reference import numpy_feed_forward

from keras_dlkit.blocks import FeedForward
from keras_dlkit.testing import TestCase


class FeedForwardHarnessTest(TestCase):
    def test_harness_plain(self):
        self.run_layer_test(
            FeedForward,
            {"intermediate_dim": 12, "activation": "gelu_approximate", "dropout": 0.1},
            input_shape=(2, 3, 6),
            expected_output_shape=(2, 3, 6),
            expected_num_trainable_weights=4,
            expected_num_non_trainable_weights=0,
        )

    def test_harness_gated_without_bias(self):
        self.run_layer_test(
            FeedForward,
            {
                "intermediate_dim": 12,
                "activation": "swiglu",
                "use_bias": False,
                "output_dim": 5,
            },
            input_shape=(2, 3, 6),
            expected_output_shape=(2, 3, 5),
            expected_num_trainable_weights=3,
        )


@pytest.mark.parametrize(
    "activation", ["relu", "gelu", "gelu_approximate", "silu", "swiglu", "geglu"]
)
def test_matches_numpy_reference(activation):
    rng = np.random.default_rng(
        ["relu", "gelu", "gelu_approximate", "silu", "swiglu", "geglu"].index(
            activation
        )
    )
    x = rng.normal(size=(2, 4, 6)).astype("float32")
    layer = FeedForward(16, activation=activation)
    layer.build(x.shape)
    layer.set_weights(
        [rng.normal(size=w.shape).astype("float32") for w in layer.weights]
    )
    expected = numpy_feed_forward(layer, x.astype("float64"))
    assert_close_to_scale(to_np64(layer(x)), expected, 1e-5)


def test_sublayers_and_shapes():
    layer = FeedForward(10, activation="geglu", output_dim=3, name="ffn")
    layer.build((None, 4, 6))
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        ("ffn/intermediate/kernel", (6, 10)),
        ("ffn/intermediate/bias", (10,)),
        ("ffn/gate/kernel", (6, 10)),
        ("ffn/gate/bias", (10,)),
        ("ffn/output/kernel", (10, 3)),
        ("ffn/output/bias", (3,)),
    ]
    assert layer.dropout_layer.name == "dropout"
    plain = FeedForward(10, activation="relu")
    plain.build((None, 4, 6))
    assert plain.gate is None and len(plain.weights) == 4


def test_exact_and_approximate_gelu_differ():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(2, 4, 6)).astype("float32")
    weights = None
    outputs = []
    for activation in ("gelu", "gelu_approximate"):
        layer = FeedForward(8, activation=activation)
        layer.build(x.shape)
        weights = weights or [
            rng.normal(size=w.shape).astype("float32") for w in layer.weights
        ]
        layer.set_weights(weights)
        outputs.append(to_np64(layer(x)))
    # The tanh form is off by up to ~5e-4 per unit: far above float32 rounding.
    assert np.abs(outputs[0] - outputs[1]).max() > 1e-4 * np.abs(outputs[0]).max()


def test_unknown_activation_names_the_argument_and_the_choices():
    with pytest.raises(ValueError, match="`activation` must be one of 'relu'.*'geglu'"):
        FeedForward(8, activation="tanh")


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"intermediate_dim": 0}, "intermediate_dim"),
        ({"intermediate_dim": 4, "dropout": 1.0}, "dropout"),
        ({"intermediate_dim": 4, "output_dim": 0}, "output_dim"),
        ({"intermediate_dim": 4, "use_bias": "yes"}, "use_bias"),
        ({"intermediate_dim": 4, "kernel_initializer": "nope"}, "kernel_initializer"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        FeedForward(**kwargs)
