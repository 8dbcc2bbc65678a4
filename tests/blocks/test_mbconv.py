"""MBConv and FusedMBConv against keras.applications' blocks built from plain layers."""

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.blocks import FusedMBConv, MBConv
from keras_dlkit.testing import TestCase


def correct_pad(size, kernel_size):
    """keras.applications.imagenet_utils.correct_pad, for known sizes."""
    adjust = (1 - size[0] % 2, 1 - size[1] % 2)
    half = kernel_size // 2
    return ((half - adjust[0], half), (half - adjust[1], half))


def reference_mbconv(shape, filters, kernel_size, strides, expand_ratio, se_ratio):
    """keras.applications.efficientnet.block, layer for layer, in inference."""
    inputs = keras.Input(shape)
    filters_in = shape[-1]
    expanded = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = keras.layers.Conv2D(expanded, 1, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("swish")(x)
    if strides == 2:
        x = keras.layers.ZeroPadding2D(correct_pad(shape[:2], kernel_size))(x)
        padding = "valid"
    else:
        padding = "same"
    x = keras.layers.DepthwiseConv2D(
        kernel_size, strides=strides, padding=padding, use_bias=False
    )(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("swish")(x)
    if se_ratio:
        se = keras.layers.GlobalAveragePooling2D()(x)
        se = keras.layers.Reshape((1, 1, expanded))(se)
        units = max(1, int(filters_in * se_ratio))
        se = keras.layers.Conv2D(units, 1, padding="same", activation="swish")(se)
        se = keras.layers.Conv2D(expanded, 1, padding="same", activation="sigmoid")(se)
        x = keras.layers.multiply([x, se])
    x = keras.layers.Conv2D(filters, 1, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    if strides == 1 and filters_in == filters:
        x = keras.layers.Dropout(0.1, noise_shape=(None, 1, 1, 1))(x)
        x = keras.layers.add([x, inputs])
    return keras.Model(inputs, x)


def reference_fused(shape, filters, kernel_size, strides, expand_ratio, se_ratio):
    """keras.applications.efficientnet_v2.FusedMBConvBlock, in inference."""
    inputs = keras.Input(shape)
    filters_in = shape[-1]
    expanded = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = keras.layers.Conv2D(
            expanded, kernel_size, strides=strides, padding="same", use_bias=False
        )(x)
        x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.Activation("swish")(x)
    if se_ratio:
        se = keras.layers.GlobalAveragePooling2D()(x)
        se = keras.layers.Reshape((1, 1, expanded))(se)
        units = max(1, int(filters_in * se_ratio))
        se = keras.layers.Conv2D(units, 1, padding="same", activation="swish")(se)
        se = keras.layers.Conv2D(expanded, 1, padding="same", activation="sigmoid")(se)
        x = keras.layers.multiply([x, se])
    x = keras.layers.Conv2D(
        filters,
        1 if expand_ratio != 1 else kernel_size,
        strides=1 if expand_ratio != 1 else strides,
        padding="same",
        use_bias=False,
    )(x)
    x = keras.layers.BatchNormalization(momentum=0.9)(x)
    if expand_ratio == 1:
        x = keras.layers.Activation("swish")(x)
    if strides == 1 and filters_in == filters:
        x = keras.layers.add([x, inputs])
    return keras.Model(inputs, x)


def randomize(weights, rng):
    """Random weights; positive variances, so batch norms do something."""
    return [
        rng.uniform(0.5, 1.5, size=w.shape).astype("float32")
        if "variance" in w.path or "gamma" in w.path
        else rng.normal(0.0, 0.3, size=w.shape).astype("float32")
        for w in weights
    ]


MBCONV_CASES = [
    # shape, filters, kernel, strides, expand, se
    ((9, 9, 16), 16, 3, 1, 6, 0.25),  # residual
    ((10, 10, 16), 24, 3, 2, 6, 0.25),  # even size, stride 2
    ((11, 9, 16), 24, 5, 2, 6, 0.25),  # odd sizes, stride 2, 5x5
    ((8, 8, 32), 16, 3, 1, 1, 0.25),  # block1a: no expansion
    ((8, 8, 8), 8, 3, 1, 4, 0.0),  # no squeeze-excite
]


class MBConvTest(TestCase):
    def test_harness_residual_with_drop_path(self):
        self.run_layer_test(
            MBConv,
            {"filters": 8, "expand_ratio": 2, "drop_path_rate": 0.2, "seed": 1},
            input_shape=(2, 6, 6, 8),
            expected_output_shape=(2, 6, 6, 8),
            # expand conv, 3 BNs (gamma, beta), dwconv, SE (4), project conv.
            expected_num_trainable_weights=13,
            expected_num_non_trainable_weights=6,
        )

    def test_harness_strided_no_expansion(self):
        self.run_layer_test(
            MBConv,
            {"filters": 12, "kernel_size": 5, "strides": 2, "expand_ratio": 1},
            input_shape=(2, 7, 7, 8),
            expected_output_shape=(2, 4, 4, 12),
            expected_num_trainable_weights=10,
        )

    def test_equals_keras_applications_block(self):
        rng = np.random.default_rng(0)
        for shape, filters, kernel, strides, expand, se in MBCONV_CASES:
            reference = reference_mbconv(shape, filters, kernel, strides, expand, se)
            block = MBConv(
                filters,
                kernel_size=kernel,
                strides=strides,
                expand_ratio=expand,
                se_ratio=se,
                drop_path_rate=0.1,
            )
            block.build((None, *shape))
            weights = randomize(reference.weights, rng)
            reference.set_weights(weights)
            # Both create their weights in the same order (expand, depthwise,
            # squeeze-excite, project), so the lists line up.
            self.assertEqual(
                [tuple(w.shape) for w in block.weights],
                [tuple(w.shape) for w in reference.weights],
            )
            block.set_weights(weights)
            x = rng.normal(size=(2, *shape)).astype("float32")
            self.assertAllClose(
                block(x), reference(x), atol=1e-5, rtol=1e-5, msg=str(shape)
            )

    def test_drop_path_drops_the_branch_not_the_shortcut(self):
        x = np.random.default_rng(1).normal(size=(16, 5, 5, 8)).astype("float32")
        plain = MBConv(8, expand_ratio=2)
        dropped = MBConv(8, expand_ratio=2, drop_path_rate=0.5, seed=2)
        plain.build(x.shape)
        dropped.build(x.shape)
        dropped.set_weights(plain.get_weights())
        branch = to_np64(plain(x, training=True)) - x
        out = to_np64(dropped(x, training=True)) - x
        is_dropped = np.all(np.abs(out) < 1e-6, axis=(1, 2, 3))
        self.assertTrue(0 < is_dropped.sum() < len(x))
        np.testing.assert_allclose(
            out[~is_dropped], branch[~is_dropped] / 0.5, atol=1e-4
        )
        # Inference: no drop at all.
        self.assertAllClose(dropped(x), plain(x), atol=1e-6)

    def test_residual_only_when_shapes_allow(self):
        for filters, strides, id_skip, residual in (
            (8, 1, True, True),
            (8, 2, True, False),
            (16, 1, True, False),
            (8, 1, False, False),
        ):
            block = MBConv(filters, strides=strides, id_skip=id_skip)
            block.build((None, 6, 6, 8))
            self.assertEqual(block.residual, residual)


class FusedMBConvTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            FusedMBConv,
            {"filters": 6, "expand_ratio": 2, "se_ratio": 0.25, "drop_path_rate": 0.1},
            input_shape=(2, 6, 6, 6),
            expected_output_shape=(2, 6, 6, 6),
            expected_num_trainable_weights=10,
            expected_num_non_trainable_weights=4,
        )

    def test_harness_strided_no_expansion(self):
        self.run_layer_test(
            FusedMBConv,
            {"filters": 8, "strides": 2, "expand_ratio": 1},
            input_shape=(2, 7, 7, 4),
            expected_output_shape=(2, 4, 4, 8),
            expected_num_trainable_weights=3,
        )

    def test_equals_keras_applications_block(self):
        rng = np.random.default_rng(3)
        for shape, filters, kernel, strides, expand, se in [
            ((8, 8, 8), 8, 3, 1, 4, 0.0),
            ((9, 7, 8), 16, 3, 2, 4, 0.25),
            ((8, 8, 8), 8, 3, 1, 1, 0.0),
            ((10, 10, 8), 16, 3, 2, 1, 0.0),
        ]:
            reference = reference_fused(shape, filters, kernel, strides, expand, se)
            block = FusedMBConv(
                filters,
                kernel_size=kernel,
                strides=strides,
                expand_ratio=expand,
                se_ratio=se,
            )
            block.build((None, *shape))
            weights = randomize(reference.weights, rng)
            reference.set_weights(weights)
            block.set_weights(weights)
            x = rng.normal(size=(2, *shape)).astype("float32")
            self.assertAllClose(
                block(x), reference(x), atol=1e-5, rtol=1e-5, msg=str(shape)
            )


@pytest.mark.parametrize("cls", [MBConv, FusedMBConv])
@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": 0}, "filters"),
        ({"filters": 8, "strides": 3}, "strides"),
        ({"filters": 8, "kernel_size": 0}, "kernel_size"),
        ({"filters": 8, "expand_ratio": 0}, "expand_ratio"),
        ({"filters": 8, "se_ratio": 1.5}, "se_ratio"),
        ({"filters": 8, "drop_path_rate": 1.0}, "drop_path_rate"),
        ({"filters": 8, "bn_epsilon": 0.0}, "bn_epsilon"),
        ({"filters": 8, "seed": -2}, "seed"),
    ],
)
def test_bad_arguments(cls, kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        cls(**kwargs)


@pytest.mark.parametrize("cls", [MBConv, FusedMBConv])
def test_rejects_non_4d_input(cls):
    with pytest.raises(ValueError, match="`input_shape`.*4D"):
        cls(8).build((None, 10, 8))
