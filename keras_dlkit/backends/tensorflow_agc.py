"""Adaptive gradient clipping's unit norms in one TensorFlow op (the tensorflow backend)."""

from __future__ import annotations

from typing import Any

import tensorflow as tf


def unit_norms(x: Any) -> Any:
    """L2 norm per unit (every axis but the last), in float32, as a vector.

    ``EuclideanNorm`` reads the tensor once and writes nothing big, where
    ``keras.ops`` squares and sums in two kernels with a full-size tensor
    between them.
    """
    x = tf.cast(x, "float32")
    axes = None if len(x.shape) <= 1 else tuple(range(len(x.shape) - 1))
    return tf.reshape(tf.math.reduce_euclidean_norm(x, axis=axes), (-1,))
