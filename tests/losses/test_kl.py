"""gaussian_kl_divergence against NumPy, a Monte Carlo estimate and edge cases."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.losses import gaussian_kl_divergence


def np_kl(mean, log_var):
    axes = tuple(range(1, mean.ndim))
    return 0.5 * np.sum(np.exp(log_var) + mean**2 - 1.0 - log_var, axis=axes)


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 4, 3), (1, 1)])
def test_matches_numpy_reference(shape):
    rng = np.random.default_rng(0)
    mean = rng.normal(size=shape).astype("float32")
    log_var = rng.normal(scale=0.7, size=shape).astype("float32")
    kl = gaussian_kl_divergence(mean, log_var)
    assert tuple(kl.shape) == (shape[0],)
    np.testing.assert_allclose(to_np(kl), np_kl(mean, log_var), rtol=1e-5, atol=1e-6)


def test_matches_monte_carlo_estimate_of_the_definition():
    # KL(q || p) = E_q[log q(z) - log p(z)], estimated from 400k samples of q.
    mean = np.array([[0.7, -1.2, 0.0]])
    log_var = np.array([[0.3, -0.8, 1.1]])
    std = np.exp(0.5 * log_var)
    z = mean + std * np.random.default_rng(1).standard_normal((400_000, 3))
    log_q = -0.5 * (((z - mean) / std) ** 2 + log_var + np.log(2 * np.pi))
    log_p = -0.5 * (z**2 + np.log(2 * np.pi))
    estimate = np.mean(np.sum(log_q - log_p, axis=1))
    exact = float(to_np(gaussian_kl_divergence(mean, log_var))[0])
    np.testing.assert_allclose(exact, estimate, rtol=1e-2)


def test_zero_only_at_the_prior_and_positive_elsewhere():
    zeros = np.zeros((2, 4), "float32")
    np.testing.assert_array_equal(to_np(gaussian_kl_divergence(zeros, zeros)), 0.0)
    rng = np.random.default_rng(2)
    kl = to_np(
        gaussian_kl_divergence(rng.normal(size=(50, 4)), rng.normal(size=(50, 4)))
    )
    assert np.all(kl > 0)


def test_reduces_in_float32_for_half_precision_inputs():
    mean = keras.ops.full((3, 2), 2.0, dtype="float16")
    log_var = keras.ops.full((3, 2), 8.0, dtype="float16")  # exp(8) = 2981
    kl = gaussian_kl_divergence(mean, log_var)
    assert keras.backend.standardize_dtype(kl.dtype) == "float32"
    expected = 0.5 * 2 * (np.exp(8.0) + 4.0 - 1.0 - 8.0)
    np.testing.assert_allclose(to_np(kl), [expected] * 3, rtol=1e-3)


def test_bad_shapes_raise_value_error():
    with pytest.raises(ValueError, match=r"`z_mean` must have a batch axis"):
        gaussian_kl_divergence(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"`z_log_var` must have the shape"):
        gaussian_kl_divergence(np.zeros((2, 3)), np.zeros((2, 4)))
