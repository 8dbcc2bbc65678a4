"""Attention masks of TransformerAttention: combining them, causal masks, additive form."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_dlkit.utils.keras_compat import get_keras_mask

# Put in place of masked logits in the float32 softmax (Keras's
# MultiHeadAttention adds the same order of magnitude).
MASKED_LOGIT = -1e9


def large_negative(dtype: str) -> float:
    """An additive mask value: zeroes a softmax weight, stays finite in float16 with a bias."""
    return -0.7 * 65504.0 if dtype == "float16" else -1e9


def causal_mask(q: Any, k: Any, start_index: Any = 0) -> Any:
    """``(1, 1, T, S)`` boolean, True where key ``s <= t + start_index``.

    Top-left aligned, as Keras; ``start_index`` (an int or a scalar int
    tensor) is the position of the first query in a key/value cache.
    """
    rows = ops.arange(ops.shape(q)[1], dtype="int32")[:, None]
    rows = rows + ops.cast(start_index, "int32")
    cols = ops.arange(ops.shape(k)[1], dtype="int32")[None, :]
    return ops.greater_equal(rows, cols)[None, None]


def attention_mask_4d(attention_mask: Any) -> Any:
    """A ``(batch, T, S)`` or ``(batch, heads, T, S)`` mask as boolean 4-D."""
    mask = ops.cast(attention_mask, "bool")
    return mask if len(mask.shape) == 4 else mask[:, None]


def merge_masks(masks: list[Any]) -> Any:
    """The AND of boolean masks; a query row with no key left attends to every key.

    So no backend or kernel can produce NaN for a fully masked row (its
    output is meaningless either way).
    """
    mask = masks[0]
    for other in masks[1:]:
        mask = ops.logical_and(mask, other)
    has_key = ops.any(mask, axis=-1, keepdims=True)
    return ops.logical_or(mask, ops.logical_not(has_key))


def combined_mask(
    query: Any, value: Any, key: Any, attention_mask: Any, causal: bool
) -> Any:
    """The boolean ``(batch|1, heads|1, T, S)`` mask of every source, or None.

    Sources: the Keras masks of ``query`` (``(B, 1, T, 1)``), ``value`` and
    ``key`` (``(B, 1, 1, S)``), ``attention_mask`` and, when another source is
    present, the causal mask (causal alone returns None: the caller uses the
    fused kernels' ``is_causal``). A query row with no key left attends to
    every key, so no backend or kernel can produce NaN for it.
    """
    if attention_mask is not None and len(attention_mask.shape) == 2:
        raise ValueError(
            "`attention_mask` must be (batch, T, S) or (batch, heads, T, S) "
            "(or broadcastable: (1, T, S), (batch, 1, S)), got shape "
            f"{tuple(attention_mask.shape)}; for a (batch, S) padding mask pass "
            "`padding_mask[:, None, :]`."
        )
    masks = []
    query_mask = get_keras_mask(query)
    if query_mask is not None:
        masks.append(ops.cast(query_mask, "bool")[:, None, :, None])
    for mask in (get_keras_mask(value), None if key is value else get_keras_mask(key)):
        if mask is not None:
            masks.append(ops.cast(mask, "bool")[:, None, None, :])
    if attention_mask is not None:
        masks.append(attention_mask_4d(attention_mask))
    if not masks:
        return None
    if causal:
        masks.append(causal_mask(query, value))
    return merge_masks(masks)
