"""Transformer decoder block: causal self-attention, optional cross-attention, feed-forward."""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks._transformer_common import (
    TransformerBlockBase,
    key_padding_mask,
)
from keras_dlkit.utils.keras_compat import get_keras_mask
from keras_dlkit.utils.validation import check_bool


@keras_dlkit_export("keras_dlkit.blocks.TransformerDecoderBlock")
class TransformerDecoderBlock(TransformerBlockBase):
    """One Transformer decoder layer (GPT without, T5 with cross-attention).

    Causal self-attention, then (``cross_attention=True``) attention from the
    decoder positions to ``encoder_outputs``, then the feed-forward network;
    each a residual branch, post-norm ``x = norm(x + dropout(f(x)))`` or
    pre-norm ``x = x + dropout(f(norm(x)))``. In a pre-norm stack the final
    norm after the last block belongs to the model.

    Sublayers: ``self_attention``, ``self_attention_norm``,
    ``self_attention_dropout``; with ``cross_attention=True`` also
    ``cross_attention``, ``cross_attention_norm``,
    ``cross_attention_dropout``; then ``feed_forward``,
    ``feed_forward_norm``, ``feed_forward_dropout``. The rotary embedding
    (``rotary_max_wavelength``) applies to the self-attention only.

    Args:
        num_heads: Number of attention heads.
        intermediate_dim: Width of the feed-forward network.
        num_key_value_heads: Key/value heads for grouped-query attention;
            ``None`` means ``num_heads``. Must divide ``num_heads``.
        key_dim: Size of each head; ``None`` means ``hidden_dim //
            num_heads`` (then ``num_heads`` must divide the hidden size).
        norm: ``"layer_norm"`` or ``"rms_norm"``.
        norm_position: ``"post"`` or ``"pre"``.
        norm_epsilon: Epsilon of the norms.
        activation: Feed-forward activation (see
            :class:`keras_dlkit.blocks.FeedForward`).
        use_bias: Whether the projections and dense layers have biases.
        dropout: Residual dropout rate.
        attention_dropout: Dropout rate on the attention weights.
        attention_scale: Logit scale; ``None`` means ``1 / sqrt(key_dim)``.
        rotary_max_wavelength: ``None``, or the wavelength of a rotary
            embedding of the self-attention's queries and keys.
        kernel_initializer: Initializer of every kernel.
        bias_initializer: Initializer of every bias.
        cross_attention: Whether the block attends to ``encoder_outputs``.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Call arguments:
        inputs: ``(batch, T, hidden)``.
        encoder_outputs: ``(batch, S, hidden_enc)``; required with
            ``cross_attention=True``.
        padding_mask: ``(batch, T)``, 1/True for real tokens (defaults to
            the inputs' implicit Keras mask).
        encoder_padding_mask: ``(batch, S)``, 1/True for real encoder tokens.
        attention_bias: Float added to the self-attention logits (T5).
        cross_attention_bias: Float added to the cross-attention logits.
        self_attention_cache: ``None`` or the self-attention key/value cache
            ``(batch, 2, max_length, kv_heads, key_dim)`` (keras-hub's
            ``TransformerDecoder`` convention; see
            :class:`~keras_dlkit.layers.TransformerAttention`). The keys and
            values of ``inputs`` are written at
            ``self_attention_cache_update_index ..``; query ``t`` attends to
            cache positions ``<= self_attention_cache_update_index + t``.
            ``padding_mask`` then masks cache positions: ``(batch,
            max_length)``; the inputs' implicit Keras mask is not read.
        self_attention_cache_update_index: Position of the first input (int
            or scalar int tensor).
        cross_attention_cache: ``None`` or the read-only cross-attention
            cache of ``encoder_outputs`` (:meth:`compute_cross_attention_cache`);
            it replaces ``encoder_outputs``.
        training: Whether dropout is active.

    Returns:
        ``(batch, T, hidden)``; with ``self_attention_cache``, ``(outputs,
        self_attention_cache)``, and ``(outputs, self_attention_cache,
        cross_attention_cache)`` when a cross-attention cache is given.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import TransformerDecoderBlock
    >>> block = TransformerDecoderBlock(
    ...     num_heads=2, intermediate_dim=32, norm_position="pre", cross_attention=True
    ... )
    >>> x, encoded = np.ones((2, 5, 16), "float32"), np.ones((2, 7, 16), "float32")
    >>> tuple(block(x, encoder_outputs=encoded).shape)
    (2, 5, 16)
    """

    def __init__(
        self,
        num_heads: int,
        intermediate_dim: int,
        num_key_value_heads: int | None = None,
        key_dim: int | None = None,
        norm: str = "layer_norm",
        norm_position: str = "post",
        norm_epsilon: float = 1e-5,
        activation: str = "gelu",
        use_bias: bool = True,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        attention_scale: float | None = None,
        rotary_max_wavelength: float | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        cross_attention: bool = False,
        **kwargs: Any,
    ):
        super().__init__(
            num_heads=num_heads,
            intermediate_dim=intermediate_dim,
            num_key_value_heads=num_key_value_heads,
            key_dim=key_dim,
            norm=norm,
            norm_position=norm_position,
            norm_epsilon=norm_epsilon,
            activation=activation,
            use_bias=use_bias,
            dropout=dropout,
            attention_dropout=attention_dropout,
            attention_scale=attention_scale,
            rotary_max_wavelength=rotary_max_wavelength,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            **kwargs,
        )
        self.cross_attention = check_bool("cross_attention", cross_attention)

    def build(self, inputs_shape: tuple, encoder_outputs_shape: Any = None) -> None:
        hidden_dim = self._hidden_dim(inputs_shape)
        inputs_shape = tuple(inputs_shape)
        self.self_attention = self._attention("self_attention", hidden_dim, True)
        self.self_attention.build(inputs_shape)
        self.self_attention_norm = self._norm("self_attention_norm")
        self.self_attention_norm.build(inputs_shape)
        self.self_attention_dropout = self._dropout("self_attention_dropout")
        self.cross_attention_layer = None
        if self.cross_attention:
            encoder_shape = (
                inputs_shape
                if encoder_outputs_shape is None
                else tuple(encoder_outputs_shape)
            )
            self.cross_attention_layer = self._attention(
                "cross_attention", hidden_dim, False
            )
            self.cross_attention_layer.build(inputs_shape, encoder_shape)
            self.cross_attention_norm = self._norm("cross_attention_norm")
            self.cross_attention_norm.build(inputs_shape)
            self.cross_attention_dropout = self._dropout("cross_attention_dropout")
        self.feed_forward = self._feed_forward()
        self.feed_forward.build(inputs_shape)
        self.feed_forward_norm = self._norm("feed_forward_norm")
        self.feed_forward_norm.build(inputs_shape)
        self.feed_forward_dropout = self._dropout("feed_forward_dropout")

    def call(
        self,
        inputs: Any,
        encoder_outputs: Any = None,
        padding_mask: Any = None,
        encoder_padding_mask: Any = None,
        attention_bias: Any = None,
        cross_attention_bias: Any = None,
        self_attention_cache: Any = None,
        self_attention_cache_update_index: Any = None,
        cross_attention_cache: Any = None,
        training: bool | None = None,
    ) -> Any:
        caching = self_attention_cache is not None or cross_attention_cache is not None
        # With a cache the padding mask covers the cache's positions, not the
        # inputs': the inputs' own Keras mask is not read then.
        if padding_mask is None and not caching:
            padding_mask = get_keras_mask(inputs)
        self_kwargs = {
            "attention_mask": (
                None if padding_mask is None else key_padding_mask(padding_mask)
            ),
            "attention_bias": attention_bias,
            "use_causal_mask": True,
        }
        if self_attention_cache is not None:
            self_kwargs["cache_update_index"] = (
                0
                if self_attention_cache_update_index is None
                else self_attention_cache_update_index
            )
        x, self_cache = self._attention_branch(
            inputs,
            self.self_attention,
            self.self_attention_norm,
            self.self_attention_dropout,
            training,
            self_attention_cache,
            **self_kwargs,
        )
        cross_cache = None
        if self.cross_attention:
            if encoder_outputs is None and cross_attention_cache is None:
                raise ValueError(
                    "TransformerDecoderBlock(cross_attention=True) needs "
                    "`encoder_outputs` or `cross_attention_cache`."
                )
            if encoder_padding_mask is None and encoder_outputs is not None:
                encoder_padding_mask = get_keras_mask(encoder_outputs)
            cross_kwargs = {
                "attention_mask": (
                    None
                    if encoder_padding_mask is None
                    else key_padding_mask(encoder_padding_mask)
                ),
                "attention_bias": cross_attention_bias,
            }
            if cross_attention_cache is None:
                cross_kwargs["value"] = encoder_outputs
            x, cross_cache = self._attention_branch(
                x,
                self.cross_attention_layer,
                self.cross_attention_norm,
                self.cross_attention_dropout,
                training,
                cross_attention_cache,
                **cross_kwargs,
            )
        elif cross_attention_cache is not None:
            raise ValueError(
                "`cross_attention_cache` was given to a TransformerDecoderBlock "
                "without cross-attention (`cross_attention=False`)."
            )
        x = self._residual(
            x,
            self.feed_forward,
            self.feed_forward_norm,
            self.feed_forward_dropout,
            training,
        )
        if not caching:
            return x
        if cross_cache is not None:
            return x, self_cache, cross_cache
        return x, self_cache

    def _attention_branch(self, x, layer, norm, dropout, training, cache, **kwargs):
        """A residual attention branch and its new cache (``None`` without one)."""
        if cache is None:
            return self._residual(x, layer, norm, dropout, training, **kwargs), None
        return self._residual(
            x, layer, norm, dropout, training, returns_cache=True, cache=cache, **kwargs
        )

    def compute_cross_attention_cache(self, encoder_outputs: Any) -> Any:
        """The read-only cross-attention key/value cache of ``encoder_outputs``.

        Args:
            encoder_outputs: ``(batch, S, hidden_enc)``.

        Returns:
            ``(batch, 2, S, kv_heads, key_dim)``, for ``cross_attention_cache``.

        Example:

        >>> import numpy as np
        >>> from keras_dlkit.blocks import TransformerDecoderBlock
        >>> block = TransformerDecoderBlock(2, 16, cross_attention=True)
        >>> x, enc = np.ones((1, 3, 8), "float32"), np.ones((1, 5, 8), "float32")
        >>> _ = block(x, encoder_outputs=enc)
        >>> tuple(block.compute_cross_attention_cache(enc).shape)
        (1, 2, 5, 2, 4)
        """
        if not self.cross_attention:
            raise ValueError(
                "compute_cross_attention_cache needs a block with "
                "`cross_attention=True`."
            )
        return self.cross_attention_layer.compute_cache(encoder_outputs)

    def compute_output_spec(self, inputs, *args, **kwargs):
        output = keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)
        caches = [
            kwargs.get(name)
            for name in ("self_attention_cache", "cross_attention_cache")
        ]
        if all(cache is None for cache in caches):
            return output
        self_cache, cross_cache = caches
        result = (output,)
        if self_cache is not None:
            result = (*result, keras.KerasTensor(self_cache.shape, self_cache.dtype))
        if cross_cache is not None:
            result = (*result, keras.KerasTensor(cross_cache.shape, cross_cache.dtype))
        return result

    def get_config(self) -> dict:
        return {**super().get_config(), "cross_attention": self.cross_attention}
