"""Fixed sinusoidal position encoding of the original Transformer."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float


@keras_dlkit_export("keras_dlkit.layers.SinusoidalPositionEncoding")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """Sinusoidal position encoding of Vaswani et al. (2017).

    For an input ``(batch, seq, D)`` it returns the encoding (to be *added*
    to the input by the caller) of the same shape:
    ``PE(p, 2i) = sin(p / w ** (2i / D))`` and
    ``PE(p, 2i + 1) = cos(p / w ** (2i / D))`` with ``w = max_wavelength``,
    the numbers of ``keras_hub.layers.SinePositionEncoding``. The layer has
    no weights; the angles are computed in float32 and the result is cast to
    the compute dtype.

    Args:
        max_wavelength: The longest wavelength ``w`` of the sines (``> 0``).
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Call arguments:
        inputs: A ``(batch, seq, D)`` tensor; only its shape is used.
        start_index: Position of the first element (for cached decoding).

    Returns:
        The ``(batch, seq, D)`` encoding.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import SinusoidalPositionEncoding
    >>> pe = SinusoidalPositionEncoding()(np.zeros((1, 3, 4), "float32"))
    >>> pe = np.asarray(pe, dtype="float64")
    >>> np.round(pe[0], 3).tolist()  # position 0 is [0, 1, 0, 1]
    [[0.0, 1.0, 0.0, 1.0], [0.841, 0.54, 0.01, 1.0], [0.909, -0.416, 0.02, 1.0]]
    """

    def __init__(self, max_wavelength: float = 10000, **kwargs: Any):
        super().__init__(**kwargs)
        check_float("max_wavelength", max_wavelength, minimum=0.0, min_inclusive=False)
        self.max_wavelength = max_wavelength
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, start_index: Any = 0) -> Any:
        shape = ops.shape(inputs)
        length, dim = shape[-2], shape[-1]
        positions = ops.arange(length, dtype="float32") + ops.cast(
            start_index, "float32"
        )
        features = ops.arange(dim)
        exponents = ops.cast(2 * (features // 2), "float32") / ops.cast(dim, "float32")
        timescales = ops.power(
            ops.cast(1.0 / self.max_wavelength, "float32"), exponents
        )
        angles = ops.einsum("i,j->ij", positions, timescales)
        is_cos = ops.equal(features % 2, 1)
        encoding = ops.where(is_cos[None, :], ops.cos(angles), ops.sin(angles))
        encoding = ops.cast(encoding, self.compute_dtype)
        return ops.broadcast_to(encoding, shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_wavelength": self.max_wavelength}
