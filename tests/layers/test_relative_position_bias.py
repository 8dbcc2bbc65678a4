"""RelativePositionBias: T5's buckets against a NumPy reference and keras-hub's bias."""

import math

import keras
import numpy as np
import pytest
from _helpers import to_np, to_np64

from keras_dlkit.layers import RelativePositionBias
from keras_dlkit.layers.relative_position_bias import relative_position_bucket
from keras_dlkit.testing import TestCase


def reference_bucket(relative, bidirectional, num_buckets, max_distance):
    """Mesh TensorFlow's ``_relative_position_bucket`` in float64 NumPy."""
    relative = np.asarray(relative, dtype=np.int64)
    buckets = np.zeros_like(relative)
    if bidirectional:
        num_buckets //= 2
        buckets += (relative > 0) * num_buckets
        distance = np.abs(relative)
    else:
        distance = -np.minimum(relative, 0)
    max_exact = num_buckets // 2
    with np.errstate(divide="ignore", invalid="ignore"):
        large = max_exact + np.floor(
            np.log(distance / max_exact)
            / math.log(max_distance / max_exact)
            * (num_buckets - max_exact)
        )
    large = np.minimum(np.nan_to_num(large, neginf=0), num_buckets - 1)
    return buckets + np.where(distance < max_exact, distance, large).astype(np.int64)


CONFIGS = [(32, 128), (8, 16), (16, 40), (4, 3), (64, 1000), (31, 100)]


class RelativePositionBiasTest(TestCase):
    # The bias has batch size 1 (it broadcasts over the batch), so the
    # harness's fit step, which pairs inputs with targets, runs on one sample.
    def test_harness_bidirectional(self):
        self.run_layer_test(
            RelativePositionBias,
            {"num_heads": 3, "num_buckets": 8, "max_distance": 16},
            input_shape=(1, 6, 4),
            expected_output_shape=(1, 3, 6, 6),
            expected_num_trainable_weights=1,
        )

    def test_harness_causal(self):
        self.run_layer_test(
            RelativePositionBias,
            {
                "num_heads": 2,
                "num_buckets": 4,
                "max_distance": 8,
                "bidirectional": False,
            },
            input_shape=(1, 5, 3),
            expected_output_shape=(1, 2, 5, 5),
            expected_num_trainable_weights=1,
        )


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_buckets, max_distance", CONFIGS)
def test_bucket_equals_numpy_reference(bidirectional, num_buckets, max_distance):
    relative = np.arange(-3000, 3001, dtype="int32")
    ours = to_np(
        relative_position_bucket(relative, bidirectional, num_buckets, max_distance)
    )
    expected = reference_bucket(relative, bidirectional, num_buckets, max_distance)
    np.testing.assert_array_equal(ours, expected)
    assert ours.min() >= 0 and ours.max() < num_buckets


def test_bucket_published_values():
    # T5's default (32 buckets, 128): 16 per direction, 8 exact, log-spaced to 128.
    relative = np.array(
        [0, -1, -7, -8, -15, -16, -127, -128, -5000, 1, 8, 16, 127, 9999]
    )
    bi = to_np(relative_position_bucket(relative, True, 32, 128))
    np.testing.assert_array_equal(
        bi, [0, 1, 7, 8, 9, 10, 15, 15, 15, 17, 24, 26, 31, 31]
    )
    # Causal: keys after the query share bucket 0; 16 exact distances, 32 buckets.
    causal = to_np(relative_position_bucket(relative, False, 32, 128))
    np.testing.assert_array_equal(
        causal, [0, 1, 7, 8, 15, 16, 31, 31, 31, 0, 0, 0, 0, 0]
    )


@pytest.mark.parametrize("bidirectional", [True, False])
def test_bias_is_the_embedding_of_each_bucket(bidirectional):
    rng = np.random.default_rng(0)
    layer = RelativePositionBias(
        num_heads=3, num_buckets=8, max_distance=12, bidirectional=bidirectional
    )
    query, key = np.zeros((2, 5, 4), "float32"), np.zeros((2, 20, 4), "float32")
    layer.build(query.shape)
    table = rng.normal(size=(8, 3)).astype("float32")
    layer.embeddings.assign(table)
    for start in (0, 7):
        bias = to_np64(layer(query, key, start_index=start))
        assert bias.shape == (1, 3, 5, 20)
        relative = np.arange(20)[None, :] - (np.arange(5)[:, None] + start)
        buckets = reference_bucket(relative, bidirectional, 8, 12)
        np.testing.assert_array_equal(bias[0], table[buckets].transpose(2, 0, 1))


@pytest.mark.parametrize("is_decoder", [False, True])
def test_bias_equals_keras_hub(is_decoder):
    from keras_hub.src.models.t5.t5_multi_head_attention import T5MultiHeadAttention

    rng = np.random.default_rng(1)
    hub = T5MultiHeadAttention(
        is_decoder=is_decoder,
        hidden_dim=8,
        key_value_dim=2,
        num_heads=4,
        dropout=0.0,
        use_relative_attention_bias=True,
    )
    table = rng.normal(size=(32, 4)).astype("float32")
    hub.relative_attention_bias.assign(table)
    ours = RelativePositionBias(num_heads=4, bidirectional=not is_decoder)
    ours.build((None, None, 8))
    ours.embeddings.assign(table)
    for query_length, key_length, start in [(300, 300, 0), (1, 200, 150), (7, 40, 0)]:
        query = np.zeros((1, query_length, 8), "float32")
        key = np.zeros((1, key_length, 8), "float32")
        expected = to_np64(hub.compute_bias(query_length, key_length, start))
        got = to_np64(ours(query, key, start_index=start))
        np.testing.assert_array_equal(got, expected)


def test_weights_shape_and_dtype_under_mixed_precision():
    layer = RelativePositionBias(
        num_heads=2, num_buckets=6, max_distance=9, dtype="mixed_float16"
    )
    bias = layer(np.zeros((1, 4, 3), "float16"))
    assert tuple(layer.embeddings.shape) == (6, 2)
    assert layer.embeddings.dtype == "float32"
    assert keras.backend.standardize_dtype(bias.dtype) == "float16"


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"num_heads": 0}, "num_heads"),
        ({"num_heads": 2, "num_buckets": 3}, "num_buckets"),
        ({"num_heads": 2, "num_buckets": 1, "bidirectional": False}, "num_buckets"),
        ({"num_heads": 2, "num_buckets": 32.0}, "num_buckets"),
        ({"num_heads": 2, "max_distance": 0}, "max_distance"),
        # 32 bidirectional buckets: 8 exact distances, so max_distance must exceed 8.
        ({"num_heads": 2, "max_distance": 8}, "max_distance"),
        (
            {
                "num_heads": 2,
                "num_buckets": 8,
                "max_distance": 4,
                "bidirectional": False,
            },
            "max_distance",
        ),
        ({"num_heads": 2, "bidirectional": 1}, "bidirectional"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        RelativePositionBias(**kwargs)
