"""MinibatchStdDev against the official StyleGAN2 formula written in NumPy."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.layers import MinibatchStdDev
from keras_dlkit.testing import TestCase


def np_official(x_nhwc, group_size, num_channels):
    """StyleGAN2's MinibatchStdLayer.forward, line by line, in NCHW."""
    x = np.transpose(x_nhwc, (0, 3, 1, 2)).astype("float64")
    n, c, h, w = x.shape
    g = min(group_size, n)
    f = num_channels
    c = c // f
    y = x.reshape(g, -1, f, c, h, w)
    y = y - y.mean(axis=0)
    y = np.square(y).mean(axis=0)
    y = np.sqrt(y + 1e-8)
    y = y.mean(axis=(2, 3, 4))
    y = y.reshape(-1, f, 1, 1)
    y = np.tile(y, (g, 1, h, w))
    out = np.concatenate([x, y], axis=1)
    return np.transpose(out, (0, 2, 3, 1))


class MinibatchStdDevTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            MinibatchStdDev,
            {"group_size": 2, "num_features": 2},
            input_shape=(4, 3, 3, 4),
            expected_output_shape=(4, 3, 3, 6),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
        )

    def test_matches_official_formula(self):
        rng = np.random.default_rng(0)
        for batch, group, features, channels in [
            (8, 4, 1, 6),
            (8, 4, 2, 6),
            (6, 2, 3, 3),
            (3, 4, 1, 2),  # group = min(group_size, batch)
        ]:
            x = rng.normal(size=(batch, 3, 5, channels)).astype("float32")
            y = to_np(MinibatchStdDev(group, features)(x))
            np.testing.assert_allclose(
                y, np_official(x, group, features), rtol=1e-5, atol=1e-6
            )

    def test_indivisible_batch_uses_largest_divisor(self):
        x = np.random.default_rng(1).normal(size=(6, 2, 2, 3)).astype("float32")
        y = to_np(MinibatchStdDev(group_size=4)(x))
        np.testing.assert_allclose(y, np_official(x, 3, 1), rtol=1e-5, atol=1e-6)
        y = to_np(MinibatchStdDev(group_size=4)(x[:1]))
        np.testing.assert_allclose(y[..., -1], np.sqrt(1e-8), rtol=1e-4)

    def test_unknown_batch_size_in_compiled_predict(self):
        # predict() runs a compiled function with a batch size only known at
        # run time on TensorFlow; 10 = 4 + 4 + 2 exercises the dynamic path.
        inputs = keras.Input((2, 2, 2))
        model = keras.Model(inputs, MinibatchStdDev(group_size=4)(inputs))
        x = np.random.default_rng(2).normal(size=(10, 2, 2, 2)).astype("float32")
        y = model.predict(x, batch_size=4, verbose=0)
        expected = np.concatenate(
            [
                np_official(x[:4], 4, 1),
                np_official(x[4:8], 4, 1),
                np_official(x[8:], 2, 1),
            ]
        )
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
        y = model.predict(x[:6], batch_size=6, verbose=0)
        np.testing.assert_allclose(y, np_official(x[:6], 3, 1), rtol=1e-5, atol=1e-6)

    def test_mixed_precision_statistics_in_float32(self):
        # Values whose squares overflow float16 (> 65504) still give a finite std.
        x = np.zeros((4, 2, 2, 1), "float32")
        x[:2] = 300.0
        y = MinibatchStdDev(group_size=4, dtype="mixed_float16")(
            keras.ops.cast(x, "float16")
        )
        self.assertDTypeEqual(y, "float16")
        np.testing.assert_allclose(to_np(y)[..., -1].astype("float32"), 150.0)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"group_size": 0}, "group_size"),
        ({"num_features": 0}, "num_features"),
        ({"epsilon": -1.0}, "epsilon"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        MinibatchStdDev(**kwargs)


def test_num_features_must_divide_channels():
    with pytest.raises(ValueError, match="`num_features`"):
        MinibatchStdDev(num_features=2).build((4, 2, 2, 3))
