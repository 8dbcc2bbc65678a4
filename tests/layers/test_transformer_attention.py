"""TransformerAttention: NumPy references (masks, bias, scale, GQA, RoPE), Keras parity, harness."""

import keras
import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale
from _transformer_reference import numpy_attention

from keras_dlkit.layers import TransformerAttention
from keras_dlkit.testing import TestCase


def randomize(layer, rng, scale=0.5):
    layer.set_weights(
        [rng.normal(scale=scale, size=w.shape).astype("float32") for w in layer.weights]
    )


def padding_mask(lengths, t, s):
    """(batch, T, S) mask: every query attends to the first lengths[b] keys."""
    keys = np.arange(s)[None, :] < np.asarray(lengths)[:, None]
    return np.broadcast_to(keys[:, None, :], (len(lengths), t, s)).copy()


class TransformerAttentionHarnessTest(TestCase):
    def test_harness_multi_head(self):
        self.run_layer_test(
            TransformerAttention,
            {"num_heads": 2, "key_dim": 4},
            input_shape=(2, 5, 8),
            expected_output_shape=(2, 5, 8),
            expected_num_trainable_weights=8,
            expected_num_non_trainable_weights=0,
        )

    def test_harness_grouped_query_rotary_no_bias_dropout(self):
        self.run_layer_test(
            TransformerAttention,
            {
                "num_heads": 4,
                "key_dim": 4,
                "num_key_value_heads": 2,
                "value_dim": 6,
                "output_dim": 3,
                "use_bias": False,
                "dropout": 0.1,
                "rotary_max_wavelength": 100.0,
                "seed": 1,
            },
            input_shape=(2, 5, 8),
            expected_output_shape=(2, 5, 3),
            expected_num_trainable_weights=4,
        )

    def test_weight_shapes_are_multi_head_attention_shapes(self):
        layer = TransformerAttention(
            4, 3, num_key_value_heads=2, value_dim=5, output_dim=7, name="att"
        )
        layer.build((None, 6, 10))
        self.assertEqual(
            [(w.path, tuple(w.shape)) for w in layer.weights],
            [
                ("att/query/kernel", (10, 4, 3)),
                ("att/query/bias", (4, 3)),
                ("att/key/kernel", (10, 2, 3)),
                ("att/key/bias", (2, 3)),
                ("att/value/kernel", (10, 2, 5)),
                ("att/value/bias", (2, 5)),
                ("att/attention_output/kernel", (4, 5, 7)),
                ("att/attention_output/bias", (7,)),
            ],
        )


CASES = {
    "padding": {"mask": "padding"},
    "causal": {"causal": True},
    "padding_and_causal": {"mask": "padding", "causal": True},
    "bias": {"bias": True},
    "bias_padding_causal": {"bias": True, "mask": "padding", "causal": True},
    "scale_one": {"scale": 1.0, "mask": "padding"},
    "grouped_query": {"kv_heads": 2, "mask": "padding", "causal": True},
    # One key/value head (multi-query attention): TensorFlow's fused kernel
    # fails on it in Keras 3.15, so the layer repeats the head.
    "multi_query": {"kv_heads": 1, "mask": "padding", "causal": True},
    "rotary": {"rope": True, "causal": True, "key_dim": 4},
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("scores", [False, True], ids=["fused", "explicit"])
def test_matches_numpy_reference(case, scores):
    options = CASES[case]
    rng = np.random.default_rng(sorted(CASES).index(case))
    batch, t, dim, heads = 2, 5, 8, 4
    key_dim = options.get("key_dim", 3)
    x = rng.normal(size=(batch, t, dim)).astype("float32")
    layer = TransformerAttention(
        heads,
        key_dim,
        num_key_value_heads=options.get("kv_heads"),
        scale=options.get("scale"),
        rotary_max_wavelength=10000.0 if options.get("rope") else None,
    )
    layer.build(x.shape)
    randomize(layer, rng)
    mask = padding_mask([5, 3], t, t) if options.get("mask") else None
    bias = (
        rng.normal(size=(1, heads, t, t)).astype("float32")
        if options.get("bias")
        else None
    )
    causal = options.get("causal", False)
    expected, expected_weights = numpy_attention(
        layer,
        x.astype("float64"),
        x.astype("float64"),
        mask=mask,
        bias=bias,
        causal=causal,
        scale=options.get("scale"),
        rope=options.get("rope", False),
    )
    result = layer(
        x,
        attention_mask=mask,
        attention_bias=bias,
        use_causal_mask=causal,
        return_attention_scores=scores,
    )
    if scores:
        result, weights = result
        assert tuple(weights.shape) == (batch, heads, t, t)
        assert_close_to_scale(to_np64(weights), expected_weights, 1e-5, scale=1.0)
    assert_close_to_scale(to_np64(result), expected, 1e-5)


def test_cross_attention_with_key_and_value_of_other_sizes():
    rng = np.random.default_rng(11)
    query = rng.normal(size=(2, 3, 6)).astype("float32")
    value = rng.normal(size=(2, 4, 5)).astype("float32")
    layer = TransformerAttention(2, 4)
    layer.build(query.shape, value.shape)
    randomize(layer, rng)
    mask = padding_mask([4, 2], 3, 4)
    expected, _ = numpy_attention(
        layer, query.astype("float64"), value.astype("float64"), mask=mask
    )
    result = layer(query, value, attention_mask=mask)
    assert tuple(result.shape) == (2, 3, 6)
    assert_close_to_scale(to_np64(result), expected, 1e-5)


@pytest.mark.parametrize("scores", [False, True], ids=["fused", "explicit"])
def test_fully_masked_row_is_finite(scores):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    layer = TransformerAttention(2, 4)
    layer.build(x.shape)
    randomize(layer, rng)
    mask = np.ones((2, 4, 4), bool)
    mask[0, 1] = False  # query 1 of sample 0 may attend to nothing
    mask[1] = False  # sample 1: nothing at all
    expected, expected_weights = numpy_attention(
        layer, x.astype("float64"), x.astype("float64"), mask
    )
    result = layer(x, attention_mask=mask, return_attention_scores=scores)
    if scores:
        result, weights = result
        assert np.isfinite(to_np64(weights)).all()
        assert_close_to_scale(to_np64(weights), expected_weights, 1e-5, scale=1.0)
    result = to_np64(result)
    assert np.isfinite(result).all()
    # Such a query attends to every key, as if unmasked.
    assert_close_to_scale(result, expected, 1e-5)


def test_fused_and_explicit_paths_agree_with_dropout_off():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    layer = TransformerAttention(4, 2, num_key_value_heads=2, dropout=0.3)
    layer.build(x.shape)
    randomize(layer, rng)
    mask = padding_mask([6, 4], 6, 6)
    fused = layer(x, attention_mask=mask, use_causal_mask=True)  # inference
    explicit, _ = layer(
        x, attention_mask=mask, use_causal_mask=True, return_attention_scores=True
    )
    assert_close_to_scale(to_np64(fused), to_np64(explicit), 1e-5)
    # In training the dropout changes the weights, so the output.
    dropped = layer(x, attention_mask=mask, use_causal_mask=True, training=True)
    assert np.abs(to_np64(dropped) - to_np64(fused)).max() > 1e-3


def test_implicit_keras_mask_of_the_inputs_is_used():
    rng = np.random.default_rng(5)
    tokens = np.array([[3, 1, 2, 4], [2, 5, 0, 0]])
    embedding = keras.layers.Embedding(6, 8, mask_zero=True)
    layer = TransformerAttention(2, 4)
    inputs = keras.Input((4,), dtype="int32")
    model = keras.Model(inputs, layer(embedding(inputs)))
    randomize(layer, rng)
    embedded = to_np64(embedding(tokens))
    # Padded keys are masked; padded queries (no other mask) attend to nothing
    # real either, so they fall back to uniform weights.
    keys = tokens != 0
    mask = keys[:, None, :] & keys[:, :, None]
    expected, _ = numpy_attention(layer, embedded, embedded, mask)
    assert_close_to_scale(to_np64(model(tokens)), expected, 1e-5)


def _copy_weights(source, target):
    by_name = {w.path.split("/", 1)[1]: w for w in source.weights}
    assert len(by_name) == len(target.weights)
    for w in target.weights:
        w.assign(by_name[w.path.split("/", 1)[1]])


@pytest.mark.parametrize("causal", [False, True])
def test_weights_copy_from_keras_multi_head_attention(causal):
    rng = np.random.default_rng(6)
    query = rng.normal(size=(2, 5, 8)).astype("float32")
    value = rng.normal(size=(2, 5, 6)).astype("float32")
    mask = padding_mask([5, 3], 5, 5)
    # value_dim == key_dim: Keras's own MultiHeadAttention fails on JAX's fused
    # kernel otherwise (ours falls back to the explicit softmax there).
    reference = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    reference(query, value)
    randomize(reference, rng)
    ours = TransformerAttention(2, 3)
    ours.build(query.shape, value.shape)
    _copy_weights(reference, ours)
    expected = reference(query, value, attention_mask=mask, use_causal_mask=causal)
    result = ours(query, value, attention_mask=mask, use_causal_mask=causal)
    assert_close_to_scale(to_np64(result), to_np64(expected), 1e-5)


def test_weights_copy_from_keras_group_query_attention():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    mask = padding_mask([5, 2], 5, 5)
    reference = keras.layers.GroupQueryAttention(
        head_dim=3, num_query_heads=4, num_key_value_heads=2
    )
    reference(x, x)
    randomize(reference, rng)
    ours = TransformerAttention(4, 3, num_key_value_heads=2)
    ours.build(x.shape)
    _copy_weights(reference, ours)
    expected = reference(x, x, attention_mask=mask, use_causal_mask=True)
    result = ours(x, attention_mask=mask, use_causal_mask=True)
    assert_close_to_scale(to_np64(result), to_np64(expected), 1e-5)


def test_rotary_start_index_shifts_positions():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(1, 4, 8)).astype("float32")
    layer = TransformerAttention(2, 4, rotary_max_wavelength=50.0)
    layer.build(x.shape)
    randomize(layer, rng)
    # RoPE logits depend on position differences only: a common shift of all
    # positions leaves the output unchanged (up to rounding).
    base = to_np64(layer(x, start_index=0))
    shifted = to_np64(layer(x, start_index=7))
    assert_close_to_scale(shifted, base, 1e-4)
    assert layer.rotary_embedding.name == "rotary_embedding"


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"num_heads": 0, "key_dim": 4}, "num_heads"),
        ({"num_heads": 2, "key_dim": 0}, "key_dim"),
        (
            {"num_heads": 4, "key_dim": 4, "num_key_value_heads": 3},
            "num_key_value_heads",
        ),
        (
            {"num_heads": 4, "key_dim": 4, "num_key_value_heads": 0},
            "num_key_value_heads",
        ),
        ({"num_heads": 2, "key_dim": 4, "dropout": 1.0}, "dropout"),
        ({"num_heads": 2, "key_dim": 4, "scale": 0.0}, "scale"),
        (
            {"num_heads": 2, "key_dim": 4, "rotary_max_wavelength": -1.0},
            "rotary_max_wavelength",
        ),
        ({"num_heads": 2, "key_dim": 4, "use_bias": 1}, "use_bias"),
        (
            {"num_heads": 2, "key_dim": 4, "kernel_initializer": "nope"},
            "kernel_initializer",
        ),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        TransformerAttention(**kwargs)


def test_rejects_inputs_that_are_not_rank_3():
    with pytest.raises(ValueError, match="`query` shape"):
        TransformerAttention(2, 4).build((None, 4, 4, 8))


def test_inputs_keep_their_keras_masks():
    # An encoder output shared by several decoder layers keeps its mask.
    from keras_dlkit.utils.keras_compat import get_keras_mask

    tokens = np.array([[1, 2, 0]])
    encoded = keras.layers.Embedding(3, 4, mask_zero=True)(tokens)
    query = np.ones((1, 2, 4), "float32")
    layer = TransformerAttention(2, 2)
    first = to_np64(layer(query, encoded))
    assert get_keras_mask(encoded) is not None
    np.testing.assert_array_equal(to_np64(layer(query, encoded)), first)


def test_two_dimensional_attention_mask_is_rejected():
    x = np.ones((2, 3, 4), "float32")
    with pytest.raises(ValueError, match="`attention_mask` must be"):
        TransformerAttention(2, 2)(x, attention_mask=np.ones((2, 3), bool))


def test_functional_cross_attention_with_scores():
    query = keras.Input((3, 6))
    value = keras.Input((4, 5))
    layer = TransformerAttention(2, 4, num_key_value_heads=1)
    output, scores = layer(query, value, return_attention_scores=True)
    assert tuple(output.shape) == (None, 3, 6)
    assert tuple(scores.shape) == (None, 2, 3, 4)
    model = keras.Model([query, value], [output, scores])
    rng = np.random.default_rng(9)
    q = rng.normal(size=(2, 3, 6)).astype("float32")
    v = rng.normal(size=(2, 4, 5)).astype("float32")
    expected, expected_weights = numpy_attention(
        layer, q.astype("float64"), v.astype("float64")
    )
    result, weights = model([q, v])
    assert_close_to_scale(to_np64(result), expected, 1e-5)
    assert_close_to_scale(to_np64(weights), expected_weights, 1e-5, scale=1.0)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("scores", [False, True], ids=["fused", "explicit"])
def test_mixed_precision_with_bias_and_masks_stays_close(policy, scores):
    rng = np.random.default_rng(12)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    bias = rng.normal(size=(1, 2, 5, 5)).astype("float32")
    mask = padding_mask([5, 2], 5, 5)
    reference = TransformerAttention(2, 4)
    reference.build(x.shape)
    randomize(reference, rng)
    layer = TransformerAttention(2, 4, dtype=policy)
    layer.build(x.shape)
    layer.set_weights(reference.get_weights())
    kwargs = {"attention_mask": mask, "attention_bias": bias, "use_causal_mask": True}
    expected = to_np64(reference(x, **kwargs))
    result = layer(x, return_attention_scores=scores, **kwargs)
    result = result[0] if scores else result
    assert keras.backend.standardize_dtype(result.dtype) == policy.split("_")[1]
    result = to_np64(result)
    assert np.isfinite(result).all()
    # Half precision: about 3 (bfloat16) or 4 (float16) significant digits.
    assert_close_to_scale(result, expected, 5e-2)
