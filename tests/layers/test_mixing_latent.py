"""MixingLatent: identity at inference, fresh seeded N(0, 1) latents in training."""

import numpy as np
from _helpers import to_np

from keras_dlkit.layers import MixingLatent
from keras_dlkit.testing import TestCase


class MixingLatentTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            MixingLatent,
            {"seed": 2},
            input_shape=(3, 4),
            expected_output_shape=(3, 4),
            expected_num_trainable_weights=0,
            run_training_check=False,
        )

    def test_identity_at_inference_fresh_normal_in_training(self):
        z = np.random.default_rng(0).normal(size=(2000, 8)).astype("float32")
        layer = MixingLatent(seed=0)
        np.testing.assert_array_equal(to_np(layer(z)), z)
        first = to_np(layer(z, training=True))
        second = to_np(layer(z, training=True))
        self.assertEqual(first.shape, z.shape)
        self.assertFalse(np.allclose(first, second))
        self.assertLess(abs(first.mean()), 0.03)
        self.assertLess(abs(first.std() - 1.0), 0.03)
        self.assertLess(abs(np.corrcoef(first.ravel(), z.ravel())[0, 1]), 0.03)

    def test_seed_reproducible(self):
        z = np.zeros((3, 4), "float32")
        a = to_np(MixingLatent(seed=5)(z, training=True))
        b = to_np(MixingLatent(seed=5)(z, training=True))
        np.testing.assert_array_equal(a, b)
