"""Greedy decoding: the most likely token at every step."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.generation._common import (
    StepFunction,
    check_end_token,
    check_start_tokens,
    check_step_fn,
    decode,
)
from keras_dlkit.utils.validation import check_int


@keras_dlkit_export("keras_dlkit.generation.greedy_search")
def greedy_search(
    step_fn: StepFunction,
    initial_state: Any,
    start_tokens: Any,
    max_length: int,
    end_token: int | None = None,
) -> Any:
    """Decode by taking the arg-max token at every step.

    Args:
        step_fn: ``(tokens, state) -> (logits, new_state)``: ``tokens`` int32
            ``(batch,)``, ``state`` any nest of tensors with the batch as
            leading axis, ``logits`` ``(batch, vocabulary_size)``
            (unnormalized).
        initial_state: The state before the first step (a nest; may be
            empty, e.g. ``()``).
        start_tokens: Int array ``(batch,)``: the token fed at the first step
            (a start-of-sequence id, or the last token of a prompt whose
            earlier tokens are already in ``initial_state``).
        max_length: Number of tokens to generate (>= 1).
        end_token: Token id that ends a row, or ``None``. The end token is
            kept; the rest of its row is 0 (padding). Decoding stops early
            once every row has ended.

    Returns:
        int32 tensor ``(batch, max_length)``: the generated tokens, start
        token excluded.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_dlkit.generation import greedy_search
    >>> table = ops.convert_to_tensor(np.eye(4, k=1, dtype="float32") * 5.0)
    >>> def step_fn(tokens, state):  # a chain 0 -> 1 -> 2 -> 3 -> 0
    ...     return ops.take(table, tokens, axis=0), state
    >>> tokens = greedy_search(step_fn, (), [0, 1], max_length=4, end_token=3)
    >>> ops.convert_to_numpy(tokens)
    array([[1, 2, 3, 0],
           [2, 3, 0, 0]], dtype=int32)
    """
    check_step_fn(step_fn)
    max_length = check_int("max_length", max_length, minimum=1)
    end_token = check_end_token(end_token)
    start_tokens = check_start_tokens(start_tokens)
    return decode(
        step_fn,
        initial_state,
        start_tokens,
        max_length,
        end_token,
        lambda logits: ops.argmax(logits, axis=-1),
    )
