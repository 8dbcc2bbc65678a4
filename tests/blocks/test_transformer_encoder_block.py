"""TransformerEncoderBlock: NumPy reference (pre/post, norms, activations, MHA/GQA), masks."""

import keras
import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale
from _transformer_reference import numpy_block

from keras_dlkit.blocks import TransformerEncoderBlock
from keras_dlkit.testing import TestCase


def randomize(layer, rng, scale=0.4):
    layer.set_weights(
        [rng.normal(scale=scale, size=w.shape).astype("float32") for w in layer.weights]
    )


class TransformerEncoderBlockHarnessTest(TestCase):
    def test_harness_post_norm(self):
        self.run_layer_test(
            TransformerEncoderBlock,
            {"num_heads": 2, "intermediate_dim": 16, "dropout": 0.1},
            input_shape=(2, 4, 8),
            expected_output_shape=(2, 4, 8),
            # attention 8, feed-forward 4, two LayerNorms 4
            expected_num_trainable_weights=16,
            expected_num_non_trainable_weights=0,
        )

    def test_harness_pre_norm_llama_style(self):
        self.run_layer_test(
            TransformerEncoderBlock,
            {
                "num_heads": 4,
                "num_key_value_heads": 2,
                "intermediate_dim": 12,
                "norm": "rms_norm",
                "norm_position": "pre",
                "norm_epsilon": 1e-6,
                "activation": "swiglu",
                "use_bias": False,
                "attention_dropout": 0.1,
                "rotary_max_wavelength": 500.0,
            },
            input_shape=(2, 4, 8),
            expected_output_shape=(2, 4, 8),
            # attention 4, gated feed-forward 3, two RMSNorms 2
            expected_num_trainable_weights=9,
        )


CONFIGS = [
    ("post", "layer_norm", "gelu", None),
    ("pre", "layer_norm", "gelu_approximate", None),
    ("pre", "rms_norm", "swiglu", 2),
    ("post", "rms_norm", "relu", 2),
]


@pytest.mark.parametrize("norm_position, norm, activation, kv_heads", CONFIGS)
def test_matches_numpy_reference(norm_position, norm, activation, kv_heads):
    rng = np.random.default_rng(
        CONFIGS.index((norm_position, norm, activation, kv_heads))
    )
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    block = TransformerEncoderBlock(
        num_heads=4,
        intermediate_dim=16,
        num_key_value_heads=kv_heads,
        norm=norm,
        norm_position=norm_position,
        activation=activation,
    )
    block.build(x.shape)
    randomize(block, rng)
    padding = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    mask = np.broadcast_to(padding[:, None, :].astype(bool), (2, 5, 5))
    for causal in (False, True):
        expected = numpy_block(block, x.astype("float64"), mask=mask, causal=causal)
        result = block(x, padding_mask=padding, use_causal_mask=causal)
        assert_close_to_scale(to_np64(result), expected, 1e-5)


def test_matches_numpy_reference_with_rotary_and_key_dim():
    rng = np.random.default_rng(20)
    x = rng.normal(size=(2, 5, 6)).astype("float32")
    block = TransformerEncoderBlock(
        num_heads=2,
        key_dim=4,
        intermediate_dim=8,
        norm_position="pre",
        rotary_max_wavelength=100.0,
    )
    block.build(x.shape)
    randomize(block, rng)
    assert tuple(block.self_attention.query.kernel.shape) == (6, 2, 4)
    expected = numpy_block(block, x.astype("float64"), causal=True)
    assert_close_to_scale(to_np64(block(x, use_causal_mask=True)), expected, 1e-5)


@pytest.mark.parametrize("norm_position", ["pre", "post"])
def test_padded_positions_do_not_influence_real_ones(norm_position):
    rng = np.random.default_rng(21)
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    block = TransformerEncoderBlock(4, 16, norm_position=norm_position)
    block.build(x.shape)
    randomize(block, rng)
    padding = np.array([[1] * 6, [1] * 4 + [0] * 2])
    changed = x.copy()
    changed[1, 4:] = rng.normal(size=(2, 8)) * 10
    before = to_np64(block(x, padding_mask=padding))
    after = to_np64(block(changed, padding_mask=padding))
    assert_close_to_scale(after[1, :4], before[1, :4], 1e-5)
    np.testing.assert_array_equal(after[0], before[0])
    # Without the mask the padded tokens do change the real ones.
    assert (
        np.abs(to_np64(block(changed))[1, :4] - to_np64(block(x))[1, :4]).max() > 1e-3
    )


def test_attention_bias_and_mask_reach_the_attention():
    rng = np.random.default_rng(22)
    x = rng.normal(size=(1, 4, 8)).astype("float32")
    block = TransformerEncoderBlock(2, 8, norm_position="pre", attention_scale=1.0)
    block.build(x.shape)
    randomize(block, rng)
    bias = rng.normal(size=(1, 2, 4, 4)).astype("float32")
    attention_mask = np.tril(np.ones((4, 4), bool))[None]
    via_mask = block(x, attention_mask=attention_mask)
    via_causal = block(x, use_causal_mask=True)
    assert_close_to_scale(to_np64(via_mask), to_np64(via_causal), 1e-5)
    with_bias = block(x, attention_bias=bias)
    assert np.abs(to_np64(with_bias) - to_np64(block(x))).max() > 1e-3


def test_implicit_keras_mask_is_the_padding_mask():
    rng = np.random.default_rng(23)
    tokens = np.array([[1, 2, 3, 4], [5, 6, 0, 0]])
    embedding = keras.layers.Embedding(7, 8, mask_zero=True)
    block = TransformerEncoderBlock(2, 8)
    inputs = keras.Input((4,), dtype="int32")
    model = keras.Model(inputs, block(embedding(inputs)))
    randomize(block, rng)
    explicit = block(embedding(tokens), padding_mask=tokens != 0)
    # Real positions agree; padded queries differ (the Keras mask also masks them).
    assert_close_to_scale(to_np64(model(tokens))[1, :2], to_np64(explicit)[1, :2], 1e-5)
    assert_close_to_scale(to_np64(model(tokens))[0], to_np64(explicit)[0], 1e-5)


def test_sublayer_names():
    block = TransformerEncoderBlock(2, 8, name="layer")
    block.build((None, 3, 4))
    names = sorted({w.path.split("/")[1] for w in block.weights})
    assert names == [
        "feed_forward",
        "feed_forward_norm",
        "self_attention",
        "self_attention_norm",
    ]
    assert block.self_attention_dropout.name == "self_attention_dropout"
    assert block.feed_forward_dropout.name == "feed_forward_dropout"


def test_hidden_size_not_divisible_by_num_heads_raises_naming_num_heads():
    with pytest.raises(ValueError, match="`num_heads`=3 must divide the hidden size 8"):
        TransformerEncoderBlock(3, 8).build((None, 4, 8))
    # An explicit key_dim lifts the restriction.
    TransformerEncoderBlock(3, 8, key_dim=4).build((None, 4, 8))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"num_key_value_heads": 3}, "num_key_value_heads"),
        ({"norm": "batch_norm"}, "norm"),
        ({"norm_position": "sandwich"}, "norm_position"),
        ({"activation": "tanh"}, "activation"),
        ({"num_heads": 0}, "num_heads"),
        ({"intermediate_dim": 0}, "intermediate_dim"),
        ({"dropout": 1.5}, "dropout"),
        ({"attention_dropout": -0.1}, "attention_dropout"),
        ({"norm_epsilon": 0.0}, "norm_epsilon"),
        ({"key_dim": 0}, "key_dim"),
        ({"attention_scale": 0.0}, "attention_scale"),
    ],
)
def test_bad_arguments(kwargs, argument):
    arguments = {"num_heads": 4, "intermediate_dim": 8, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        TransformerEncoderBlock(**arguments)


@pytest.mark.parametrize("norm_position", ["pre", "post"])
def test_matches_keras_hub_transformer_encoder(norm_position):
    keras_hub = pytest.importorskip("keras_hub")
    from _transformer_reference import copy_from_keras_hub

    rng = np.random.default_rng(24)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    padding = np.array([[1] * 5, [1] * 3 + [0] * 2])
    hub = keras_hub.layers.TransformerEncoder(
        16, 2, activation="gelu", normalize_first=norm_position == "pre"
    )
    hub(x)
    randomize(hub, rng)
    block = TransformerEncoderBlock(2, 16, norm_position=norm_position)
    block.build(x.shape)
    copy_from_keras_hub(hub, block)
    expected = hub(x, padding_mask=padding)
    result = block(x, padding_mask=padding)
    assert_close_to_scale(to_np64(result)[0], to_np64(expected)[0], 1e-5)
    assert_close_to_scale(to_np64(result)[1, :3], to_np64(expected)[1, :3], 1e-5)
