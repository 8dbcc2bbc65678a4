"""Learned absolute position embedding."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_int, is_int, resolve_initializer


@keras_dlkit_export("keras_dlkit.layers.PositionEmbedding")
class PositionEmbedding(keras.layers.Layer):
    """A learned embedding per position (BERT, GPT-2, ViT).

    The weight ``embeddings`` has shape ``(sequence_length, D)``, as in
    ``keras_hub.layers.PositionEmbedding``, so weights copy over. Called on a
    ``(batch, seq, D)`` tensor it returns rows ``start_index ..
    start_index + seq - 1`` broadcast to the input's shape (to be *added* by
    the caller).

    Args:
        sequence_length: The longest sequence the layer embeds (``>= 1``).
        initializer: Initializer of the embeddings.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Call arguments:
        inputs: A ``(batch, seq, D)`` tensor; only its shape is used.
        start_index: Position of the first element (for cached decoding).

    Returns:
        The ``(batch, seq, D)`` embeddings.

    Raises:
        ValueError: When a sequence of statically known length (plus
            ``start_index``) is longer than ``sequence_length``.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import PositionEmbedding
    >>> layer = PositionEmbedding(sequence_length=16)
    >>> tuple(layer(np.zeros((2, 10, 8), "float32")).shape)
    (2, 10, 8)
    >>> tuple(layer.embeddings.shape)
    (16, 8)
    """

    def __init__(
        self,
        sequence_length: int,
        initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.sequence_length = check_int("sequence_length", sequence_length, minimum=1)
        self.initializer = resolve_initializer("initializer", initializer)
        self.supports_masking = True
        self.embeddings = None

    def _check_length(self, length: Any, start_index: Any = 0) -> None:
        if length is None or not is_int(start_index):
            return
        if int(length) + start_index > self.sequence_length:
            start = f" starting at position {start_index}" if start_index else ""
            raise ValueError(
                f"a sequence of {int(length)} positions{start} is longer than "
                f"sequence_length={self.sequence_length} (the argument "
                f"`sequence_length` of PositionEmbedding {self.name!r}, which "
                "the transformer builders set from their "
                "`max_sequence_length`)."
            )

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                "`input_shape` of PositionEmbedding must be (batch, ..., seq, "
                f"features) with known features, got {tuple(input_shape)}."
            )
        self._check_length(input_shape[-2])
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.sequence_length, int(input_shape[-1])),
            initializer=self.initializer,
            trainable=True,
        )

    def call(self, inputs: Any, start_index: Any = 0) -> Any:
        shape = ops.shape(inputs)
        self._check_length(inputs.shape[-2], start_index)
        embeddings = ops.cast(self.embeddings, self.compute_dtype)
        embeddings = ops.slice(embeddings, (start_index, 0), (shape[-2], shape[-1]))
        return ops.broadcast_to(embeddings, shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "sequence_length": self.sequence_length,
            "initializer": keras.initializers.serialize(self.initializer),
        }
