"""DropPath: identity in inference, whole samples dropped and rescaled in training."""

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.layers import DropPath
from keras_dlkit.testing import TestCase


class DropPathTest(TestCase):
    def test_harness_4d(self):
        self.run_layer_test(
            DropPath,
            {"rate": 0.3, "seed": 1},
            input_shape=(4, 5, 5, 3),
            expected_output_shape=(4, 5, 5, 3),
            expected_num_trainable_weights=0,
        )

    def test_harness_2d(self):
        self.run_layer_test(
            DropPath,
            {"rate": 0.5},
            input_shape=(4, 8),
            expected_output_shape=(4, 8),
            expected_num_trainable_weights=0,
        )

    def test_identity_in_inference(self):
        x = np.random.default_rng(0).normal(size=(6, 3, 3, 2)).astype("float32")
        layer = DropPath(0.7, seed=0)
        np.testing.assert_array_equal(to_np64(layer(x)), x)
        np.testing.assert_array_equal(to_np64(layer(x, training=False)), x)
        np.testing.assert_array_equal(to_np64(DropPath(0.0)(x, training=True)), x)

    def test_drops_whole_samples_and_rescales_the_rest(self):
        rate, n = 0.25, 4000
        x = np.random.default_rng(1).uniform(1.0, 2.0, size=(n, 2, 3, 4))
        x = x.astype("float32")
        y = to_np64(DropPath(rate, seed=3)(x, training=True))
        dropped = np.all(y == 0.0, axis=(1, 2, 3))
        kept = ~dropped
        # Each sample is either all zero or the input divided by 1 - rate.
        np.testing.assert_allclose(y[kept], x[kept] / (1 - rate), rtol=1e-6)
        # The dropped fraction is `rate` (binomial, 5 standard deviations).
        sigma = np.sqrt(rate * (1 - rate) / n)
        self.assertLess(abs(dropped.mean() - rate), 5 * sigma)
        # So the expectation is unchanged.
        self.assertLess(abs(y.mean() / x.mean() - 1.0), 0.05)

    def test_equals_efficientnet_dropout_with_per_sample_noise_shape(self):
        # keras.applications EfficientNet writes stochastic depth as
        # Dropout(rate, noise_shape=(None, 1, 1, 1)); same seed, same masks.
        x = np.random.default_rng(2).normal(size=(32, 3, 3, 5)).astype("float32")
        ours = DropPath(0.4, seed=11)
        theirs = keras.layers.Dropout(0.4, noise_shape=(None, 1, 1, 1), seed=11)
        for _ in range(2):
            np.testing.assert_array_equal(
                to_np64(ours(x, training=True)), to_np64(theirs(x, training=True))
            )

    def test_seed_reproducible_and_fresh_masks_per_call(self):
        x = np.ones((64, 4), "float32")
        first = DropPath(0.5, seed=5)
        second = DropPath(0.5, seed=5)
        a, b = to_np64(first(x, training=True)), to_np64(first(x, training=True))
        np.testing.assert_array_equal(a, to_np64(second(x, training=True)))
        self.assertFalse(np.array_equal(a, b))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"rate": 1.0}, "rate"),
        ({"rate": -0.1}, "rate"),
        ({"rate": "0.5"}, "rate"),
        ({"rate": 0.1, "seed": -1}, "seed"),
        ({"rate": 0.1, "seed": 1.5}, "seed"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        DropPath(**kwargs)
