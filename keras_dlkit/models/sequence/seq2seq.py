"""Encoder-decoder (sequence-to-sequence) builder with Bahdanau or Luong attention.

The training model is teacher-forced: the decoder reads the target shifted
right (a start token, then the target without its last token) and predicts
the target. :mod:`keras_dlkit.models.sequence.seq2seq_decoding` rebuilds an
encoder and a one-step decoder from the same layers for generation.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.sequence._recurrent import (
    check_cell,
    num_states,
    recurrent_layer,
)
from keras_dlkit.utils.validation import check_choice, check_float, check_int

ATTENTIONS = ("bahdanau", "luong", None)


def _seq2seq_test_inputs(rng: Any, batch_size: int) -> list[Any]:
    """Source and decoder-input ids for the registry test, right-padded with 0."""
    source = rng.integers(1, 11, size=(batch_size, 6)).astype("int32")
    target = rng.integers(1, 9, size=(batch_size, 5)).astype("int32")
    source[0, 4:] = 0
    target[-1, 3:] = 0
    return [source, target]


def encode(layers: dict[str, keras.layers.Layer], source: Any, config: dict) -> Any:
    """Run the encoder layers on ``source``: its outputs and the decoder's states.

    Shared by the builder and the inference models, so both call the same
    layers the same way. ``layers`` maps layer names to layers.
    """
    n = num_states(config["cell"])
    x = layers["source_embedding"](source)
    initial_states = []
    for i in range(config["depth"]):
        outputs = layers[f"encoder_rnn_{i}"](x)
        x, states = outputs[0], list(outputs[1:])
        if config["bidirectional_encoder"]:
            merged = []
            for j in range(n):
                both = layers[f"encoder_state_concat_{i}_{j}"](
                    [states[j], states[n + j]]
                )
                merged.append(layers[f"encoder_state_{i}_{j}"](both))
            states = merged
        initial_states.append(states)
    return x, initial_states


def decode(
    layers: dict[str, keras.layers.Layer],
    decoder_inputs: Any,
    initial_states: list[list[Any]],
    encoder_outputs: Any,
    config: dict,
    source_mask: Any = None,
) -> tuple[Any, list[list[Any]], Any]:
    """Run the decoder layers: logits, the final RNN states, attention weights.

    ``source_mask`` is passed to the attention explicitly when given (the
    one-step decoder, whose encoder outputs are a plain input); otherwise the
    attention reads the mask Keras propagates from the source embedding.
    The attention is always called with ``return_attention_scores=True``:
    Keras 3.15's attention layers keep that flag from their last call, and a
    later symbolic call that asks for the weights after one that did not
    gives a weights tensor the functional graph cannot trace ("Output ... is
    not connected to `inputs`").
    """
    x = layers["target_embedding"](decoder_inputs)
    final_states = []
    for i in range(config["depth"]):
        outputs = layers[f"decoder_rnn_{i}"](x, initial_state=initial_states[i])
        x, states = outputs[0], list(outputs[1:])
        final_states.append(states)
    scores = None
    if config["attention"] is not None:
        key = layers["attention_key"](encoder_outputs)
        query = x
        if config["attention"] == "bahdanau":
            query = layers["attention_query"](x)
        kwargs = {"mask": [None, source_mask]} if source_mask is not None else {}
        context, scores = layers["attention"](
            [query, encoder_outputs, key], return_attention_scores=True, **kwargs
        )
        x = layers["attention_concat"]([context, x])
        x = layers["attention_vector"](x)
    if "output_dropout" in layers:
        x = layers["output_dropout"](x)
    return layers["logits"](x), final_states, scores


def make_layers(
    source_vocabulary_size: int,
    target_vocabulary_size: int,
    cell: str,
    attention: str | None,
    units: int,
    embedding_dim: int,
    depth: int,
    bidirectional_encoder: bool,
    dropout: float,
) -> dict[str, keras.layers.Layer]:
    """Create every layer of the model, keyed by its (stable) name."""
    layers: dict[str, keras.layers.Layer] = {}

    def add(layer):
        layers[layer.name] = layer

    add(
        keras.layers.Embedding(
            source_vocabulary_size,
            embedding_dim,
            mask_zero=True,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="source_embedding",
        )
    )
    add(
        keras.layers.Embedding(
            target_vocabulary_size,
            embedding_dim,
            mask_zero=True,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="target_embedding",
        )
    )
    for i in range(depth):
        name = f"encoder_rnn_{i}"
        rnn = recurrent_layer(
            cell,
            units,
            name=name,
            return_sequences=True,
            return_state=True,
            dropout=dropout,
        )
        if bidirectional_encoder:
            rnn = keras.layers.Bidirectional(rnn, name=name)
            for j in range(num_states(cell)):
                add(keras.layers.Concatenate(name=f"encoder_state_concat_{i}_{j}"))
                add(
                    keras.layers.Dense(
                        units, activation="tanh", name=f"encoder_state_{i}_{j}"
                    )
                )
        add(rnn)
        add(
            recurrent_layer(
                cell,
                units,
                name=f"decoder_rnn_{i}",
                return_sequences=True,
                return_state=True,
                dropout=dropout,
            )
        )
    if attention is not None:
        add(keras.layers.Dense(units, use_bias=False, name="attention_key"))
        if attention == "bahdanau":
            add(keras.layers.Dense(units, name="attention_query"))
            add(keras.layers.AdditiveAttention(use_scale=True, name="attention"))
        else:
            add(
                keras.layers.Attention(
                    use_scale=False, score_mode="dot", name="attention"
                )
            )
        add(keras.layers.Concatenate(name="attention_concat"))
        add(keras.layers.Dense(units, activation="tanh", name="attention_vector"))
    if dropout > 0:
        add(keras.layers.Dropout(dropout, name="output_dropout"))
    add(keras.layers.Dense(target_vocabulary_size, name="logits"))
    return layers


@register_model(
    "seq2seq",
    family="sequence",
    test_config={
        "source_vocabulary_size": 11,
        "target_vocabulary_size": 9,
        "units": 8,
        "embedding_dim": 4,
    },
    test_input_shape=(6,),
    test_inputs=_seq2seq_test_inputs,
)
@keras_dlkit_export("keras_dlkit.models.seq2seq")
def seq2seq(
    source_vocabulary_size: int,
    target_vocabulary_size: int,
    cell: str = "lstm",
    attention: str | None = "bahdanau",
    units: int = 128,
    embedding_dim: int = 64,
    depth: int = 1,
    bidirectional_encoder: bool = False,
    dropout: float = 0.0,
    name: str = "seq2seq",
) -> keras.Model:
    """An RNN encoder-decoder with attention, trained with teacher forcing.

    The encoder embeds the source ids and runs ``depth`` stacked recurrent
    layers; each decoder layer starts from the final state of the encoder
    layer at its depth. With ``bidirectional_encoder`` each encoder layer is
    a ``keras.layers.Bidirectional`` and a ``Dense(units, tanh)`` (named
    ``encoder_state_{layer}_{state}``) maps the concatenated forward and
    backward final states to the decoder's initial state, as in Bahdanau et
    al. (2015).

    The decoder embeds its inputs, runs its recurrent layers, and, with
    attention, lets each step's output ``s_t`` attend over the encoder
    outputs ``h_j``:

    - ``"bahdanau"``: additive scores ``v . tanh(W1 h_j + W2 s_t + b)``
      (``keras.layers.AdditiveAttention`` on the projections
      ``attention_key`` = ``W1 h`` and ``attention_query`` = ``W2 s + b``);
    - ``"luong"``: the "general" multiplicative scores ``s_t . W h_j``
      (``keras.layers.Attention``, dot scores, on ``attention_key`` =
      ``W h``);
    - ``None``: no attention (Sutskever et al., 2014); the logits read the
      decoder output.

    With attention the context ``c_t`` (the softmax-weighted sum of the
    ``h_j``) and ``s_t`` give Luong's attentional vector
    ``tanh(W_c [c_t; s_t])`` (layer ``attention_vector``), from which a
    ``Dense`` layer (``logits``) predicts the next token. The attention looks
    at the decoder's current output rather than its previous state (Luong et
    al., 2015), so training runs over all target positions at once.

    Token id 0 is padding on both sides: the embeddings mask it, so the
    encoder's final state is that of the last real token (right padding),
    the attention gives padded source positions zero weight, and a loss
    ignores padded target positions: Keras applies the mask of the logits,
    which is that of ``decoder_input_ids``; with decoder inputs ``[start,
    y_1, ..., y_n]`` and targets ``[y_1, ..., y_n, end]``, padded alike, the
    two masks coincide.

    Both embeddings start at ``N(0, 1)`` (PyTorch's ``nn.Embedding``
    default) rather than Keras's ``U(-0.05, 0.05)``: from that small start
    the attention scores are flat and their gradients vanish (1e-11 on the
    query kernel of a small model).

    Inputs: a list ``[source_ids, decoder_input_ids]`` of int tensors of
    shapes ``(batch, source_length)`` and ``(batch, target_length)`` (or a
    dict keyed by the input names ``"source_ids"`` and
    ``"decoder_input_ids"``); the lengths may vary from batch to batch.
    Output: logits of shape ``(batch, target_length,
    target_vocabulary_size)``; compile with
    ``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``.

    Generation: :func:`seq2seq_step_function` (the step function of
    :mod:`keras_dlkit.generation`), :func:`seq2seq_translate` (greedy, beam
    or sampled decoding) and :func:`seq2seq_attention_weights`.

    Args:
        source_vocabulary_size: Number of source token ids, padding included
            (>= 2).
        target_vocabulary_size: Number of target token ids, padding included
            (>= 2).
        cell: Recurrent cell: ``"lstm"``, ``"gru"`` or ``"simple"``.
        attention: ``"bahdanau"``, ``"luong"`` or ``None``.
        units: Width of every recurrent state and of the attention (>= 1).
        embedding_dim: Width of both embeddings (>= 1).
        depth: Number of stacked recurrent layers in the encoder and in the
            decoder (>= 1).
        bidirectional_encoder: Whether each encoder layer reads the source in
            both directions.
        dropout: Dropout rate in ``[0, 1)`` on the inputs of every recurrent
            layer and before the logits.
        name: Model name.

    Returns:
        A functional ``keras.Model`` mapping ``[source_ids,
        decoder_input_ids]`` to logits.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import seq2seq
    >>> model = seq2seq(source_vocabulary_size=20, target_vocabulary_size=30,
    ...                 units=16, embedding_dim=8, attention="luong")
    >>> source = np.array([[5, 6, 7, 0]], "int32")  # 0 is padding
    >>> decoder_inputs = np.array([[1, 8, 9]], "int32")
    >>> tuple(model([source, decoder_inputs]).shape)
    (1, 3, 30)
    >>> model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
    ...     from_logits=True))
    """
    check_int("source_vocabulary_size", source_vocabulary_size, minimum=2)
    check_int("target_vocabulary_size", target_vocabulary_size, minimum=2)
    check_cell(cell)
    check_choice("attention", attention, ATTENTIONS)
    check_int("units", units, minimum=1)
    check_int("embedding_dim", embedding_dim, minimum=1)
    check_int("depth", depth, minimum=1)
    check_choice("bidirectional_encoder", bidirectional_encoder, (False, True))
    dropout = check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    name = check_name(name)
    config = {
        "cell": cell,
        "attention": attention,
        "depth": depth,
        "bidirectional_encoder": bidirectional_encoder,
    }
    layers = make_layers(
        source_vocabulary_size,
        target_vocabulary_size,
        cell,
        attention,
        units,
        embedding_dim,
        depth,
        bidirectional_encoder,
        dropout,
    )
    source = keras.Input(shape=(None,), dtype="int32", name="source_ids")
    decoder_inputs = keras.Input(shape=(None,), dtype="int32", name="decoder_input_ids")
    encoder_outputs, initial_states = encode(layers, source, config)
    logits, _, _ = decode(
        layers, decoder_inputs, initial_states, encoder_outputs, config
    )
    return keras.Model([source, decoder_inputs], logits, name=name)
