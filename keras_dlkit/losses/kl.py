"""Kullback-Leibler divergences used by variational and sparse autoencoders."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_dlkit.api_export import keras_dlkit_export


@keras_dlkit_export("keras_dlkit.losses.gaussian_kl_divergence")
def gaussian_kl_divergence(z_mean: Any, z_log_var: Any) -> Any:
    """KL divergence of ``N(z_mean, diag(exp(z_log_var)))`` to ``N(0, I)``.

    The closed form of Kingma & Welling (2014), appendix B, per sample::

        KL = -0.5 * sum(1 + z_log_var - z_mean**2 - exp(z_log_var))

    summed over every axis but the first (batch) one, so a latent of any
    shape (a vector, or a feature map) counts as one multivariate Gaussian.
    Computed in float32 whatever the input dtype. Reduce over the batch
    yourself (the mean gives the KL term of the negative ELBO).

    Args:
        z_mean: Means, shape ``(batch, ...)``.
        z_log_var: Log-variances, the same shape.

    Returns:
        A float32 tensor of shape ``(batch,)``.

    Raises:
        ValueError: If an input has fewer than 2 axes or the static shapes
            differ.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.losses import gaussian_kl_divergence
    >>> kl = gaussian_kl_divergence(np.array([[0.0, 0.0], [1.0, 0.0]]),
    ...                             np.zeros((2, 2)))
    >>> np.round(keras.ops.convert_to_numpy(kl), 4).tolist()  # N(0, I), 0.5 * 1**2
    [0.0, 0.5]
    """
    z_mean = ops.cast(ops.convert_to_tensor(z_mean), "float32")
    z_log_var = ops.cast(ops.convert_to_tensor(z_log_var), "float32")
    mean_shape, log_var_shape = tuple(z_mean.shape), tuple(z_log_var.shape)
    if len(mean_shape) < 2:
        raise ValueError(
            "`z_mean` must have a batch axis and at least one latent axis, got "
            f"shape {mean_shape}."
        )
    if len(log_var_shape) != len(mean_shape) or not all(
        a is None or b is None or a == b
        for a, b in zip(mean_shape, log_var_shape, strict=True)
    ):
        raise ValueError(
            "`z_log_var` must have the shape of `z_mean` "
            f"{mean_shape}, got {log_var_shape}."
        )
    terms = ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var
    return 0.5 * ops.sum(terms, axis=tuple(range(1, len(mean_shape))))
