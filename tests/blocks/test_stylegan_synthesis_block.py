"""StyleGANSynthesisBlock: harness, style indexing, the toRGB skip sum."""

import keras
import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale

from keras_dlkit.blocks import StyleGANSynthesisBlock
from keras_dlkit.layers import ModulatedConv2D, NoiseInjection
from keras_dlkit.testing import TestCase


def inputs(seed=0, batch=2, size=4, filters=3, channels=2, num_ws=5, w_dim=4):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(batch, size, size, filters)).astype("float32"),
        rng.normal(size=(batch, size, size, channels)).astype("float32"),
        rng.normal(size=(batch, num_ws, w_dim)).astype("float32"),
    ]


class StyleGANSynthesisBlockTest(TestCase):
    def test_harness_first(self):
        # const; conv1 (kernel, bias, affine x2); noise1 strength; to_rgb (4).
        self.run_layer_test(
            StyleGANSynthesisBlock,
            {"filters": 3, "image_channels": 2, "first": True, "seed": 0},
            input_shape=(2, 2, 4),
            expected_output_shape=[(2, 4, 4, 3), (2, 4, 4, 2)],
            expected_num_trainable_weights=10,
            expected_num_non_trainable_weights=1,
        )

    def test_harness_upsampling_block(self):
        self.run_layer_test(
            StyleGANSynthesisBlock,
            {"filters": 2, "image_channels": 1, "w_index": 1, "seed": 0},
            input_shape=[(2, 4, 4, 3), (2, 4, 4, 1), (2, 4, 4)],
            expected_output_shape=[(2, 8, 8, 2), (2, 8, 8, 1)],
            expected_num_trainable_weights=14,
            expected_num_non_trainable_weights=2,
        )

    def test_sublayers_and_names(self):
        block = StyleGANSynthesisBlock(3, 2, w_index=1, name="block_8")
        block(inputs())
        self.assertIsInstance(block.conv0, ModulatedConv2D)
        self.assertTrue(block.conv0.upsample and block.conv0.demodulate)
        self.assertFalse(block.to_rgb.demodulate)
        self.assertEqual(block.to_rgb._kernel_hw, (1, 1))
        self.assertIsInstance(block.noise1, NoiseInjection)
        paths = {v.path for v in block.weights}
        self.assertIn("block_8/conv0/kernel", paths)
        self.assertIn("block_8/to_rgb/affine/kernel", paths)

    def test_reads_only_its_styles_and_sums_the_skip_image(self):
        x, img, ws = inputs()
        block = StyleGANSynthesisBlock(3, 2, w_index=1, noise_mode="none")
        x_out, img_out = (to_np64(t) for t in block([x, img, ws]))
        # ws[:, 0] and ws[:, 4] are not this block's (it uses 1, 2, 3).
        other = ws.copy()
        other[:, [0, 4]] += 5.0
        x_other, img_other = (to_np64(t) for t in block([x, img, other]))
        np.testing.assert_array_equal(x_out, x_other)
        np.testing.assert_array_equal(img_out, img_other)
        for index, changes_x in ((1, True), (2, True), (3, False)):
            moved = ws.copy()
            moved[:, index] += 1.0
            x_moved, img_moved = (to_np64(t) for t in block([x, img, moved]))
            self.assertEqual(not np.allclose(x_moved, x_out), changes_x)
            self.assertFalse(np.allclose(img_moved, img_out))
        # img_out = upsample(img) + toRGB(x_out, ws[:, 3]).
        up = to_np64(keras.layers.UpSampling2D(2, interpolation="bilinear")(img))
        rgb = to_np64(block.to_rgb([x_out.astype("float32"), ws[:, 3]]))
        np.testing.assert_allclose(img_out, up + rgb, rtol=1e-5, atol=1e-5)

    def test_first_block_starts_from_the_constant(self):
        _, _, ws = inputs()
        block = StyleGANSynthesisBlock(3, 2, first=True, noise_mode="none")
        x, img = block(ws)
        self.assertEqual(tuple(block.const.shape), (4, 4, 3))
        # Same styles for both samples -> the same image (the input is constant).
        same = np.repeat(ws[:1], 2, axis=0)
        x, img = (to_np64(t) for t in block(same))
        # The same computation for both samples, but a batched kernel may sum
        # them in another order: compared at the scale of the image.
        assert_close_to_scale(img[0], img[1], rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": 0}, "filters"),
        ({"image_channels": 0}, "image_channels"),
        ({"first": 1}, "first"),
        ({"w_index": -1}, "w_index"),
        ({"noise_mode": "off"}, "noise_mode"),
        ({"seed": -2}, "seed"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        StyleGANSynthesisBlock(**{"filters": 2, "image_channels": 1, **kwargs})


def test_too_few_styles():
    block = StyleGANSynthesisBlock(2, 1, w_index=2)
    with pytest.raises(ValueError, match=">= 5"):
        block.build([(1, 4, 4, 2), (1, 4, 4, 1), (1, 4, 4)])
