"""Style-transfer losses against NumPy references (Gatys et al. 2016)."""

import numpy as np
import pytest
from _helpers import to_np
from _tolerance import assert_close_to_scale

from keras_dlkit.losses import (
    content_loss,
    gram_matrix,
    style_loss,
    total_variation_loss,
)

# Drawn once at import; a test that needs more draws from its `rng` fixture.
A, B = np.random.default_rng(0).normal(size=(2, 2, 5, 4, 3)).astype("float32")


def np_gram(f):
    flat = f.reshape(f.shape[0], -1, f.shape[-1])  # (batch, M, N)
    return np.einsum("bmc,bmd->bcd", flat, flat)


def test_gram_matrix():
    # Off-diagonal entries are sums of cancelling products (one is -0.0053
    # among entries up to 25.7): compared at the scale of the whole matrix.
    assert_close_to_scale(to_np(gram_matrix(A, normalize=False)), np_gram(A))
    assert_close_to_scale(to_np(gram_matrix(A)), np_gram(A) / 20)


def test_style_loss_is_gatys_e_l(rng):
    n, m = 3, 20
    expected = np.sum((np_gram(A) - np_gram(B)) ** 2, axis=(1, 2)) / (4 * n**2 * m**2)
    np.testing.assert_allclose(to_np(style_loss(A, B)), expected, rtol=1e-5)
    # A style image of another size: normalised grams are compared.
    big = rng.normal(size=(1, 8, 6, 3)).astype("float32")
    expected = np.sum((np_gram(big) / 48 - np_gram(B) / 20) ** 2, axis=(1, 2)) / 36
    np.testing.assert_allclose(to_np(style_loss(big, B)), expected, rtol=1e-5)


def test_content_loss():
    expected = 0.5 * np.sum((A - B) ** 2, axis=(1, 2, 3))
    np.testing.assert_allclose(to_np(content_loss(A, B)), expected, rtol=1e-5)


@pytest.mark.parametrize("beta", [2.0, 2.5, 1.0])
def test_total_variation(beta):
    dy = A[:, 1:, :-1, :] - A[:, :-1, :-1, :]
    dx = A[:, :-1, 1:, :] - A[:, :-1, :-1, :]
    expected = np.sum(np.sum(dy**2 + dx**2, -1) ** (beta / 2), axis=(1, 2))
    np.testing.assert_allclose(
        to_np(total_variation_loss(A, beta=beta)), expected, rtol=1e-4
    )
    assert (
        float(to_np(total_variation_loss(np.ones((1, 4, 4, 3)), beta=beta))[0]) < 1e-5
    )


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="`features`"):
        gram_matrix(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="`beta`"):
        total_variation_loss(A, beta=0.0)
    with pytest.raises(ValueError, match="`content_features`"):
        content_loss(np.zeros((2, 2)), B)
