"""Multi-head and grouped-query dot-product attention with masks, a bias and RoPE."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.backends import backend_module
from keras_dlkit.layers._attention_masks import (
    MASKED_LOGIT,
    attention_mask_4d,
    causal_mask,
    combined_mask,
    large_negative,
    merge_masks,
)
from keras_dlkit.layers.rotary_embedding import RotaryEmbedding
from keras_dlkit.utils.keras_compat import (
    clone_initializer,
    get_keras_mask,
    set_keras_mask,
)
from keras_dlkit.utils.validation import (
    check_bool,
    check_float,
    check_int,
    resolve_initializer,
)


@keras_dlkit_export("keras_dlkit.layers.TransformerAttention")
class TransformerAttention(keras.layers.Layer):
    """Scaled dot-product attention with several heads, grouped-query optional.

    ``softmax(scale * Q K^T + bias, masked) V`` on ``num_heads`` heads
    (Vaswani et al., 2017). With ``num_key_value_heads < num_heads`` it is
    grouped-query attention (Ainslie et al., 2023): each key/value head
    serves ``num_heads // num_key_value_heads`` consecutive query heads (the
    arrangement of ``keras.layers.GroupQueryAttention``).

    The projections are ``EinsumDense`` sublayers with the kernel shapes of
    ``keras.layers.MultiHeadAttention``, so weights copy 1:1:
    ``query`` ``(dim, num_heads, key_dim)``, ``key`` ``(dim, kv_heads,
    key_dim)``, ``value`` ``(dim, kv_heads, value_dim)`` and
    ``attention_output`` ``(num_heads, value_dim, output_dim)``; biases
    ``(heads, size)`` and ``(output_dim,)`` when ``use_bias``. With
    ``rotary_max_wavelength`` set, a :class:`RotaryEmbedding` sublayer
    ``rotary_embedding`` rotates the projected queries and keys.

    The computation goes through ``keras.ops.dot_product_attention`` (the
    backend's fused kernel) unless attention dropout is active in training,
    the scores are requested, or the compute dtype is float16 on JAX's CPU
    backend (whose fused kernel cannot be differentiated in float16); then
    the softmax is explicit, in float32.
    A query whose every key is masked (a padded query under a causal or
    query mask) attends to all keys as if unmasked, on both paths and every
    backend, instead of producing NaN (its output is meaningless either way).

    Args:
        num_heads: Number of query heads (``>= 1``).
        key_dim: Size of each query/key head (``>= 1``).
        num_key_value_heads: Number of key/value heads; ``None`` means
            ``num_heads`` (multi-head attention). Must divide ``num_heads``.
        value_dim: Size of each value head; ``None`` means ``key_dim``.
        output_dim: Size of the output; ``None`` means the query's size.
        use_bias: Whether the four projections have biases.
        dropout: Dropout rate on the attention weights, in ``[0, 1)``.
        scale: Factor of the logits; ``None`` means ``1 / sqrt(key_dim)``
            (T5 uses ``1.0``).
        rotary_max_wavelength: ``None`` (no rotary embedding) or the
            ``max_wavelength`` of the rotary embedding of queries and keys.
        rotary_scaling_factor: ``scaling_factor`` of that rotary embedding.
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        seed: Seed of the attention dropout, or ``None``.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Call arguments:
        query: ``(batch, T, dim)`` queries.
        value: ``(batch, S, dim_v)`` values; ``None`` means ``query``
            (self-attention).
        key: ``(batch, S, dim_k)`` keys; ``None`` means ``value``.
        attention_mask: Boolean ``(batch, T, S)`` (or broadcastable, or
            ``(batch, heads, T, S)``), ``True`` where a query may attend.
            Implicit Keras masks of ``query``/``value``/``key`` are combined
            in, as in ``keras.layers.MultiHeadAttention``.
        attention_bias: Float added to the logits, broadcastable to
            ``(batch, num_heads, T, S)`` (T5's relative position bias).
        use_causal_mask: Whether query ``t`` may only attend to keys ``<= t``.
        start_index: Position of the first query/key, for the rotary
            embedding.
        training: Whether attention dropout is active.
        return_attention_scores: Whether to also return the
            ``(batch, num_heads, T, S)`` attention weights.
        cache: ``None`` or a key/value cache ``(batch, 2, max_length,
            num_key_value_heads, key_dim)``, keys at ``[:, 0]`` and values
            at ``[:, 1]`` (keras-hub's ``CachedMultiHeadAttention``
            layout; the keys are stored after the rotary embedding). With
            ``cache_update_index`` the projected keys/values of ``key`` /
            ``value`` (default ``query``) are written at positions
            ``cache_update_index ..`` and attention runs over the whole
            cache; with the causal mask query ``t`` sees key ``s`` iff ``s <=
            cache_update_index + t`` (later, stale entries are never seen).
            Without it the cache is read-only (cross-attention on
            precomputed encoder keys/values, see :meth:`compute_cache`;
            ``value`` and ``key`` are ignored). With a cache the implicit
            Keras masks are not read: pass ``attention_mask`` ``(batch, T,
            max_length)`` (or broadcastable) for padded keys.
        cache_update_index: Position of the first query (an int or a scalar
            int tensor), where the new keys/values go; also the rotary
            ``start_index``.

    Returns:
        The ``(batch, T, output_dim)`` output, and the attention weights when
        ``return_attention_scores``; with a cache, ``(output, new_cache)``
        (or ``(output, scores, new_cache)``).

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import TransformerAttention
    >>> layer = TransformerAttention(num_heads=4, key_dim=8, num_key_value_heads=2)
    >>> x = np.ones((2, 5, 16), "float32")
    >>> tuple(layer(x, use_causal_mask=True).shape)
    (2, 5, 16)
    >>> tuple(layer.key.kernel.shape)  # (dim, kv_heads, key_dim)
    (16, 2, 8)
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        num_key_value_heads: int | None = None,
        value_dim: int | None = None,
        output_dim: int | None = None,
        use_bias: bool = True,
        dropout: float = 0.0,
        scale: float | None = None,
        rotary_max_wavelength: float | None = None,
        rotary_scaling_factor: float = 1.0,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.num_heads = check_int("num_heads", num_heads, minimum=1)
        self.key_dim = check_int("key_dim", key_dim, minimum=1)
        if num_key_value_heads is not None:
            check_int("num_key_value_heads", num_key_value_heads, minimum=1)
            if num_heads % num_key_value_heads:
                raise ValueError(
                    f"`num_key_value_heads`={num_key_value_heads} must divide "
                    f"`num_heads`={num_heads} (each key/value head serves a "
                    "group of query heads)."
                )
        self.num_key_value_heads = num_key_value_heads
        if value_dim is not None:
            check_int("value_dim", value_dim, minimum=1)
        self.value_dim = value_dim
        if output_dim is not None:
            check_int("output_dim", output_dim, minimum=1)
        self.output_dim = output_dim
        self.use_bias = check_bool("use_bias", use_bias)
        self.dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0)
        if self.dropout >= 1.0:
            raise ValueError(f"`dropout` must be in [0, 1), got {dropout!r}.")
        if scale is not None:
            check_float("scale", scale, minimum=0.0, min_inclusive=False)
        self.scale = scale
        if rotary_max_wavelength is not None:
            check_float(
                "rotary_max_wavelength",
                rotary_max_wavelength,
                minimum=0.0,
                min_inclusive=False,
            )
            if key_dim % 2:
                raise ValueError(
                    f"`key_dim`={key_dim} must be even with a rotary embedding "
                    f"(`rotary_max_wavelength`={rotary_max_wavelength!r}): RoPE "
                    "rotates pairs of features."
                )
        self.rotary_max_wavelength = rotary_max_wavelength
        self.rotary_scaling_factor = check_float(
            "rotary_scaling_factor",
            rotary_scaling_factor,
            minimum=0.0,
            min_inclusive=False,
        )
        self.kernel_initializer = resolve_initializer(
            "kernel_initializer", kernel_initializer
        )
        self.bias_initializer = resolve_initializer(
            "bias_initializer", bias_initializer
        )
        if seed is not None:
            check_int("seed", seed)
        self.seed = seed
        self.supports_masking = True
        self.query = self.key = self.value = self.attention_output = None
        self.rotary_embedding = None
        self.attention_dropout = keras.layers.Dropout(
            self.dropout, seed=seed, dtype=self.dtype_policy, name="attention_dropout"
        )

    @property
    def kv_heads(self) -> int:
        """The number of key/value heads (``num_heads`` for multi-head attention)."""
        return self.num_key_value_heads or self.num_heads

    @property
    def head_value_dim(self) -> int:
        """The size of each value head."""
        return self.value_dim or self.key_dim

    def _dense(self, name: str, equation: str, output_shape: tuple, bias_axes: str):
        return keras.layers.EinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes if self.use_bias else None,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            bias_initializer=clone_initializer(self.bias_initializer),
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, query_shape: tuple, value_shape=None, key_shape=None) -> None:
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        for name, shape in (
            ("query", query_shape),
            ("value", value_shape),
            ("key", key_shape),
        ):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(
                    f"TransformerAttention takes (batch, seq, features) inputs "
                    f"with known features: the `{name}` shape is {tuple(shape)}."
                )
        out_dim = self.output_dim or int(query_shape[-1])
        self.query = self._dense(
            "query", "abc,cde->abde", (None, self.num_heads, self.key_dim), "de"
        )
        self.key = self._dense(
            "key", "abc,cde->abde", (None, self.kv_heads, self.key_dim), "de"
        )
        self.value = self._dense(
            "value", "abc,cde->abde", (None, self.kv_heads, self.head_value_dim), "de"
        )
        self.attention_output = self._dense(
            "attention_output", "abcd,cde->abe", (None, out_dim), "e"
        )
        self.query.build(tuple(query_shape))
        self.key.build(tuple(key_shape))
        self.value.build(tuple(value_shape))
        self.attention_output.build(
            (query_shape[0], query_shape[1], self.num_heads, self.head_value_dim)
        )
        if self.rotary_max_wavelength is not None:
            self.rotary_embedding = RotaryEmbedding(
                max_wavelength=self.rotary_max_wavelength,
                scaling_factor=self.rotary_scaling_factor,
                dtype=self.dtype_policy,
                name="rotary_embedding",
            )

    def call(
        self,
        query: Any,
        value: Any = None,
        key: Any = None,
        attention_mask: Any = None,
        attention_bias: Any = None,
        use_causal_mask: bool = False,
        start_index: Any = 0,
        training: bool | None = None,
        return_attention_scores: bool = False,
        cache: Any = None,
        cache_update_index: Any = None,
    ) -> Any:
        if cache is not None:
            return self._call_with_cache(
                query,
                value,
                key,
                cache,
                cache_update_index,
                attention_mask,
                attention_bias,
                use_causal_mask,
                training,
                return_attention_scores,
            )
        value = query if value is None else value
        key = value if key is None else key
        mask = combined_mask(query, value, key, attention_mask, use_causal_mask)
        causal_only = use_causal_mask and mask is None
        q, k, v = self._project(query, value, key)
        if self.rotary_embedding is not None:
            q = self.rotary_embedding(q, start_index=start_index)
            k = self.rotary_embedding(k, start_index=start_index)
        return self._attend(
            q,
            k,
            v,
            mask,
            attention_bias,
            causal_only,
            training,
            return_attention_scores,
        )

    def _attend(
        self,
        q,
        k,
        v,
        mask,
        attention_bias,
        causal_only,
        training,
        return_attention_scores,
    ):
        """Attention of projected (B, T|S, heads, size) tensors, then the output."""
        scale = self.scale if self.scale is not None else self.key_dim**-0.5

        # The fused kernels want one head size for keys and values (JAX's).
        explicit = (
            return_attention_scores
            or (self.dropout > 0.0 and bool(training))
            or self.head_value_dim != self.key_dim
            or _fused_float16_unsupported(self.compute_dtype)
        )
        if explicit:
            output, scores = self._explicit_attention(
                q, k, v, mask, attention_bias, causal_only, scale, training
            )
        else:
            bias = attention_bias
            if bias is not None:
                bias = ops.cast(bias, self.compute_dtype)
                if causal_only:
                    mask, causal_only = causal_mask(q, k), False
                if mask is not None:
                    negative = large_negative(self.compute_dtype)
                    bias = bias + ops.cast(
                        ops.where(mask, 0.0, negative), self.compute_dtype
                    )
                    mask = None
            # Grouped-query attention natively: every backend's
            # dot_product_attention takes fewer key/value heads than queries,
            # but TensorFlow's fails on a single one (multi-query attention:
            # an einsum shape error in Keras 3.15), so one head is repeated.
            if self.kv_heads == 1 and self.num_heads > 1:
                k = ops.repeat(k, self.num_heads, axis=2)
                v = ops.repeat(v, self.num_heads, axis=2)
            output = ops.dot_product_attention(
                q, k, v, bias=bias, mask=mask, scale=scale, is_causal=causal_only
            )
            scores = None
        output = self.attention_output(output)
        if return_attention_scores:
            return output, scores
        return output

    def _call_with_cache(
        self,
        query,
        value,
        key,
        cache,
        cache_update_index,
        attention_mask,
        attention_bias,
        use_causal_mask,
        training,
        return_scores,
    ):
        if len(cache.shape) != 5 or cache.shape[1] != 2:
            raise ValueError(
                "`cache` must be (batch, 2, max_length, num_key_value_heads, "
                f"key_dim), got shape {tuple(cache.shape)}."
            )
        q = self.query(query)
        if cache_update_index is None:
            k, v = cache[:, 0], cache[:, 1]
            index = 0
        else:
            value = query if value is None else value
            key = value if key is None else key
            index = ops.cast(cache_update_index, "int32")
            k_new, v_new = self.key(key), self.value(value)
            if self.rotary_embedding is not None:
                q = self.rotary_embedding(q, start_index=index)
                k_new = self.rotary_embedding(k_new, start_index=index)
            zero = ops.zeros((), "int32")
            start = [zero, index, zero, zero]
            k = ops.slice_update(cache[:, 0], start, ops.cast(k_new, cache.dtype))
            v = ops.slice_update(cache[:, 1], start, ops.cast(v_new, cache.dtype))
            cache = ops.stack([k, v], axis=1)
        if cache_update_index is None and self.rotary_embedding is not None:
            q = self.rotary_embedding(q, start_index=0)
        masks = []
        if attention_mask is not None:
            masks.append(attention_mask_4d(attention_mask))
        if use_causal_mask:
            masks.append(causal_mask(q, k, start_index=index))
        mask = merge_masks(masks) if masks else None
        k, v = ops.cast(k, q.dtype), ops.cast(v, q.dtype)
        result = self._attend(
            q, k, v, mask, attention_bias, False, training, return_scores
        )
        if return_scores:
            return (*result, cache)
        return result, cache

    def compute_cache(self, value: Any, key: Any = None) -> Any:
        """The read-only key/value cache of ``value`` (cross-attention).

        Args:
            value: ``(batch, S, dim_v)``, e.g. encoder outputs.
            key: ``(batch, S, dim_k)``; ``None`` means ``value``.

        Returns:
            ``(batch, 2, S, num_key_value_heads, key_dim)``: the projected
            keys (rotated from position 0 with a rotary embedding) and
            values, to pass as ``cache`` with ``cache_update_index=None``.

        Example:

        >>> import numpy as np
        >>> from keras import ops
        >>> from keras_dlkit.layers import TransformerAttention
        >>> layer = TransformerAttention(num_heads=2, key_dim=4)
        >>> q, enc = np.ones((1, 3, 8), "float32"), np.ones((1, 5, 8), "float32")
        >>> full = ops.convert_to_numpy(layer(q, enc))
        >>> cache = layer.compute_cache(enc)
        >>> tuple(cache.shape)
        (1, 2, 5, 2, 4)
        >>> out, _ = layer(q, cache=cache)
        >>> bool(np.allclose(full, ops.convert_to_numpy(out), atol=1e-6))
        True
        """
        key = value if key is None else key
        if not self.built:
            self.build(tuple(value.shape), tuple(value.shape), tuple(key.shape))
        k, v = self.key(key), self.value(value)
        if self.rotary_embedding is not None:
            k = self.rotary_embedding(k, start_index=0)
        if self.head_value_dim != self.key_dim:
            raise ValueError(
                "A key/value cache needs `value_dim` == `key_dim`, got "
                f"value_dim={self.value_dim} and key_dim={self.key_dim}."
            )
        return ops.stack([k, ops.cast(v, k.dtype)], axis=1)

    def _project(self, query, value, key):
        """The query/key/value projections, (B, T|S, heads, size) each."""
        # The inputs' Keras masks are folded into the attention mask already;
        # the projections would only warn that they drop them. Detach them
        # for the projections and put them back: the caller's tensors (an
        # encoder output shared by several decoder layers) keep their masks.
        tensors = {id(t): t for t in (query, value, key)}.values()
        saved = [(t, get_keras_mask(t)) for t in tensors]
        try:
            for tensor, mask in saved:
                if mask is not None:
                    set_keras_mask(tensor, None)
            return self.query(query), self.key(key), self.value(value)
        finally:
            for tensor, mask in saved:
                if mask is not None:
                    set_keras_mask(tensor, mask)

    def _explicit_attention(self, q, k, v, mask, bias, causal_only, scale, training):
        groups = self.num_heads // self.kv_heads
        if groups > 1:  # key/value head j serves query heads j*groups..
            k = ops.repeat(k, groups, axis=2)
            v = ops.repeat(v, groups, axis=2)
        logits = ops.einsum(
            "btnh,bsnh->bnts", ops.cast(q, "float32"), ops.cast(k, "float32")
        ) * ops.cast(scale, "float32")
        if bias is not None:
            logits = logits + ops.cast(bias, "float32")
        if causal_only:
            mask = causal_mask(q, k)
        if mask is not None:
            logits = ops.where(mask, logits, MASKED_LOGIT)
        scores = ops.cast(ops.softmax(logits, axis=-1), self.compute_dtype)
        weights = self.attention_dropout(scores, training=training)
        output = ops.einsum("bnts,bsnh->btnh", weights, v)
        return output, scores

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        out_dim = self.output_dim or query_shape[-1]
        return (*tuple(query_shape)[:-1], out_dim)

    def compute_output_spec(self, query, value=None, key=None, **kwargs):
        value = query if value is None else value
        shape = self.compute_output_shape(query.shape)
        output = keras.KerasTensor(shape, dtype=self.compute_dtype)
        cache = kwargs.get("cache")
        result = (output,)
        if kwargs.get("return_attention_scores"):
            scores_shape = (
                query.shape[0],
                self.num_heads,
                query.shape[1],
                value.shape[1] if cache is None else cache.shape[2],
            )
            scores = keras.KerasTensor(scores_shape, dtype=self.compute_dtype)
            result = (*result, scores)
        if cache is not None:
            result = (*result, keras.KerasTensor(cache.shape, dtype=cache.dtype))
        return result[0] if len(result) == 1 else result

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "num_key_value_heads": self.num_key_value_heads,
            "value_dim": self.value_dim,
            "output_dim": self.output_dim,
            "use_bias": self.use_bias,
            "dropout": self.dropout,
            "scale": self.scale,
            "rotary_max_wavelength": self.rotary_max_wavelength,
            "rotary_scaling_factor": self.rotary_scaling_factor,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "seed": self.seed,
        }


def _fused_float16_unsupported(compute_dtype: str) -> bool:
    """Whether the fused kernel cannot differentiate this dtype here.

    JAX's ``dot_product_attention`` cannot be differentiated in float16 on
    its CPU backend (``keras_dlkit.backends.jax_attention``): a
    ``mixed_float16`` training step would fail on a JAX CPU. The explicit
    path (float32 logits and softmax) computes the same attention.
    """
    if compute_dtype != "float16":
        return False
    module = backend_module("attention")
    return module is not None and module.fused_float16_unsupported()
