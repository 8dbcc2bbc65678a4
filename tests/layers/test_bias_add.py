"""BiasAdd: a learned bias along the last axis, on the shared harness."""

import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.layers import BiasAdd
from keras_dlkit.testing import TestCase


class BiasAddTest(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            BiasAdd,
            {"bias_initializer": "random_normal"},
            input_shape=(2, 3, 7),
            expected_output_shape=(2, 3, 7),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=0,
        )


def test_adds_the_bias_to_the_last_axis():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    layer = BiasAdd(bias_initializer="random_normal")
    y = to_np(layer(x))
    bias = to_np(layer.bias)
    assert bias.shape == (4,)
    np.testing.assert_allclose(y, x + bias, rtol=0, atol=1e-6)


def test_rejects_unknown_last_axis_and_bad_initializers():
    with pytest.raises(ValueError, match="known last axis"):
        BiasAdd().build((2, None))
    with pytest.raises(ValueError, match="`bias_initializer`"):
        BiasAdd(bias_initializer=3.5)
