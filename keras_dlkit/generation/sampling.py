"""Sampling: draw each token from the softmax, with a temperature and top-k."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.generation._common import (
    StepFunction,
    check_end_token,
    check_start_tokens,
    check_step_fn,
    decode,
)
from keras_dlkit.utils.validation import check_float, check_int, is_int

# What top-k filtering puts in place of the logits it drops: exp() of it,
# after the row's maximum is subtracted, is exactly 0 in float32.
_DROPPED = -1e9


@keras_dlkit_export("keras_dlkit.generation.sample")
def sample(
    step_fn: StepFunction,
    initial_state: Any,
    start_tokens: Any,
    max_length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int | keras.random.SeedGenerator | None = None,
    end_token: int | None = None,
) -> Any:
    """Decode by drawing every token from ``softmax(logits / temperature)``.

    With ``top_k`` only the ``top_k`` most likely tokens of each step can be
    drawn (their probabilities renormalized). ``top_k=1`` is greedy decoding,
    and so is the limit ``temperature -> 0``; ``temperature > 1`` flattens
    the distribution.

    Args:
        step_fn: ``(tokens, state) -> (logits, new_state)`` (see
            :func:`greedy_search`).
        initial_state: The state before the first step (a nest).
        start_tokens: Int array ``(batch,)``: the token fed at the first step.
        max_length: Number of tokens to generate (>= 1).
        temperature: Divides the logits; > 0.
        top_k: ``None`` (the whole vocabulary) or an integer >= 1 (values
            above the vocabulary size mean the whole vocabulary).
        seed: An int (the same int draws the same tokens), a
            ``keras.random.SeedGenerator`` (advanced by every draw), or
            ``None`` (fresh randomness).
        end_token: Token id that ends a row, or ``None``; the rest of an
            ended row is 0.

    Returns:
        int32 tensor ``(batch, max_length)``: the drawn tokens.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_dlkit.generation import sample
    >>> logits = ops.convert_to_tensor(np.log([[0.7, 0.2, 0.1]] * 3).astype("float32"))
    >>> def step_fn(tokens, state):  # the same distribution at every step
    ...     return ops.take(logits, tokens, axis=0), state
    >>> tokens = sample(step_fn, (), [0, 0], max_length=5, seed=1)
    >>> tuple(tokens.shape)
    (2, 5)
    >>> bool(ops.all(tokens == sample(step_fn, (), [0, 0], max_length=5, seed=1)))
    True
    >>> ops.convert_to_numpy(sample(step_fn, (), [0, 0], max_length=5, top_k=1))
    array([[0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0]], dtype=int32)
    """
    check_step_fn(step_fn)
    max_length = check_int("max_length", max_length, minimum=1)
    temperature = check_float(
        "temperature", temperature, minimum=0.0, min_inclusive=False
    )
    if top_k is not None:
        if not is_int(top_k):
            raise ValueError(f"`top_k` must be None or an integer >= 1, got {top_k!r}.")
        top_k = check_int("top_k", top_k, minimum=1)
    end_token = check_end_token(end_token)
    if (
        seed is not None
        and not is_int(seed)
        and not isinstance(seed, keras.random.SeedGenerator)
    ):
        raise ValueError(
            "`seed` must be None, an integer or a keras.random.SeedGenerator, "
            f"got {seed!r}."
        )
    start_tokens = check_start_tokens(start_tokens)
    generator = (
        seed
        if isinstance(seed, keras.random.SeedGenerator)
        else keras.random.SeedGenerator(seed)
    )

    def choose(logits):
        logits = logits / temperature
        vocabulary = ops.shape(logits)[-1]
        if top_k is not None and top_k < vocabulary:
            kth = ops.top_k(logits, top_k)[0][:, -1:]
            logits = ops.where(logits < kth, ops.full_like(logits, _DROPPED), logits)
        # Subtracting the maximum keeps a tiny temperature finite.
        logits = logits - ops.max(logits, axis=-1, keepdims=True)
        return keras.random.categorical(logits, 1, seed=generator)[:, 0]

    return decode(step_fn, initial_state, start_tokens, max_length, end_token, choose)
