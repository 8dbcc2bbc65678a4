"""A learned bias added along the last axis (the output bias of tied logits)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import resolve_initializer


@keras_dlkit_export("keras_dlkit.layers.BiasAdd")
class BiasAdd(keras.layers.Layer):
    """Adds a learned bias of shape ``(features,)`` to the last axis.

    A language model whose output projection is tied to its token embedding
    (``keras.layers.ReversibleEmbedding(...)(x, reverse=True)``) has no bias
    of its own; BERT's masked-LM head adds one per vocabulary entry (the
    ``output_bias`` of keras-hub's ``MaskedLMHead``). This layer is that
    bias, so the tied logits stay a functional-model graph of layers.

    Args:
        bias_initializer: Initializer of the bias. Defaults to ``"zeros"``.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.layers import BiasAdd
    >>> layer = BiasAdd(bias_initializer="ones")
    >>> keras.ops.convert_to_numpy(layer(np.zeros((2, 3), "float32"))).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, bias_initializer: Any = "zeros", **kwargs: Any):
        super().__init__(**kwargs)
        self.bias_initializer = resolve_initializer(
            "bias_initializer", bias_initializer
        )

    def build(self, input_shape: tuple) -> None:
        if not input_shape or input_shape[-1] is None:
            raise ValueError(
                f"BiasAdd needs a known last axis, got input shape {input_shape}."
            )
        self.bias = self.add_weight(
            name="bias",
            shape=(int(input_shape[-1]),),
            initializer=self.bias_initializer,
        )

    def call(self, inputs: Any) -> Any:
        return ops.add(inputs, ops.cast(self.bias, inputs.dtype))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
