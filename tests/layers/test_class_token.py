"""ClassToken: prepends one learned (1, 1, D) token, on the shared harness."""

import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.layers import ClassToken
from keras_dlkit.testing import TestCase


class ClassTokenTest(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            ClassToken,
            {"initializer": "random_normal"},
            input_shape=(2, 4, 3),
            expected_output_shape=(2, 5, 3),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=0,
        )


def test_prepends_the_token_and_keeps_the_sequence():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5)).astype("float32")
    layer = ClassToken()
    y = to_np(layer(x))
    token = to_np(layer.class_token)
    assert token.shape == (1, 1, 5)
    np.testing.assert_array_equal(y[:, 1:], x)
    np.testing.assert_array_equal(y[:, :1], np.broadcast_to(token, (3, 1, 5)))
    assert layer.compute_output_shape((None, None, 5)) == (None, None, 5)
    assert layer.compute_output_shape((None, 4, 5)) == (None, 5, 5)


def test_rejects_inputs_of_the_wrong_rank_and_bad_initializers():
    with pytest.raises(ValueError, match="batch, tokens, features"):
        ClassToken().build((2, 5))
    with pytest.raises(ValueError, match="`initializer`"):
        ClassToken(initializer="no_such_initializer")
