"""Generation with a trained :func:`~keras_dlkit.models.seq2seq` model.

The trained model's layers are called again on new inputs (Keras shares a
layer's weights between calls), giving an encoder model and a one-step
decoder model; :func:`seq2seq_step_function` wraps them into the step
function of :mod:`keras_dlkit.generation`, so greedy search, sampling and
beam search drive any seq2seq model.
"""

from __future__ import annotations

import weakref
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit import generation
from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models.sequence.seq2seq import decode, encode
from keras_dlkit.utils.validation import check_choice, check_int

METHODS = ("greedy", "beam", "sample")

_CELL_OF_LAYER = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "simple"}

# model -> (config, encoder, decoder step), and model -> teacher-forced
# attention model: built once per trained model, sharing its layers.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ATTENTION_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _config_of(model: Any) -> tuple[dict, dict[str, keras.layers.Layer]]:
    """The configuration of a seq2seq model, read back from its layers."""
    layers = {layer.name: layer for layer in getattr(model, "layers", ())}
    needed = ("source_embedding", "target_embedding", "decoder_rnn_0", "logits")
    if not isinstance(model, keras.Model) or any(n not in layers for n in needed):
        raise ValueError(
            "`model` must be a model built by keras_dlkit.models.seq2seq (with "
            f"layers {', '.join(needed)}), got {model!r}."
        )
    depth = sum(1 for n in layers if n.startswith("decoder_rnn_"))
    cell = _CELL_OF_LAYER[type(layers["decoder_rnn_0"]).__name__]
    attention = None
    if "attention" in layers:
        kind = type(layers["attention"]).__name__
        attention = "bahdanau" if kind == "AdditiveAttention" else "luong"
    config = {
        "cell": cell,
        "attention": attention,
        "depth": depth,
        "bidirectional_encoder": isinstance(
            layers["encoder_rnn_0"], keras.layers.Bidirectional
        ),
        "units": layers["decoder_rnn_0"].units,
    }
    return config, layers


def _models(model: Any) -> tuple[dict, keras.Model, keras.Model]:
    cached = _CACHE.get(model)
    if cached is None:
        config, layers = _config_of(model)
        source = keras.Input(shape=(None,), dtype="int32", name="source_ids")
        encoder_outputs, initial_states = encode(layers, source, config)
        flat = [s for states in initial_states for s in states]
        extra = [encoder_outputs] if config["attention"] else []
        encoder = keras.Model(source, extra + flat, name=f"{model.name}_encoder")

        n = len(initial_states[0])
        token = keras.Input(shape=(1,), dtype="int32", name="token")
        state_inputs = [
            keras.Input(shape=(config["units"],), name=f"state_{i}_{j}")
            for i in range(config["depth"])
            for j in range(n)
        ]
        nested = [state_inputs[i * n : (i + 1) * n] for i in range(config["depth"])]
        inputs = [token, *state_inputs]
        memory = mask = None
        if config["attention"]:
            memory = keras.Input(
                shape=(None, encoder_outputs.shape[-1]), name="encoder_outputs"
            )
            mask = keras.Input(shape=(None,), dtype="bool", name="source_mask")
            inputs += [memory, mask]
        logits, final_states, scores = decode(
            layers,
            token,
            nested,
            memory,
            config,
            source_mask=mask,
        )
        outputs = [logits] + [s for states in final_states for s in states]
        if scores is not None:
            outputs.append(scores)
        decoder = keras.Model(inputs, outputs, name=f"{model.name}_decoder_step")
        cached = (config, encoder, decoder)
        _CACHE[model] = cached
    return cached


def _attention_model(model: Any) -> keras.Model:
    """Teacher-forced ``[source_ids, decoder_input_ids]`` -> attention weights."""
    cached = _ATTENTION_CACHE.get(model)
    if cached is None:
        config, layers = _config_of(model)
        source = keras.Input(shape=(None,), dtype="int32", name="source_ids")
        decoder_inputs = keras.Input(
            shape=(None,), dtype="int32", name="decoder_input_ids"
        )
        encoder_outputs, initial_states = encode(layers, source, config)
        _, _, scores = decode(
            layers,
            decoder_inputs,
            initial_states,
            encoder_outputs,
            config,
        )
        cached = keras.Model(
            [source, decoder_inputs], scores, name=f"{model.name}_attention"
        )
        _ATTENTION_CACHE[model] = cached
    return cached


def _check_ids(name: str, ids: Any) -> Any:
    """``ids`` as an int32 tensor of rank 2, else a ValueError naming ``name``."""
    shape = tuple(ops.shape(ids))
    if len(shape) != 2:
        raise ValueError(
            f"`{name}` must be token ids of rank 2 (batch, length), got shape {shape}."
        )
    return ops.cast(ids, "int32")


@keras_dlkit_export("keras_dlkit.models.seq2seq_inference_models")
def seq2seq_inference_models(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """The encoder and the one-step decoder of a :func:`seq2seq` model.

    Both are functional models built from the trained model's layers, so
    they share its weights (training the model changes them too).

    - encoder: ``source_ids (batch, S)`` -> ``[encoder_outputs (batch, S,
      width)]`` (only with attention) followed by the decoder's initial
      states, ``depth`` times ``(h,)`` or ``(h, c)`` for the LSTM, each
      ``(batch, units)``;
    - decoder step: ``[token (batch, 1), *states]`` plus, with attention,
      ``[encoder_outputs, source_mask (batch, S) bool]`` -> ``[logits (batch,
      1, vocabulary), *new_states]`` plus, with attention, the attention
      weights ``(batch, 1, S)``.

    Args:
        model: A model built by :func:`keras_dlkit.models.seq2seq` (or
            loaded from one).

    Returns:
        ``(encoder, decoder_step)``.

    Raises:
        ValueError: if ``model`` is not a seq2seq model.

    Example:

    >>> from keras_dlkit.models import seq2seq, seq2seq_inference_models
    >>> model = seq2seq(10, 12, cell="gru", units=8, embedding_dim=4)
    >>> encoder, decoder_step = seq2seq_inference_models(model)
    >>> [tuple(shape) for shape in encoder.output_shape]
    [(None, None, 8), (None, 8)]
    >>> decoder_step.output_shape[0]
    (None, 1, 12)
    """
    _, encoder, decoder = _models(model)
    return encoder, decoder


@keras_dlkit_export("keras_dlkit.models.seq2seq_step_function")
def seq2seq_step_function(model: keras.Model, source_ids: Any) -> tuple[Any, dict]:
    """The step function and initial state that decode ``source_ids``.

    Encodes the source once and returns what every function of
    :mod:`keras_dlkit.generation` takes: ``step_fn(tokens, state) ->
    (logits, new_state)`` and the initial state, a dict with ``"states"``
    (the decoder's RNN states, a list of ``(batch, units)`` tensors) and,
    with attention, ``"encoder_outputs"`` ``(batch, S, width)`` and
    ``"source_mask"`` ``(batch, S)`` (bool, False at padding), which pass
    through every step unchanged. Step by step it gives the logits the
    teacher-forced model gives at each position.

    Args:
        model: A model built by :func:`keras_dlkit.models.seq2seq`.
        source_ids: Source token ids ``(batch, S)``, 0 for padding.

    Returns:
        ``(step_fn, initial_state)``.

    Raises:
        ValueError: if ``source_ids`` is not of rank 2 or ``model`` is not
            a seq2seq model.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.generation import greedy_search
    >>> from keras_dlkit.models import seq2seq, seq2seq_step_function
    >>> model = seq2seq(10, 12, units=8, embedding_dim=4)
    >>> step_fn, state = seq2seq_step_function(model, np.array([[3, 4, 5]]))
    >>> tokens = greedy_search(step_fn, state, start_tokens=[1], max_length=4)
    >>> tuple(tokens.shape)
    (1, 4)
    """
    config, encoder, decoder = _models(model)
    source_ids = _check_ids("source_ids", source_ids)
    # `predict_on_batch` runs the models compiled (tf.function, jax.jit) and
    # returns NumPy arrays: on JAX a step runs about 4x faster than an eager
    # call, which dispatches and compiles op by op.
    outputs = encoder.predict_on_batch(ops.convert_to_numpy(source_ids))
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if config["attention"]:
        state = {
            "states": outputs[1:],
            "encoder_outputs": outputs[0],
            "source_mask": ops.convert_to_numpy(source_ids) != 0,
        }
    else:
        state = {"states": outputs}
    num_states = len(state["states"])

    def step_fn(tokens: Any, state: dict) -> tuple[Any, dict]:
        tokens = ops.reshape(ops.cast(tokens, "int32"), (-1, 1))
        inputs = [tokens, *state["states"]]
        if config["attention"]:
            inputs += [state["encoder_outputs"], state["source_mask"]]
        # All NumPy: predict_on_batch refuses a mix of tensors and arrays.
        outputs = decoder.predict_on_batch([ops.convert_to_numpy(x) for x in inputs])
        new_state = dict(state)
        new_state["states"] = list(outputs[1 : 1 + num_states])
        return outputs[0][:, 0, :], new_state

    return step_fn, state


@keras_dlkit_export("keras_dlkit.models.seq2seq_attention_weights")
def seq2seq_attention_weights(
    model: keras.Model, source_ids: Any, target_ids: Any, start_token: int
) -> np.ndarray:
    """The attention weights a seq2seq model gives while producing ``target_ids``.

    Runs the decoder teacher-forced on ``[start_token, *target_ids[:-1]]``,
    which gives each step the same weights as generation did (a step's
    weights depend only on the tokens before it), so ``target_ids`` can be
    the output of :func:`seq2seq_translate` or a reference translation.

    Args:
        model: A model built by :func:`keras_dlkit.models.seq2seq` with
            attention.
        source_ids: Source token ids ``(batch, S)``, 0 for padding.
        target_ids: Target token ids ``(batch, T)``, 0 for padding (after
            the end token).
        start_token: The start token the decoder was fed first (>= 1).

    Returns:
        NumPy float32 array ``(batch, T, S)``: row ``t`` holds the weights
        over the source positions when token ``t`` was produced; each row
        sums to 1 over the real source tokens, padded source positions get
        0, and rows of padded target positions are 0.

    Raises:
        ValueError: if the model has no attention, or an input is not of
            rank 2.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import seq2seq, seq2seq_attention_weights
    >>> model = seq2seq(10, 12, units=8, embedding_dim=4)
    >>> weights = seq2seq_attention_weights(
    ...     model, np.array([[3, 4, 0]]), np.array([[5, 6, 2, 0]]), start_token=1)
    >>> weights.shape, weights[0, :3].sum(axis=-1).round(5).tolist()
    ((1, 4, 3), [1.0, 1.0, 1.0])
    >>> float(weights[0, :, 2].max()), float(weights[0, 3].max())
    (0.0, 0.0)
    """
    config, _, _ = _models(model)
    if not config["attention"]:
        raise ValueError(
            f"`model` {model.name!r} has no attention (built with attention=None)."
        )
    check_int("start_token", start_token, minimum=1)
    source_ids = _check_ids("source_ids", source_ids)
    target_ids = _check_ids("target_ids", target_ids)
    if ops.shape(source_ids)[0] != ops.shape(target_ids)[0]:
        raise ValueError(
            "`target_ids` must have the batch size of `source_ids`, got "
            f"{ops.shape(target_ids)[0]} and {ops.shape(source_ids)[0]}."
        )
    start = ops.full((ops.shape(target_ids)[0], 1), start_token, dtype="int32")
    decoder_inputs = ops.concatenate([start, target_ids[:, :-1]], axis=1)
    scores = _attention_model(model).predict_on_batch(
        [ops.convert_to_numpy(source_ids), ops.convert_to_numpy(decoder_inputs)]
    )
    weights = np.asarray(ops.convert_to_numpy(scores), dtype="float32")
    return weights * (ops.convert_to_numpy(target_ids) != 0)[:, :, None]


@keras_dlkit_export("keras_dlkit.models.seq2seq_translate")
def seq2seq_translate(
    model: keras.Model,
    source_ids: Any,
    max_length: int,
    start_token: int,
    end_token: int | None = None,
    method: str = "greedy",
    beam_width: int = 4,
    length_penalty: float = 0.0,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: Any = None,
) -> np.ndarray:
    """Decode target token ids for each source sequence.

    Greedy search, beam search or sampling from :mod:`keras_dlkit.generation`
    on the model's step function (:func:`seq2seq_step_function`).

    Args:
        model: A model built by :func:`keras_dlkit.models.seq2seq`.
        source_ids: Source token ids ``(batch, S)``, 0 for padding.
        max_length: Number of tokens to generate (>= 1).
        start_token: The token fed at the first step (start of sequence,
            >= 1).
        end_token: The end-of-sequence token, or ``None``; after it a row is
            padded with 0.
        method: ``"greedy"``, ``"beam"`` or ``"sample"``.
        beam_width: Beams of ``"beam"`` (>= 1).
        length_penalty: Length penalty of ``"beam"`` (see
            :func:`keras_dlkit.generation.beam_search`).
        temperature: Temperature of ``"sample"`` (> 0).
        top_k: Top-k of ``"sample"`` (``None`` for all tokens).
        seed: Seed of ``"sample"`` (an int or a ``keras.random.SeedGenerator``).

    Returns:
        NumPy int32 array ``(batch, max_length)`` of target ids, start token
        excluded.

    Raises:
        ValueError: for an unknown ``method``, ``source_ids`` not of rank 2,
            or the decoding arguments
            :mod:`keras_dlkit.generation` refuses.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import seq2seq, seq2seq_translate
    >>> model = seq2seq(10, 12, units=8, embedding_dim=4, attention="luong")
    >>> ids = seq2seq_translate(model, np.array([[3, 4, 5], [6, 7, 0]]),
    ...                         max_length=5, start_token=1, end_token=2,
    ...                         method="beam", beam_width=3)
    >>> ids.shape, ids.dtype
    ((2, 5), dtype('int32'))
    """
    check_choice("method", method, METHODS)
    check_int("start_token", start_token, minimum=1)
    step_fn, state = seq2seq_step_function(model, source_ids)
    batch = ops.shape(state["states"][0])[0]
    start = ops.full((batch,), start_token, dtype="int32")
    if method == "greedy":
        tokens = generation.greedy_search(
            step_fn, state, start, max_length, end_token=end_token
        )
    elif method == "beam":
        tokens, _ = generation.beam_search(
            step_fn,
            state,
            start,
            max_length,
            beam_width=beam_width,
            end_token=end_token,
            length_penalty=length_penalty,
        )
    else:
        tokens = generation.sample(
            step_fn,
            state,
            start,
            max_length,
            temperature=temperature,
            top_k=top_k,
            seed=seed,
            end_token=end_token,
        )
    return np.asarray(ops.convert_to_numpy(tokens), dtype="int32")
