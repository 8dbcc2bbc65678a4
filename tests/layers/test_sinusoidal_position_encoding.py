"""SinusoidalPositionEncoding: the NumPy formula, keras-hub's numbers, start_index, harness."""

import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale

from keras_dlkit.layers import SinusoidalPositionEncoding
from keras_dlkit.testing import TestCase


def numpy_encoding(length, dim, max_wavelength=10000.0, start_index=0):
    positions = np.arange(length)[:, None] + start_index
    i = np.arange(dim)[None, :] // 2
    angles = positions / max_wavelength ** (2 * i / dim)
    return np.where(np.arange(dim) % 2 == 0, np.sin(angles), np.cos(angles))


class SinusoidalPositionEncodingHarnessTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            SinusoidalPositionEncoding,
            {"max_wavelength": 100},
            input_shape=(2, 5, 6),
            expected_output_shape=(2, 5, 6),
            expected_num_trainable_weights=0,
            run_training_check=False,  # no weights
        )


@pytest.mark.parametrize(
    "max_wavelength, dim, start_index", [(10000, 8, 0), (100, 6, 4), (10000, 5, 2)]
)
def test_matches_formula(max_wavelength, dim, start_index):
    x = np.zeros((2, 7, dim), "float32")
    layer = SinusoidalPositionEncoding(max_wavelength=max_wavelength)
    result = to_np64(layer(x, start_index=start_index))
    expected = numpy_encoding(7, dim, max_wavelength, start_index)
    assert result.shape == (2, 7, dim)
    # Angles up to start_index + 6 radians: float32 rounding of about 1e-6.
    assert_close_to_scale(result, np.broadcast_to(expected, result.shape), 1e-5)


def test_matches_keras_hub():
    keras_hub = pytest.importorskip("keras_hub")
    x = np.random.default_rng(0).normal(size=(2, 9, 12)).astype("float32")
    for wavelength, start in ((10000, 0), (50, 3)):
        ours = SinusoidalPositionEncoding(max_wavelength=wavelength)(
            x, start_index=start
        )
        hub = keras_hub.layers.SinePositionEncoding(max_wavelength=wavelength)(
            x, start_index=start
        )
        assert_close_to_scale(to_np64(ours), to_np64(hub), 1e-5)


def test_bad_max_wavelength():
    with pytest.raises(ValueError, match="`max_wavelength`"):
        SinusoidalPositionEncoding(max_wavelength=0)
