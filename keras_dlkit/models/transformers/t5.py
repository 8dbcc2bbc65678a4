"""T5: the text-to-text encoder-decoder transformer (Raffel et al., 2020)."""

from __future__ import annotations

import inspect
from typing import Any

import keras
import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.transformer_decoder_block import TransformerDecoderBlock
from keras_dlkit.blocks.transformer_encoder_block import TransformerEncoderBlock
from keras_dlkit.layers.relative_position_bias import RelativePositionBias
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
)

#: Published T5 v1.0 sizes (Raffel et al. 2020, Table 14; the released checkpoints).
CONFIGS: dict[str, dict[str, int]] = {
    "t5_small": {
        "num_layers": 6,
        "num_heads": 8,
        "hidden_dim": 512,
        "intermediate_dim": 2048,
    },
    "t5_base": {
        "num_layers": 12,
        "num_heads": 12,
        "hidden_dim": 768,
        "intermediate_dim": 3072,
    },
}
HEADS = ("text_to_text", None)
ACTIVATIONS = ("relu", "gelu", "gelu_approximate", "silu", "swiglu", "geglu")
GATED = ("swiglu", "geglu")
INPUT_NAMES = (
    "encoder_token_ids",
    "encoder_padding_mask",
    "decoder_token_ids",
    "decoder_padding_mask",
)


def _test_inputs(rng: Any, batch_size: int) -> dict[str, np.ndarray]:
    """Token ids and padding masks for the registry test: 7 encoder, 5 decoder tokens."""
    inputs = {}
    for prefix, length in (("encoder", 7), ("decoder", 5)):
        mask = np.ones((batch_size, length), "int32")
        mask[1:, length - 2 :] = 0  # right padding on every sample but the first
        ids = rng.integers(1, 50, size=(batch_size, length)).astype("int32")
        inputs[f"{prefix}_token_ids"] = ids * mask
        inputs[f"{prefix}_padding_mask"] = mask
    return inputs


def _check_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """Validated copy of ``t5``'s arguments (shared by the builder and the count)."""
    a = dict(arguments)
    for key in ("vocabulary_size", "num_layers", "num_heads", "hidden_dim"):
        a[key] = check_int(key, a[key], minimum=1)
    a["intermediate_dim"] = check_int(
        "intermediate_dim", a["intermediate_dim"], minimum=1
    )
    if a["key_dim"] is None:
        if a["hidden_dim"] % a["num_heads"]:
            raise ValueError(
                f"`hidden_dim` ({a['hidden_dim']}) must be divisible by `num_heads` "
                f"({a['num_heads']}) when `key_dim` is None; pass key_dim to "
                "size the heads freely."
            )
        a["key_dim"] = a["hidden_dim"] // a["num_heads"]
    a["key_dim"] = check_int("key_dim", a["key_dim"], minimum=1)
    a["activation"] = check_choice("activation", a["activation"], ACTIVATIONS)
    a["dropout"] = check_float(
        "dropout", a["dropout"], minimum=0.0, maximum=1.0, max_inclusive=False
    )
    a["norm_epsilon"] = check_float(
        "norm_epsilon", a["norm_epsilon"], minimum=0.0, min_inclusive=False
    )
    a["tie_embeddings"] = check_bool("tie_embeddings", a["tie_embeddings"])
    a["head"] = check_choice("head", a["head"], HEADS)
    # RelativePositionBias checks num_buckets and max_distance (both modes).
    for bidirectional in (True, False):
        RelativePositionBias(
            1, a["num_buckets"], a["max_distance"], bidirectional=bidirectional
        )
    return a


def t5_count_params(**kwargs: Any) -> int:
    """Parameter count of ``t5(**kwargs)`` from its configuration alone.

    ``V D`` token embedding (twice when untied: keras-hub's untied output
    matrix lives in the backbone), per encoder layer ``4 D H d_k`` attention
    + feed-forward (``2 D F``, ``3 D F`` gated) + 2 RMSNorm scales ``D``,
    per decoder layer twice the attention and 3 scales, two bias tables
    ``num_buckets x H`` and two final norms. No bias vectors. The
    ``text_to_text`` head adds nothing (the logits reuse the embedding).
    """
    bound = inspect.signature(t5).bind(**kwargs)
    bound.apply_defaults()
    a = _check_arguments(bound.arguments)
    d, f, heads = a["hidden_dim"], a["intermediate_dim"], a["num_heads"]
    attention = 4 * d * heads * a["key_dim"]
    feed_forward = (3 if a["activation"] in GATED else 2) * d * f
    encoder_layer = attention + feed_forward + 2 * d
    decoder_layer = 2 * attention + feed_forward + 3 * d
    embedding = a["vocabulary_size"] * d * (1 if a["tie_embeddings"] else 2)
    return (
        embedding
        + a["num_layers"] * (encoder_layer + decoder_layer)
        + 2 * a["num_buckets"] * heads
        + 2 * d
    )


@register_model(
    "t5",
    family="transformers",
    test_config={
        "vocabulary_size": 50,
        "num_layers": 1,
        "num_heads": 2,
        "hidden_dim": 16,
        "intermediate_dim": 32,
        "num_buckets": 8,
        "max_distance": 16,
    },
    test_input_shape=(7,),
    test_inputs=_test_inputs,
    count_params=t5_count_params,
)
@keras_dlkit_export("keras_dlkit.models.t5")
def t5(
    vocabulary_size: int = 32128,
    num_layers: int = 6,
    num_heads: int = 8,
    hidden_dim: int = 512,
    intermediate_dim: int = 2048,
    key_dim: int | None = None,
    activation: str = "relu",
    dropout: float = 0.1,
    norm_epsilon: float = 1e-6,
    num_buckets: int = 32,
    max_distance: int = 128,
    tie_embeddings: bool = True,
    head: str | None = "text_to_text",
    dtype: Any = None,
    name: str = "t5",
) -> keras.Model:
    """A T5 encoder-decoder transformer (any size; T5 v1.0 by default).

    Token embedding shared by both stacks (``"token_embedding"``, a Keras
    ``ReversibleEmbedding``, no position embedding), then ``num_layers``
    pre-norm encoder blocks ``"encoder_layer_{i}"`` and as many decoder
    blocks ``"decoder_layer_{i}"`` (causal self-attention, cross-attention
    on the encoder output, feed-forward), each stack closed by an RMSNorm
    (``"encoder_final_norm"``, ``"decoder_final_norm"``) and a dropout.
    As in T5: RMSNorm without mean or bias (epsilon 1e-6), no bias vectors
    anywhere, attention logits not scaled by ``1/sqrt(key_dim)``, and
    positions enter only through a :class:`~keras_dlkit.layers.RelativePositionBias`
    per stack (``"encoder_relative_position_bias"``, bidirectional, and
    ``"decoder_relative_position_bias"``, causal), computed once and added
    to the self-attention logits of every layer of the stack. Dropout: on
    the embeddings, the attention weights, each residual branch and after
    each final norm (T5 also drops inside the feed-forward, after the
    activation; the shared block does not yet).

    Inputs (keras-hub's names, int32, 1 = real token):
    ``{"encoder_token_ids", "encoder_padding_mask", "decoder_token_ids",
    "decoder_padding_mask"}``.

    Args:
        vocabulary_size: Number of token ids (32128 for T5's SentencePiece).
        num_layers: Number of layers in each of the encoder and the decoder.
        num_heads: Attention heads.
        hidden_dim: Model width ``d_model``.
        intermediate_dim: Feed-forward width ``d_ff``.
        key_dim: Width of each head; ``None`` means ``hidden_dim //
            num_heads`` (then ``hidden_dim`` must be divisible by
            ``num_heads``).
        activation: Feed-forward activation: ``"relu"`` (T5 v1.0),
            ``"gelu"``, ``"gelu_approximate"``, ``"silu"``, or gated
            ``"geglu"`` (T5 v1.1) / ``"swiglu"``.
        dropout: Dropout rate (T5 pre-training used 0.1).
        norm_epsilon: RMSNorm epsilon.
        num_buckets: Relative-position buckets of each bias table.
        max_distance: Distance from which relative positions share a bucket.
        tie_embeddings: Whether the output projection is the transposed
            token embedding (T5 v1.0; the decoder output is then scaled by
            ``hidden_dim ** -0.5`` before it) or a separate
            ``(hidden_dim, vocabulary_size)`` matrix (T5 v1.1).
        head: ``"text_to_text"``: language-model logits ``(batch, T_dec,
            vocabulary_size)`` for the decoder tokens (train with teacher
            forcing: the decoder reads the target shifted right); ``None``:
            the backbone, with keras-hub ``T5Backbone``'s outputs
            ``{"encoder_sequence_output", "decoder_sequence_output"}``.
        dtype: Dtype policy of every layer (e.g. ``"mixed_bfloat16"``).
        name: Model name.

    Returns:
        A functional ``keras.Model`` on the four inputs above.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import t5
    >>> model = t5(vocabulary_size=100, num_layers=2, num_heads=2,
    ...            hidden_dim=16, intermediate_dim=32)
    >>> ids, mask = np.ones((1, 6), "int32"), np.ones((1, 6), "int32")
    >>> logits = model({"encoder_token_ids": ids, "encoder_padding_mask": mask,
    ...                 "decoder_token_ids": ids[:, :4],
    ...                 "decoder_padding_mask": mask[:, :4]})
    >>> tuple(logits.shape)
    (1, 4, 100)
    """
    a = _check_arguments(dict(locals()))
    name = check_name(name)
    d, heads = a["hidden_dim"], a["num_heads"]
    inputs = {
        key: keras.Input(shape=(None,), dtype="int32", name=key) for key in INPUT_NAMES
    }
    token_embedding = keras.layers.ReversibleEmbedding(
        a["vocabulary_size"],
        d,
        tie_weights=a["tie_embeddings"],
        embeddings_initializer=keras.initializers.TruncatedNormal(stddev=1.0),
        dtype=dtype,
        name="token_embedding",
    )
    block_kwargs = {
        "num_heads": heads,
        "intermediate_dim": a["intermediate_dim"],
        "key_dim": a["key_dim"],
        "norm": "rms_norm",
        "norm_position": "pre",
        "norm_epsilon": a["norm_epsilon"],
        "activation": a["activation"],
        "use_bias": False,
        "dropout": a["dropout"],
        "attention_dropout": a["dropout"],
        "attention_scale": 1.0,
        "kernel_initializer": keras.initializers.RandomNormal(stddev=d**-0.5),
        "dtype": dtype,
    }
    outputs = {}
    blocks = []
    for stack in ("encoder", "decoder"):
        x = token_embedding(inputs[f"{stack}_token_ids"])
        x = keras.layers.Dropout(
            a["dropout"], dtype=dtype, name=f"{stack}_embedding_dropout"
        )(x)
        bias = RelativePositionBias(
            heads,
            a["num_buckets"],
            a["max_distance"],
            bidirectional=stack == "encoder",
            embeddings_initializer=keras.initializers.RandomNormal(
                stddev=(heads * a["key_dim"]) ** -0.5
            ),
            dtype=dtype,
            name=f"{stack}_relative_position_bias",
        )(x)
        for i in range(a["num_layers"]):
            if stack == "encoder":
                block = TransformerEncoderBlock(
                    **block_kwargs, name=f"encoder_layer_{i}"
                )
                x = block(
                    x, padding_mask=inputs["encoder_padding_mask"], attention_bias=bias
                )
            else:
                block = TransformerDecoderBlock(
                    **block_kwargs, cross_attention=True, name=f"decoder_layer_{i}"
                )
                x = block(
                    x,
                    encoder_outputs=outputs["encoder_sequence_output"],
                    padding_mask=inputs["decoder_padding_mask"],
                    encoder_padding_mask=inputs["encoder_padding_mask"],
                    attention_bias=bias,
                )
            blocks.append(block)
        x = keras.layers.RMSNormalization(
            epsilon=a["norm_epsilon"], dtype=dtype, name=f"{stack}_final_norm"
        )(x)
        x = keras.layers.Dropout(
            a["dropout"], dtype=dtype, name=f"{stack}_output_dropout"
        )(x)
        outputs[f"{stack}_sequence_output"] = x
    _t5_query_init(blocks, a["key_dim"])
    if a["head"] is None:
        return keras.Model(inputs, outputs, name=name)
    x = outputs["decoder_sequence_output"]
    if a["tie_embeddings"]:
        x = keras.layers.Rescaling(d**-0.5, dtype=dtype, name="logits_scale")(x)
    logits = token_embedding(x, reverse=True)
    return keras.Model(inputs, logits, name=name)


def _t5_query_init(blocks: list[Any], key_dim: int) -> None:
    """Mesh TensorFlow's query init, ``N(0, (d_model key_dim)^-1/2)``.

    The logits are not divided by ``sqrt(key_dim)``; T5 folds that factor
    into the query kernel's initial scale instead.
    """
    for block in blocks:
        for layer in (
            block.self_attention,
            getattr(block, "cross_attention_layer", None),
        ):
            if layer is not None:
                kernel = layer.query.kernel
                kernel.assign(kernel * key_dim**-0.5)


def _named(config: str) -> Any:
    def count(**kwargs: Any) -> int:
        return t5_count_params(**{**CONFIGS[config], **kwargs})

    return count


_LARGE_TEST = {"vocabulary_size": 64, "num_buckets": 8, "max_distance": 16}


@register_model(
    family="transformers",
    test_config=_LARGE_TEST,
    test_input_shape=(7,),
    test_inputs=_test_inputs,
    count_params=_named("t5_small"),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.t5_small")
def t5_small(
    vocabulary_size: int = 32128,
    head: str | None = "text_to_text",
    dropout: float = 0.1,
    **kwargs: Any,
) -> keras.Model:
    """T5-Small: 6 + 6 layers, ``d_model`` 512, 8 heads, ``d_ff`` 2048 (60.5M).

    T5 v1.0 (ReLU feed-forward, tied embeddings) at the size of Raffel et
    al.'s released ``t5-small``: 60,506,624 parameters with the 32128-token
    vocabulary (the paper's "60 million"), equal to keras-hub's
    ``T5Backbone`` at this configuration (``use_gated_activation=False``).

    Args:
        vocabulary_size: Number of token ids.
        head: ``"text_to_text"`` or ``None`` (see :func:`t5`).
        dropout: Dropout rate.
        **kwargs: Any other argument of :func:`t5`, overriding the preset.

    Returns:
        A functional ``keras.Model`` (see :func:`t5`).

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("t5_small")
    60506624
    """
    config = {**CONFIGS["t5_small"], "name": "t5_small", **kwargs}
    return t5(vocabulary_size=vocabulary_size, head=head, dropout=dropout, **config)


@register_model(
    family="transformers",
    test_config=_LARGE_TEST,
    test_input_shape=(7,),
    test_inputs=_test_inputs,
    count_params=_named("t5_base"),
    # t5_small runs the same code in the large set; this one is sized (its
    # registry build took 80 s of CI on TensorFlow).
    size_only=True,
)
@keras_dlkit_export("keras_dlkit.models.t5_base")
def t5_base(
    vocabulary_size: int = 32128,
    head: str | None = "text_to_text",
    dropout: float = 0.1,
    **kwargs: Any,
) -> keras.Model:
    """T5-Base: 12 + 12 layers, ``d_model`` 768, 12 heads, ``d_ff`` 3072 (222.9M).

    T5 v1.0 (ReLU feed-forward, tied embeddings) at the size of Raffel et
    al.'s released ``t5-base``: 222,903,552 parameters with the 32128-token
    vocabulary (the paper's "220 million", 1.3% above it), equal to
    keras-hub's ``T5Backbone`` at this configuration
    (``use_gated_activation=False``).

    Args:
        vocabulary_size: Number of token ids.
        head: ``"text_to_text"`` or ``None`` (see :func:`t5`).
        dropout: Dropout rate.
        **kwargs: Any other argument of :func:`t5`, overriding the preset.

    Returns:
        A functional ``keras.Model`` (see :func:`t5`).

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("t5_base")
    222903552
    """
    config = {**CONFIGS["t5_base"], "name": "t5_base", **kwargs}
    return t5(vocabulary_size=vocabulary_size, head=head, dropout=dropout, **config)
