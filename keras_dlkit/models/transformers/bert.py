"""BERT (Devlin et al., 2019): a post-norm transformer encoder, its masked-LM and classifier heads.

The backbone is keras-hub's ``BertBackbone`` layer for layer (same weight
names and shapes, so :func:`keras_dlkit.models.from_keras_hub` copies its
weights): token + learned position + segment embeddings, a layer norm
(epsilon 1e-12), ``num_layers`` post-norm encoder blocks (tanh-approximated
GELU, epsilon 1e-12), and the pooler ``tanh(Dense(x[:, 0]))``.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.transformer_encoder_block import TransformerEncoderBlock
from keras_dlkit.layers.bias_add import BiasAdd
from keras_dlkit.layers.position_embedding import PositionEmbedding
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.transformers.hub_interop import (
    copy_weights_by_path,
    register_hub_converter,
)
from keras_dlkit.utils.validation import check_choice, check_float, check_int

HEADS = ("masked_lm", "classification", None)

# Sizes of Turc et al. (2019) "Well-Read Students Learn Better" (tiny, small)
# and Devlin et al. (2019) (base, large); vocabulary 30522, 512 positions.
CONFIGS: dict[str, dict[str, int]] = {
    "bert_tiny": {
        "num_layers": 2,
        "hidden_dim": 128,
        "num_heads": 2,
        "intermediate_dim": 512,
    },
    "bert_small": {
        "num_layers": 4,
        "hidden_dim": 512,
        "num_heads": 8,
        "intermediate_dim": 2048,
    },
    "bert_base": {
        "num_layers": 12,
        "hidden_dim": 768,
        "num_heads": 12,
        "intermediate_dim": 3072,
    },
    "bert_large": {
        "num_layers": 24,
        "hidden_dim": 1024,
        "num_heads": 16,
        "intermediate_dim": 4096,
    },
}

# keras-hub's MaskedLMHead keeps Keras' default epsilon.
_MLM_NORM_EPSILON = 1e-5


def _initializer() -> keras.initializers.Initializer:
    return keras.initializers.TruncatedNormal(stddev=0.02)


def _check_arguments(
    vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim,
    max_sequence_length, num_segments, dropout, head, num_classes,
):  # fmt: skip
    check_int("vocabulary_size", vocabulary_size, minimum=1)
    check_int("num_layers", num_layers, minimum=1)
    check_int("num_heads", num_heads, minimum=1)
    check_int("hidden_dim", hidden_dim, minimum=1)
    check_int("intermediate_dim", intermediate_dim, minimum=1)
    check_int("max_sequence_length", max_sequence_length, minimum=1)
    check_int("num_segments", num_segments, minimum=1)
    check_float("dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False)
    check_choice("head", head, HEADS)
    if head == "classification":
        check_int("num_classes", num_classes, minimum=1)
    if hidden_dim % num_heads:
        raise ValueError(
            f"`hidden_dim` ({hidden_dim}) must be divisible by `num_heads` "
            f"({num_heads}): each head gets hidden_dim // num_heads features."
        )


def _bert_count(
    vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim,
    max_sequence_length, num_segments, dropout, head, num_classes, **unused,
) -> int:  # fmt: skip
    """Closed-form parameter count of :func:`bert` (no weight is created)."""
    _check_arguments(
        vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim,
        max_sequence_length, num_segments, dropout, head, num_classes,
    )  # fmt: skip
    d, f = hidden_dim, intermediate_dim
    embeddings = (vocabulary_size + max_sequence_length + num_segments) * d + 2 * d
    # Attention (q, k, v, out with biases) + two layer norms + feed-forward.
    block = 4 * (d * d + d) + 4 * d + (d * f + f) + (f * d + d)
    pooler = d * d + d
    body = embeddings + num_layers * block
    if head is None:
        return body + pooler
    if head == "classification":
        return body + pooler + d * num_classes + num_classes
    # Masked LM: dense + layer norm + output bias; logits tied to the token
    # embedding; the pooler is not on the path to the logits.
    return body + (d * d + d) + 2 * d + vocabulary_size


def _resolved(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` completed with :func:`bert`'s defaults."""
    bound = inspect.signature(bert).bind(**config)
    bound.apply_defaults()
    return dict(bound.arguments)


def _count(name: str | None):
    def count(**overrides: Any) -> int:
        config = {**CONFIGS.get(name, {}), **overrides}
        return _bert_count(**_resolved(config))

    return count


def _test_inputs(head: str | None, vocabulary_size: int, length: int = 8):
    def make(rng: Any, batch_size: int) -> dict[str, np.ndarray]:
        token_ids = rng.integers(1, vocabulary_size, size=(batch_size, length))
        padding_mask = np.ones((batch_size, length), "int32")
        padding_mask[0, length - 2 :] = 0  # the first sample is padded
        token_ids = np.where(padding_mask == 1, token_ids, 0).astype("int32")
        inputs = {
            "token_ids": token_ids,
            "segment_ids": (np.arange(length) >= length // 2)
            .astype("int32")[None]
            .repeat(batch_size, 0),
            "padding_mask": padding_mask,
        }
        if head == "masked_lm":
            inputs["mask_positions"] = rng.integers(
                0, length - 2, size=(batch_size, 3)
            ).astype("int32")
        return inputs

    return make


@register_model(
    "bert",
    family="transformers",
    test_config={
        "vocabulary_size": 20,
        "num_layers": 1,
        "num_heads": 2,
        "hidden_dim": 8,
        "intermediate_dim": 16,
        "max_sequence_length": 12,
        "head": "classification",
        "num_classes": 3,
    },  # fmt: skip
    test_input_shape=(8,),
    test_inputs=_test_inputs("classification", 20),
    count_params=_count(None),
)
@keras_dlkit_export("keras_dlkit.models.bert")
def bert(
    vocabulary_size: int = 30522,
    num_layers: int = 12,
    num_heads: int = 12,
    hidden_dim: int = 768,
    intermediate_dim: int = 3072,
    max_sequence_length: int = 512,
    num_segments: int = 2,
    dropout: float = 0.1,
    head: str | None = "masked_lm",
    num_classes: int = 2,
    dtype: Any = None,
    name: str = "bert",
) -> keras.Model:
    """BERT: a bidirectional post-norm transformer encoder with a task head.

    Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers
    for Language Understanding" (NAACL 2019). Token, learned position and
    segment embeddings are summed and layer-normalized, then go through
    ``num_layers`` post-norm encoder blocks
    (:class:`~keras_dlkit.blocks.TransformerEncoderBlock`, named
    ``"transformer_layer_{i}"``, GELU in its tanh form as in the
    original code). The pooler reads the first (``[CLS]``) position:
    ``pooled = tanh(Dense(sequence[:, 0]))``. Layer for layer this is
    keras-hub's ``BertBackbone`` (same names and shapes, epsilon 1e-12).

    Inputs (a dict, keras-hub's names): ``"token_ids"``, ``"segment_ids"``
    and ``"padding_mask"`` (1 for real tokens, 0 for padding), each
    ``(batch, T)`` int32 with ``T <= max_sequence_length``; the masked-LM
    head also takes ``"mask_positions"`` ``(batch, M)``, the positions whose
    tokens it predicts.

    Args:
        vocabulary_size: Number of token ids.
        num_layers: Number of encoder blocks.
        num_heads: Attention heads per block; must divide ``hidden_dim``.
        hidden_dim: Width of the token representations.
        intermediate_dim: Inner width of each feed-forward network.
        max_sequence_length: Number of learned positions, the longest
            sequence the model reads.
        num_segments: Number of segment ids (sentence A / B).
        dropout: Dropout rate of the embeddings, attention probabilities,
            residual branches and the classifier.
        head: ``"masked_lm"`` (logits ``(batch, M, vocabulary_size)`` at
            ``mask_positions``: dense + GELU + layer norm, then the tied
            token embedding plus a bias, keras-hub's ``MaskedLMHead``),
            ``"classification"`` (logits ``(batch, num_classes)`` from the
            pooled output, keras-hub's ``BertTextClassifier``) or ``None``
            (the backbone: a dict ``{"sequence_output": (batch, T,
            hidden_dim), "pooled_output": (batch, hidden_dim)}``).
        num_classes: Classes of the classification head.
        dtype: Dtype policy of every layer (e.g. ``"mixed_bfloat16"``).
        name: Name of the model.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError: For an invalid argument (``hidden_dim`` not divisible by
            ``num_heads``, an unknown ``head``, ...); at call time, for a
            sequence longer than ``max_sequence_length``.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import bert
    >>> model = bert(vocabulary_size=50, num_layers=1, num_heads=2, hidden_dim=8,
    ...              intermediate_dim=16, max_sequence_length=10, head=None)
    >>> x = {"token_ids": np.ones((2, 6), "int32"),
    ...      "segment_ids": np.zeros((2, 6), "int32"),
    ...      "padding_mask": np.ones((2, 6), "int32")}
    >>> out = model(x)
    >>> tuple(out["sequence_output"].shape), tuple(out["pooled_output"].shape)
    ((2, 6, 8), (2, 8))
    """
    _check_arguments(
        vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim,
        max_sequence_length, num_segments, dropout, head, num_classes,
    )  # fmt: skip
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    segment_ids = keras.Input((None,), dtype="int32", name="segment_ids")
    padding_mask = keras.Input((None,), dtype="int32", name="padding_mask")
    inputs = {
        "token_ids": token_ids,
        "segment_ids": segment_ids,
        "padding_mask": padding_mask,
    }

    token_embedding = keras.layers.ReversibleEmbedding(
        vocabulary_size,
        hidden_dim,
        embeddings_initializer=_initializer(),
        dtype=dtype,
        name="token_embedding",
    )
    tokens = token_embedding(token_ids)
    positions = PositionEmbedding(
        max_sequence_length,
        initializer=_initializer(),
        dtype=dtype,
        name="position_embedding",
    )(tokens)
    segments = keras.layers.Embedding(
        num_segments,
        hidden_dim,
        embeddings_initializer=_initializer(),
        dtype=dtype,
        name="segment_embedding",
    )(segment_ids)
    x = keras.layers.Add(dtype=dtype, name="embeddings_add")(
        [tokens, positions, segments]
    )
    x = keras.layers.LayerNormalization(
        epsilon=1e-12, dtype=dtype, name="embeddings_layer_norm"
    )(x)
    x = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")(x)
    for index in range(num_layers):
        x = TransformerEncoderBlock(
            num_heads,
            intermediate_dim,
            norm_position="post",
            norm_epsilon=1e-12,
            activation="gelu_approximate",
            dropout=dropout,
            attention_dropout=dropout,
            kernel_initializer=_initializer(),
            dtype=dtype,
            name=f"transformer_layer_{index}",
        )(x, padding_mask=padding_mask)
    sequence_output = x

    if head == "masked_lm":
        mask_positions = keras.Input((None,), dtype="int32", name="mask_positions")
        inputs["mask_positions"] = mask_positions
        x = ops.take_along_axis(
            sequence_output, ops.expand_dims(mask_positions, -1), axis=1
        )
        x = keras.layers.Dense(
            hidden_dim,
            activation="gelu",
            kernel_initializer=_initializer(),
            dtype=dtype,
            name="mlm_dense",
        )(x)
        x = keras.layers.LayerNormalization(
            epsilon=_MLM_NORM_EPSILON, dtype=dtype, name="mlm_layer_norm"
        )(x)
        x = token_embedding(x, reverse=True)
        outputs = BiasAdd(dtype=dtype, name="mlm_output_bias")(x)
        return keras.Model(inputs, outputs, name=name)

    pooled_output = keras.layers.Dense(
        hidden_dim,
        activation="tanh",
        kernel_initializer=_initializer(),
        dtype=dtype,
        name="pooled_dense",
    )(sequence_output[:, 0, :])
    if head is None:
        outputs = {"sequence_output": sequence_output, "pooled_output": pooled_output}
        return keras.Model(inputs, outputs, name=name)
    x = keras.layers.Dropout(dropout, dtype=dtype, name="classifier_dropout")(
        pooled_output
    )
    outputs = keras.layers.Dense(
        num_classes, kernel_initializer=_initializer(), dtype=dtype, name="logits"
    )(x)
    return keras.Model(inputs, outputs, name=name)


def _named(name: str, head: Any, num_classes: int, overrides: dict[str, Any]):
    config = {**CONFIGS[name], "head": head, "num_classes": num_classes, "name": name}
    return bert(**{**config, **overrides})


@register_model(
    "bert_tiny",
    family="transformers",
    test_config={"vocabulary_size": 30, "max_sequence_length": 12},
    test_input_shape=(8,),
    test_inputs=_test_inputs("masked_lm", 30),
    count_params=_count("bert_tiny"),
)
@keras_dlkit_export("keras_dlkit.models.bert_tiny")
def bert_tiny(
    head: str | None = "masked_lm", num_classes: int = 2, **kwargs: Any
) -> keras.Model:
    """BERT-Tiny: 2 layers, hidden size 128, 2 heads, feed-forward 512 (4.4M weights).

    The smallest of the 24 compact BERTs of Turc et al., "Well-Read Students
    Learn Better" (2019), at vocabulary 30522 and 512 positions.

    Args:
        head: ``"masked_lm"``, ``"classification"`` or ``None`` (the
            backbone); see :func:`bert`.
        num_classes: Classes of the classification head.
        **kwargs: Any other argument of :func:`bert` (e.g. a smaller
            ``vocabulary_size``), overriding the configuration.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import bert_tiny, count_params
    >>> count_params("bert_tiny", head=None)
    4385920
    >>> bert_tiny(head=None).count_params()
    4385920
    """
    return _named("bert_tiny", head, num_classes, kwargs)


@register_model(
    "bert_small",
    family="transformers",
    test_config={"vocabulary_size": 30, "max_sequence_length": 12},
    test_input_shape=(8,),
    test_inputs=_test_inputs("masked_lm", 30),
    count_params=_count("bert_small"),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.bert_small")
def bert_small(
    head: str | None = "masked_lm", num_classes: int = 2, **kwargs: Any
) -> keras.Model:
    """BERT-Small: 4 layers, hidden size 512, 8 heads, feed-forward 2048 (28.8M weights).

    One of the compact BERTs of Turc et al., "Well-Read Students Learn
    Better" (2019), at vocabulary 30522 and 512 positions.

    Args:
        head: ``"masked_lm"``, ``"classification"`` or ``None`` (the
            backbone); see :func:`bert`.
        num_classes: Classes of the classification head.
        **kwargs: Any other argument of :func:`bert`, overriding the
            configuration.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("bert_small", head=None)
    28763648
    """
    return _named("bert_small", head, num_classes, kwargs)


@register_model(
    "bert_base",
    family="transformers",
    test_config={"vocabulary_size": 30, "max_sequence_length": 12},
    test_input_shape=(8,),
    test_inputs=_test_inputs("masked_lm", 30),
    count_params=_count("bert_base"),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.bert_base")
def bert_base(
    head: str | None = "masked_lm", num_classes: int = 2, **kwargs: Any
) -> keras.Model:
    """BERT-Base: 12 layers, hidden size 768, 12 heads, feed-forward 3072 (109.5M weights).

    Devlin et al. (2019), vocabulary 30522 (uncased WordPiece), 512
    positions. Without a head it has 109,482,240 weights, as keras-hub's
    ``BertBackbone`` (``bert_base_en_uncased``).

    Args:
        head: ``"masked_lm"``, ``"classification"`` or ``None`` (the
            backbone); see :func:`bert`.
        num_classes: Classes of the classification head.
        **kwargs: Any other argument of :func:`bert`, overriding the
            configuration.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("bert_base", head=None)
    109482240
    """
    return _named("bert_base", head, num_classes, kwargs)


@register_model(
    "bert_large",
    family="transformers",
    test_config={"vocabulary_size": 30, "max_sequence_length": 12},
    test_input_shape=(8,),
    test_inputs=_test_inputs("masked_lm", 30),
    count_params=_count("bert_large"),
    size_only=True,
)
@keras_dlkit_export("keras_dlkit.models.bert_large")
def bert_large(
    head: str | None = "masked_lm", num_classes: int = 2, **kwargs: Any
) -> keras.Model:
    """BERT-Large: 24 layers, hidden size 1024, 16 heads, feed-forward 4096 (335M weights).

    Devlin et al. (2019), vocabulary 30522, 512 positions.

    Args:
        head: ``"masked_lm"``, ``"classification"`` or ``None`` (the
            backbone); see :func:`bert`.
        num_classes: Classes of the classification head.
        **kwargs: Any other argument of :func:`bert`, overriding the
            configuration.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("bert_large", head=None)
    335141888
    """
    return _named("bert_large", head, num_classes, kwargs)


# keras-hub TransformerEncoder weight paths -> ours.
_HUB_RULES = (
    (r"/self_attention_layer/", "/self_attention/"),
    (r"/self_attention_layer_norm/", "/self_attention_norm/"),
    (r"/feedforward_intermediate_dense/", "/feed_forward/intermediate/"),
    (r"/feedforward_output_dense/", "/feed_forward/output/"),
    (r"/feedforward_layer_norm/", "/feed_forward_norm/"),
)


@register_hub_converter("BertBackbone")
def _from_bert_backbone(backbone: Any, **kwargs: Any) -> keras.Model:
    config = backbone.get_config()
    model = bert(
        vocabulary_size=config["vocabulary_size"],
        num_layers=config["num_layers"],
        num_heads=config["num_heads"],
        hidden_dim=config["hidden_dim"],
        intermediate_dim=config["intermediate_dim"],
        max_sequence_length=config["max_sequence_length"],
        num_segments=config["num_segments"],
        dropout=config["dropout"],
        head=None,
        **{"dtype": backbone.dtype_policy, "name": "bert", **kwargs},
    )
    copy_weights_by_path(backbone, model, _HUB_RULES)
    return model
