"""Stochastic depth: drop a whole residual branch, per sample."""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float, check_int


@keras_dlkit_export("keras_dlkit.layers.DropPath")
class DropPath(keras.layers.Layer):
    """Stochastic depth (Huang et al., 2016): drop the input, per sample.

    In training each sample of the batch is zeroed with probability ``rate``
    and the kept samples are scaled by ``1 / (1 - rate)``, so the expected
    value is unchanged; in inference the layer is the identity. Put it on the
    residual branch, before the addition: a dropped sample then goes through
    the shortcut alone, which trains a random shallower network each step
    (Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016).

    This is what ``keras.applications`` EfficientNet writes as
    ``Dropout(rate, noise_shape=(None, 1, 1, 1))``, for inputs of any rank:
    the mask has shape ``(batch, 1, ..., 1)``.

    Args:
        rate: Probability of dropping a sample, in ``[0, 1)``.
        seed: Integer seed of the layer's ``keras.random.SeedGenerator``, or
            ``None``.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import DropPath
    >>> layer = DropPath(0.5, seed=0)
    >>> x = np.ones((8, 2, 2, 3), "float32")
    >>> bool((np.asarray(layer(x, training=False)) == x).all())
    True
    >>> y = np.asarray(layer(x, training=True))
    >>> sorted(set(np.unique(y).tolist()) - {0.0, 2.0})
    []
    """

    def __init__(self, rate: float = 0.0, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.rate = check_float(
            "rate", rate, minimum=0.0, maximum=1.0, max_inclusive=False
        )
        if seed is not None:
            check_int("seed", seed, minimum=0)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training or self.rate == 0:
            return inputs
        noise_shape = (None,) + (1,) * (len(inputs.shape) - 1)
        return keras.random.dropout(
            inputs, self.rate, noise_shape=noise_shape, seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
