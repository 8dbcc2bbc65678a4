"""RotaryEmbedding: keras-hub's numbers, a NumPy formula, axes, start_index, the harness."""

import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale

from keras_dlkit.layers import RotaryEmbedding
from keras_dlkit.testing import TestCase


def numpy_rope(x, max_wavelength=10000.0, scaling_factor=1.0, start_index=0):
    """Rotate-half RoPE on (batch, seq, ..., dim), float64."""
    dim = x.shape[-1]
    inverse_freq = max_wavelength ** (-np.arange(0, dim, 2) / dim) / scaling_factor
    angles = np.outer(np.arange(x.shape[1]) + start_index, inverse_freq)
    angles = np.concatenate([angles, angles], axis=-1)
    angles = angles.reshape((1, x.shape[1]) + (1,) * (x.ndim - 3) + (dim,))
    x1, x2 = x[..., : dim // 2], x[..., dim // 2 :]
    rotated = np.concatenate([-x2, x1], axis=-1)
    return x * np.cos(angles) + rotated * np.sin(angles)


class RotaryEmbeddingHarnessTest(TestCase):
    def test_harness_4d(self):
        self.run_layer_test(
            RotaryEmbedding,
            {"max_wavelength": 100, "scaling_factor": 2.0},
            input_shape=(2, 5, 3, 8),
            expected_output_shape=(2, 5, 3, 8),
            expected_num_trainable_weights=0,
            run_training_check=False,  # no weights
        )

    def test_harness_3d_other_axes(self):
        self.run_layer_test(
            RotaryEmbedding,
            {"sequence_axis": 2, "feature_axis": 1},
            input_shape=(2, 6, 4),
            expected_output_shape=(2, 6, 4),
            run_training_check=False,
        )


@pytest.mark.parametrize(
    "kwargs, start_index",
    [({}, 0), ({"max_wavelength": 500, "scaling_factor": 4.0}, 3)],
)
def test_matches_keras_hub_and_numpy(kwargs, start_index):
    keras_hub = pytest.importorskip("keras_hub")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 3, 8)).astype("float32")
    ours = to_np64(RotaryEmbedding(**kwargs)(x, start_index=start_index))
    hub = to_np64(
        keras_hub.layers.RotaryEmbedding(**kwargs)(x, start_index=start_index)
    )
    assert_close_to_scale(ours, hub, 1e-6)
    reference = numpy_rope(x.astype("float64"), start_index=start_index, **kwargs)
    assert_close_to_scale(ours, reference, 1e-5)


def test_sequence_and_feature_axes_are_honoured():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 5, 4)).astype("float32")  # (batch, dim, seq, heads)
    layer = RotaryEmbedding(sequence_axis=2, feature_axis=1)
    moved = np.moveaxis(x, (1, 2), (-1, 1))  # (batch, seq, heads, dim)
    expected = np.moveaxis(numpy_rope(moved.astype("float64")), (-1, 1), (1, 2))
    assert_close_to_scale(to_np64(layer(x)), expected, 1e-5)


def test_rotation_keeps_norms_and_dot_products_depend_on_offsets():
    rng = np.random.default_rng(2)
    q = rng.normal(size=(1, 1, 1, 8)).astype("float32")
    k = rng.normal(size=(1, 1, 1, 8)).astype("float32")
    layer = RotaryEmbedding()
    rq = [to_np64(layer(q, start_index=p)).ravel() for p in (2, 5, 9)]
    rk = [to_np64(layer(k, start_index=p)).ravel() for p in (0, 3, 7)]
    np.testing.assert_allclose(np.linalg.norm(rq[0]), np.linalg.norm(q), rtol=1e-5)
    # <R(p) q, R(p - 2) k> depends on the offset 2 only.
    dots = [float(a @ b) for a, b in zip(rq, rk, strict=True)]
    np.testing.assert_allclose(dots, dots[0], atol=1e-5 * np.abs(dots).max())


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"max_wavelength": 0}, "max_wavelength"),
        ({"scaling_factor": -1.0}, "scaling_factor"),
        ({"sequence_axis": 1.5}, "sequence_axis"),
        ({"feature_axis": "last"}, "feature_axis"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        RotaryEmbedding(**kwargs)


def test_odd_feature_size_and_bad_axes_are_rejected():
    with pytest.raises(ValueError, match="even"):
        RotaryEmbedding().build((None, 4, 5))
    with pytest.raises(ValueError, match="`sequence_axis`"):
        RotaryEmbedding(sequence_axis=-1).build((None, 4, 6))
    with pytest.raises(ValueError, match="`sequence_axis`"):
        RotaryEmbedding(sequence_axis=5).build((None, 4, 6))
