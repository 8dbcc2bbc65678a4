"""TransformerDecoderBlock: NumPy reference with cross-attention, causality, encoder padding."""

import keras
import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale
from _transformer_reference import numpy_block

from keras_dlkit.blocks import TransformerDecoderBlock
from keras_dlkit.testing import TestCase


def randomize(layer, rng, scale=0.4):
    layer.set_weights(
        [rng.normal(scale=scale, size=w.shape).astype("float32") for w in layer.weights]
    )


@keras.saving.register_keras_serializable(package="keras_dlkit_tests")
class CrossDecoder(keras.layers.Layer):
    """The harness passes one input structure: ``[decoder_inputs, encoder_outputs]``."""

    def __init__(self, block_config, **kwargs):
        super().__init__(**kwargs)
        self.block_config = dict(block_config)
        self.block = TransformerDecoderBlock(
            **self.block_config, cross_attention=True, dtype=self.dtype_policy
        )

    def build(self, input_shape):
        self.block.build(input_shape[0], input_shape[1])

    def call(self, inputs):
        return self.block(inputs[0], encoder_outputs=inputs[1])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "block_config": self.block_config}


class TransformerDecoderBlockHarnessTest(TestCase):
    def test_harness_without_cross_attention(self):
        self.run_layer_test(
            TransformerDecoderBlock,
            {"num_heads": 2, "intermediate_dim": 16, "norm_position": "pre"},
            input_shape=(2, 4, 8),
            expected_output_shape=(2, 4, 8),
            expected_num_trainable_weights=16,
            expected_num_non_trainable_weights=0,
        )

    def test_harness_with_cross_attention(self):
        self.run_layer_test(
            CrossDecoder,
            {
                "block_config": {
                    "num_heads": 2,
                    "intermediate_dim": 12,
                    "norm": "rms_norm",
                    "activation": "relu",
                    "use_bias": False,
                    "dropout": 0.1,
                }
            },
            input_shape=[(2, 4, 8), (2, 3, 6)],
            expected_output_shape=(2, 4, 8),
            # two attentions 4 + 4, feed-forward 2, three RMSNorms 3
            expected_num_trainable_weights=13,
        )


CONFIGS = [
    ("post", "layer_norm", "gelu", None),
    ("pre", "rms_norm", "swiglu", 2),
]


@pytest.mark.parametrize("norm_position, norm, activation, kv_heads", CONFIGS)
def test_matches_numpy_reference(norm_position, norm, activation, kv_heads):
    rng = np.random.default_rng(
        CONFIGS.index((norm_position, norm, activation, kv_heads))
    )
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    encoded = rng.normal(size=(2, 3, 6)).astype("float32")
    block = TransformerDecoderBlock(
        num_heads=4,
        intermediate_dim=16,
        num_key_value_heads=kv_heads,
        norm=norm,
        norm_position=norm_position,
        activation=activation,
        cross_attention=True,
    )
    block.build(x.shape, encoded.shape)
    randomize(block, rng)
    padding = np.array([[1] * 5, [1] * 3 + [0] * 2])
    encoder_padding = np.array([[1, 1, 1], [1, 1, 0]])
    mask = np.broadcast_to(padding[:, None, :].astype(bool), (2, 5, 5))
    encoder_mask = np.broadcast_to(encoder_padding[:, None, :].astype(bool), (2, 5, 3))
    expected = numpy_block(
        block,
        x.astype("float64"),
        mask=mask,
        causal=True,
        encoder=encoded.astype("float64"),
        encoder_mask=encoder_mask,
    )
    result = block(
        x,
        encoder_outputs=encoded,
        padding_mask=padding,
        encoder_padding_mask=encoder_padding,
    )
    assert_close_to_scale(to_np64(result), expected, 1e-5)


def test_without_cross_attention_is_a_causal_encoder_block():
    rng = np.random.default_rng(30)
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    block = TransformerDecoderBlock(
        2, 16, norm_position="pre", rotary_max_wavelength=50.0
    )
    block.build(x.shape)
    randomize(block, rng)
    assert not hasattr(block, "cross_attention_norm")
    expected = numpy_block(block, x.astype("float64"), causal=True)
    assert_close_to_scale(to_np64(block(x)), expected, 1e-5)


@pytest.mark.parametrize("norm_position", ["pre", "post"])
def test_is_causal(norm_position):
    rng = np.random.default_rng(31)
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    encoded = rng.normal(size=(2, 3, 8)).astype("float32")
    block = TransformerDecoderBlock(
        2, 16, norm_position=norm_position, cross_attention=True
    )
    block.build(x.shape, encoded.shape)
    randomize(block, rng)
    changed = x.copy()
    changed[:, 4] = rng.normal(size=(2, 8)) * 5
    before = to_np64(block(x, encoder_outputs=encoded))
    after = to_np64(block(changed, encoder_outputs=encoded))
    assert_close_to_scale(after[:, :4], before[:, :4], 1e-5)
    assert np.abs(after[:, 4:] - before[:, 4:]).max() > 1e-3


def test_cross_attention_respects_the_encoder_padding_mask():
    rng = np.random.default_rng(32)
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    encoded = rng.normal(size=(2, 5, 8)).astype("float32")
    block = TransformerDecoderBlock(2, 16, cross_attention=True)
    block.build(x.shape, encoded.shape)
    randomize(block, rng)
    encoder_padding = np.array([[1] * 5, [1, 1, 1, 0, 0]])
    changed = encoded.copy()
    changed[1, 3:] = rng.normal(size=(2, 8)) * 5
    before = block(x, encoder_outputs=encoded, encoder_padding_mask=encoder_padding)
    after = block(x, encoder_outputs=changed, encoder_padding_mask=encoder_padding)
    assert_close_to_scale(to_np64(after), to_np64(before), 1e-5)
    unmasked = block(x, encoder_outputs=changed)
    assert np.abs(to_np64(unmasked)[1] - to_np64(before)[1]).max() > 1e-3


def test_cross_attention_bias_is_added():
    rng = np.random.default_rng(33)
    x = rng.normal(size=(1, 3, 8)).astype("float32")
    encoded = rng.normal(size=(1, 4, 8)).astype("float32")
    block = TransformerDecoderBlock(2, 16, cross_attention=True)
    block.build(x.shape, encoded.shape)
    randomize(block, rng)
    bias = np.zeros((1, 2, 3, 4), "float32")
    bias[..., 0] = -1e4  # no query attends to encoder position 0
    changed = encoded.copy()
    changed[0, 0] = 5.0
    before = block(x, encoder_outputs=encoded, cross_attention_bias=bias)
    after = block(x, encoder_outputs=changed, cross_attention_bias=bias)
    assert_close_to_scale(to_np64(after), to_np64(before), 1e-5)


def test_sublayer_names_and_missing_encoder_outputs():
    block = TransformerDecoderBlock(2, 8, cross_attention=True, name="dec")
    block.build((None, 3, 4), (None, 5, 6))
    names = sorted({w.path.split("/")[1] for w in block.weights})
    assert names == [
        "cross_attention",
        "cross_attention_norm",
        "feed_forward",
        "feed_forward_norm",
        "self_attention",
        "self_attention_norm",
    ]
    assert tuple(block.cross_attention_layer.key.kernel.shape) == (6, 2, 2)
    assert block.cross_attention_dropout.name == "cross_attention_dropout"
    with pytest.raises(ValueError, match="`encoder_outputs`"):
        block(np.zeros((1, 3, 4), "float32"))


def test_hidden_size_not_divisible_by_num_heads_raises_naming_num_heads():
    with pytest.raises(ValueError, match="`num_heads`=3 must divide the hidden size 8"):
        TransformerDecoderBlock(3, 8).build((None, 4, 8))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"num_key_value_heads": 3}, "num_key_value_heads"),
        ({"norm": "group_norm"}, "norm"),
        ({"norm_position": "middle"}, "norm_position"),
        ({"activation": "sigmoid"}, "activation"),
        ({"cross_attention": 1}, "cross_attention"),
    ],
)
def test_bad_arguments(kwargs, argument):
    arguments = {"num_heads": 4, "intermediate_dim": 8, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        TransformerDecoderBlock(**arguments)


def test_functional_decoder_with_encoder_of_another_width():
    rng = np.random.default_rng(34)
    decoder_inputs = keras.Input((None, 8))
    encoder_outputs = keras.Input((None, 6))
    block = TransformerDecoderBlock(2, 16, norm_position="pre", cross_attention=True)
    model = keras.Model(
        [decoder_inputs, encoder_outputs],
        block(decoder_inputs, encoder_outputs=encoder_outputs),
    )
    randomize(block, rng)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    encoded = rng.normal(size=(2, 3, 6)).astype("float32")
    expected = numpy_block(
        block, x.astype("float64"), causal=True, encoder=encoded.astype("float64")
    )
    assert_close_to_scale(to_np64(model([x, encoded])), expected, 1e-5)


@pytest.mark.parametrize("norm_position", ["pre", "post"])
def test_matches_keras_hub_transformer_decoder(norm_position):
    keras_hub = pytest.importorskip("keras_hub")
    from _transformer_reference import copy_from_keras_hub

    rng = np.random.default_rng(35)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    encoded = rng.normal(size=(2, 4, 8)).astype("float32")
    padding = np.array([[1] * 5, [1] * 3 + [0] * 2])
    encoder_padding = np.array([[1] * 4, [1, 1, 0, 0]])
    hub = keras_hub.layers.TransformerDecoder(
        16, 2, activation="gelu", normalize_first=norm_position == "pre"
    )
    hub(x, encoded)
    randomize(hub, rng)
    block = TransformerDecoderBlock(
        2, 16, norm_position=norm_position, cross_attention=True
    )
    block.build(x.shape, encoded.shape)
    copy_from_keras_hub(hub, block)
    expected = to_np64(
        hub(
            x,
            encoded,
            decoder_padding_mask=padding,
            encoder_padding_mask=encoder_padding,
        )
    )
    result = to_np64(
        block(
            x,
            encoder_outputs=encoded,
            padding_mask=padding,
            encoder_padding_mask=encoder_padding,
        )
    )
    assert_close_to_scale(result[0], expected[0], 1e-5)
    assert_close_to_scale(result[1, :3], expected[1, :3], 1e-5)
