"""GAN losses on logits against NumPy float64 formulas, including extreme logits."""

import keras
import numpy as np
import pytest
from _tolerance import assert_close_to_scale
from keras import ops

from keras_dlkit.losses import (
    gradient_penalty,
    hinge_discriminator_loss,
    hinge_generator_loss,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
    r1_penalty,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)


def to_float(x):
    return float(ops.convert_to_numpy(x))


def np_log_sigmoid(x):
    # log(1 / (1 + exp(-x))), computed the slow, obvious way in float64 where
    # it is finite and with the asymptote where exp overflows.
    x = np.asarray(x, np.float64)
    with np.errstate(over="ignore"):
        naive = -np.log1p(np.exp(-x))
    return np.where(x < -700, x, naive)


def logits(seed, shape=(6, 1), scale=3.0):
    return (scale * np.random.default_rng(seed).normal(size=shape)).astype("float32")


EXTREME = np.array([[-200.0], [-30.0], [0.0], [30.0], [200.0]], dtype="float32")


@pytest.mark.parametrize(
    "real, fake",
    [
        (logits(0), logits(1)),
        (logits(2, (3, 4, 4, 1)), logits(3, (5, 2, 2, 1))),  # PatchGAN maps
        (EXTREME, EXTREME[::-1].copy()),
    ],
    ids=["vectors", "patch_maps", "extreme"],
)
def test_non_saturating_losses_match_binary_cross_entropy(real, fake):
    expected_d = -np.mean(np_log_sigmoid(real)) - np.mean(np_log_sigmoid(-fake))
    expected_g = -np.mean(np_log_sigmoid(fake))
    d = to_float(non_saturating_discriminator_loss(real, fake))
    g = to_float(non_saturating_generator_loss(fake))
    assert np.isfinite(d) and np.isfinite(g)
    np.testing.assert_allclose(d, expected_d, rtol=1e-5)
    np.testing.assert_allclose(g, expected_g, rtol=1e-5)


def test_non_saturating_discriminator_loss_equals_keras_bce_from_logits():
    real, fake = logits(4, (8, 1)), logits(5, (8, 1))
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    expected = to_float(bce(np.ones_like(real), real)) + to_float(
        bce(np.zeros_like(fake), fake)
    )
    np.testing.assert_allclose(
        to_float(non_saturating_discriminator_loss(real, fake)), expected, rtol=1e-5
    )


def test_non_saturating_losses_stay_finite_in_float16():
    real = np.array([[-60000.0], [60000.0]], dtype="float16")
    fake = real[::-1].copy()
    d = non_saturating_discriminator_loss(real, fake)
    g = non_saturating_generator_loss(fake)
    assert ops.convert_to_numpy(d).dtype == np.float32
    np.testing.assert_allclose(to_float(d), 60000.0, rtol=1e-3)  # 0 + 2*60000/2
    np.testing.assert_allclose(to_float(g), 30000.0, rtol=1e-3)


def test_hinge_losses_match_numpy():
    real, fake = logits(6, (7, 1)), logits(7, (7, 1))
    expected_d = np.mean(np.maximum(0, 1 - real.astype(np.float64))) + np.mean(
        np.maximum(0, 1 + fake.astype(np.float64))
    )
    np.testing.assert_allclose(
        to_float(hinge_discriminator_loss(real, fake)), expected_d, rtol=1e-6
    )
    # -mean(fake) can cancel: compared at the scale of the logits.
    assert_close_to_scale(
        to_float(hinge_generator_loss(fake)),
        -np.mean(fake, dtype=np.float64),
        rel=1e-6,
        scale=np.abs(fake).max(),
    )


def test_wasserstein_losses_match_numpy():
    real, fake = logits(8, (7, 1)), logits(9, (5, 1))
    expected_d = np.mean(fake, dtype=np.float64) - np.mean(real, dtype=np.float64)
    # Means and their difference can cancel: compared at the scale of the logits.
    scale = max(np.abs(real).max(), np.abs(fake).max())
    assert_close_to_scale(
        to_float(wasserstein_discriminator_loss(real, fake)),
        expected_d,
        rel=1e-6,
        scale=scale,
    )
    assert_close_to_scale(
        to_float(wasserstein_generator_loss(fake)),
        -np.mean(fake, dtype=np.float64),
        rel=1e-6,
        scale=scale,
    )


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 3, 2)])
@pytest.mark.parametrize("target", [1.0, 0.5])
def test_gradient_penalty_matches_numpy(shape, target):
    grads = np.random.default_rng(10).normal(size=shape).astype("float32")
    norms = np.sqrt(
        np.sum(grads.astype(np.float64) ** 2, axis=tuple(range(1, len(shape))))
    )
    expected = np.mean((norms - target) ** 2)
    np.testing.assert_allclose(
        to_float(gradient_penalty(grads, target=target)), expected, rtol=1e-5
    )


def test_gradient_penalty_of_zero_gradients_is_target_squared():
    penalty = to_float(gradient_penalty(np.zeros((3, 4), "float32")))
    np.testing.assert_allclose(penalty, 1.0, rtol=1e-5)


def test_gradient_penalty_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"`gradients` must have a batch axis.*\(3,\)"):
        gradient_penalty(np.ones((3,), "float32"))
    with pytest.raises(ValueError, match=r"`target` must be a finite number in \[0.0"):
        gradient_penalty(np.ones((3, 2), "float32"), target=-1.0)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2, 2)])
def test_r1_penalty_matches_numpy(shape):
    g = np.random.default_rng(3).normal(size=shape).astype("float32")
    expected = np.mean(np.sum(g.astype(np.float64) ** 2, axis=tuple(range(1, g.ndim))))
    np.testing.assert_allclose(to_float(r1_penalty(g)), expected, rtol=1e-6)
    assert to_float(r1_penalty(np.zeros(shape, "float16"))) == 0.0


def test_r1_penalty_rejects_gradients_without_a_sample_axis():
    with pytest.raises(ValueError, match="batch axis"):
        r1_penalty(np.ones(3, "float32"))
