"""CycleGANResidualBlock: a NumPy forward pass, counts, harness, saving."""

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.blocks import CycleGANResidualBlock
from keras_dlkit.layers import ReflectionPadding2D
from keras_dlkit.testing import TestCase


def np_conv_valid(x, kernel, bias=None):
    kh, kw = kernel.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    out = np.einsum("nhwcij,ijco->nhwo", windows, kernel)
    return out if bias is None else out + bias


def np_instance_norm(x, gamma=None, beta=None, eps=1e-5):
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    out = (x - mean) / np.sqrt(var + eps)
    if gamma is not None:
        out = out * gamma + beta
    return out


def np_block(block, x, affine):
    def reflect(t):
        return np.pad(t, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")

    def stage(t, conv, norm):
        if affine:
            (kernel,) = [to_np64(w) for w in conv.weights]
            gamma, beta = [to_np64(w) for w in norm.weights]
            return np_instance_norm(np_conv_valid(reflect(t), kernel), gamma, beta)
        kernel, bias = [to_np64(w) for w in conv.weights]
        return np_instance_norm(np_conv_valid(reflect(t), kernel, bias))

    h = np.maximum(stage(x, block.conv_1, block.norm_1), 0.0)
    return x + stage(h, block.conv_2, block.norm_2)


@pytest.mark.parametrize("affine", [False, True])
def test_forward_matches_numpy(affine):
    x = np.random.default_rng(0).normal(size=(2, 5, 6, 3)).astype("float32")
    block = CycleGANResidualBlock(affine_norm=affine, name="res")
    out = block(x)
    if affine:  # random scale and offset, so the check sees them
        rng = np.random.default_rng(1)
        for norm in (block.norm_1, block.norm_2):
            norm.set_weights([rng.normal(1, 0.3, 3), rng.normal(0, 0.3, 3)])
        out = block(x)
    np.testing.assert_allclose(
        to_np64(out),
        np_block(block, x.astype(np.float64), affine),
        rtol=1e-4,
        atol=1e-4,
    )


def test_counts_names_and_layers():
    block = CycleGANResidualBlock(name="res")
    block.build((None, 8, 8, 256))
    # The official block: two 3x3 convolutions with bias, norms without weights.
    assert block.count_params() == 2 * (3 * 3 * 256 * 256 + 256) == 1180160
    assert block.norm_1.groups == 256 and not block.norm_1.scale  # one per channel
    assert isinstance(block.norm_1, keras.layers.GroupNormalization)
    assert isinstance(block.pad_1, ReflectionPadding2D)
    assert block.pad_1.padding == ((1, 1), (1, 1))
    assert sorted(v.path for v in block.weights) == [
        "res/conv_1/bias",
        "res/conv_1/kernel",
        "res/conv_2/bias",
        "res/conv_2/kernel",
    ]
    affine = CycleGANResidualBlock(affine_norm=True)
    affine.build((None, 8, 8, 4))
    # No conv bias (the norm's offset replaces it), a scale and offset per norm.
    assert affine.count_params() == 2 * (3 * 3 * 4 * 4 + 2 * 4)
    assert not affine.conv_1.use_bias


def test_the_two_kernels_start_different():
    block = CycleGANResidualBlock()
    block.build((None, 4, 4, 8))
    k1, k2 = to_np64(block.conv_1.kernel), to_np64(block.conv_2.kernel)
    assert not np.array_equal(k1, k2)
    assert abs(k1.std() - 0.02) < 0.005  # N(0, 0.02)


def test_instance_norm_cancels_the_conv_bias():
    # Why affine_norm=True drops the biases: shifting a bias changes nothing.
    x = np.random.default_rng(2).normal(size=(1, 4, 4, 2)).astype("float32")
    block = CycleGANResidualBlock()
    before = to_np64(block(x))
    block.conv_1.bias.assign(np.full(2, 0.05, "float32"))
    block.conv_2.bias.assign(np.full(2, -0.03, "float32"))
    np.testing.assert_allclose(to_np64(block(x)), before, rtol=1e-4, atol=1e-4)


class CycleGANResidualBlockHarnessTest(TestCase):
    def test_affine_block(self):
        self.run_layer_test(
            CycleGANResidualBlock,
            {"affine_norm": True, "epsilon": 1e-3},
            input_shape=(2, 4, 4, 3),
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=6,
            expected_num_non_trainable_weights=0,
        )

    def test_official_block(self):
        # The biases are cancelled by the norms: their gradient is zero, so
        # the harness's "every weight trains" check does not apply.
        self.run_layer_test(
            CycleGANResidualBlock,
            {"kernel_initializer": "he_normal"},
            input_shape=(2, 4, 4, 3),
            expected_output_shape=(2, 4, 4, 3),
            expected_num_trainable_weights=4,
            run_training_check=False,
            run_precision_check=False,
        )


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"affine_norm": 1}, "affine_norm"),
        ({"epsilon": 0.0}, "epsilon"),
        ({"kernel_initializer": "no_such_initializer"}, "kernel_initializer"),
    ],
)
def test_rejects_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        CycleGANResidualBlock(**kwargs)


def test_rejects_inputs_too_small_to_reflect():
    with pytest.raises(ValueError, match="`padding`"):
        CycleGANResidualBlock()(keras.Input((1, 4, 8)))
