"""Key/value caches of TransformerAttention and TransformerDecoderBlock.

Running a sequence one token at a time through the cache must equal running
it whole (tolerances relative to the output's scale).
"""

import numpy as np
import pytest
from keras import ops

from keras_dlkit.blocks import TransformerDecoderBlock
from keras_dlkit.layers import TransformerAttention


def _close(actual, expected, rtol=1e-4):
    actual = ops.convert_to_numpy(actual)
    expected = ops.convert_to_numpy(expected)
    scale = np.abs(expected).max() + 1e-12
    np.testing.assert_array_less(np.abs(actual - expected).max() / scale, rtol)


@pytest.mark.parametrize("rotary", [None, 10000.0])
def test_attention_cache_one_token_at_a_time_equals_whole(rotary):
    rng = np.random.default_rng(0)
    layer = TransformerAttention(
        num_heads=4, key_dim=4, num_key_value_heads=2, rotary_max_wavelength=rotary
    )
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    full = layer(x, use_causal_mask=True)
    cache = np.zeros((2, 2, 6, 2, 4), "float32")
    # The first two tokens in one pass, then one at a time.
    outputs = []
    out, cache = layer(
        x[:, :2], use_causal_mask=True, cache=cache, cache_update_index=0
    )
    outputs.append(out)
    for t in range(2, 6):
        out, cache = layer(
            x[:, t : t + 1], use_causal_mask=True, cache=cache, cache_update_index=t
        )
        outputs.append(out)
    _close(ops.concatenate(outputs, axis=1), full)
    assert tuple(cache.shape) == (2, 2, 6, 2, 4)


def test_attention_read_only_cache_equals_cross_attention():
    rng = np.random.default_rng(1)
    layer = TransformerAttention(num_heads=2, key_dim=4)
    q = rng.normal(size=(2, 3, 8)).astype("float32")
    enc = rng.normal(size=(2, 5, 8)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)[:, None, :]
    full = layer(q, enc, attention_mask=mask)
    cache = layer.compute_cache(enc)
    out, same = layer(q, cache=cache, attention_mask=mask)
    _close(out, full)
    np.testing.assert_array_equal(
        ops.convert_to_numpy(same), ops.convert_to_numpy(cache)
    )


def test_attention_cache_bad_shape():
    layer = TransformerAttention(num_heads=2, key_dim=4)
    x = np.ones((1, 3, 8), "float32")
    with pytest.raises(ValueError, match="cache"):
        layer(x, cache=np.zeros((1, 3, 2, 4), "float32"), cache_update_index=0)


@pytest.mark.parametrize(
    "norm_position, kv_heads, rotary, cross",
    [
        ("pre", None, None, False),
        ("post", None, None, False),
        ("pre", 1, 10000.0, False),
        ("pre", 2, None, True),
        ("post", None, None, True),
    ],
)
def test_decoder_block_cache_equals_whole(norm_position, kv_heads, rotary, cross):
    rng = np.random.default_rng(2)
    block = TransformerDecoderBlock(
        num_heads=4,
        intermediate_dim=16,
        num_key_value_heads=kv_heads,
        norm_position=norm_position,
        rotary_max_wavelength=rotary,
        cross_attention=cross,
    )
    batch, length, dim = 2, 5, 8
    x = rng.normal(size=(batch, length, dim)).astype("float32")
    enc = rng.normal(size=(batch, 4, dim)).astype("float32")
    enc_mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], "int32")
    padding = np.array([[1, 1, 1, 1, 1], [1, 0, 1, 1, 1]], "int32")
    kwargs = {"encoder_outputs": enc, "encoder_padding_mask": enc_mask} if cross else {}
    full = block(x, padding_mask=padding, **kwargs)
    cache = np.zeros((batch, 2, length, kv_heads or 4, 2), "float32")
    step_kwargs = {"encoder_padding_mask": enc_mask} if cross else {}
    if cross:
        step_kwargs["cross_attention_cache"] = block.compute_cross_attention_cache(enc)
    outputs = []
    for t in range(length):
        result = block(
            x[:, t : t + 1],
            padding_mask=padding,
            self_attention_cache=cache,
            self_attention_cache_update_index=t,
            **step_kwargs,
        )
        assert len(result) == (3 if cross else 2)
        out, cache = result[0], result[1]
        outputs.append(out)
    _close(ops.concatenate(outputs, axis=1), full)
