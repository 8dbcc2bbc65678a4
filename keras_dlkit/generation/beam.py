"""Beam search: keep the ``beam_width`` most likely sequences at every step."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.backends import no_grad
from keras_dlkit.generation._common import (
    StepFunction,
    all_true,
    check_end_token,
    check_start_tokens,
    check_step_fn,
    float_logits,
)
from keras_dlkit.utils.validation import check_float, check_int

# The score of a beam that does not exist yet (the copies of the start beam
# at the first step) and the log-probability of any token but padding after
# a beam has ended: far below any real log-probability, and finite, so
# sums and divisions by a length never make a NaN.
_DEAD = -1e9


@keras_dlkit_export("keras_dlkit.generation.beam_search")
def beam_search(
    step_fn: StepFunction,
    initial_state: Any,
    start_tokens: Any,
    max_length: int,
    beam_width: int = 4,
    end_token: int | None = None,
    length_penalty: float = 0.0,
) -> tuple[Any, Any]:
    """Decode the most likely sequence with a beam of ``beam_width`` hypotheses.

    Every step extends each live beam by every token and keeps the
    ``beam_width`` candidates of highest score; the state nest is reordered
    with its beams (each tensor along its leading axis, so it may hold
    anything with the batch first: RNN states, encoder outputs). A beam that
    has produced ``end_token`` is finished: it stays in the pool with its
    score and continues with padding (0) at log-probability 0, competing
    with the live beams. The score of a beam is its total log-probability
    divided by ``length ** length_penalty`` (``length`` counts its tokens up
    to and including ``end_token``); with ``length_penalty=0`` it is the
    total log-probability. ``beam_width=1`` is greedy decoding.

    Args:
        step_fn: ``(tokens, state) -> (logits, new_state)`` (see
            :func:`greedy_search`); it is called on ``batch * beam_width``
            rows, the beams of each sample next to each other.
        initial_state: The state before the first step (a nest of tensors,
            batch leading); each tensor is repeated ``beam_width`` times.
        start_tokens: Int array ``(batch,)``: the token fed at the first step.
        max_length: Number of tokens to generate (>= 1).
        beam_width: Number of hypotheses kept (>= 1).
        end_token: Token id that finishes a beam, or ``None``; the rest of a
            finished row is 0.
        length_penalty: Exponent ``>= 0`` of the length that divides the
            score (0: none; larger values favour longer sequences).

    Returns:
        ``(tokens, scores)``: int32 ``(batch, max_length)``, the best beam of
        each sample, and float32 ``(batch,)``, its score.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_dlkit.generation import beam_search, greedy_search
    >>> # After token 0, token 1 is likelier (0.6) but leads to a flat 1/3;
    >>> # token 2 (0.4) leads to a sure token 0.
    >>> table = np.log(np.array(
    ...     [[1e-9, 0.6, 0.4], [1 / 3, 1 / 3, 1 / 3], [1.0, 1e-9, 1e-9]],
    ...     dtype="float32"))
    >>> table = ops.convert_to_tensor(table)
    >>> def step_fn(tokens, state):
    ...     return ops.take(table, tokens, axis=0), state
    >>> ops.convert_to_numpy(greedy_search(step_fn, (), [0], max_length=2))
    array([[1, 0]], dtype=int32)
    >>> tokens, scores = beam_search(step_fn, (), [0], max_length=2, beam_width=2)
    >>> ops.convert_to_numpy(tokens), round(float(np.exp(scores[0])), 3)
    (array([[2, 0]], dtype=int32), 0.4)
    """
    check_step_fn(step_fn)
    max_length = check_int("max_length", max_length, minimum=1)
    beam_width = check_int("beam_width", beam_width, minimum=1)
    end_token = check_end_token(end_token)
    length_penalty = check_float("length_penalty", length_penalty, minimum=0.0)
    start_tokens = check_start_tokens(start_tokens)

    batch, k = int(ops.shape(start_tokens)[0]), beam_width
    state = keras.tree.map_structure(lambda x: ops.repeat(x, k, axis=0), initial_state)
    tokens = ops.repeat(start_tokens, k, axis=0)
    # Only the first copy of the start beam is alive at the first step, so
    # the beams do not start as k copies of one hypothesis.
    first = ops.convert_to_tensor([0.0] + [_DEAD] * (k - 1), dtype="float32")
    scores = ops.tile(first[None, :], (batch, 1))
    lengths = ops.zeros((batch, k), dtype="float32")
    finished = ops.zeros((batch, k), dtype="bool")
    history = ops.zeros((batch * k, 0), dtype="int32")
    offsets = ops.arange(batch, dtype="int32")[:, None] * k

    def rank(total, length):
        if length_penalty == 0.0:
            return total
        return total / ops.power(ops.maximum(length, 1.0), length_penalty)

    for _ in range(max_length):
        with no_grad():
            logits, state = step_fn(tokens, state)
        log_probs = ops.log_softmax(float_logits(logits), axis=-1)
        vocabulary = int(ops.shape(log_probs)[-1])
        log_probs = ops.reshape(log_probs, (batch, k, vocabulary))
        if end_token is not None:
            padding = ops.where(
                ops.arange(vocabulary) == 0,
                ops.zeros((vocabulary,), dtype="float32"),
                ops.full((vocabulary,), _DEAD, dtype="float32"),
            )
            log_probs = ops.where(finished[:, :, None], padding, log_probs)
        candidates = scores[:, :, None] + log_probs
        new_lengths = ops.where(finished, lengths, lengths + 1.0)
        ranked = rank(candidates, new_lengths[:, :, None])
        _, index = ops.top_k(ops.reshape(ranked, (batch, k * vocabulary)), k)
        index = ops.cast(index, "int32")
        beam = index // vocabulary
        token = index % vocabulary
        scores = ops.take_along_axis(
            ops.reshape(candidates, (batch, k * vocabulary)), index, axis=1
        )
        lengths = ops.take_along_axis(new_lengths, beam, axis=1)
        finished = ops.take_along_axis(finished, beam, axis=1)
        if end_token is not None:
            finished = ops.logical_or(finished, ops.equal(token, end_token))
        flat = ops.reshape(beam + offsets, (-1,))
        state = keras.tree.map_structure(
            lambda x, flat=flat: ops.take(x, flat, axis=0), state
        )
        tokens = ops.reshape(token, (-1,))
        history = ops.concatenate(
            [ops.take(history, flat, axis=0), tokens[:, None]], axis=1
        )
        if end_token is not None and all_true(finished):
            break

    final = rank(scores, lengths)
    best = ops.cast(ops.argmax(final, axis=-1), "int32")
    rows = ops.take(history, best + offsets[:, 0], axis=0)
    missing = max_length - int(ops.shape(rows)[1])
    if missing:
        rows = ops.concatenate(
            [rows, ops.zeros((batch, missing), dtype="int32")], axis=1
        )
    best_scores = ops.take_along_axis(final, best[:, None], axis=1)[:, 0]
    return rows, ops.cast(best_scores, "float32")
