"""Rotary position embedding (RoPE): rotate feature pairs by position-dependent angles."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float, check_int


@keras_dlkit_export("keras_dlkit.layers.RotaryEmbedding")
class RotaryEmbedding(keras.layers.Layer):
    """Rotary position embedding of Su et al. (2021, RoFormer), rotate-half form.

    The feature axis (size ``D``, even) is split into halves ``x1, x2``;
    position ``p`` rotates each pair ``(x1[i], x2[i])`` by the angle
    ``p / scaling_factor * max_wavelength ** (-2 i / D)``:
    ``x * cos + concat([-x2, x1]) * sin``. This is the convention and the
    arithmetic of ``keras_hub.layers.RotaryEmbedding`` (linear scaling) and of
    GPT-NeoX / Llama, so the outputs agree with keras-hub's to float32
    rounding. The layer has no weights.

    Args:
        max_wavelength: The longest wavelength of the sines (``> 0``).
        scaling_factor: Positions are divided by it (linear RoPE scaling,
            ``>= 1`` stretches the context); ``> 0``.
        sequence_axis: Axis of the positions in the input.
        feature_axis: Axis of the rotated features in the input.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Call arguments:
        inputs: A tensor with a sequence and a feature axis, such as
            ``(batch, seq, features)`` or ``(batch, seq, heads, head_dim)``.
        start_index: Position of the first element of the sequence (an
            integer or a scalar integer tensor), for cached decoding.

    Returns:
        The rotated tensor, with the shape and dtype of ``inputs``.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import RotaryEmbedding
    >>> x = np.ones((2, 5, 4, 8), "float32")  # (batch, seq, heads, head_dim)
    >>> y = RotaryEmbedding()(x)
    >>> tuple(y.shape)
    (2, 5, 4, 8)
    >>> bool(np.allclose(np.asarray(y)[:, 0], x[:, 0]))  # position 0: no turn
    True
    """

    def __init__(
        self,
        max_wavelength: float = 10000,
        scaling_factor: float = 1.0,
        sequence_axis: int = 1,
        feature_axis: int = -1,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        check_float("max_wavelength", max_wavelength, minimum=0.0, min_inclusive=False)
        check_float("scaling_factor", scaling_factor, minimum=0.0, min_inclusive=False)
        check_int("sequence_axis", sequence_axis)
        check_int("feature_axis", feature_axis)
        self.max_wavelength = max_wavelength
        self.scaling_factor = scaling_factor
        self.sequence_axis = sequence_axis
        self.feature_axis = feature_axis
        self.supports_masking = True
        self.built = True

    def _axes(self, rank: int) -> tuple[int, int]:
        sequence_axis = self.sequence_axis % rank if rank else 0
        feature_axis = self.feature_axis % rank if rank else 0
        if not (
            -rank <= self.sequence_axis < rank and -rank <= self.feature_axis < rank
        ):
            raise ValueError(
                f"`sequence_axis`={self.sequence_axis} and `feature_axis`="
                f"{self.feature_axis} must be axes of an input of rank {rank}."
            )
        if sequence_axis == feature_axis or sequence_axis == 0 or feature_axis == 0:
            raise ValueError(
                f"`sequence_axis`={self.sequence_axis} and `feature_axis`="
                f"{self.feature_axis} must be two different non-batch axes of an "
                f"input of rank {rank}."
            )
        return sequence_axis, feature_axis

    def build(self, input_shape: tuple) -> None:
        _, feature_axis = self._axes(len(input_shape))
        size = input_shape[feature_axis]
        if size is not None and size % 2:
            raise ValueError(
                "RotaryEmbedding rotates pairs of features: the input's "
                f"`feature_axis`={self.feature_axis} must have an even size, got "
                f"{size} (input shape {tuple(input_shape)})."
            )

    def call(self, inputs: Any, start_index: Any = 0) -> Any:
        rank = len(inputs.shape)
        sequence_axis, feature_axis = self._axes(rank)
        x = ops.moveaxis(inputs, (feature_axis, sequence_axis), (-1, 1))
        cos, sin = self.cos_sin(ops.shape(x)[1], ops.shape(x)[-1], start_index)
        # (seq, dim) -> (1, seq, 1, ..., 1, dim) against (batch, seq, ..., dim).
        middle = (1,) * (rank - 3)
        cos = ops.reshape(cos, (1, ops.shape(cos)[0], *middle, ops.shape(cos)[1]))
        sin = ops.reshape(sin, (1, ops.shape(sin)[0], *middle, ops.shape(sin)[1]))
        x1, x2 = ops.split(x, 2, axis=-1)
        rotated = ops.concatenate([-x2, x1], axis=-1)
        output = x * cos + rotated * sin
        return ops.moveaxis(output, (-1, 1), (feature_axis, sequence_axis))

    def cos_sin(self, length: Any, dim: int, start_index: Any = 0) -> tuple:
        """The ``(length, dim)`` cosines and sines, in the compute dtype.

        Args:
            length: Number of positions.
            dim: Size of the rotated feature axis (even).
            start_index: The first position.

        Returns:
            ``(cos, sin)``, each ``(length, dim)``.
        """
        inverse_freq = ops.power(
            ops.cast(self.max_wavelength, "float32"),
            -ops.arange(0, dim, 2, dtype="float32") / ops.cast(dim, "float32"),
        ) / ops.cast(self.scaling_factor, "float32")
        positions = ops.arange(length, dtype="float32") + ops.cast(
            start_index, "float32"
        )
        freq = ops.einsum("i,j->ij", positions, inverse_freq)
        angles = ops.concatenate([freq, freq], axis=-1)
        return (
            ops.cast(ops.cos(angles), self.compute_dtype),
            ops.cast(ops.sin(angles), self.compute_dtype),
        )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_wavelength": self.max_wavelength,
            "scaling_factor": self.scaling_factor,
            "sequence_axis": self.sequence_axis,
            "feature_axis": self.feature_axis,
        }
