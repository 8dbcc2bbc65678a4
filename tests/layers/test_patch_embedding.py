"""PatchEmbedding: a NumPy patch reshape + matmul, patch sizes that do not divide, harness."""

import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale

from keras_dlkit.layers import PatchEmbedding
from keras_dlkit.testing import TestCase


def numpy_patches(images, kernel, bias, ph, pw):
    """Row-major patches, each flattened (ph, pw, C) and projected."""
    b, h, w, c = images.shape
    patches = images.reshape(b, h // ph, ph, w // pw, pw, c).transpose(0, 1, 3, 2, 4, 5)
    patches = patches.reshape(b, (h // ph) * (w // pw), ph * pw * c)
    return patches @ kernel.reshape(ph * pw * c, -1) + bias


class PatchEmbeddingHarnessTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            PatchEmbedding,
            {"patch_size": 2, "hidden_dim": 6},
            input_shape=(2, 4, 6, 3),
            expected_output_shape=(2, 6, 6),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )


@pytest.mark.parametrize("patch_size", [4, (2, 3)])
def test_matches_numpy_patch_projection(patch_size):
    rng = np.random.default_rng(0)
    ph, pw = (patch_size, patch_size) if isinstance(patch_size, int) else patch_size
    images = rng.normal(size=(2, 8, 12, 3)).astype("float32")
    layer = PatchEmbedding(patch_size=patch_size, hidden_dim=5, name="patches")
    layer.build(images.shape)
    kernel = rng.normal(size=(ph, pw, 3, 5)).astype("float32")
    bias = rng.normal(size=(5,)).astype("float32")
    layer.set_weights([kernel, bias])
    assert layer.projection.kernel.path == "patches/projection/kernel"
    result = to_np64(layer(images))
    expected = numpy_patches(
        images.astype("float64"), kernel.astype("float64"), bias, ph, pw
    )
    assert result.shape == (2, (8 // ph) * (12 // pw), 5)
    assert_close_to_scale(result, expected, 1e-5)


def test_image_size_not_multiple_of_patch_size_raises():
    with pytest.raises(
        ValueError, match="width 10 is not a multiple of `patch_size`=4"
    ):
        PatchEmbedding(4, 8).build((None, 16, 10, 3))
    with pytest.raises(ValueError, match="height 9 .*`patch_size`"):
        PatchEmbedding((2, 5), 8).build((None, 9, 10, 3))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"patch_size": 0, "hidden_dim": 4}, "patch_size"),
        ({"patch_size": (2, 2, 2), "hidden_dim": 4}, "patch_size"),
        ({"patch_size": 2, "hidden_dim": 0}, "hidden_dim"),
        (
            {"patch_size": 2, "hidden_dim": 4, "bias_initializer": "nope"},
            "bias_initializer",
        ),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        PatchEmbedding(**kwargs)
