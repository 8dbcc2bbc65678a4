"""A modern decoder in the style of Llama: RoPE, RMSNorm, SwiGLU, grouped-query attention.

:func:`llama_style` is :func:`~keras_dlkit.models.gpt` with the switches of
Touvron et al. 2023 (Llama) and Dubey et al. 2024 (Llama 3) turned on; its
defaults are Llama 3 8B's sizes. The converter copies keras-hub's
``LlamaBackbone`` / ``Llama3Backbone`` weights into it.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.transformers.gpt import count_gpt_params, gpt, token_inputs
from keras_dlkit.models.transformers.hub_interop import (
    copy_weights_by_path,
    register_hub_converter,
)

#: A configuration small enough to build, run and train in a test (2 key/value
#: heads shared by 4 query heads).
TINY = dict(
    vocabulary_size=13,
    num_layers=2,
    num_heads=4,
    num_key_value_heads=2,
    hidden_dim=16,
    intermediate_dim=24,
)

_FIXED = dict(
    norm="rms_norm",
    activation="swiglu",
    position_encoding="rotary",
    use_bias=False,
    max_sequence_length=None,
    attention_dropout=0.0,
)


def _gpt_arguments(**kwargs: Any) -> dict[str, Any]:
    """:func:`gpt`'s arguments for ``llama_style(**kwargs)``."""
    args = {
        "vocabulary_size": 128256,
        "num_layers": 32,
        "num_heads": 32,
        "num_key_value_heads": 8,
        "hidden_dim": 4096,
        "intermediate_dim": 14336,
        "rotary_max_wavelength": 500000.0,
        "norm_epsilon": 1e-5,
        "dropout": 0.0,
        "head": "causal_lm",
        "tie_embeddings": False,
        "initializer_range": 0.02,
        "dtype": None,
        "name": "llama_style",
    }
    unknown = sorted(set(kwargs) - set(args))
    if unknown:
        raise TypeError(f"llama_style() got unexpected keyword arguments {unknown}.")
    args.update(kwargs)
    return {**args, **_FIXED}


def _count(**kwargs: Any) -> int:
    return count_gpt_params(**_gpt_arguments(**kwargs))


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    count_params=_count,
)
@keras_dlkit_export("keras_dlkit.models.llama_style")
def llama_style(
    vocabulary_size: int = 128256,
    num_layers: int = 32,
    num_heads: int = 32,
    num_key_value_heads: int | None = 8,
    hidden_dim: int = 4096,
    intermediate_dim: int = 14336,
    rotary_max_wavelength: float = 500000.0,
    norm_epsilon: float = 1e-5,
    dropout: float = 0.0,
    head: str | None = "causal_lm",
    tie_embeddings: bool = False,
    initializer_range: float = 0.02,
    dtype: Any = None,
    name: str = "llama_style",
) -> keras.Model:
    """A Llama-style decoder; the defaults are Llama 3 8B's sizes (8.03B weights).

    :func:`~keras_dlkit.models.gpt` with the modern switches: rotary
    position embedding on queries and keys (no position table, so any
    length), RMSNorm before each sublayer and at the end, a SwiGLU
    feed-forward (``output(silu(gate(x)) * intermediate(x))``), grouped-query
    attention (``num_key_value_heads`` key/value heads shared by groups of
    query heads), no biases anywhere, and by default an untied causal-LM
    head. The numbers match keras-hub's ``LlamaBackbone``, whose weights
    :func:`~keras_dlkit.models.from_keras_hub` copies into this model.

    The default sizes are Llama 3 8B's (Dubey et al. 2024): vocabulary
    128256, 32 layers, width 4096, 32 query heads and 8 key/value heads of
    128 features, feed-forward 14336, RoPE base 500000:
    ``count_params("llama_style")`` gives its 8,030,261,248 weights without
    building it (32 GB in float32). Shrink it for a laptop (see Example).

    Args:
        vocabulary_size: Number of token ids.
        num_layers: Number of decoder blocks.
        num_heads: Query heads per block; must divide ``hidden_dim``.
        num_key_value_heads: Key/value heads; must divide ``num_heads``
            (``None`` or ``num_heads``: multi-head attention, Llama 2 7B).
        hidden_dim: Width of the residual stream.
        intermediate_dim: Width of the gated feed-forward.
        rotary_max_wavelength: RoPE's base wavelength (10000 in Llama 1/2,
            500000 in Llama 3).
        norm_epsilon: RMSNorm epsilon.
        dropout: Dropout rate on the embeddings and residual branches.
        head: ``"causal_lm"`` (logits) or ``None`` (the backbone's
            final-norm sequence).
        tie_embeddings: Whether the head reuses the token embedding.
        initializer_range: Standard deviation of every kernel's normal
            initializer.
        dtype: Dtype policy of every layer.
        name: Model name.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Raises:
        ValueError: Naming the argument, as :func:`gpt` does.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import count_params, llama_style
    >>> count_params("llama_style")
    8030261248
    >>> model = llama_style(vocabulary_size=100, num_layers=2, num_heads=4,
    ...                     num_key_value_heads=2, hidden_dim=32,
    ...                     intermediate_dim=64)
    >>> ids = np.array([[3, 5, 7, 0, 0]], "int32")
    >>> tuple(model({"token_ids": ids, "padding_mask": ids > 0}).shape)
    (1, 5, 100)
    """
    return gpt(
        **_gpt_arguments(
            vocabulary_size=vocabulary_size,
            num_layers=num_layers,
            num_heads=num_heads,
            num_key_value_heads=num_key_value_heads,
            hidden_dim=hidden_dim,
            intermediate_dim=intermediate_dim,
            rotary_max_wavelength=rotary_max_wavelength,
            norm_epsilon=norm_epsilon,
            dropout=dropout,
            head=head,
            tie_embeddings=tie_embeddings,
            initializer_range=initializer_range,
            dtype=dtype,
            name=name,
        )
    )


# keras-hub LlamaBackbone's weight paths -> ours.
_LLAMA_PATHS = (
    (r"/self_attention_layernorm/", "/self_attention_norm/"),
    (r"/feedforward_intermediate_dense/", "/feed_forward/intermediate/"),
    (r"/feedforward_gate_dense/", "/feed_forward/gate/"),
    (r"/feedforward_output_dense/", "/feed_forward/output/"),
    (r"/feedforward_layernorm/", "/feed_forward_norm/"),
    (r"^sequence_output_layernorm/", "final_norm/"),
)


@register_hub_converter("LlamaBackbone", "Llama3Backbone")
def _from_llama_backbone(
    backbone: Any, head: str | None = None, dtype: Any = None, name: str = "llama_style"
) -> keras.Model:
    """Our :func:`llama_style` with a keras-hub Llama backbone's weights.

    ``head=None`` (default) mirrors the backbone; ``head="causal_lm"`` also
    copies its output matrix (``token_embedding/reverse_embeddings``, or the
    tied embedding) into our causal-LM head.
    """
    config = backbone.get_config()
    for key in ("rope_frequency_adjustment_factor", "rope_pretraining_sequence_length"):
        if config.get(key) is not None:
            raise ValueError(
                f"`backbone` uses {key}={config[key]!r} (Llama 3.1 RoPE frequency "
                "scaling), which llama_style does not implement."
            )
    if config.get("rope_position_scaling_factor", 1.0) != 1.0:
        raise ValueError(
            "`backbone` uses rope_position_scaling_factor="
            f"{config['rope_position_scaling_factor']!r}; llama_style supports 1.0."
        )
    tied = bool(getattr(backbone, "tie_word_embeddings", False))
    model = llama_style(
        vocabulary_size=config["vocabulary_size"],
        num_layers=config["num_layers"],
        num_heads=config["num_query_heads"],
        num_key_value_heads=config["num_key_value_heads"],
        hidden_dim=config["hidden_dim"],
        intermediate_dim=config["intermediate_dim"],
        rotary_max_wavelength=config["rope_max_wavelength"],
        norm_epsilon=config["layer_norm_epsilon"],
        dropout=config["dropout"],
        head=head,
        tie_embeddings=tied,
        dtype=dtype if dtype is not None else backbone.dtype_policy,
        name=name,
    )
    # An untied output matrix is ours only with the causal-LM head.
    copy_weights_by_path(
        backbone,
        model,
        _LLAMA_PATHS,
        unused_source=(r"token_embedding/reverse_embeddings",),
    )
    return model
