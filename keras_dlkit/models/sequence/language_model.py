"""A recurrent language model: token ids in, next-token logits at every position."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.sequence._recurrent import check_cell, recurrent_layer
from keras_dlkit.utils.validation import check_float, check_int


def _test_token_ids(rng: Any, batch_size: int) -> np.ndarray:
    """Token ids ``(batch_size, 7)`` for the registry test's configuration."""
    return rng.integers(0, 11, size=(batch_size, 7)).astype("int32")


@register_model(
    "rnn_language_model",
    family="sequence",
    test_config={
        "vocabulary_size": 11,
        "embedding_dim": 4,
        "units": 8,
        "depth": 2,
        "cell": "gru",
    },
    test_input_shape=(7,),
    test_inputs=_test_token_ids,
)
@keras_dlkit_export("keras_dlkit.models.rnn_language_model")
def rnn_language_model(
    vocabulary_size: int,
    embedding_dim: int = 64,
    cell: str = "lstm",
    units: int = 256,
    depth: int = 1,
    dropout: float = 0.0,
    name: str = "rnn_language_model",
) -> keras.Model:
    """A recurrent language model: ``Embedding -> depth x RNN -> Dense``.

    Reads token ids ``(batch, T)`` and returns, at every position ``t``, the
    **logits** (not probabilities) of the token at ``t + 1``, shape ``(batch,
    T, vocabulary_size)``. Train it on ``x = ids[:, :-1]``, ``y = ids[:,
    1:]`` with ``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``.
    The vocabulary is whatever the ids index: characters for a
    character-level model, words or subwords for a word-level one.

    There is no mask: id 0 is a token like any other. The model is causal
    (position ``t`` sees only tokens ``<= t``), so padding *after* the
    tokens (right-padding) never changes the logits of the real positions;
    leave the padded positions out of the loss with a ``sample_weight`` of 0.

    Layers: ``"embedding"``, recurrent layers ``"rnn_0"`` ... ``"rnn_{depth-1}"``
    (Keras's ``SimpleRNN``, ``LSTM`` or ``GRU`` on the settings of its fused
    cuDNN kernel; ``dropout`` is their input dropout), a
    ``Dropout`` named ``"output_dropout"`` when ``dropout > 0``, and the
    ``Dense`` head ``"logits"``. Generate text with
    :func:`keras_dlkit.models.rnn_generate`, which carries each layer's
    state from step to step instead of re-reading the prefix.

    Args:
        vocabulary_size: Number of token ids (>= 1); ids run from 0 to
            ``vocabulary_size - 1``.
        embedding_dim: Width of the token embedding (>= 1).
        cell: ``"lstm"``, ``"gru"`` or ``"simple"`` (Elman RNN).
        units: Width of each recurrent layer's state (>= 1).
        depth: Number of stacked recurrent layers (>= 1).
        dropout: Dropout rate in ``[0, 1)`` on the input of every recurrent
            layer and of the head.
        name: Model name.

    Returns:
        A functional ``keras.Model``: int token ids ``(batch, T)`` to logits
        ``(batch, T, vocabulary_size)``.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import rnn_language_model
    >>> model = rnn_language_model(vocabulary_size=30, embedding_dim=8, units=16)
    >>> model.output_shape
    (None, None, 30)
    >>> model.count_params()  # 30*8 + 4*(8*16 + 16*16 + 16) + 16*30 + 30
    2350
    >>> logits = model(np.array([[3, 1, 4, 1, 5]], "int32"))
    >>> tuple(logits.shape)
    (1, 5, 30)
    """
    vocabulary_size = check_int("vocabulary_size", vocabulary_size, minimum=1)
    embedding_dim = check_int("embedding_dim", embedding_dim, minimum=1)
    cell = check_cell(cell)
    units = check_int("units", units, minimum=1)
    depth = check_int("depth", depth, minimum=1)
    dropout = check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    name = check_name(name)

    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")(inputs)
    for i in range(depth):
        x = recurrent_layer(
            cell, units, name=f"rnn_{i}", return_sequences=True, dropout=dropout
        )(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="output_dropout")(x)
    logits = keras.layers.Dense(vocabulary_size, name="logits")(x)
    return keras.Model(inputs, logits, name=name)
