"""PositionEmbedding: rows by position, start_index, the length check, keras-hub weights."""

import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.layers import PositionEmbedding
from keras_dlkit.testing import TestCase


class PositionEmbeddingHarnessTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            PositionEmbedding,
            {"sequence_length": 8, "initializer": "he_normal"},
            input_shape=(2, 5, 4),
            expected_output_shape=(2, 5, 4),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=0,
        )


def _layer_with_weights(sequence_length, dim, seed):
    layer = PositionEmbedding(sequence_length=sequence_length)
    layer.build((None, None, dim))
    table = np.random.default_rng(seed).normal(size=(sequence_length, dim))
    layer.set_weights([table.astype("float32")])
    return layer, table.astype("float32")


def test_rows_by_position_and_start_index():
    layer, table = _layer_with_weights(10, 3, seed=0)
    x = np.zeros((2, 4, 3), "float32")
    assert tuple(layer.embeddings.shape) == (10, 3)
    assert layer.embeddings.path.endswith("embeddings")
    np.testing.assert_array_equal(
        to_np64(layer(x)), np.broadcast_to(table[:4], x.shape)
    )
    np.testing.assert_array_equal(
        to_np64(layer(x, start_index=6)), np.broadcast_to(table[6:10], x.shape)
    )


def test_too_long_sequence_raises_naming_sequence_length():
    layer, _ = _layer_with_weights(6, 3, seed=1)
    message = "a sequence of 7 positions is longer than sequence_length=6"
    with pytest.raises(ValueError, match=message):
        layer(np.zeros((1, 7, 3), "float32"))
    with pytest.raises(ValueError, match="sequence_length=6"):
        layer(np.zeros((1, 4, 3), "float32"), start_index=3)
    with pytest.raises(ValueError, match=message):
        PositionEmbedding(sequence_length=6).build((None, 7, 3))


def test_same_weight_and_outputs_as_keras_hub():
    keras_hub = pytest.importorskip("keras_hub")
    layer, table = _layer_with_weights(8, 5, seed=2)
    hub = keras_hub.layers.PositionEmbedding(sequence_length=8)
    x = np.zeros((2, 6, 5), "float32")
    hub(x)
    assert tuple(hub.weights[0].shape) == tuple(layer.embeddings.shape)
    hub.set_weights([table])
    np.testing.assert_array_equal(to_np64(layer(x)), to_np64(hub(x)))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"sequence_length": 0}, "sequence_length"),
        ({"sequence_length": 2.0}, "sequence_length"),
        ({"sequence_length": 4, "initializer": "nope"}, "initializer"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        PositionEmbedding(**kwargs)
