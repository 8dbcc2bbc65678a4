"""The KL sparsity penalty of sparse autoencoders (Ng's lecture notes)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float


def _kl_sparsity_penalty(activations: Any, target: float, epsilon: float) -> Any:
    """``sum_j KL(target || rho_hat_j)`` with ``rho_hat`` the mean activations.

    ``rho_hat_j`` averages unit ``j`` (the last axis) over every other axis,
    clipped to ``[epsilon, 1 - epsilon]``; the result is a float32 scalar.
    """
    x = ops.cast(activations, "float32")
    axes = tuple(range(len(x.shape) - 1))
    rho_hat = ops.clip(ops.mean(x, axis=axes), epsilon, 1.0 - epsilon)
    rho = target
    return ops.sum(
        rho * ops.log(rho / rho_hat)
        + (1.0 - rho) * ops.log((1.0 - rho) / (1.0 - rho_hat))
    )


@keras_dlkit_export("keras_dlkit.layers.KLSparsityRegularization")
class KLSparsityRegularization(keras.layers.Layer):
    """Identity layer that adds the KL sparsity penalty of a sparse autoencoder.

    From Andrew Ng's CS294A lecture notes "Sparse autoencoder" (2011): with
    ``rho_hat_j`` the average activation of hidden unit ``j`` over the batch,
    the penalty is

    ``weight * sum_j [rho log(rho / rho_hat_j)
    + (1 - rho) log((1 - rho) / (1 - rho_hat_j))]``

    with ``rho = target``: the KL divergence between Bernoulli variables of
    means ``rho`` and ``rho_hat_j``, zero when every unit fires on average
    ``target`` of the time. Put it right after a sigmoid code layer: the
    activations must lie in ``[0, 1]``. Units are the last axis; for a
    feature map the average runs over batch and spatial positions. The
    averages are clipped to ``[epsilon, 1 - epsilon]`` and the penalty is
    computed in float32.

    The penalty is added with ``add_loss`` only in training (``fit()``), so
    ``evaluate()`` reports the reconstruction alone; the output is the input,
    unchanged, in every mode.

    The default ``weight`` (``1e-3``) suits a reconstruction loss that is the
    *mean* squared error over pixels. Ng's notes use ``beta = 3`` with the
    *summed* error ``0.5 * ||x - x_hat||^2``; for ``d`` pixels that is
    ``weight = 2 * beta / d`` here (``7.7e-3`` for 28x28 images), which
    makes the codes sparser at some cost in reconstruction.

    Args:
        target: The desired mean activation ``rho``, in ``(0, 1)``.
        weight: Weight of the penalty (``beta`` in the notes), >= 0.
        epsilon: Clip of ``rho_hat`` away from 0 and 1, in ``(0, 0.5)``.
        **kwargs: Passed to ``keras.layers.Layer``.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.layers import KLSparsityRegularization
    >>> layer = KLSparsityRegularization(target=0.1, weight=1.0)
    >>> codes = np.full((4, 3), 0.1, "float32")
    >>> out = layer(codes, training=True)
    >>> round(float(keras.ops.convert_to_numpy(layer.losses[0])), 6)  # on target
    0.0
    >>> out = layer(codes, training=False)
    >>> layer.losses
    []
    """

    def __init__(
        self,
        target: float = 0.05,
        weight: float = 1e-3,
        epsilon: float = 1e-6,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.target = check_float(
            "target",
            target,
            minimum=0.0,
            maximum=1.0,
            min_inclusive=False,
            max_inclusive=False,
        )
        self.weight = check_float("weight", weight, minimum=0.0)
        self.epsilon = check_float(
            "epsilon",
            epsilon,
            minimum=0.0,
            maximum=0.5,
            min_inclusive=False,
            max_inclusive=False,
        )
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        if len(input_shape) < 2:
            raise ValueError(
                "KLSparsityRegularization needs inputs with a batch axis and a "
                f"unit axis, got input shape {tuple(input_shape)}."
            )
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if training and self.weight > 0.0:
            self.add_loss(
                self.weight * _kl_sparsity_penalty(inputs, self.target, self.epsilon)
            )
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "target": self.target,
            "weight": self.weight,
            "epsilon": self.epsilon,
        }
