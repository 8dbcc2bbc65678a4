"""SqueezeExcite: a NumPy reference, the bottleneck width, the harness, bad arguments."""

import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.layers import SqueezeExcite
from keras_dlkit.testing import TestCase


def numpy_squeeze_excite(x, w1, b1, w2, b2, activation):
    squeezed = x.mean(axis=(1, 2))  # (batch, channels)
    hidden = activation(squeezed @ w1[0, 0] + b1)
    gate = 1.0 / (1.0 + np.exp(-(hidden @ w2[0, 0] + b2)))
    return x * gate[:, None, None, :]


class SqueezeExciteTest(TestCase):
    def test_harness_ratio(self):
        self.run_layer_test(
            SqueezeExcite,
            {"ratio": 0.25},
            input_shape=(2, 5, 5, 8),
            expected_output_shape=(2, 5, 5, 8),
            expected_num_trainable_weights=4,
            expected_num_non_trainable_weights=0,
        )

    def test_harness_explicit_units_and_swish(self):
        self.run_layer_test(
            SqueezeExcite,
            {"squeeze_units": 3, "activation": "swish", "gate_activation": "sigmoid"},
            input_shape=(2, 4, 4, 6),
            expected_output_shape=(2, 4, 4, 6),
            expected_num_trainable_weights=4,
        )

    def test_matches_numpy_reference(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(3, 5, 7, 12)).astype("float32")
        for activation, reference in (
            ("relu", lambda z: np.maximum(z, 0.0)),
            ("swish", lambda z: z / (1.0 + np.exp(-z))),
        ):
            layer = SqueezeExcite(ratio=0.25, activation=activation)
            layer.build(x.shape)
            weights = [
                rng.normal(size=w.shape).astype("float32") for w in layer.weights
            ]
            layer.set_weights(weights)
            expected = numpy_squeeze_excite(x.astype("float64"), *weights, reference)
            np.testing.assert_allclose(
                to_np64(layer(x)), expected, rtol=1e-5, atol=1e-5
            )

    def test_bottleneck_width(self):
        # Hu et al.: C / r units; here r = 16 by default; at least one unit.
        self.assertEqual(self._units(SqueezeExcite(), 64), 4)
        self.assertEqual(self._units(SqueezeExcite(ratio=0.25), 10), 2)
        self.assertEqual(self._units(SqueezeExcite(ratio=0.25), 3), 1)
        # An explicit width wins over the ratio (EfficientNet: input filters / 4).
        self.assertEqual(self._units(SqueezeExcite(ratio=0.5, squeeze_units=4), 96), 4)

    @staticmethod
    def _units(layer, channels):
        layer.build((None, 4, 4, channels))
        return int(layer.reduce.kernel.shape[-1])

    def test_kernel_shapes_are_efficientnet_se_layers(self):
        layer = SqueezeExcite(squeeze_units=4, name="se")
        layer.build((None, 8, 8, 96))
        self.assertEqual(
            [(w.path, tuple(w.shape)) for w in layer.weights],
            [
                ("se/reduce/kernel", (1, 1, 96, 4)),
                ("se/reduce/bias", (4,)),
                ("se/expand/kernel", (1, 1, 4, 96)),
                ("se/expand/bias", (96,)),
            ],
        )


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"ratio": 0.0}, "ratio"),
        ({"ratio": 1.5}, "ratio"),
        ({"squeeze_units": 0}, "squeeze_units"),
        ({"squeeze_units": 2.5}, "squeeze_units"),
        ({"activation": "no_such_activation"}, "activation"),
        ({"gate_activation": 3}, "gate_activation"),
        ({"kernel_initializer": "no_such_initializer"}, "kernel_initializer"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        SqueezeExcite(**kwargs)


def test_rejects_non_4d_input():
    with pytest.raises(ValueError, match="`input_shape`.*4D"):
        SqueezeExcite().build((None, 10, 8))
