"""EqualizedConv2D: NumPy reference, Keras Conv2D equivalence, harness, bad arguments."""

import math

import keras
import numpy as np
import pytest
from _tolerance import assert_close_to_scale

from keras_dlkit.layers import EqualizedConv2D
from keras_dlkit.testing import TestCase


def np_conv_same(x, kernel):
    """Stride-1 'same' convolution (cross-correlation), NHWC, odd kernels."""
    kh, kw = kernel.shape[:2]
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    n, h, w, _ = x.shape
    out = np.zeros((n, h, w, kernel.shape[-1]))
    for i in range(kh):
        for j in range(kw):
            out += padded[:, i : i + h, j : j + w, :] @ kernel[i, j]
    return out


class EqualizedConv2DTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            EqualizedConv2D,
            {"filters": 3, "kernel_size": 3, "activation": "lrelu"},
            input_shape=(2, 5, 5, 2),
            expected_output_shape=(2, 5, 5, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    def test_forward_matches_numpy(self):
        layer = EqualizedConv2D(
            4, 3, activation="lrelu", lr_multiplier=0.5, gain=1.5, bias_init=0.2
        )
        x = np.random.default_rng(0).normal(size=(2, 6, 5, 3)).astype("float32")
        y = keras.ops.convert_to_numpy(layer(x))
        kernel, bias = (np.asarray(w, "float64") for w in layer.get_weights())
        scale = 1.5 * 0.5 / math.sqrt(3 * 3 * 3)
        z = np_conv_same(x.astype("float64"), kernel * scale) + bias * 0.5
        expected = np.where(z >= 0, z, 0.2 * z) * math.sqrt(2.0)
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)

    def test_strided_valid_equals_keras_conv(self):
        layer = EqualizedConv2D(2, (3, 1), strides=2, padding="valid", use_bias=False)
        x = np.random.default_rng(1).normal(size=(1, 7, 6, 3)).astype("float32")
        y = keras.ops.convert_to_numpy(layer(x))
        reference = keras.layers.Conv2D(2, (3, 1), strides=2, use_bias=False)
        reference.build(x.shape)
        reference.set_weights([layer.get_weights()[0] / math.sqrt(9)])
        # Convolution outputs: compared at the scale of the whole output.
        assert_close_to_scale(y, keras.ops.convert_to_numpy(reference(x)))
        self.assertEqual(layer.compute_output_shape(x.shape), tuple(y.shape))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": 0}, "filters"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"kernel_size": (3, 3, 3)}, "kernel_size"),
        ({"strides": 0}, "strides"),
        ({"padding": "causal"}, "padding"),
        ({"lr_multiplier": -1.0}, "lr_multiplier"),
        ({"activation": "relux"}, "activation"),
    ],
)
def test_bad_arguments(kwargs, argument):
    base = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        EqualizedConv2D(**base)
