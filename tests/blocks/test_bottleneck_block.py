"""BottleneckBlock v1/v2: NumPy reference, keras.applications layout, harness."""

import keras
import numpy as np
import pytest
from _helpers import to_np64
from _residual_reference import bottleneck, randomize

from keras_dlkit.blocks import BottleneckBlock
from keras_dlkit.testing import TestCase

CASES = [
    # (version, in channels, filters, stride, conv_shortcut)
    (1, 4, 2, 1, None),  # 4 -> 8 channels: projection
    (1, 8, 2, 1, None),  # identity
    (1, 8, 2, 2, None),  # projection (resolution changes)
    (1, 8, 2, 2, False),
    (2, 4, 2, 1, True),  # keras.applications V2 first block
    (2, 8, 2, 1, False),
    (2, 8, 2, 2, False),  # keras.applications V2 last block: max-pool shortcut
    (2, 8, 2, 2, None),
]


@pytest.mark.parametrize("version, channels, filters, stride, conv_shortcut", CASES)
def test_matches_numpy_reference(version, channels, filters, stride, conv_shortcut):
    x = np.random.default_rng(2).normal(size=(2, 7, 8, channels)).astype("float32")
    block = BottleneckBlock(
        filters,
        stride=stride,
        conv_shortcut=conv_shortcut,
        version=version,
        use_bias=version == 1,
    )
    block.build(x.shape)
    randomize(block)
    actual = to_np64(block(x, training=False))
    assert actual.shape == tuple(block.compute_output_shape(x.shape))
    np.testing.assert_allclose(
        actual, bottleneck(block, x.astype(np.float64)), rtol=1e-4, atol=1e-4
    )


def test_training_mode_uses_batch_statistics():
    x = np.random.default_rng(3).normal(3.0, 2.0, size=(4, 6, 6, 8)).astype("float32")
    block = BottleneckBlock(2, version=2)
    block.build(x.shape)
    randomize(block)
    inference = to_np64(block(x, training=False))
    training = to_np64(block(x, training=True))
    assert not np.allclose(inference, training)
    # The pre-activation norm normalizes with the batch's statistics.
    normalized = to_np64(block.preact_norm(x, training=True))
    np.testing.assert_allclose(
        normalized.mean(axis=(0, 1, 2)), to_np64(block.preact_norm.beta), atol=1e-4
    )


def test_stride_placement_and_biases_follow_keras_applications():
    v1 = BottleneckBlock(4, stride=2, use_bias=True)
    v1.build((None, 8, 8, 8))
    assert (v1.conv1.strides, v1.conv2.strides) == (2, 1)  # ResNet50
    assert all(u.use_bias for u in (v1.conv1, v1.conv2, v1.conv3, v1.shortcut))
    v2 = BottleneckBlock(4, stride=2, version=2)
    v2.build((None, 8, 8, 16))
    assert (v2.conv1.strides, v2.conv2.strides) == (1, 2)  # ResNet50V2
    assert v2.conv2.padding == 1  # explicit (1, 1) zero padding, as keras
    assert (v2.conv1.use_bias, v2.conv2.use_bias, v2.conv3.use_bias) == (
        False,
        False,
        True,
    )
    assert v2.conv3.norm_layer is None and v2.shortcut_pool.strides == (2, 2)


@pytest.mark.parametrize(
    "version, channels, stride, conv_shortcut",
    [(1, 8, 2, True), (1, 16, 1, False), (2, 8, 1, True), (2, 16, 2, False)],
)
def test_equals_keras_applications_block(version, channels, stride, conv_shortcut):
    # keras.applications' own block functions, built from plain Keras layers.
    from keras.src.applications import resnet as keras_resnet

    inputs = keras.Input((7, 8, channels))
    function = (
        keras_resnet.residual_block_v1
        if version == 1
        else keras_resnet.residual_block_v2
    )
    reference = keras.Model(
        inputs,
        function(inputs, 4, stride=stride, conv_shortcut=conv_shortcut, name="b"),
    )
    block = BottleneckBlock(
        4,
        stride=stride,
        conv_shortcut=conv_shortcut,
        version=version,
        use_bias=version == 1,
    )
    block.build((None, 7, 8, channels))
    randomize(block)
    units = {"0": block.shortcut, "1": block.conv1, "2": block.conv2, "3": block.conv3}
    copied = 0
    for layer in reference.layers:
        if not layer.weights:
            continue
        part, kind = layer.name.split("_")[1:3]
        if part == "preact":
            target = block.preact_norm
        else:
            unit = units[part]
            target = unit.conv if kind == "conv" else unit.norm_layer
        layer.set_weights(target.get_weights())
        copied += len(layer.weights)
    assert copied == len(block.weights)
    assert block.count_params() == reference.count_params()
    x = np.random.default_rng(4).normal(size=(2, 7, 8, channels)).astype("float32")
    np.testing.assert_allclose(
        to_np64(block(x, training=False)),
        to_np64(reference(x, training=False)),
        rtol=1e-5,
        atol=1e-5,
    )


class BottleneckBlockLayerTest(TestCase):
    def test_layer_v1(self):
        self.run_layer_test(
            BottleneckBlock,
            {"filters": 2, "stride": 2},
            input_shape=(2, 8, 8, 4),
            expected_output_shape=(2, 4, 4, 8),
            expected_num_trainable_weights=12,  # 4 units x (kernel, gamma, beta)
            expected_num_non_trainable_weights=8,
        )

    def test_layer_v2_pool_shortcut(self):
        self.run_layer_test(
            BottleneckBlock,
            {"filters": 2, "stride": 2, "version": 2, "expansion": 2},
            input_shape=(2, 7, 7, 4),
            expected_output_shape=(2, 4, 4, 4),
            # preact (2), conv1 and conv2 (3 each), conv3 (kernel, bias).
            expected_num_trainable_weights=10,
            expected_num_non_trainable_weights=6,
        )


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": -1}, "filters"),
        ({"stride": 1.5}, "stride"),
        ({"expansion": 0}, "expansion"),
        ({"version": "2"}, "version"),
        ({"conv_shortcut": 1}, "conv_shortcut"),
        ({"kernel_regularizer": "nope"}, "kernel_regularizer"),
    ],
)
def test_bad_arguments(kwargs, argument):
    base = {"filters": 4}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        BottleneckBlock(**base)


def test_conv_shortcut_false_needs_matching_channels():
    with pytest.raises(ValueError, match="`conv_shortcut`=False"):
        BottleneckBlock(4, conv_shortcut=False).build((None, 8, 8, 8))
