"""NoiseInjection: the noise, its modes, its seed, the zero-initialised strength."""

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.layers import NoiseInjection
from keras_dlkit.testing import TestCase


class NoiseInjectionTest(TestCase):
    def test_harness(self):
        # The training check also proves that the zero-initialised strength
        # gets a non-zero gradient: one SGD step must move it.
        self.run_layer_test(
            NoiseInjection,
            {"seed": 3},
            input_shape=(2, 4, 4, 3),
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=1,  # noise_const
        )

    def test_harness_explicit_noise(self):
        self.run_layer_test(
            NoiseInjection,
            {"noise_mode": "none"},
            input_shape=[(2, 4, 4, 3), (2, 4, 4, 1)],
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=1,
        )

    def test_strength_starts_at_zero_with_non_zero_gradient(self):
        layer = NoiseInjection(seed=0)
        x = np.random.default_rng(0).normal(size=(4, 6, 6, 2)).astype("float32")
        np.testing.assert_array_equal(to_np64(layer(x)), x)
        np.testing.assert_array_equal(to_np64(layer.strength), 0.0)
        # dL/dstrength_c = sum(dL/dy * noise) with L = sum(y * noise): sum(noise^2) > 0.
        noise = np.random.default_rng(1).normal(size=(4, 6, 6, 1)).astype("float32")
        inputs = [keras.Input((6, 6, 2)), keras.Input((6, 6, 1))]
        model = keras.Model(inputs, layer(inputs))
        model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
        model.fit([x, noise], x + 0.5 * noise, batch_size=4, verbose=0)
        self.assertTrue(np.all(to_np64(layer.strength) > 0))

    def test_noise_is_per_pixel_standard_normal_shared_by_channels(self):
        layer = NoiseInjection(seed=1)
        x = np.zeros((16, 32, 32, 3), "float32")
        layer.build(x.shape)
        layer.strength.assign(np.array([1.0, 2.0, -3.0], "float32"))
        y = to_np64(layer(x))
        noise = y[..., 0]
        np.testing.assert_allclose(y[..., 1], 2.0 * noise, rtol=1e-6)
        np.testing.assert_allclose(y[..., 2], -3.0 * noise, rtol=1e-6)
        self.assertLess(abs(noise.mean()), 0.02)
        self.assertLess(abs(noise.std() - 1.0), 0.02)
        # Fresh noise on every call, at inference as in training.
        self.assertFalse(np.allclose(to_np64(layer(x)), y))
        self.assertFalse(np.allclose(to_np64(layer(x, training=True)), y))

    def test_seed_makes_noise_reproducible(self):
        def draw():
            layer = NoiseInjection(seed=7)
            layer.build((2, 5, 5, 1))
            layer.strength.assign(np.ones(1, "float32"))
            x = np.zeros((2, 5, 5, 1), "float32")
            return to_np64(layer(x)), to_np64(layer(x))

        first, second = draw(), draw()
        np.testing.assert_array_equal(first[0], second[0])
        np.testing.assert_array_equal(first[1], second[1])

    def test_modes(self):
        x = np.random.default_rng(2).normal(size=(3, 4, 4, 2)).astype("float32")
        layer = NoiseInjection(noise_mode="const")
        layer.build(x.shape)
        layer.strength.assign(np.array([0.5, 2.0], "float32"))
        const = to_np64(layer.noise_const)
        self.assertEqual(const.shape, (1, 4, 4, 1))
        expected = x + np.array([0.5, 2.0]) * const
        np.testing.assert_allclose(to_np64(layer(x)), expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(to_np64(layer(x)), expected, rtol=1e-6, atol=1e-6)
        layer.noise_mode = "none"
        np.testing.assert_array_equal(to_np64(layer(x)), x)
        noise = np.random.default_rng(3).normal(size=(3, 4, 4, 1)).astype("float32")
        np.testing.assert_allclose(
            to_np64(layer([x, noise])),
            x + np.array([0.5, 2.0]) * noise,
            rtol=1e-6,
            atol=1e-6,
        )

    def test_mixed_precision_noise_dtype(self):
        layer = NoiseInjection(dtype="mixed_float16", seed=0)
        x = keras.ops.zeros((2, 4, 4, 2), "float16")
        layer.build(x.shape)
        layer.strength.assign(np.ones(2, "float32"))
        y = layer(x)
        self.assertDTypeEqual(y, "float16")
        self.assertDTypeEqual(layer.strength, "float32")
        self.assertTrue(np.all(np.isfinite(to_np64(y))) and np.any(to_np64(y) != 0))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"noise_mode": "fixed"}, "noise_mode"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        NoiseInjection(**kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match="height, width, channels"):
        NoiseInjection().build((2, 4, 3))
    with pytest.raises(ValueError, match="noise of shape"):
        NoiseInjection().build([(2, 4, 4, 3), (2, 4, 4, 3)])
