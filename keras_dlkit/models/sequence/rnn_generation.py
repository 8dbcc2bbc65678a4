"""Text generation from a recurrent language model with a cached state.

A recurrent model summarises its whole prefix in its state, so generating a
token needs only the last token and the state: :func:`rnn_step_function`
builds that one step from the trained layers (their cells, so the weights are
shared, nothing is copied), :func:`rnn_initial_state` reads a prompt once,
token by token, to get the state, and :func:`rnn_generate` decodes with
:mod:`keras_dlkit.generation`. Its ``use_cache=False`` re-reads the whole
prefix through the training model at every step: the same tokens at a cost
that grows with the square of the length (the reference, and the baseline of
the benchmark).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.backends import no_grad
from keras_dlkit.generation import beam_search, greedy_search, sample
from keras_dlkit.utils.validation import check_choice, check_float, check_int, is_int

METHODS = ("greedy", "sample", "beam")

_RECURRENT = (keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU)


def _not_a_language_model(model: Any, why: str) -> ValueError:
    return ValueError(
        "`model` must be a recurrent language model built like "
        "rnn_language_model (Embedding, SimpleRNN/LSTM/GRU layers with "
        f"return_sequences=True, optional Dropout, Dense), got {model!r}: {why}."
    )


def _parts(model: Any) -> dict[str, Any]:
    """The embedding, recurrent layers and head of ``model``, checked."""
    if not isinstance(model, keras.Model):
        raise _not_a_language_model(model, "not a keras.Model")
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, (keras.layers.InputLayer, keras.layers.Dropout))
    ]
    if len(layers) < 3 or not isinstance(layers[0], keras.layers.Embedding):
        raise _not_a_language_model(model, "it does not start with an Embedding")
    if not isinstance(layers[-1], keras.layers.Dense):
        raise _not_a_language_model(model, "it does not end with a Dense layer")
    recurrent = layers[1:-1]
    for layer in recurrent:
        if not isinstance(layer, _RECURRENT):
            raise _not_a_language_model(model, f"layer {layer.name!r} is not an RNN")
        if not layer.return_sequences or layer.go_backwards:
            raise _not_a_language_model(
                model,
                f"layer {layer.name!r} must return sequences and run forwards",
            )
    return {"embedding": layers[0], "recurrent": recurrent, "head": layers[-1]}


def _states_of(layer: keras.layers.Layer, value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _num_states(layer: keras.layers.Layer) -> int:
    return 2 if isinstance(layer, keras.layers.LSTM) else 1


def _zero_state(parts: dict[str, Any], batch: int) -> list[list[Any]]:
    return [
        [
            ops.zeros((batch, layer.cell.units), dtype=layer.compute_dtype)
            for _ in range(_num_states(layer))
        ]
        for layer in parts["recurrent"]
    ]


@keras_dlkit_export("keras_dlkit.models.rnn_step_function")
def rnn_step_function(model: keras.Model):
    """One generation step of a recurrent language model, with its state.

    The step embeds the last token, runs it through each trained recurrent
    layer's cell with that layer's state, and applies the head: the logits
    of the next token, exactly what the training model gives at that
    position, at the cost of one position instead of the whole prefix.

    Args:
        model: A model from :func:`keras_dlkit.models.rnn_language_model`
            (or one built the same way).

    Returns:
        ``step_fn(tokens, state) -> (logits, new_state)`` for
        :mod:`keras_dlkit.generation`: ``tokens`` int ``(batch,)``;
        ``state`` a list with one list of state tensors ``(batch, units)``
        per recurrent layer (``[h, c]`` for an LSTM, ``[h]`` otherwise), as
        :func:`rnn_initial_state` returns; ``logits`` ``(batch,
        vocabulary_size)``.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_dlkit.models import (
    ...     rnn_initial_state, rnn_language_model, rnn_step_function)
    >>> model = rnn_language_model(vocabulary_size=10, embedding_dim=4, units=8)
    >>> ids = np.array([[1, 2, 3]], "int32")
    >>> step_fn = rnn_step_function(model)
    >>> logits, state = step_fn(ids[:, 2], rnn_initial_state(model, ids[:, :2]))
    >>> full = model(ids)[:, 2]
    >>> bool(np.allclose(ops.convert_to_numpy(logits), ops.convert_to_numpy(full),
    ...                  atol=1e-5))
    True
    """
    parts = _parts(model)
    embedding, recurrent, head = parts["embedding"], parts["recurrent"], parts["head"]

    def step_fn(tokens: Any, state: Any) -> tuple[Any, list[list[Any]]]:
        x = embedding(ops.cast(tokens, "int32"))
        new_state = []
        for layer, states in zip(recurrent, state, strict=True):
            x, states = layer.cell(x, list(states), training=False)
            new_state.append(_states_of(layer, states))
        return head(x), new_state

    return step_fn


@keras_dlkit_export("keras_dlkit.models.rnn_initial_state")
def rnn_initial_state(model: keras.Model, token_ids: Any) -> list[list[Any]]:
    """The recurrent state of ``model`` after reading ``token_ids``.

    The tokens are read once, one position at a time, through
    :func:`rnn_step_function` from the zero state, so the state is exactly
    the one the steps of generation carry. (A ``keras.layers.RNN`` run over
    the whole prompt would be one call, but on JAX an eager RNN call traces
    and compiles its scan anew every time, about 0.3 s a layer on a CPU,
    more than a short prompt costs step by step.)

    Args:
        model: A model from :func:`keras_dlkit.models.rnn_language_model`.
        token_ids: Int array ``(batch, T)``; ``T`` may be 0 (then the state
            is the zero state every recurrent layer starts from).

    Returns:
        The state nest of :func:`rnn_step_function`: one list of tensors
        ``(batch, units)`` per recurrent layer.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import rnn_initial_state, rnn_language_model
    >>> model = rnn_language_model(vocabulary_size=10, embedding_dim=4, units=8,
    ...                            depth=2, cell="lstm")
    >>> state = rnn_initial_state(model, np.array([[1, 2, 3]], "int32"))
    >>> [[tuple(s.shape) for s in layer] for layer in state]
    [[(1, 8), (1, 8)], [(1, 8), (1, 8)]]
    """
    parts = _parts(model)
    ids = np.asarray(ops.convert_to_numpy(token_ids))
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            "`token_ids` must be a 2-D integer array (batch, length), got "
            f"shape {ids.shape} and dtype {ids.dtype}."
        )
    state = _zero_state(parts, ids.shape[0])
    step_fn = rnn_step_function(model)
    with no_grad():
        for t in range(ids.shape[1]):
            _, state = step_fn(ids[:, t], state)
    return state


def _prompt_groups(prompt_ids: Any, vocabulary_size: int) -> list[tuple[Any, Any]]:
    """``[(rows, prompts)]``: the prompts grouped by length, each ``(n, P)``."""
    shape_hint = (
        "a 2-D array (batch, length) of token ids, or a list of 1-D sequences "
        "of token ids (lengths may differ)"
    )
    if isinstance(prompt_ids, (list, tuple)) and all(
        np.ndim(row) == 1 for row in prompt_ids
    ):
        rows = [np.asarray(row) for row in prompt_ids]
    else:
        array = np.asarray(ops.convert_to_numpy(prompt_ids))
        if array.ndim != 2:
            raise ValueError(
                f"`prompt_ids` must be {shape_hint}, got an array of shape "
                f"{array.shape}."
            )
        rows = list(array)
    if not rows:
        raise ValueError(f"`prompt_ids` must be {shape_hint}, got no prompt.")
    for row in rows:
        if row.size == 0 or not np.issubdtype(row.dtype, np.integer):
            raise ValueError(
                "`prompt_ids` must hold at least one integer token id per "
                f"prompt, got {row!r}."
            )
        if row.min() < 0 or row.max() >= vocabulary_size:
            raise ValueError(
                f"`prompt_ids` must be token ids in [0, {vocabulary_size}), "
                f"got a prompt with ids from {row.min()} to {row.max()}."
            )
    by_length: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        by_length.setdefault(len(row), []).append(i)
    return [
        (np.array(index), np.stack([rows[i] for i in index]).astype("int32"))
        for index in by_length.values()
    ]


def _uncached_step_function(model: keras.Model):
    """A step that re-reads the whole prefix: state ``{"prefix": (batch, t)}``."""

    def step_fn(tokens: Any, state: Any) -> tuple[Any, dict[str, Any]]:
        prefix = ops.concatenate(
            [ops.cast(state["prefix"], "int32"), ops.cast(tokens, "int32")[:, None]],
            axis=1,
        )
        logits = model(prefix, training=False)[:, -1, :]
        return logits, {"prefix": prefix}

    return step_fn


@keras_dlkit_export("keras_dlkit.models.rnn_generate")
def rnn_generate(
    model: keras.Model,
    prompt_ids: Any,
    max_new_tokens: int,
    method: str = "greedy",
    temperature: float = 1.0,
    top_k: int | None = None,
    beam_width: int = 4,
    seed: int | keras.random.SeedGenerator | None = None,
    end_token: int | None = None,
    use_cache: bool = True,
) -> Any:
    """Continue prompts with a recurrent language model.

    With ``use_cache=True`` (the default) the prompt is read once, all but
    its last token, to get each layer's state (:func:`rnn_initial_state`);
    then every step feeds one token and the state through
    :func:`rnn_step_function`. With ``use_cache=False`` every step runs the
    training model over the whole prefix and keeps its last position: the
    same logits, at a cost that grows with the square of the length.

    Prompts of different lengths: pass a list of 1-D sequences. A recurrent
    layer has no mask here, so left-padding the short prompts would feed the
    pad tokens into their state; instead the prompts are grouped by length
    and each group is decoded as one batch (the result is the same as
    decoding every prompt alone; with ``method="sample"`` the groups draw
    from one seed generator in turn).

    Args:
        model: A model from :func:`keras_dlkit.models.rnn_language_model`.
        prompt_ids: Int array ``(batch, length)`` with ``length >= 1``, or a
            list of 1-D int sequences of any lengths >= 1.
        max_new_tokens: Number of tokens to generate (>= 1).
        method: ``"greedy"``, ``"sample"`` or ``"beam"`` (see
            :mod:`keras_dlkit.generation`).
        temperature: Softmax temperature (> 0) of ``"sample"``.
        top_k: ``None`` or >= 1: sample among the ``top_k`` likeliest tokens.
        beam_width: Number of beams (>= 1) of ``"beam"``.
        seed: Seed of ``"sample"``: an int (repeatable), a
            ``keras.random.SeedGenerator`` or ``None``.
        end_token: Token id that ends a row (kept; the rest of the row is 0),
            or ``None``.
        use_cache: Carry the recurrent state (True) or re-read the prefix at
            every step (False).

    Returns:
        int32 tensor ``(batch, max_new_tokens)``: the new tokens, prompt
        excluded, in the order of ``prompt_ids``.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_dlkit.models import rnn_generate, rnn_language_model
    >>> model = rnn_language_model(vocabulary_size=12, embedding_dim=4, units=8)
    >>> prompts = [[1, 2, 3], [4, 5]]  # lengths may differ
    >>> tokens = rnn_generate(model, prompts, max_new_tokens=6)
    >>> tuple(tokens.shape)
    (2, 6)
    >>> slow = rnn_generate(model, prompts, max_new_tokens=6, use_cache=False)
    >>> bool(np.array_equal(ops.convert_to_numpy(tokens), ops.convert_to_numpy(slow)))
    True
    >>> beams = rnn_generate(model, prompts, 6, method="beam", beam_width=3)
    >>> drawn = rnn_generate(model, prompts, 6, method="sample", top_k=5, seed=0)
    """
    parts = _parts(model)
    max_new_tokens = check_int("max_new_tokens", max_new_tokens, minimum=1)
    method = check_choice("method", method, METHODS)
    temperature = check_float(
        "temperature", temperature, minimum=0.0, min_inclusive=False
    )
    if top_k is not None and (not is_int(top_k) or top_k < 1):
        raise ValueError(f"`top_k` must be None or an integer >= 1, got {top_k!r}.")
    beam_width = check_int("beam_width", beam_width, minimum=1)
    if not isinstance(use_cache, bool):
        raise ValueError(f"`use_cache` must be True or False, got {use_cache!r}.")
    groups = _prompt_groups(prompt_ids, int(parts["embedding"].input_dim))
    if method == "sample" and not isinstance(seed, keras.random.SeedGenerator):
        seed = keras.random.SeedGenerator(seed)

    step_fn = rnn_step_function(model) if use_cache else _uncached_step_function(model)
    outputs, order = [], []
    for rows, prompts in groups:
        if use_cache:
            state = rnn_initial_state(model, prompts[:, :-1])
        else:
            state = {"prefix": prompts[:, :-1]}
        start = prompts[:, -1]
        if method == "greedy":
            tokens = greedy_search(step_fn, state, start, max_new_tokens, end_token)
        elif method == "sample":
            tokens = sample(
                step_fn,
                state,
                start,
                max_new_tokens,
                temperature=temperature,
                top_k=top_k,
                seed=seed,
                end_token=end_token,
            )
        else:
            tokens, _ = beam_search(
                step_fn,
                state,
                start,
                max_new_tokens,
                beam_width=beam_width,
                end_token=end_token,
            )
        outputs.append(tokens)
        order.append(rows)
    if len(outputs) == 1:
        return outputs[0]
    inverse = np.argsort(np.concatenate(order)).astype("int32")
    return ops.take(ops.concatenate(outputs, axis=0), inverse, axis=0)
