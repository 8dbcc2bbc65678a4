"""ModulatedConv2D against an explicit per-sample loop of NumPy convolutions.

The reference builds each sample's modulated (and demodulated) kernel, as in
the StyleGAN2 paper's equations 1-3, and convolves that sample alone with it;
the layer scales the input channels, convolves with the shared kernel and
scales the outputs, which must be the same numbers.
"""

import math

import keras
import numpy as np
import pytest
from _tolerance import assert_close_to_scale

from keras_dlkit.layers import ModulatedConv2D
from keras_dlkit.testing import TestCase


def np_conv_same(x, kernel):
    """Stride-1 'same' convolution (cross-correlation) of one NHWC batch."""
    kh, kw = kernel.shape[:2]
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    n, h, w, _ = x.shape
    out = np.zeros((n, h, w, kernel.shape[-1]))
    for i in range(kh):
        for j in range(kw):
            out += padded[:, i : i + h, j : j + w, :] @ kernel[i, j]
    return out


def np_modulated_conv(x, styles, kernel, bias, demodulate, eps=1e-8):
    kernel = kernel / math.sqrt(np.prod(kernel.shape[:3]))
    outputs = []
    for b in range(x.shape[0]):
        w = kernel * styles[b][None, None, :, None]  # modulate (eq. 1)
        if demodulate:  # eqs. 2-3
            w = w / np.sqrt(np.sum(w**2, axis=(0, 1, 2), keepdims=True) + eps)
        outputs.append(np_conv_same(x[b : b + 1], w)[0])
    return np.stack(outputs) + bias


def data(seed=0, batch=3, size=5, channels=4, style_dim=6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, size, size, channels)).astype("float32")
    w = rng.normal(size=(batch, style_dim)).astype("float32")
    return x, w


class ModulatedConv2DTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            ModulatedConv2D,
            {"filters": 3, "kernel_size": 3},
            input_shape=[(2, 4, 4, 2), (2, 5)],
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=4,
            expected_num_non_trainable_weights=0,
        )

    def test_harness_upsample_no_demodulation(self):
        self.run_layer_test(
            ModulatedConv2D,
            {"filters": 2, "kernel_size": 1, "demodulate": False, "upsample": True},
            input_shape=[(2, 3, 3, 2), (2, 4)],
            expected_output_shape=(2, 6, 6, 2),
            expected_num_trainable_weights=4,
        )

    def test_matches_per_sample_loop_given_styles(self):
        x, _ = data()
        styles = np.random.default_rng(5).uniform(0.2, 2.0, size=(3, 4))
        styles = styles.astype("float32")
        for demodulate in (True, False):
            layer = ModulatedConv2D(5, 3, demodulate=demodulate, project_style=False)
            layer.build([x.shape, styles.shape])
            bias = np.random.default_rng(6).normal(size=5).astype("float32")
            layer.bias.assign(bias)
            y = keras.ops.convert_to_numpy(layer([x, styles]))
            kernel = keras.ops.convert_to_numpy(layer.kernel).astype("float64")
            expected = np_modulated_conv(
                x.astype("float64"), styles.astype("float64"), kernel, bias, demodulate
            )
            np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)

    def test_matches_per_sample_loop_with_affine_projection(self):
        x, w = data(seed=1)
        layer = ModulatedConv2D(2, (3, 1), use_bias=False)
        y = keras.ops.convert_to_numpy(layer([x, w]))
        a_kernel = keras.ops.convert_to_numpy(layer.affine.kernel).astype("float64")
        a_bias = keras.ops.convert_to_numpy(layer.affine.bias).astype("float64")
        np.testing.assert_allclose(a_bias, 1.0)  # styles start around one
        styles = w @ a_kernel / math.sqrt(w.shape[1]) + a_bias
        kernel = keras.ops.convert_to_numpy(layer.kernel).astype("float64")
        expected = np_modulated_conv(x.astype("float64"), styles, kernel, 0.0, True)
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)

    def test_demodulation_makes_the_output_style_scale_invariant(self):
        x, _ = data(seed=2)
        styles = np.random.default_rng(3).uniform(0.5, 1.5, size=(3, 4))
        layer = ModulatedConv2D(3, 3, project_style=False, use_bias=False)
        y1 = keras.ops.convert_to_numpy(layer([x, styles.astype("float32")]))
        y2 = keras.ops.convert_to_numpy(layer([x, (7.0 * styles).astype("float32")]))
        np.testing.assert_allclose(y1, y2, rtol=1e-4, atol=1e-5)
        # Unit-variance inputs give unit-variance outputs (the paper's premise).
        x = np.random.default_rng(4).normal(size=(64, 8, 8, 32)).astype("float32")
        styles = np.random.default_rng(5).uniform(0.5, 2.0, size=(64, 32))
        layer = ModulatedConv2D(32, 3, project_style=False, use_bias=False)
        y = keras.ops.convert_to_numpy(layer([x, styles.astype("float32")]))
        np.testing.assert_allclose(y[:, 1:-1, 1:-1].std(), 1.0, rtol=0.05)

    def test_upsample_is_bilinear_upsampling_then_convolution(self):
        x, w = data(seed=3, size=4)
        up = ModulatedConv2D(3, 3, upsample=True)
        plain = ModulatedConv2D(3, 3)
        y_up = keras.ops.convert_to_numpy(up([x, w]))
        x2 = keras.layers.UpSampling2D(2, interpolation="bilinear")(x)
        plain.build([tuple(x2.shape), w.shape])
        plain.set_weights(up.get_weights())
        y_plain = keras.ops.convert_to_numpy(plain([x2, w]))
        self.assertEqual(y_up.shape, (3, 8, 8, 3))
        # Convolution outputs: compared at the scale of the whole output.
        assert_close_to_scale(y_up, y_plain)

    def test_wrong_style_size_without_projection(self):
        with pytest.raises(ValueError, match="one entry per input channel"):
            ModulatedConv2D(2, project_style=False).build([(1, 4, 4, 3), (1, 5)])
        with pytest.raises(ValueError, match=r"\[x, style\]"):
            ModulatedConv2D(2).build((1, 4, 4, 3))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": 0}, "filters"),
        ({"kernel_size": -1}, "kernel_size"),
        ({"demodulate": 1}, "demodulate"),
        ({"upsample": "yes"}, "upsample"),
        ({"project_style": None}, "project_style"),
        ({"epsilon": 0.0}, "epsilon"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        ModulatedConv2D(**{"filters": 2, **kwargs})
