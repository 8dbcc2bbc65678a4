"""UNetDown / UNetUp: the harness, and equality with plain Keras layers."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.blocks import UNetDown, UNetUp
from keras_dlkit.testing import TestCase


class UNetBlocksTest(TestCase):
    def test_down_harness(self):
        self.run_layer_test(
            UNetDown,
            {"filters": 4, "batch_norm": True},
            input_shape=(2, 8, 8, 3),
            expected_output_shape=(2, 4, 4, 4),
            expected_num_trainable_weights=6,  # 2 kernels + 2 x (gamma, beta)
            expected_num_non_trainable_weights=4,
        )

    def test_down_without_pool_valid_harness(self):
        self.run_layer_test(
            UNetDown,
            {"filters": 3, "pool": False, "padding": "valid"},
            input_shape=(2, 9, 9, 2),
            expected_output_shape=(2, 5, 5, 3),
            expected_num_trainable_weights=4,
        )

    def test_up_harness_with_skip(self):
        self.run_layer_test(
            UNetUp,
            {"filters": 4, "batch_norm": True},
            input_shape=[(2, 4, 4, 8), (2, 8, 8, 4)],
            expected_output_shape=(2, 8, 8, 4),
            expected_num_trainable_weights=2 + 2 + 4,
        )

    def test_up_harness_without_skip_bilinear(self):
        self.run_layer_test(
            UNetUp,
            {"filters": 3, "upsampling": "bilinear"},
            input_shape=(2, 4, 4, 5),
            expected_output_shape=(2, 8, 8, 3),
            expected_num_trainable_weights=4,
        )

    def test_up_valid_padding_crops_skip_harness(self):
        self.run_layer_test(
            UNetUp,
            {"filters": 2, "padding": "valid"},
            input_shape=[(2, 6, 6, 4), (2, 17, 17, 2)],
            expected_output_shape=(2, 8, 8, 2),
        )

    def test_down_matches_plain_keras_layers(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, 10, 10, 3)).astype("float32")
        block = UNetDown(5, activation="tanh")
        out = block(x)
        conv1, conv2 = block.convs
        h = keras.layers.MaxPooling2D(2)(x)
        for conv in (conv1, conv2):
            ref = keras.layers.Conv2D(5, 3, padding="same", activation="tanh")
            ref.build(h.shape)
            ref.set_weights(conv.get_weights())
            h = ref(h)
        self.assertAllClose(out, h, atol=1e-5, rtol=1e-5)
        self.assertEqual(out.shape, (2, 5, 5, 5))

    def test_up_valid_matches_numpy_crop_and_keras_layers(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(1, 3, 3, 4)).astype("float32")
        skip = rng.normal(size=(1, 9, 9, 2)).astype("float32")
        block = UNetUp(3, padding="valid")
        out = to_np(block([x, skip]))
        up = keras.layers.Conv2DTranspose(3, 2, strides=2)
        up.build(x.shape)
        up.set_weights(block.upsample.get_weights())
        h = to_np(up(x))
        self.assertEqual(h.shape, (1, 6, 6, 3))
        # Centre crop of the 9x9 skip to 6x6: rows/cols 1..6.
        h = np.concatenate([h, skip[:, 1:7, 1:7, :]], axis=-1)
        for conv in block.convs:
            ref = keras.layers.Conv2D(3, 3, padding="valid", activation="relu")
            ref.build(h.shape)
            ref.set_weights(conv.get_weights())
            h = to_np(ref(h))
        self.assertAllClose(out, h, atol=1e-5, rtol=1e-5)
        self.assertEqual(out.shape, (1, 2, 2, 3))

    def test_transpose_halves_channels_like_the_paper(self):
        block = UNetUp(512)
        block.build([(None, 28, 28, 1024), (None, 56, 56, 512)])
        # 2x2 up-conv 1024->512, then 3x3 convs 1024->512 and 512->512.
        expected = (
            (4 * 1024 * 512 + 512) + (9 * 1024 * 512 + 512) + (9 * 512 * 512 + 512)
        )
        self.assertEqual(block.count_params(), expected)


@pytest.mark.parametrize(
    "cls, kwargs, argument",
    [
        (UNetDown, {"filters": 0}, "filters"),
        (UNetDown, {"filters": 4, "padding": "full"}, "padding"),
        (UNetDown, {"filters": 4, "pool": 1}, "pool"),
        (UNetDown, {"filters": 4, "batch_norm": "yes"}, "batch_norm"),
        (UNetDown, {"filters": 4, "activation": "nope"}, "activation"),
        (UNetUp, {"filters": 4, "upsampling": "cubic"}, "upsampling"),
    ],
)
def test_bad_arguments_raise(cls, kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        cls(**kwargs)


def test_up_rejects_skip_of_other_size():
    block = UNetUp(2)
    with pytest.raises(ValueError, match="does not fit"):
        block.compute_output_shape([(1, 4, 4, 2), (1, 9, 9, 2)])
    with pytest.raises(ValueError, match="does not fit"):
        UNetUp(2, padding="valid").compute_output_shape([(1, 4, 4, 2), (1, 7, 7, 2)])
