"""GPT: the generic decoder-only transformer language model builder.

:func:`gpt` is the generic builder: token embedding, position encoding, a
stack of pre-norm causal :class:`~keras_dlkit.blocks.TransformerDecoderBlock`
blocks, a final norm and the causal-LM head, which reads the logits through
the token embedding (``keras.layers.ReversibleEmbedding``, tied weights as in
GPT-2 and GPT-3). Its switches (norm, activation, position encoding,
grouped-query attention, biases, tied head) also give the modern decoder of
:func:`~keras_dlkit.models.llama_style`. The GPT-2 sizes
are in ``gpt2.py``, the GPT-3 sizes in ``gpt3.py``.

:func:`count_gpt_params` sizes any configuration from its numbers alone, so
``keras_dlkit.models.count_params("gpt3_175b")`` allocates nothing.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras
import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks import TransformerDecoderBlock
from keras_dlkit.layers import PositionEmbedding, SinusoidalPositionEncoding
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.transformers.hub_interop import (
    copy_weights_by_path,
    register_hub_converter,
)
from keras_dlkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
)

HEADS = ("causal_lm", None)
NORMS = ("layer_norm", "rms_norm")
ACTIVATIONS = ("relu", "gelu", "gelu_approximate", "silu", "swiglu", "geglu")
POSITION_ENCODINGS = ("learned", "sinusoidal", "rotary", "none")

#: A configuration small enough to build, run and train in a test.
TINY = dict(
    vocabulary_size=13,
    num_layers=2,
    num_heads=2,
    hidden_dim=8,
    intermediate_dim=16,
    max_sequence_length=8,
)


def token_inputs(rng: Any, batch_size: int, length: int = 8, vocabulary_size: int = 13):
    """``{"token_ids", "padding_mask"}`` with the last tokens of one row padded."""
    ids = rng.integers(1, vocabulary_size, size=(batch_size, length)).astype("int32")
    mask = np.ones((batch_size, length), "int32")
    mask[0, length - length // 4 :] = 0
    ids[mask == 0] = 0
    return {"token_ids": ids, "padding_mask": mask}


def _check_gpt_arguments(args: dict[str, Any]) -> dict[str, Any]:
    """Validate the arguments of :func:`gpt` (all of them, defaults applied)."""
    for key in (
        "vocabulary_size",
        "num_layers",
        "num_heads",
        "hidden_dim",
        "intermediate_dim",
    ):
        check_int(key, args[key], minimum=1)
    check_choice("head", args["head"], HEADS)
    check_choice("norm", args["norm"], NORMS)
    check_choice("activation", args["activation"], ACTIVATIONS)
    check_choice("position_encoding", args["position_encoding"], POSITION_ENCODINGS)
    if args["hidden_dim"] % args["num_heads"]:
        raise ValueError(
            f"`hidden_dim` ({args['hidden_dim']}) must be divisible by `num_heads` "
            f"({args['num_heads']}): each head gets hidden_dim // num_heads features."
        )
    kv_heads = args["num_key_value_heads"]
    if kv_heads is not None:
        check_int("num_key_value_heads", kv_heads, minimum=1)
        if args["num_heads"] % kv_heads:
            raise ValueError(
                f"`num_key_value_heads` ({kv_heads}) must divide `num_heads` "
                f"({args['num_heads']})."
            )
    if (
        args["position_encoding"] == "learned"
        or args["max_sequence_length"] is not None
    ):
        check_int("max_sequence_length", args["max_sequence_length"], minimum=1)
    check_float(
        "dropout", args["dropout"], minimum=0.0, maximum=1.0, max_inclusive=False
    )
    if args["attention_dropout"] is not None:
        check_float(
            "attention_dropout",
            args["attention_dropout"],
            minimum=0.0,
            maximum=1.0,
            max_inclusive=False,
        )
    check_float("norm_epsilon", args["norm_epsilon"], minimum=0.0, min_inclusive=False)
    check_float(
        "rotary_max_wavelength",
        args["rotary_max_wavelength"],
        minimum=0.0,
        min_inclusive=False,
    )
    check_float(
        "initializer_range", args["initializer_range"], minimum=0.0, min_inclusive=False
    )
    check_bool("use_bias", args["use_bias"])
    check_bool("tie_embeddings", args["tie_embeddings"])
    check_name(args["name"])
    return args


def count_gpt_params(**kwargs: Any) -> int:
    """Parameter count of ``gpt(**kwargs)``, from the configuration alone.

    Counts what :func:`gpt` builds, weight by weight: token embedding
    ``V*d``, learned positions ``S*d``, per layer the attention projections
    ``d*(h + 2g)*k + h*k*d`` (``k = d / h`` features a head, ``g`` key/value
    heads) with biases ``(h + 2g)*k + d``, the feed-forward ``2*d*f`` (``3*d*f``
    gated) with biases ``f + d`` (``2f + d``), two norms (``2d`` each for
    LayerNorm, ``d`` for RMSNorm), then the final norm and, for an untied
    causal-LM head, ``d*V``.

    Args:
        **kwargs: Any arguments of :func:`gpt`; the others take its defaults.

    Returns:
        The parameter count, a Python ``int`` (exact, no float rounding).

    Raises:
        ValueError: For the arguments :func:`gpt` rejects.
        TypeError: For an argument :func:`gpt` does not have.

    Example:

    >>> from keras_dlkit.models.transformers.gpt import count_gpt_params
    >>> count_gpt_params(head=None)  # GPT-2 small's backbone
    124439808
    """
    bound = inspect.signature(gpt).bind(**kwargs)
    bound.apply_defaults()
    args = _check_gpt_arguments(dict(bound.arguments))
    d, f, h = args["hidden_dim"], args["intermediate_dim"], args["num_heads"]
    k = d // h
    g = args["num_key_value_heads"] or h
    bias = args["use_bias"]
    gated = args["activation"] in ("swiglu", "geglu")
    norm = 2 * d if args["norm"] == "layer_norm" else d
    attention = d * (h + 2 * g) * k + h * k * d + bias * ((h + 2 * g) * k + d)
    feed_forward = (3 if gated else 2) * d * f + bias * ((2 if gated else 1) * f + d)
    count = args["vocabulary_size"] * d + args["num_layers"] * (
        attention + feed_forward + 2 * norm
    )
    count += norm
    if args["position_encoding"] == "learned":
        count += args["max_sequence_length"] * d
    if args["head"] == "causal_lm" and not args["tie_embeddings"]:
        count += d * args["vocabulary_size"]
    return int(count)


def count_rule(config: dict[str, Any]):
    """The ``count_params`` rule of a named builder: its config, then overrides."""

    def count(**overrides: Any) -> int:
        return count_gpt_params(**{**config, **overrides})

    return count


@register_model(
    "gpt",
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    count_params=count_gpt_params,
)
@keras_dlkit_export("keras_dlkit.models.gpt")
def gpt(
    vocabulary_size: int = 50257,
    num_layers: int = 12,
    num_heads: int = 12,
    hidden_dim: int = 768,
    intermediate_dim: int = 3072,
    max_sequence_length: int | None = 1024,
    dropout: float = 0.1,
    attention_dropout: float | None = None,
    head: str | None = "causal_lm",
    norm: str = "layer_norm",
    norm_epsilon: float = 1e-5,
    activation: str = "gelu_approximate",
    position_encoding: str = "learned",
    rotary_max_wavelength: float = 10000.0,
    num_key_value_heads: int | None = None,
    use_bias: bool = True,
    tie_embeddings: bool = True,
    initializer_range: float = 0.02,
    dtype: Any = None,
    name: str = "gpt",
) -> keras.Model:
    """A GPT-style decoder-only transformer; the defaults are GPT-2 small's.

    ``token_embedding`` (plus ``position_embedding`` for learned or
    sinusoidal positions), ``embeddings_dropout``, ``num_layers`` pre-norm
    causal :class:`~keras_dlkit.blocks.TransformerDecoderBlock` blocks named
    ``"transformer_layer_{i}"``, the final norm ``"final_norm"``, then the
    causal-LM head: logits ``x @ E.T`` through the token embedding ``E``
    (``tie_embeddings=True``, GPT-2's and GPT-3's choice), or through a
    separate ``(hidden_dim, vocabulary_size)`` matrix (the embedding layer's
    ``reverse_embeddings``, as keras-hub's untied Llama). The numbers match
    keras-hub's ``GPT2Backbone`` (LayerNorm epsilon 1e-5, tanh-approximate
    GELU, dropout on the embeddings, the attention probabilities and both
    residual branches); :func:`~keras_dlkit.models.from_keras_hub` copies its
    weights into this model.

    Inputs are keras-hub's: ``{"token_ids": int (batch, T), "padding_mask":
    (batch, T)}`` with 1 for a real token, 0 for padding (padded positions are
    never attended to; their own outputs are meaningless). Attention is
    causal: position ``t`` sees positions ``<= t`` only.

    Args:
        vocabulary_size: Number of token ids (GPT-2's BPE: 50257).
        num_layers: Number of decoder blocks.
        num_heads: Attention heads per block; must divide ``hidden_dim``.
        hidden_dim: Width of the residual stream ``d_model``.
        intermediate_dim: Width of the feed-forward hidden layer (``4 *
            hidden_dim`` in GPT-2 and GPT-3).
        max_sequence_length: Rows of the learned position table, which
            bounds the input length (a longer sequence raises a
            ``ValueError``). Sinusoidal, rotary and no position encoding have
            no table and read any length; for them it may be ``None``.
        dropout: Dropout rate on the embeddings and the residual branches.
        attention_dropout: Dropout rate on the attention probabilities;
            ``None`` means ``dropout`` (GPT-2).
        head: ``"causal_lm"`` (logits ``(batch, T, vocabulary_size)``) or
            ``None`` (the backbone: the final-norm sequence ``(batch, T,
            hidden_dim)``, like keras-hub's backbones).
        norm: ``"layer_norm"`` or ``"rms_norm"``.
        norm_epsilon: Epsilon of every norm.
        activation: Feed-forward activation: ``"relu"``, ``"gelu"`` (exact),
            ``"gelu_approximate"`` (tanh, GPT-2), ``"silu"``, or the gated
            ``"swiglu"`` / ``"geglu"`` (a third ``"gate"`` projection).
        position_encoding: ``"learned"`` (a trained table added to the token
            embeddings, GPT-2/3), ``"sinusoidal"`` (Vaswani et al., added),
            ``"rotary"`` (RoPE on queries and keys in every block) or
            ``"none"``.
        rotary_max_wavelength: RoPE's base wavelength (``"rotary"`` only).
        num_key_value_heads: Key/value heads for grouped-query attention;
            ``None`` means ``num_heads`` (multi-head attention). Must divide
            ``num_heads``.
        use_bias: Whether the attention and feed-forward projections have
            biases (LayerNorm keeps its own offset).
        tie_embeddings: Whether the causal-LM head reuses the token
            embedding (no extra weight) or has its own matrix.
        initializer_range: Standard deviation of the normal initializer of
            every kernel and embedding (0.02 in GPT-2).
        dtype: Dtype policy of every layer (``None``: the global policy).
        name: Model name.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Raises:
        ValueError: Naming the argument: ``hidden_dim`` not divisible by
            ``num_heads``, an unknown ``head``, ``norm``, ``activation`` or
            ``position_encoding``, a size below 1, and so on.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import count_params, gpt
    >>> config = dict(vocabulary_size=50, num_layers=2, num_heads=2,
    ...               hidden_dim=8, intermediate_dim=32, max_sequence_length=16)
    >>> model = gpt(**config)
    >>> ids = np.array([[5, 7, 9, 0]], "int32")
    >>> tuple(model({"token_ids": ids, "padding_mask": ids > 0}).shape)
    (1, 4, 50)
    >>> model.count_params() == count_params("gpt", **config)
    True
    """
    _check_gpt_arguments(dict(locals()))
    d = hidden_dim

    def initializer():
        # A fresh instance per layer: an unseeded Keras initializer called twice
        # returns the same values (the token and position tables would be equal).
        return keras.initializers.RandomNormal(stddev=initializer_range)

    untied = head == "causal_lm" and not tie_embeddings
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    padding_mask = keras.Input((None,), dtype="int32", name="padding_mask")
    # An untied head's matrix lives in the embedding layer (keras-hub's layout);
    # the backbone (head=None) never creates it.
    token_embedding = keras.layers.ReversibleEmbedding(
        vocabulary_size,
        d,
        tie_weights=not untied,
        embeddings_initializer=initializer(),
        dtype=dtype,
        name="token_embedding",
    )
    x = token_embedding(token_ids)
    if untied:
        # ReversibleEmbedding draws both matrices from one initializer instance,
        # so the head would be the embedding table reshaped: redraw it.
        reverse = token_embedding.reverse_embeddings
        reverse.assign(initializer()(reverse.shape, dtype=reverse.dtype))
    if position_encoding == "learned":
        positions = PositionEmbedding(
            max_sequence_length,
            initializer=initializer(),
            dtype=dtype,
            name="position_embedding",
        )(x)
        x = keras.layers.Add(dtype=dtype, name="embeddings_add")([x, positions])
    elif position_encoding == "sinusoidal":
        positions = SinusoidalPositionEncoding(dtype=dtype, name="position_embedding")(
            x
        )
        x = keras.layers.Add(dtype=dtype, name="embeddings_add")([x, positions])
    x = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")(x)
    for i in range(num_layers):
        x = TransformerDecoderBlock(
            num_heads=num_heads,
            intermediate_dim=intermediate_dim,
            num_key_value_heads=num_key_value_heads,
            norm=norm,
            norm_position="pre",
            norm_epsilon=norm_epsilon,
            activation=activation,
            use_bias=use_bias,
            dropout=dropout,
            attention_dropout=dropout
            if attention_dropout is None
            else attention_dropout,
            rotary_max_wavelength=(
                rotary_max_wavelength if position_encoding == "rotary" else None
            ),
            kernel_initializer=initializer(),
            dtype=dtype,
            name=f"transformer_layer_{i}",
        )(x, padding_mask=padding_mask)
    x = _norm(norm, norm_epsilon, dtype, "final_norm")(x)
    if head == "causal_lm":
        x = token_embedding(x, reverse=True)
    return keras.Model(
        {"token_ids": token_ids, "padding_mask": padding_mask}, x, name=name
    )


def _norm(norm: str, epsilon: float, dtype: Any, name: str) -> keras.layers.Layer:
    if norm == "rms_norm":
        return keras.layers.RMSNormalization(epsilon=epsilon, dtype=dtype, name=name)
    return keras.layers.LayerNormalization(epsilon=epsilon, dtype=dtype, name=name)


# keras-hub GPT2Backbone's weight paths -> ours.
_GPT2_PATHS = (
    (r"/self_attention_layer_norm/", "/self_attention_norm/"),
    (r"/feedforward_intermediate_dense/", "/feed_forward/intermediate/"),
    (r"/feedforward_output_dense/", "/feed_forward/output/"),
    (r"/feedforward_layer_norm/", "/feed_forward_norm/"),
    (r"^layer_norm/", "final_norm/"),
)


@register_hub_converter("GPT2Backbone")
def _from_gpt2_backbone(
    backbone: Any, head: str | None = None, dtype: Any = None, name: str = "gpt"
) -> keras.Model:
    """Our :func:`gpt` with a keras-hub ``GPT2Backbone``'s sizes and weights.

    ``head=None`` (default) mirrors the backbone; ``head="causal_lm"`` adds
    the tied causal-LM head, which has no weight of its own.
    """
    config = backbone.get_config()
    model = gpt(
        vocabulary_size=config["vocabulary_size"],
        num_layers=config["num_layers"],
        num_heads=config["num_heads"],
        hidden_dim=config["hidden_dim"],
        intermediate_dim=config["intermediate_dim"],
        max_sequence_length=config["max_sequence_length"],
        dropout=config["dropout"],
        head=head,
        dtype=dtype if dtype is not None else backbone.dtype_policy,
        name=name,
    )
    copy_weights_by_path(backbone, model, _GPT2_PATHS)
    return model
