"""T5's relative position bias: one learned scalar per head and distance bucket."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_bool, check_int


def relative_position_bucket(
    relative_position: Any,
    bidirectional: bool = True,
    num_buckets: int = 32,
    max_distance: int = 128,
) -> Any:
    """The bucket of each relative position ``key_position - query_position``.

    Mesh TensorFlow's rule, as in T5, Hugging Face and keras-hub: half of the
    buckets (all of them when ``bidirectional`` is False) hold the distances
    ``0 .. max_exact - 1`` one each (``max_exact`` is half of those
    buckets), the rest cover ``max_exact .. max_distance`` on a logarithmic
    scale, and farther distances share the last bucket. Bidirectional: keys
    after the query use the upper half. Unidirectional (causal): keys after
    the query fall in bucket 0, with distance 0.

    Args:
        relative_position: Integer tensor of ``key - query`` positions.
        bidirectional: Whether keys after the query get their own buckets.
        num_buckets: Number of buckets.
        max_distance: Distance from which all positions share one bucket.

    Returns:
        An int32 tensor of bucket indices in ``[0, num_buckets)``, shaped
        like ``relative_position``.
    """
    relative_position = ops.cast(relative_position, "int32")
    buckets = ops.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + ops.cast(ops.greater(relative_position, 0), "int32") * (
            num_buckets
        )
        distance = ops.abs(relative_position)
    else:
        distance = -ops.minimum(relative_position, 0)
    max_exact = num_buckets // 2
    is_small = ops.less(distance, max_exact)
    # float32 as in Mesh TensorFlow (which decides where the bucket borders
    # fall); max(., 1) only keeps log(0) out of the branch `where` discards.
    scaled = (
        ops.log(ops.cast(ops.maximum(distance, 1), "float32") / float(max_exact))
        / math.log(max_distance / max_exact)
        * float(num_buckets - max_exact)
    )
    if_large = ops.minimum(max_exact + ops.cast(scaled, "int32"), num_buckets - 1)
    return buckets + ops.where(is_small, distance, if_large)


@keras_dlkit_export("keras_dlkit.layers.RelativePositionBias")
class RelativePositionBias(keras.layers.Layer):
    """T5's bucketed relative position bias, added to the attention logits.

    Each pair (query position ``i``, key position ``j``) gets the learned
    scalar ``embeddings[bucket(j - i), h]`` for head ``h``, where ``bucket``
    is Mesh TensorFlow's logarithmic bucketing (exact buckets for short
    distances, log-spaced ones up to ``max_distance``, one bucket beyond).
    The result has shape ``(1, num_heads, T, S)`` and depends only on the two
    sequence lengths, so it is computed once per stack and passed as
    ``attention_bias`` to every layer (T5 shares the first layer's bias with
    the rest of the stack). The encoder uses ``bidirectional=True``; the
    decoder's causal self-attention ``bidirectional=False``.

    Reference: Raffel et al., "Exploring the Limits of Transfer Learning with
    a Unified Text-to-Text Transformer", JMLR 2020; weights copy 1:1 from
    keras-hub's ``T5MultiHeadAttention`` (``relative_attention_bias``).

    Args:
        num_heads: Number of attention heads.
        num_buckets: Number of distance buckets (at least 4 when
            bidirectional, 2 otherwise).
        max_distance: Distance from which all positions share one bucket;
            greater than the number of exact buckets (a quarter of
            ``num_buckets`` when bidirectional, half otherwise).
        bidirectional: Whether keys after the query get their own buckets
            (encoder) or share bucket 0 (causal decoder).
        embeddings_initializer: Initializer of the ``(num_buckets,
            num_heads)`` weight ``embeddings``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        query: Tensor ``(B, T, ...)``; only its length ``T`` is used.
        key: Optional tensor ``(B, S, ...)``; defaults to ``query``.
        start_index: Position of the first query (for cached decoding, where
            the queries are the last few positions of the keys).

    Returns:
        The float bias ``(1, num_heads, T, S)`` in the compute dtype.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import RelativePositionBias
    >>> layer = RelativePositionBias(num_heads=2, num_buckets=8, max_distance=16)
    >>> bias = layer(np.zeros((3, 5, 4), "float32"))
    >>> tuple(bias.shape)
    (1, 2, 5, 5)
    """

    def __init__(
        self,
        num_heads: int,
        num_buckets: int = 32,
        max_distance: int = 128,
        bidirectional: bool = True,
        embeddings_initializer: Any = "random_normal",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_heads = check_int("num_heads", num_heads, minimum=1)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        self.num_buckets = check_int(
            "num_buckets", num_buckets, minimum=4 if bidirectional else 2
        )
        max_exact = (num_buckets // 2 if bidirectional else num_buckets) // 2
        self.max_distance = check_int("max_distance", max_distance, minimum=1)
        if max_distance <= max_exact:
            raise ValueError(
                f"`max_distance` must be greater than the {max_exact} exact "
                f"buckets that num_buckets={num_buckets} "
                f"(bidirectional={bidirectional}) gives, got {max_distance!r}."
            )
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, query_shape: Any, key_shape: Any = None) -> None:
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.num_buckets, self.num_heads),
            initializer=self.embeddings_initializer,
        )

    def call(self, query: Any, key: Any = None, start_index: Any = 0) -> Any:
        query_length = ops.shape(query)[1]
        key_length = query_length if key is None else ops.shape(key)[1]
        query_position = ops.arange(query_length, dtype="int32")[:, None]
        key_position = ops.arange(key_length, dtype="int32")[None, :]
        relative = key_position - (query_position + ops.cast(start_index, "int32"))
        buckets = relative_position_bucket(
            relative, self.bidirectional, self.num_buckets, self.max_distance
        )
        values = ops.take(
            ops.cast(self.embeddings, self.compute_dtype), buckets, axis=0
        )
        # (T, S, heads) -> (1, heads, T, S)
        return ops.expand_dims(ops.transpose(values, (2, 0, 1)), 0)

    def compute_output_shape(self, query_shape: Any, key_shape: Any = None) -> tuple:
        key_length = query_shape[1] if key_shape is None else key_shape[1]
        return (1, self.num_heads, query_shape[1], key_length)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "num_buckets": self.num_buckets,
            "max_distance": self.max_distance,
            "bidirectional": self.bidirectional,
            "embeddings_initializer": keras.initializers.serialize(
                self.embeddings_initializer
            ),
        }
