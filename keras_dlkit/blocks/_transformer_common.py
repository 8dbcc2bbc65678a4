"""What the Transformer encoder and decoder blocks share: arguments, sublayers, config."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.blocks.feed_forward import FEED_FORWARD_ACTIVATIONS, FeedForward
from keras_dlkit.layers.transformer_attention import TransformerAttention
from keras_dlkit.utils.keras_compat import clone_initializer
from keras_dlkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    resolve_initializer,
)

NORMS: tuple[str, ...] = ("layer_norm", "rms_norm")
NORM_POSITIONS: tuple[str, ...] = ("pre", "post")


def _check_rate(name: str, value: Any) -> float:
    rate = check_float(name, value, minimum=0.0, maximum=1.0)
    if rate >= 1.0:
        raise ValueError(f"`{name}` must be in [0, 1), got {value!r}.")
    return rate


def key_padding_mask(padding_mask: Any) -> Any:
    """``(batch, S)`` 1/True for real tokens -> boolean ``(batch, 1, S)``."""
    return ops.cast(padding_mask, "bool")[:, None, :]


def merge_masks(*masks: Any) -> Any:
    """Logical AND of the masks that are not None (None when all are)."""
    result = None
    for mask in masks:
        if mask is None:
            continue
        mask = ops.cast(mask, "bool")
        result = mask if result is None else ops.logical_and(result, mask)
    return result


class TransformerBlockBase(keras.layers.Layer):
    """Arguments, validation and sublayer factories of the Transformer blocks."""

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
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.num_heads = check_int("num_heads", num_heads, minimum=1)
        self.intermediate_dim = check_int(
            "intermediate_dim", intermediate_dim, minimum=1
        )
        if num_key_value_heads is not None:
            check_int("num_key_value_heads", num_key_value_heads, minimum=1)
            if num_heads % num_key_value_heads:
                raise ValueError(
                    f"`num_key_value_heads`={num_key_value_heads} must divide "
                    f"`num_heads`={num_heads}."
                )
        self.num_key_value_heads = num_key_value_heads
        if key_dim is not None:
            check_int("key_dim", key_dim, minimum=1)
        self.key_dim = key_dim
        self.norm = check_choice("norm", norm, NORMS)
        self.norm_position = check_choice(
            "norm_position", norm_position, NORM_POSITIONS
        )
        self.norm_epsilon = check_float(
            "norm_epsilon", norm_epsilon, minimum=0.0, min_inclusive=False
        )
        self.activation = check_choice(
            "activation", activation, FEED_FORWARD_ACTIVATIONS
        )
        self.use_bias = check_bool("use_bias", use_bias)
        self.dropout = _check_rate("dropout", dropout)
        self.attention_dropout = _check_rate("attention_dropout", attention_dropout)
        if attention_scale is not None:
            check_float(
                "attention_scale", attention_scale, minimum=0.0, min_inclusive=False
            )
        self.attention_scale = attention_scale
        if rotary_max_wavelength is not None:
            check_float(
                "rotary_max_wavelength",
                rotary_max_wavelength,
                minimum=0.0,
                min_inclusive=False,
            )
        self.rotary_max_wavelength = rotary_max_wavelength
        self.kernel_initializer = resolve_initializer(
            "kernel_initializer", kernel_initializer
        )
        self.bias_initializer = resolve_initializer(
            "bias_initializer", bias_initializer
        )
        self.supports_masking = True

    def _hidden_dim(self, input_shape: tuple) -> int:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} takes (batch, seq, hidden) inputs with a "
                f"known hidden size, got shape {tuple(input_shape)}."
            )
        hidden_dim = int(input_shape[-1])
        if self.key_dim is None and hidden_dim % self.num_heads:
            raise ValueError(
                f"`num_heads`={self.num_heads} must divide the hidden size "
                f"{hidden_dim} (the input's last axis) when `key_dim` is None."
            )
        return hidden_dim

    def _attention(
        self, name: str, hidden_dim: int, rotary: bool
    ) -> TransformerAttention:
        return TransformerAttention(
            num_heads=self.num_heads,
            key_dim=self.key_dim or hidden_dim // self.num_heads,
            num_key_value_heads=self.num_key_value_heads,
            output_dim=hidden_dim,
            use_bias=self.use_bias,
            dropout=self.attention_dropout,
            scale=self.attention_scale,
            rotary_max_wavelength=self.rotary_max_wavelength if rotary else None,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            bias_initializer=clone_initializer(self.bias_initializer),
            dtype=self.dtype_policy,
            name=name,
        )

    def _norm(self, name: str) -> keras.layers.Layer:
        if self.norm == "rms_norm":
            return keras.layers.RMSNormalization(
                epsilon=self.norm_epsilon, dtype=self.dtype_policy, name=name
            )
        return keras.layers.LayerNormalization(
            epsilon=self.norm_epsilon, dtype=self.dtype_policy, name=name
        )

    def _dropout(self, name: str) -> keras.layers.Dropout:
        return keras.layers.Dropout(self.dropout, dtype=self.dtype_policy, name=name)

    def _feed_forward(self) -> FeedForward:
        return FeedForward(
            intermediate_dim=self.intermediate_dim,
            activation=self.activation,
            use_bias=self.use_bias,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            bias_initializer=clone_initializer(self.bias_initializer),
            dtype=self.dtype_policy,
            name="feed_forward",
        )

    def _residual(
        self, x, sublayer, norm, dropout, training, returns_cache=False, **call_kwargs
    ):
        """One residual branch, pre- or post-norm.

        With ``returns_cache`` the sublayer returns ``(update, cache)`` (an
        attention layer given a key/value cache) and so does the branch.
        """
        pre = self.norm_position == "pre"
        update = sublayer(norm(x) if pre else x, training=training, **call_kwargs)
        if returns_cache:
            update, cache = update
        y = x + dropout(update, training=training)
        if not pre:
            y = norm(y)
        return (y, cache) if returns_cache else y

    def compute_output_shape(self, inputs_shape: tuple, *args, **kwargs) -> tuple:
        return tuple(inputs_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "num_key_value_heads": self.num_key_value_heads,
            "key_dim": self.key_dim,
            "norm": self.norm,
            "norm_position": self.norm_position,
            "norm_epsilon": self.norm_epsilon,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "attention_scale": self.attention_scale,
            "rotary_max_wavelength": self.rotary_max_wavelength,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
