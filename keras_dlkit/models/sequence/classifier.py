"""Recurrent sequence classifier: token ids -> embedding -> RNN stack -> class."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.sequence._stacks import check_stack_arguments, recurrent_stack
from keras_dlkit.utils.validation import check_int, resolve_activation


def _test_token_ids(rng: Any, batch_size: int) -> np.ndarray:
    """Token ids ``(batch_size, 7)`` in ``1..19``, every other row right-padded."""
    ids = rng.integers(1, 20, size=(batch_size, 7)).astype("int32")
    for row in range(1, batch_size, 2):
        ids[row, int(rng.integers(2, 7)) :] = 0
    return ids


@register_model(
    "rnn_classifier",
    family="sequence",
    test_config={
        "vocabulary_size": 20,
        "num_classes": 3,
        "cell": "gru",
        "units": 4,
        "depth": 2,
        "bidirectional": True,
        "embedding_dim": 4,
    },
    test_input_shape=(7,),
    test_inputs=_test_token_ids,
)
@keras_dlkit_export("keras_dlkit.models.rnn_classifier")
def rnn_classifier(
    vocabulary_size: int,
    num_classes: int,
    cell: str = "lstm",
    units: int = 64,
    depth: int = 1,
    bidirectional: bool = False,
    dropout: float = 0.0,
    embedding_dim: int = 64,
    classifier_activation: Any = "softmax",
    name: str = "rnn_classifier",
) -> keras.Model:
    """A recurrent classifier of token sequences (sentiment, topic, ...).

    ``Embedding(mask_zero=True) -> depth x [Bidirectional](SimpleRNN | LSTM |
    GRU) -> [Dropout] -> Dense``. The input is a batch of integer token ids of
    any length, ``(batch, timesteps)``; id 0 is padding. The embedding masks
    it, so every recurrent stage skips the padded steps and the classifier
    reads the state after the last real token: a sequence padded with zeros
    gives the same prediction as the sequence alone, and batches of reviews of
    different lengths need no bucketing. Pad on the right (after the tokens;
    ``keras.layers.TextVectorization`` and
    ``keras.utils.pad_sequences(..., padding="post")`` do).

    Stages are named ``stage_0``, ``stage_1``, ... (the recurrent layer, or
    its ``Bidirectional`` wrapper), so ``model.get_layer("stage_0").output``
    reads the first stage. Every stage but the last returns its whole
    sequence; the last returns its final output.

    cuDNN: the defaults keep Keras's fused cuDNN kernel on a GPU (LSTM and
    GRU with tanh/sigmoid activations, no recurrent dropout, a right-padded
    mask). ``cell="simple"`` has no fused kernel; ``dropout`` (on each
    stage's inputs) and ``bidirectional`` keep it; a left-padded batch makes
    Keras fall back to the generic kernel.

    Args:
        vocabulary_size: Number of token ids, padding included (>= 2): ids
            are in ``[0, vocabulary_size)``.
        num_classes: Output units (>= 1): the number of classes, or 1 for a
            binary task with ``classifier_activation="sigmoid"``.
        cell: ``"simple"`` (Elman RNN), ``"lstm"`` or ``"gru"``.
        units: State width of each recurrent layer (each direction when
            bidirectional), >= 1.
        depth: Number of stacked recurrent layers, >= 1.
        bidirectional: Read each stage forwards and backwards and concatenate
            the two (``2 * units`` features).
        dropout: Rate in ``[0, 1)`` of dropout on the inputs of every
            recurrent stage and before the head.
        embedding_dim: Width of the token embedding, >= 1.
        classifier_activation: Activation of the head (``"softmax"``,
            ``"sigmoid"``, ``None`` for logits, ...).
        name: Model name.

    Returns:
        A functional ``keras.Model`` from int32 ``(batch, timesteps)`` to
        ``(batch, num_classes)``.

    Raises:
        ValueError: For an argument out of range; the message names it.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import rnn_classifier
    >>> model = rnn_classifier(1000, num_classes=2, cell="gru", units=16,
    ...                        depth=2, bidirectional=True, embedding_dim=8)
    >>> model.input_shape, model.output_shape
    ((None, None), (None, 2))
    >>> tokens = np.array([[5, 9, 2, 0, 0], [7, 3, 3, 8, 1]], "int32")
    >>> model.predict(tokens, verbose=0).shape
    (2, 2)
    """
    check_int("vocabulary_size", vocabulary_size, minimum=2)
    check_int("num_classes", num_classes, minimum=1)
    dropout = check_stack_arguments(cell, units, depth, bidirectional, dropout)
    check_int("embedding_dim", embedding_dim, minimum=1)
    head_activation = resolve_activation("classifier_activation", classifier_activation)
    name = check_name(name)

    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(
        vocabulary_size, embedding_dim, mask_zero=True, name="embedding"
    )(inputs)
    x = recurrent_stack(
        x,
        cell=cell,
        units=units,
        depth=depth,
        bidirectional=bidirectional,
        dropout=dropout,
    )
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(
        num_classes, activation=head_activation, name="predictions"
    )(x)
    return keras.Model(inputs, outputs, name=name)
