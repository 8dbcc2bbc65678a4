"""Vision Transformer (Dosovitskiy et al., 2021): patches, a class token, a pre-norm encoder.

Layer for layer keras-hub's ``ViTBackbone`` (so
:func:`keras_dlkit.models.from_keras_hub` copies its weights): a strided
convolution cuts the image into ``patch_size`` patches, a learned class
token is prepended, learned position embeddings are added, then
``num_layers`` pre-norm encoder blocks (exact GELU, layer norm epsilon 1e-6)
and a final layer norm.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.transformer_encoder_block import TransformerEncoderBlock
from keras_dlkit.layers.class_token import ClassToken
from keras_dlkit.layers.patch_embedding import PatchEmbedding
from keras_dlkit.layers.position_embedding import PositionEmbedding
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.transformers.hub_interop import (
    copy_weights_by_path,
    register_hub_converter,
)
from keras_dlkit.utils.validation import (
    check_activation,
    check_choice,
    check_float,
    check_int,
)

HEADS = ("classification", None)

# Dosovitskiy et al. (2021) Table 1 (B, L) and Touvron et al. (2021, DeiT)
# (Ti, S); patch 16, 224 x 224 images.
CONFIGS: dict[str, dict[str, int]] = {
    "vit_ti16": {
        "num_layers": 12,
        "hidden_dim": 192,
        "num_heads": 3,
        "intermediate_dim": 768,
    },
    "vit_s16": {
        "num_layers": 12,
        "hidden_dim": 384,
        "num_heads": 6,
        "intermediate_dim": 1536,
    },
    "vit_b16": {
        "num_layers": 12,
        "hidden_dim": 768,
        "num_heads": 12,
        "intermediate_dim": 3072,
    },
    "vit_l16": {
        "num_layers": 24,
        "hidden_dim": 1024,
        "num_heads": 16,
        "intermediate_dim": 4096,
    },
}


def _check_arguments(
    image_shape, patch_size, num_layers, num_heads, hidden_dim, intermediate_dim,
    dropout, attention_dropout, head, num_classes,
) -> tuple[int, int, int]:  # fmt: skip
    if (
        not isinstance(image_shape, Sequence)
        or len(image_shape) != 3
        or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in image_shape)
    ):  # fmt: skip
        raise ValueError(
            "`image_shape` must be (height, width, channels) of positive "
            f"integers, got {image_shape!r}."
        )
    check_int("patch_size", patch_size, minimum=1)
    check_int("num_layers", num_layers, minimum=1)
    check_int("num_heads", num_heads, minimum=1)
    check_int("hidden_dim", hidden_dim, minimum=1)
    check_int("intermediate_dim", intermediate_dim, minimum=1)
    check_float("dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False)
    check_float(
        "attention_dropout", attention_dropout, minimum=0.0, maximum=1.0,
        max_inclusive=False,
    )  # fmt: skip
    check_choice("head", head, HEADS)
    if head == "classification":
        check_int("num_classes", num_classes, minimum=1)
    height, width, channels = image_shape
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"`image_shape` {tuple(image_shape)} must have a height and width "
            f"divisible by `patch_size` ({patch_size})."
        )
    if hidden_dim % num_heads:
        raise ValueError(
            f"`hidden_dim` ({hidden_dim}) must be divisible by `num_heads` "
            f"({num_heads}): each head gets hidden_dim // num_heads features."
        )
    return height // patch_size, width // patch_size, channels


def _vit_count(
    image_shape, patch_size, num_layers, num_heads, hidden_dim, intermediate_dim,
    dropout, attention_dropout, head, num_classes, **unused,
) -> int:  # fmt: skip
    """Closed-form parameter count of :func:`vit` (no weight is created)."""
    rows, cols, channels = _check_arguments(
        image_shape, patch_size, num_layers, num_heads, hidden_dim,
        intermediate_dim, dropout, attention_dropout, head, num_classes,
    )  # fmt: skip
    d, f = hidden_dim, intermediate_dim
    patches = patch_size * patch_size * channels * d + d
    tokens = d + (rows * cols + 1) * d  # class token + positions
    block = 4 * (d * d + d) + 4 * d + (d * f + f) + (f * d + d)
    total = patches + tokens + num_layers * block + 2 * d
    if head == "classification":
        total += d * num_classes + num_classes
    return total


def _count(name: str | None):
    def count(**overrides: Any) -> int:
        bound = inspect.signature(vit).bind(**{**CONFIGS.get(name, {}), **overrides})
        bound.apply_defaults()
        return _vit_count(**bound.arguments)

    return count


@register_model(
    "vit",
    family="transformers",
    test_config={
        "image_shape": (16, 16, 3),
        "patch_size": 4,
        "num_layers": 1,
        "num_heads": 2,
        "hidden_dim": 8,
        "intermediate_dim": 16,
        "num_classes": 3,
    },  # fmt: skip
    test_input_shape=(16, 16, 3),
    count_params=_count(None),
)
@keras_dlkit_export("keras_dlkit.models.vit")
def vit(
    image_shape: Sequence[int] = (224, 224, 3),
    patch_size: int = 16,
    num_layers: int = 12,
    num_heads: int = 12,
    hidden_dim: int = 768,
    intermediate_dim: int = 3072,
    dropout: float = 0.0,
    attention_dropout: float = 0.0,
    head: str | None = "classification",
    num_classes: int = 1000,
    classifier_activation: Any = None,
    dtype: Any = None,
    name: str = "vit",
) -> keras.Model:
    """Vision Transformer: an image as a sequence of patches, read by a transformer encoder.

    Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for
    Image Recognition at Scale" (ICLR 2021). A
    :class:`~keras_dlkit.layers.PatchEmbedding` (``"patch_embedding"``)
    maps each ``patch_size x patch_size`` patch to ``hidden_dim`` features,
    a :class:`~keras_dlkit.layers.ClassToken` (``"class_token"``) is
    prepended, learned positions (``"position_embedding"``) are added, and
    ``num_layers`` pre-norm encoder blocks
    (:class:`~keras_dlkit.blocks.TransformerEncoderBlock`, named
    ``"transformer_layer_{i}"``, exact GELU) and a final layer norm
    (``"final_norm"``, epsilon 1e-6) follow. Layer for layer this is
    keras-hub's ``ViTBackbone``.

    Args:
        image_shape: ``(height, width, channels)``; height and width must be
            multiples of ``patch_size``.
        patch_size: Side of the square patches (and the stride).
        num_layers: Number of encoder blocks.
        num_heads: Attention heads per block; must divide ``hidden_dim``.
        hidden_dim: Width of the token representations.
        intermediate_dim: Inner width of each feed-forward network.
        dropout: Dropout rate of the embeddings, residual branches,
            feed-forward networks and the classifier.
        attention_dropout: Dropout rate of the attention probabilities.
        head: ``"classification"`` (``(batch, num_classes)`` from the class
            token's output, keras-hub's ``ViTImageClassifier``) or ``None``
            (the backbone: the normalized sequence ``(batch, 1 +
            num_patches, hidden_dim)``, class token first).
        num_classes: Classes of the classification head.
        classifier_activation: Activation of the classifier; ``None``
            returns logits.
        dtype: Dtype policy of every layer (e.g. ``"mixed_bfloat16"``).
        name: Name of the model.

    Returns:
        A functional ``keras.Model`` on images ``(batch, *image_shape)``.

    Raises:
        ValueError: For an invalid argument (an image size not divisible by
            ``patch_size``, ``hidden_dim`` not divisible by ``num_heads``, an
            unknown ``head``, ...).

    Example:

    >>> from keras_dlkit.models import vit
    >>> model = vit(image_shape=(32, 32, 3), patch_size=8, num_layers=1, num_heads=2,
    ...             hidden_dim=8, intermediate_dim=16, num_classes=5)
    >>> model.output_shape
    (None, 5)
    >>> vit(image_shape=(32, 32, 3), patch_size=8, num_layers=1, num_heads=2,
    ...     hidden_dim=8, intermediate_dim=16, head=None).output_shape
    (None, 17, 8)
    """
    rows, cols, _ = _check_arguments(
        image_shape, patch_size, num_layers, num_heads, hidden_dim,
        intermediate_dim, dropout, attention_dropout, head, num_classes,
    )  # fmt: skip
    if head == "classification":
        check_activation(
            "classifier_activation", classifier_activation, passthrough=(None,)
        )
    images = keras.Input(tuple(image_shape), name="images")
    x = PatchEmbedding(patch_size, hidden_dim, dtype=dtype, name="patch_embedding")(
        images
    )
    x = ClassToken(dtype=dtype, name="class_token")(x)
    positions = PositionEmbedding(
        rows * cols + 1,
        initializer=keras.initializers.RandomNormal(stddev=0.02),
        dtype=dtype,
        name="position_embedding",
    )(x)
    x = keras.layers.Add(dtype=dtype, name="embeddings_add")([x, positions])
    x = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")(x)
    for index in range(num_layers):
        x = TransformerEncoderBlock(
            num_heads,
            intermediate_dim,
            norm_position="pre",
            norm_epsilon=1e-6,
            activation="gelu",
            dropout=dropout,
            attention_dropout=attention_dropout,
            dtype=dtype,
            name=f"transformer_layer_{index}",
        )(x)
    x = keras.layers.LayerNormalization(epsilon=1e-6, dtype=dtype, name="final_norm")(x)
    if head is None:
        return keras.Model(images, x, name=name)
    x = keras.layers.Dropout(dropout, dtype=dtype, name="classifier_dropout")(
        x[:, 0, :]
    )
    outputs = keras.layers.Dense(
        num_classes, activation=classifier_activation, dtype=dtype, name="predictions"
    )(x)
    return keras.Model(images, outputs, name=name)


def _named(name: str, head: Any, num_classes: int, overrides: dict[str, Any]):
    config = {**CONFIGS[name], "head": head, "num_classes": num_classes, "name": name}
    return vit(**{**config, **overrides})


_SMALL_IMAGE = {"image_shape": (32, 32, 3), "num_classes": 10}


@register_model(
    "vit_ti16",
    family="transformers",
    test_config=_SMALL_IMAGE,
    test_input_shape=(32, 32, 3),
    count_params=_count("vit_ti16"),
)
@keras_dlkit_export("keras_dlkit.models.vit_ti16")
def vit_ti16(
    head: str | None = "classification", num_classes: int = 1000, **kwargs: Any
) -> keras.Model:
    """ViT-Ti/16: 12 layers, width 192, 3 heads, MLP 768, 16 x 16 patches (5.7M weights).

    The tiny ViT of Touvron et al., "Training data-efficient image
    transformers & distillation through attention" (DeiT, ICML 2021), on
    224 x 224 images.

    Args:
        head: ``"classification"`` or ``None`` (the backbone); see :func:`vit`.
        num_classes: Classes of the classification head.
        **kwargs: Any other argument of :func:`vit` (e.g. ``image_shape``),
            overriding the configuration.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import count_params, vit_ti16
    >>> count_params("vit_ti16")
    5717416
    >>> vit_ti16(image_shape=(32, 32, 3), num_classes=10).output_shape
    (None, 10)
    """
    return _named("vit_ti16", head, num_classes, kwargs)


@register_model(
    "vit_s16",
    family="transformers",
    test_config=_SMALL_IMAGE,
    test_input_shape=(32, 32, 3),
    count_params=_count("vit_s16"),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.vit_s16")
def vit_s16(
    head: str | None = "classification", num_classes: int = 1000, **kwargs: Any
) -> keras.Model:
    """ViT-S/16: 12 layers, width 384, 6 heads, MLP 1536, 16 x 16 patches (22.1M weights).

    The small ViT of Touvron et al. (DeiT, ICML 2021), on 224 x 224 images.

    Args:
        head: ``"classification"`` or ``None`` (the backbone); see :func:`vit`.
        num_classes: Classes of the classification head.
        **kwargs: Any other argument of :func:`vit`, overriding the
            configuration.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("vit_s16")
    22050664
    """
    return _named("vit_s16", head, num_classes, kwargs)


@register_model(
    "vit_b16",
    family="transformers",
    test_config=_SMALL_IMAGE,
    test_input_shape=(32, 32, 3),
    count_params=_count("vit_b16"),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.vit_b16")
def vit_b16(
    head: str | None = "classification", num_classes: int = 1000, **kwargs: Any
) -> keras.Model:
    """ViT-B/16: 12 layers, width 768, 12 heads, MLP 3072, 16 x 16 patches (86.6M weights).

    Dosovitskiy et al. (2021), Table 1, on 224 x 224 images. Without a head
    it has 85,798,656 weights, as keras-hub's ``ViTBackbone``
    (``vit_base_patch16_224_imagenet``).

    Args:
        head: ``"classification"`` or ``None`` (the backbone); see :func:`vit`.
        num_classes: Classes of the classification head.
        **kwargs: Any other argument of :func:`vit`, overriding the
            configuration.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("vit_b16", head=None)
    85798656
    """
    return _named("vit_b16", head, num_classes, kwargs)


@register_model(
    "vit_l16",
    family="transformers",
    test_config=_SMALL_IMAGE,
    test_input_shape=(32, 32, 3),
    count_params=_count("vit_l16"),
    size_only=True,
)
@keras_dlkit_export("keras_dlkit.models.vit_l16")
def vit_l16(
    head: str | None = "classification", num_classes: int = 1000, **kwargs: Any
) -> keras.Model:
    """ViT-L/16: 24 layers, width 1024, 16 heads, MLP 4096, 16 x 16 patches (304.3M weights).

    Dosovitskiy et al. (2021), Table 1, on 224 x 224 images.

    Args:
        head: ``"classification"`` or ``None`` (the backbone); see :func:`vit`.
        num_classes: Classes of the classification head.
        **kwargs: Any other argument of :func:`vit`, overriding the
            configuration.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("vit_l16")
    304326632
    """
    return _named("vit_l16", head, num_classes, kwargs)


def _block_index(match: Any) -> str:
    return f"transformer_layer_{int(match.group(1)) - 1}/"


# keras-hub ViTBackbone weight paths -> ours.
_HUB_RULES = (
    (r"^vit_patching_and_embedding/class_token$", "class_token/class_token"),
    (r"^vit_patching_and_embedding/patch_embedding/", "patch_embedding/projection/"),
    (r"^vit_patching_and_embedding/position_embedding/", "position_embedding/"),
    (r"^vit_encoder/transformer_block_(\d+)/", _block_index),
    (r"/ln_1/", "/self_attention_norm/"),
    (r"/mha/", "/self_attention/"),
    (r"/ln_2/", "/feed_forward_norm/"),
    (r"/mlp/dense_1/", "/feed_forward/intermediate/"),
    (r"/mlp/dense_2/", "/feed_forward/output/"),
    (r"^vit_encoder/ln/", "final_norm/"),
)


@register_hub_converter("ViTBackbone")
def _from_vit_backbone(backbone: Any, **kwargs: Any) -> keras.Model:
    config = backbone.get_config()
    patch_size = config["patch_size"]
    if isinstance(patch_size, (list, tuple)):
        if patch_size[0] != patch_size[1]:
            raise ValueError(
                f"`backbone` has non-square patches {patch_size}; vit() takes "
                "square ones."
            )
        patch_size = patch_size[0]
    unsupported = {
        key: config.get(key)
        for key in ("use_mha_bias", "use_mlp_bias", "use_class_token", "use_patch_bias")
        if config.get(key) is False
    }
    if unsupported or config.get("data_format", "channels_last") != "channels_last":
        raise ValueError(
            f"`backbone` options {unsupported or config.get('data_format')} are not "
            "supported: vit() has biases, a class token and channels-last images."
        )
    if config.get("layer_norm_epsilon", 1e-6) != 1e-6:
        raise ValueError(
            f"`backbone` has layer_norm_epsilon={config['layer_norm_epsilon']}; "
            "vit() uses 1e-6."
        )
    model = vit(
        image_shape=tuple(config["image_shape"]),
        patch_size=patch_size,
        num_layers=config["num_layers"],
        num_heads=config["num_heads"],
        hidden_dim=config["hidden_dim"],
        intermediate_dim=config["mlp_dim"],
        dropout=config["dropout_rate"],
        attention_dropout=config["attention_dropout"],
        head=None,
        **{"dtype": backbone.dtype_policy, "name": "vit", **kwargs},
    )
    copy_weights_by_path(backbone, model, _HUB_RULES)
    return model
