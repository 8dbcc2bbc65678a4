"""A learned class token prepended to a sequence (ViT's ``[class]`` token)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import resolve_initializer


@keras_dlkit_export("keras_dlkit.layers.ClassToken")
class ClassToken(keras.layers.Layer):
    """Prepends one learned token to a sequence: ``(B, N, D) -> (B, N + 1, D)``.

    The token of ViT (Dosovitskiy et al., 2021) and BERT's ``[CLS]``: after
    the encoder, the output at position 0 summarises the sequence and feeds
    the classifier. The weight ``class_token`` has shape ``(1, 1, D)``, the
    shape of keras-hub's ``ViTBackbone`` class token, so weights copy 1:1.

    Args:
        initializer: Initializer of the token. Defaults to
            ``"random_normal"`` (keras-hub ViT's).
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.layers import ClassToken
    >>> layer = ClassToken(initializer="ones")
    >>> y = keras.ops.convert_to_numpy(layer(np.zeros((2, 4, 3), "float32")))
    >>> y.shape, y[:, 0].tolist(), float(abs(y[:, 1:]).max())
    ((2, 5, 3), [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], 0.0)
    """

    def __init__(self, initializer: Any = "random_normal", **kwargs: Any):
        super().__init__(**kwargs)
        self.initializer = resolve_initializer("initializer", initializer)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                "ClassToken expects inputs of shape (batch, tokens, features) "
                f"with a known feature size, got {input_shape}."
            )
        self.class_token = self.add_weight(
            name="class_token",
            shape=(1, 1, int(input_shape[-1])),
            initializer=self.initializer,
        )

    def call(self, inputs: Any) -> Any:
        token = ops.cast(self.class_token, inputs.dtype)
        token = ops.broadcast_to(token, (ops.shape(inputs)[0], 1, inputs.shape[-1]))
        return ops.concatenate([token, inputs], axis=1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        tokens = None if input_shape[1] is None else input_shape[1] + 1
        return (input_shape[0], tokens, input_shape[2])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initializer": keras.initializers.serialize(self.initializer),
        }
