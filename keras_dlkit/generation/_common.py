"""What the three decoders share: argument checks and the step-by-step loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from keras import ops

from keras_dlkit.backends import no_grad
from keras_dlkit.utils.validation import check_int, is_int

#: A step function: ``(tokens (batch,), state) -> (logits (batch, V), state)``.
StepFunction = Callable[[Any, Any], tuple[Any, Any]]


def check_step_fn(step_fn: Any) -> StepFunction:
    if not callable(step_fn):
        raise ValueError(
            "`step_fn` must be a function (tokens, state) -> (logits, new_state), "
            f"got {step_fn!r}."
        )
    return step_fn


def check_start_tokens(start_tokens: Any) -> Any:
    """``start_tokens`` as an int32 tensor ``(batch,)``, else ``ValueError``."""
    try:
        shape = tuple(ops.shape(start_tokens))
    except Exception:
        shape = np.shape(start_tokens)
    if len(shape) != 1 or not shape[0]:
        raise ValueError(
            "`start_tokens` must be a non-empty 1-D array of token ids (batch,), "
            f"got shape {shape}."
        )
    tokens = start_tokens
    if not hasattr(tokens, "dtype") or "int" not in str(tokens.dtype):
        array = np.asarray(ops.convert_to_numpy(tokens))
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(
                f"`start_tokens` must hold integer token ids, got dtype {array.dtype}."
            )
        tokens = array
    return ops.cast(ops.convert_to_tensor(tokens), "int32")


def check_end_token(end_token: Any) -> int | None:
    if end_token is None:
        return None
    if not is_int(end_token):
        raise ValueError(
            f"`end_token` must be None or an integer >= 0, got {end_token!r}."
        )
    return check_int("end_token", end_token, minimum=0)


def float_logits(logits: Any) -> Any:
    """The step's logits as float32 ``(batch, V)``: softmax stays in float32."""
    logits = ops.cast(logits, "float32")
    if len(ops.shape(logits)) != 2:
        raise ValueError(
            "`step_fn` must return logits of shape (batch, vocabulary_size), got "
            f"shape {tuple(ops.shape(logits))}."
        )
    return logits


def all_true(flags: Any) -> bool:
    """Whether every entry of a boolean tensor is true (eager only)."""
    return bool(ops.convert_to_numpy(ops.all(flags)))


def pad_to(tokens: list[Any], batch: int, max_length: int) -> Any:
    """Stack per-step ``(batch,)`` tokens into ``(batch, max_length)``, 0-padded."""
    out = ops.stack(tokens, axis=1)
    missing = max_length - len(tokens)
    if missing:
        out = ops.concatenate([out, ops.zeros((batch, missing), dtype="int32")], 1)
    return out


def decode(
    step_fn: StepFunction,
    initial_state: Any,
    start_tokens: Any,
    max_length: int,
    end_token: int | None,
    choose: Callable[[Any], Any],
) -> Any:
    """Run ``step_fn`` for up to ``max_length`` steps, picking with ``choose``.

    ``choose(logits)`` returns the next token of each row. A row that has
    produced ``end_token`` produces 0 from then on; the loop stops early
    once every row has.
    """
    tokens = start_tokens
    batch = int(ops.shape(tokens)[0])
    state = initial_state
    finished = ops.zeros((batch,), dtype="bool")
    out = []
    for _ in range(max_length):
        with no_grad():
            logits, state = step_fn(tokens, state)
        tokens = ops.cast(choose(float_logits(logits)), "int32")
        if end_token is not None:
            tokens = ops.where(finished, ops.zeros_like(tokens), tokens)
            finished = ops.logical_or(finished, ops.equal(tokens, end_token))
        out.append(tokens)
        if end_token is not None and all_true(finished):
            break
    return pad_to(out, batch, max_length)
