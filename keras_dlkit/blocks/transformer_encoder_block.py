"""Transformer encoder block: self-attention and a feed-forward network, each residual."""

from __future__ import annotations

from typing import Any

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks._transformer_common import (
    TransformerBlockBase,
    key_padding_mask,
    merge_masks,
)
from keras_dlkit.utils.keras_compat import get_keras_mask


@keras_dlkit_export("keras_dlkit.blocks.TransformerEncoderBlock")
class TransformerEncoderBlock(TransformerBlockBase):
    """One Transformer encoder layer (BERT, ViT; GPT/Llama with a causal mask).

    Post-norm (Vaswani et al., 2017; BERT)::

        x = norm(x + dropout(attention(x)))
        x = norm(x + dropout(feed_forward(x)))

    Pre-norm (GPT-2, ViT, T5, Llama)::

        x = x + dropout(attention(norm(x)))
        x = x + dropout(feed_forward(norm(x)))

    In a pre-norm stack the final norm after the last block belongs to the
    model, not to the block.

    Sublayers: ``self_attention`` (:class:`keras_dlkit.layers.TransformerAttention`),
    ``self_attention_norm``, ``self_attention_dropout``, ``feed_forward``
    (:class:`keras_dlkit.blocks.FeedForward`), ``feed_forward_norm``,
    ``feed_forward_dropout``. ``dropout`` is the residual dropout; the feed-
    forward network has no inner dropout.

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
            embedding of queries and keys (RoPE).
        kernel_initializer: Initializer of every kernel.
        bias_initializer: Initializer of every bias.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Call arguments:
        inputs: ``(batch, seq, hidden)``.
        padding_mask: ``(batch, seq)``, 1/True for real tokens (defaults to
            the inputs' implicit Keras mask).
        attention_mask: Boolean ``(batch, seq, seq)``, True = may attend.
        attention_bias: Float added to the attention logits (T5).
        use_causal_mask: Whether each position only attends to earlier ones.
        training: Whether dropout is active.

    Returns:
        ``(batch, seq, hidden)``.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import TransformerEncoderBlock
    >>> block = TransformerEncoderBlock(num_heads=4, intermediate_dim=64)
    >>> x = np.ones((2, 6, 32), "float32")
    >>> mask = np.array([[1] * 6, [1] * 4 + [0] * 2])
    >>> tuple(block(x, padding_mask=mask).shape)
    (2, 6, 32)
    >>> # attention 4 * (32 * 32 + 32), ffn 32 * 64 + 64 + 64 * 32 + 32, norms 2 * 64
    >>> block.count_params()
    8544
    """

    def build(self, inputs_shape: tuple) -> None:
        hidden_dim = self._hidden_dim(inputs_shape)
        inputs_shape = tuple(inputs_shape)
        self.self_attention = self._attention("self_attention", hidden_dim, True)
        self.self_attention.build(inputs_shape)
        self.self_attention_norm = self._norm("self_attention_norm")
        self.self_attention_norm.build(inputs_shape)
        self.self_attention_dropout = self._dropout("self_attention_dropout")
        self.feed_forward = self._feed_forward()
        self.feed_forward.build(inputs_shape)
        self.feed_forward_norm = self._norm("feed_forward_norm")
        self.feed_forward_norm.build(inputs_shape)
        self.feed_forward_dropout = self._dropout("feed_forward_dropout")

    def call(
        self,
        inputs: Any,
        padding_mask: Any = None,
        attention_mask: Any = None,
        attention_bias: Any = None,
        use_causal_mask: bool = False,
        training: bool | None = None,
    ) -> Any:
        if padding_mask is None:
            padding_mask = get_keras_mask(inputs)
        mask = merge_masks(
            None if padding_mask is None else key_padding_mask(padding_mask),
            attention_mask,
        )
        x = self._residual(
            inputs,
            self.self_attention,
            self.self_attention_norm,
            self.self_attention_dropout,
            training,
            attention_mask=mask,
            attention_bias=attention_bias,
            use_causal_mask=use_causal_mask,
        )
        return self._residual(
            x,
            self.feed_forward,
            self.feed_forward_norm,
            self.feed_forward_dropout,
            training,
        )
