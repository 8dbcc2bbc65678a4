"""BasicBlock v1/v2: NumPy reference, shortcut rules, counts, harness."""

import numpy as np
import pytest
from _helpers import to_np64
from _residual_reference import basic, randomize

from keras_dlkit.blocks import BasicBlock
from keras_dlkit.testing import TestCase

CASES = [
    # (version, in channels, filters, stride, conv_shortcut)
    (1, 4, 4, 1, None),  # identity
    (1, 4, 6, 2, None),  # projection
    (1, 4, 4, 2, False),  # identity subsampled by a 1x1 max pool
    (1, 4, 4, 1, True),  # forced projection
    (2, 4, 4, 1, None),
    (2, 4, 6, 2, None),
    (2, 4, 4, 2, None),  # version 2 keeps the identity when strided
    (2, 4, 4, 1, True),
]


@pytest.mark.parametrize("version, channels, filters, stride, conv_shortcut", CASES)
def test_matches_numpy_reference(version, channels, filters, stride, conv_shortcut):
    x = np.random.default_rng(1).normal(size=(2, 7, 8, channels)).astype("float32")
    block = BasicBlock(
        filters, stride=stride, conv_shortcut=conv_shortcut, version=version
    )
    block.build(x.shape)
    randomize(block)
    actual = to_np64(block(x, training=False))
    assert actual.shape == tuple(block.compute_output_shape(x.shape))
    np.testing.assert_allclose(
        actual, basic(block, x.astype(np.float64)), rtol=1e-4, atol=1e-4
    )


def test_shortcut_rules():
    def made(version, channels, filters, stride, conv_shortcut=None):
        block = BasicBlock(filters, stride, conv_shortcut, version=version)
        block.build((None, 8, 8, channels))
        if block.shortcut is not None:
            return "projection"
        return "pool" if block.shortcut_pool is not None else "identity"

    assert made(1, 8, 8, 1) == "identity"
    assert made(1, 8, 8, 2) == "projection"  # option B: the resolution changes
    assert made(1, 8, 16, 1) == "projection"
    assert made(2, 8, 8, 2) == "pool"  # keras.applications V2 rule
    assert made(2, 8, 16, 2) == "projection"
    assert made(1, 8, 8, 2, False) == "pool"
    with pytest.raises(ValueError, match="`conv_shortcut`=False"):
        made(1, 8, 16, 1, False)


def test_parameter_counts():
    # Version 1, no biases: two 3x3 convs with BN, projection 1x1 with BN.
    block = BasicBlock(32, stride=2)
    block.build((None, 16, 16, 16))
    trainable = sum(int(np.prod(w.shape)) for w in block.trainable_weights)
    assert trainable == 9 * 16 * 32 + 64 + 9 * 32 * 32 + 64 + 16 * 32 + 64
    # With biases on the convolutions followed by BN.
    biased = BasicBlock(32, stride=2, use_bias=True)
    biased.build((None, 16, 16, 16))
    assert biased.count_params() == block.count_params() + 3 * 32
    # Version 2: pre-activation BN on 16 channels, last conv and projection biased.
    v2 = BasicBlock(32, stride=2, version=2)
    v2.build((None, 16, 16, 16))
    trainable = sum(int(np.prod(w.shape)) for w in v2.trainable_weights)
    assert trainable == 32 + 9 * 16 * 32 + 64 + 9 * 32 * 32 + 32 + 16 * 32 + 32
    assert v2.out is None and block.out is not None


class BasicBlockLayerTest(TestCase):
    def test_layer_v1_projection(self):
        self.run_layer_test(
            BasicBlock,
            {"filters": 6, "stride": 2},
            input_shape=(2, 8, 8, 4),
            expected_output_shape=(2, 4, 4, 6),
            # conv1, conv2, shortcut: kernel, gamma, beta / moving mean, variance.
            expected_num_trainable_weights=9,
            expected_num_non_trainable_weights=6,
        )

    def test_layer_v2_identity(self):
        self.run_layer_test(
            BasicBlock,
            {"filters": 4, "version": 2, "use_bias": True},
            input_shape=(2, 6, 6, 4),
            expected_output_shape=(2, 6, 6, 4),
            expected_num_trainable_weights=8,
            expected_num_non_trainable_weights=4,
        )


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": 0}, "filters"),
        ({"stride": 0}, "stride"),
        ({"conv_shortcut": "yes"}, "conv_shortcut"),
        ({"version": 3}, "version"),
        ({"use_bias": None}, "use_bias"),
        ({"norm_epsilon": -1.0}, "norm_epsilon"),
        ({"norm_momentum": 1.5}, "norm_momentum"),
        ({"kernel_initializer": "nope"}, "kernel_initializer"),
    ],
)
def test_bad_arguments(kwargs, argument):
    base = {"filters": 4}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        BasicBlock(**base)
