"""Minibatch standard deviation (ProGAN, StyleGAN2)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float, check_int


def _group_size(batch: Any, group_size: int) -> Any:
    """The largest divisor of ``batch`` that is <= ``min(group_size, batch)``."""
    if isinstance(batch, int):
        for size in range(min(group_size, batch), 0, -1):
            if batch % size == 0:
                return size
        return 1
    # Batch size only known when the step runs (TensorFlow graphs).
    candidates = ops.arange(1, group_size + 1, dtype="int32")
    batch = ops.cast(batch, "int32")
    valid = ops.logical_and(
        ops.equal(ops.mod(batch, candidates), 0), candidates <= batch
    )
    return ops.max(ops.where(valid, candidates, ops.ones_like(candidates)))


@keras_dlkit_export("keras_dlkit.layers.MinibatchStdDev")
class MinibatchStdDev(keras.layers.Layer):
    """Append the minibatch standard deviation as extra feature maps.

    The formula of ProGAN (Karras et al., 2018) as written in the official
    StyleGAN2 code: split the batch of ``N`` samples into groups of ``G``
    (sample ``i`` belongs to group ``i mod (N / G)``), split the ``C``
    channels into ``num_features`` groups; per group of samples, compute the
    standard deviation of each feature over the group,
    ``sqrt(var + epsilon)``, average it over the pixels and the channels of a
    channel group, and append the result, broadcast over the pixels, as
    ``num_features`` new channels to every sample of the group. A
    discriminator sees how varied a batch is, which discourages mode
    collapse.

    ``G = min(group_size, N)`` as in the official code, which requires ``N``
    to be divisible by ``G``; here, when it is not (say the last, smaller
    batch of an epoch), ``G`` is the largest divisor of ``N`` below that, so
    no batch size fails (``G = 1`` gives a feature of ``sqrt(epsilon)``). The
    statistics are computed in float32.

    Args:
        group_size: Samples per group (>= 1).
        num_features: Number of appended channels (>= 1); must divide the
            number of input channels.
        epsilon: Added to the variance (> 0).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np, keras
    >>> from keras_dlkit.layers import MinibatchStdDev
    >>> x = np.zeros((8, 4, 4, 6), "float32")
    >>> x[:4] = 2.0  # groups {0, 2, 4, 6} and {1, 3, 5, 7}: two 2s, two 0s
    >>> y = keras.ops.convert_to_numpy(MinibatchStdDev(group_size=4)(x))
    >>> y.shape
    (8, 4, 4, 7)
    >>> bool(np.allclose(y[..., -1], 1.0))  # population std of (2, 2, 0, 0)
    True
    """

    def __init__(
        self,
        group_size: int = 4,
        num_features: int = 1,
        epsilon: float = 1e-8,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.group_size = check_int("group_size", group_size, minimum=1)
        self.num_features = check_int("num_features", num_features, minimum=1)
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0, min_inclusive=False)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "MinibatchStdDev expects inputs of shape (batch, height, width, "
                f"channels) with known channels, got {input_shape}."
            )
        if input_shape[-1] % self.num_features:
            raise ValueError(
                f"`num_features` ({self.num_features}) must divide the number of "
                f"input channels, got input shape {input_shape}."
            )

    def call(self, inputs: Any) -> Any:
        shape = ops.shape(inputs)
        batch, height, width, channels = shape
        features = self.num_features
        group = _group_size(batch, self.group_size)
        x = ops.cast(inputs, "float32")
        y = ops.reshape(x, (group, -1, height, width, features, channels // features))
        y = y - ops.mean(y, axis=0, keepdims=True)
        y = ops.sqrt(ops.mean(ops.square(y), axis=0) + self.epsilon)
        y = ops.mean(y, axis=(1, 2, 4))  # (batch / group, features)
        y = ops.tile(y, (group, 1))  # sample i reads row i mod (batch / group)
        y = ops.reshape(y, (-1, 1, 1, features))
        y = ops.broadcast_to(y, (batch, height, width, features))
        return ops.concatenate([inputs, ops.cast(y, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], input_shape[-1] + self.num_features)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "group_size": self.group_size,
            "num_features": self.num_features,
            "epsilon": self.epsilon,
        }
