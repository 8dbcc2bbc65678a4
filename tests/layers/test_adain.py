"""AdaIN against a NumPy instance normalization with scale and bias."""

import math

import keras
import numpy as np
import pytest

from keras_dlkit.layers import AdaIN
from keras_dlkit.testing import TestCase


def np_instance_norm(x, eps):
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


class AdaINTest(TestCase):
    def test_harness_projected(self):
        self.run_layer_test(
            AdaIN,
            {},
            input_shape=[(2, 4, 4, 3), (2, 5)],
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    def test_harness_direct(self):
        self.run_layer_test(
            AdaIN,
            {"project_style": False, "epsilon": 1e-5},
            input_shape=[(2, 4, 4, 3), (2, 6)],
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=0,
            run_training_check=False,  # no weights to train
        )

    def test_direct_style_matches_numpy(self):
        rng = np.random.default_rng(0)
        x = rng.normal(2.0, 3.0, size=(3, 5, 4, 2)).astype("float32")
        style = rng.normal(size=(3, 4)).astype("float32")
        y = keras.ops.convert_to_numpy(AdaIN(project_style=False)([x, style]))
        scale, bias = style[:, None, None, :2], style[:, None, None, 2:]
        expected = np_instance_norm(x.astype("float64"), 1e-8) * scale + bias
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)

    def test_projected_style_matches_numpy(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(2, 3, 3, 4)).astype("float32")
        w = rng.normal(size=(2, 7)).astype("float32")
        layer = AdaIN(epsilon=1e-3)
        y = keras.ops.convert_to_numpy(layer([x, w]))
        kernel, bias = layer.style_projection.get_weights()
        style = w @ kernel / math.sqrt(7) + bias
        scale, shift = 1.0 + style[:, None, None, :4], style[:, None, None, 4:]
        expected = np_instance_norm(x.astype("float64"), 1e-3) * scale + shift
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)

    def test_mixed_precision_large_activations(self):
        # Variance of values around 1000 overflows float16; stats are float32.
        x = np.random.default_rng(2).normal(1000.0, 300.0, size=(2, 4, 4, 2))
        style = np.array([[1.0, 1.0, 0.0, 0.0]] * 2, "float32")
        layer = AdaIN(project_style=False, dtype="mixed_float16")
        y = layer([keras.ops.cast(x, "float16"), style])
        self.assertDTypeEqual(y, "float16")
        y = keras.ops.convert_to_numpy(y).astype("float32")
        np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, rtol=0.02)


def test_bad_arguments_and_shapes():
    with pytest.raises(ValueError, match="`epsilon`"):
        AdaIN(epsilon=0.0)
    with pytest.raises(ValueError, match="`project_style`"):
        AdaIN(project_style="no")
    with pytest.raises(ValueError, match="2 \\* 3 = 6"):
        AdaIN(project_style=False).build([(1, 2, 2, 3), (1, 5)])
    with pytest.raises(ValueError, match=r"\[x, style\]"):
        AdaIN().build((1, 2, 2, 3))
