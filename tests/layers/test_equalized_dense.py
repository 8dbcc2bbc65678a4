"""EqualizedDense: NumPy reference, initialisation, harness, bad arguments."""

import math

import keras
import numpy as np
import pytest
from _tolerance import assert_close_to_scale

from keras_dlkit.layers import EqualizedDense
from keras_dlkit.testing import TestCase


def np_lrelu(x):
    return np.where(x >= 0, x, 0.2 * x) * math.sqrt(2.0)


class EqualizedDenseTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            EqualizedDense,
            {"units": 3, "activation": "lrelu", "lr_multiplier": 0.5, "bias_init": 1.0},
            input_shape=(4, 5),
            expected_output_shape=(4, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    def test_forward_matches_numpy(self):
        layer = EqualizedDense(
            4, activation="lrelu", lr_multiplier=0.01, gain=2.0, bias_init=3.0
        )
        x = np.random.default_rng(0).normal(size=(6, 7)).astype("float32")
        y = keras.ops.convert_to_numpy(layer(x))
        kernel, bias = (np.asarray(w, "float64") for w in layer.get_weights())
        np.testing.assert_allclose(bias, 3.0)
        expected = np_lrelu(x @ (kernel * 2.0 * 0.01 / math.sqrt(7)) + bias * 0.01)
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)

    def test_keras_activation_and_no_bias(self):
        layer = EqualizedDense(2, use_bias=False, activation="tanh")
        x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
        (kernel,) = layer.get_weights() if layer.built else (None,)
        y = keras.ops.convert_to_numpy(layer(x))
        (kernel,) = layer.get_weights()
        # Matmul outputs: compared at the scale of the whole output.
        assert_close_to_scale(y, np.tanh(x @ kernel / 2.0))

    def test_initialisation_is_unit_effective_variance(self):
        # Stored N(0, 1/lr^2); effective weights N(0, 1/fan_in) for any lr.
        for lr in (1.0, 0.01):
            layer = EqualizedDense(256, lr_multiplier=lr)
            layer.build((None, 400))
            stored = keras.ops.convert_to_numpy(layer.kernel)
            np.testing.assert_allclose(stored.std(), 1.0 / lr, rtol=0.02)
            effective = stored * layer.weight_scale
            np.testing.assert_allclose(effective.std() * math.sqrt(400), 1.0, rtol=0.02)

    def test_lr_multiplier_scales_the_gradient(self):
        # d y / d stored_kernel = x * lr / sqrt(fan_in): one SGD step on the
        # stored value moves the effective weight lr^2 / fan_in times as much.
        x = np.ones((1, 4), "float32")
        layer = EqualizedDense(1, use_bias=False, lr_multiplier=0.1)
        layer.build((None, 4))
        layer.kernel.assign(np.zeros((4, 1), "float32"))
        inputs = keras.Input((4,))
        model = keras.Model(inputs, layer(inputs))
        model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mae")
        model.fit(x, np.ones((1, 1), "float32"), verbose=0)
        # mae gradient at y=0 below target 1 is -1: kernel += 1 * 0.1 / 2.
        np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.kernel), 0.05)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"units": 0}, "units"),
        ({"units": 2.0}, "units"),
        ({"lr_multiplier": 0.0}, "lr_multiplier"),
        ({"gain": -1.0}, "gain"),
        ({"bias_init": float("nan")}, "bias_init"),
        ({"activation": "nope"}, "activation"),
        ({"activation": 3}, "activation"),
        ({"use_bias": "yes"}, "use_bias"),
    ],
)
def test_bad_arguments(kwargs, argument):
    base = {"units": 2, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        EqualizedDense(**base)
