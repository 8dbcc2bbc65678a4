"""U-Net (Ronneberger et al., 2015) and a U-Net decoder on any CNN backbone."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.unet import PADDINGS, UPSAMPLINGS, UNetDown, UNetUp
from keras_dlkit.models._common import check_cnn_arguments, load_cnn_weights
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.features import feature_extractor, feature_info
from keras_dlkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
)


def _valid_output_size(size: int, depth: int) -> int | None:
    """Output size of a valid-padding U-Net, or None when ``size`` does not fit."""
    size -= 4
    for _ in range(depth):
        if size <= 0 or size % 2:
            return None
        size = size // 2 - 4
    if size <= 0:
        return None
    for _ in range(depth):
        size = 2 * size - 4
    return size if size > 0 else None


@register_model(
    "unet",
    family="cnn",
    test_config={
        "input_shape": (16, 16, 1),
        "num_classes": 2,
        "filters": 2,
        "depth": 2,
        "batch_norm": True,
    },
    test_input_shape=(16, 16, 1),
)
@keras_dlkit_export("keras_dlkit.models.unet")
def unet(
    input_shape: Sequence[int | None] = (None, None, 1),
    num_classes: int = 2,
    filters: int = 64,
    depth: int = 4,
    batch_norm: bool = False,
    padding: str = "same",
    upsampling: str = "transpose",
    dropout: float = 0.0,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    name: str = "unet",
) -> keras.Model:
    """U-Net for semantic segmentation (Ronneberger, Fischer and Brox, 2015).

    A contracting path of ``depth`` steps (2x2 max pool, two 3x3
    convolutions, doubling the channels from ``filters``) and an expanding
    path of ``depth`` steps (2x2 up-convolution halving the channels,
    concatenation with the encoder map of the same level, two 3x3
    convolutions), then a 1x1 convolution to ``num_classes`` per pixel.
    Blocks: :class:`keras_dlkit.blocks.UNetDown` and
    :class:`keras_dlkit.blocks.UNetUp`.

    Differences from the paper are options: ``padding="same"`` (default)
    keeps the output the size of the input (the paper's ``"valid"`` trims
    the borders: a 572x572 input gives a 388x388 map, and the skips are
    centre-cropped); ``batch_norm=True`` adds batch normalization after each
    convolution (not in the paper, standard since). Padding does not change
    the parameter count: with the defaults (64 to 1024 channels, 1 input
    channel, 2 classes) both have the paper's 31,030,658 parameters.

    The arguments shared by the CNN builders apply where they make sense:
    the output is a per-pixel class map, so there is no ``include_top`` and
    no ``pooling``; ``classifier_activation`` is the activation of the 1x1
    output convolution (``"softmax"``, ``"sigmoid"`` with one class, or
    ``None`` for logits); ``weights`` is ``None`` or a weights file (there
    are no ImageNet weights). The encoder outputs are named ``"stem"`` (full
    resolution) and ``"stage_1"`` ... ``"stage_<depth>"``, so
    :func:`keras_dlkit.models.feature_extractor` works on a U-Net too.

    Args:
        input_shape: ``(height, width, channels)``. Height and width may be
            ``None``; with ``"same"`` padding they must be multiples of
            ``2**depth``, with ``"valid"`` they must keep every pooled map
            even (e.g. 572 with depth 4).
        num_classes: Output channels (classes) per pixel, >= 1.
        filters: Channels of the first block (paper: 64); level ``i`` has
            ``filters * 2**i``.
        depth: Number of poolings (paper: 4).
        batch_norm: Batch normalization after every 3x3 convolution.
        padding: ``"same"`` (default) or ``"valid"`` (the paper).
        upsampling: ``"transpose"`` (the paper's up-convolution),
            ``"bilinear"`` or ``"nearest"``.
        dropout: Dropout rate after the deepest block (the paper drops out
            "at the end of the contracting path"), in ``[0, 1)``.
        classifier_activation: Activation of the output layer.
        weights: ``None`` or the path of a weights file.
        name: Model name.

    Returns:
        A functional ``keras.Model`` mapping ``(batch, H, W, C)`` to
        ``(batch, H', W', num_classes)``.

    Raises:
        ValueError: For an argument out of range or an input size the
            network cannot take, naming the argument.

    Example:

    >>> from keras_dlkit.models import unet
    >>> unet((572, 572, 1), num_classes=2, padding="valid").output_shape
    (None, 388, 388, 2)
    >>> model = unet((64, 64, 3), num_classes=3, filters=8, batch_norm=True)
    >>> model.output_shape
    (None, 64, 64, 3)
    """
    check_int("depth", depth, minimum=1)
    check_choice("padding", padding, PADDINGS)
    input_shape = check_cnn_arguments(
        input_shape,
        num_classes,
        True,
        None,
        classifier_activation,
        weights,
        min_size=2**depth,
    )
    if weights == "imagenet":
        raise ValueError(
            "`weights`='imagenet' is not available for U-Net (there are no "
            "ImageNet weights); pass None or a weights file, or use "
            "unet_from_backbone on a pretrained encoder."
        )
    check_int("filters", filters, minimum=1)
    check_bool("batch_norm", batch_norm)
    check_choice("upsampling", upsampling, UPSAMPLINGS)
    dropout = check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    for size in input_shape[:2]:
        if size is None:
            continue
        if padding == "same" and size % 2**depth:
            raise ValueError(
                f"`input_shape` {input_shape}: height and width must be multiples "
                f"of 2**depth = {2**depth} with padding='same'."
            )
        if padding == "valid" and _valid_output_size(size, depth) is None:
            raise ValueError(
                f"`input_shape` {input_shape}: with padding='valid' and depth="
                f"{depth} every map before a pooling must have an even size and "
                "the deepest map a positive one (e.g. 572 for depth 4)."
            )
    common = {"padding": padding, "batch_norm": batch_norm}

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = UNetDown(filters, pool=False, name="stem", **common)(inputs)
    skips = [x]
    for level in range(1, depth + 1):
        x = UNetDown(filters * 2**level, name=f"stage_{level}", **common)(x)
        skips.append(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    for index, level in enumerate(range(depth - 1, -1, -1), start=1):
        x = UNetUp(
            filters * 2**level,
            upsampling=upsampling,
            name=f"decoder_{index}",
            **common,
        )([x, skips[level]])
    outputs = keras.layers.Conv2D(
        num_classes, 1, activation=classifier_activation, name="predictions"
    )(x)
    model = keras.Model(inputs, outputs, name=name)
    return load_cnn_weights(model, weights, application=None)


@keras_dlkit_export("keras_dlkit.models.unet_from_backbone")
def unet_from_backbone(
    backbone: keras.Model,
    num_classes: int,
    stages: Sequence[str] | None = None,
    decoder_filters: Sequence[int] | None = None,
    batch_norm: bool = True,
    upsampling: str = "transpose",
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> keras.Model:
    """A U-Net decoder on the stage outputs of a CNN backbone.

    The backbone's stage outputs (``"stem"``, ``"stage_1"``, ... found by
    :func:`keras_dlkit.models.feature_info`) are read with
    :func:`keras_dlkit.models.feature_extractor`. The decoder starts from
    the deepest selected stage (stride ``D``) and doubles the resolution
    ``log2(D)`` times with :class:`keras_dlkit.blocks.UNetUp`; at each
    resolution where a selected stage exists (the deepest one, if several
    share a stride) it is concatenated as the skip. A 1x1 convolution then
    classifies every pixel at the input resolution. This is the U-Net of
    ``segmentation_models``: any of our builders with ``include_top=False``
    is an encoder, pretrained or not.

    The backbone is shared, not copied: the U-Net holds it as one layer
    named ``"<backbone>_features"``; set ``backbone.trainable = False`` to
    train the decoder only.

    Args:
        backbone: A model with stage outputs (a keras_dlkit CNN builder's,
            usually ``include_top=False``).
        num_classes: Output channels per pixel, >= 1.
        stages: Stage names to use as encoder features (default: all).
        decoder_filters: Channels of the decoder blocks, deepest first, one
            per doubling (``log2`` of the deepest stride); default
            ``min(256, 16 * s)`` at output stride ``s`` (256, 128, 64, 32,
            16 for a stride-32 backbone).
        batch_norm: Batch normalization in the decoder blocks.
        upsampling: ``"transpose"``, ``"bilinear"`` or ``"nearest"``.
        classifier_activation: Activation of the output layer.
        name: Model name (default ``"<backbone>_unet"``).

    Returns:
        A functional ``keras.Model`` mapping the backbone's input to
        ``(batch, H, W, num_classes)``.

    Raises:
        ValueError: If the backbone has no stage outputs, a stage is unknown,
            strides are not powers of two, ``decoder_filters`` has the wrong
            length, or the input size is not a multiple of the deepest stride.

    Example:

    >>> import keras
    >>> from keras_dlkit.models import unet_from_backbone
    >>> inputs = keras.Input((32, 32, 3))
    >>> x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="stem")(inputs)
    >>> x = keras.layers.Conv2D(16, 3, strides=2, padding="same", name="stage_1")(x)
    >>> backbone = keras.Model(inputs, x, name="tiny")
    >>> model = unet_from_backbone(backbone, num_classes=3)
    >>> model.output_shape
    (None, 32, 32, 3)
    """
    if not isinstance(backbone, keras.Model):
        raise ValueError(f"`backbone` must be a keras.Model, got {backbone!r}.")
    check_int("num_classes", num_classes, minimum=1)
    check_bool("batch_norm", batch_norm)
    check_choice("upsampling", upsampling, UPSAMPLINGS)
    if classifier_activation is not None:
        try:
            keras.activations.get(classifier_activation)
        except (ValueError, TypeError):
            raise ValueError(
                "`classifier_activation` must be None or a Keras activation "
                f"identifier, got {classifier_activation!r}."
            ) from None
    info = feature_info(backbone)
    extractor = feature_extractor(backbone, stages)
    chosen = [entry for entry in info if entry["name"] in extractor.output]
    by_stride: dict[int, str] = {}
    for entry in chosen:  # shallowest first, so the deepest of a stride wins
        stride = entry["stride"]
        if stride < 1 or stride & (stride - 1):
            raise ValueError(
                f"`backbone`: stage {entry['name']!r} has stride {stride} for the "
                f"input shape {tuple(backbone.inputs[0].shape[1:])}; the U-Net "
                "decoder needs power-of-two strides, and height and width "
                "multiples of the deepest stride."
            )
        by_stride[stride] = entry["name"]
    deepest = max(by_stride)
    doublings = int(math.log2(deepest))
    if decoder_filters is None:
        decoder_filters = [
            min(256, 16 * deepest // 2**i) for i in range(1, doublings + 1)
        ]
    if isinstance(decoder_filters, (str, bytes)) or not isinstance(
        decoder_filters, Sequence
    ):
        raise ValueError(
            f"`decoder_filters` must be a sequence of {doublings} positive "
            f"integers, got {decoder_filters!r}."
        )
    if len(decoder_filters) != doublings:
        raise ValueError(
            f"`decoder_filters` must have {doublings} entries (one per doubling "
            f"from stride {deepest} to 1), got {list(decoder_filters)!r}."
        )
    for value in decoder_filters:
        check_int("decoder_filters", value, minimum=1)
    input_shape = tuple(backbone.inputs[0].shape[1:])
    for size in input_shape[:2]:
        if size is not None and size % deepest:
            raise ValueError(
                f"`backbone` input shape {input_shape}: height and width must be "
                f"multiples of the deepest stride {deepest}."
            )

    inputs = keras.Input(shape=input_shape, name="inputs")
    features = extractor(inputs)
    x = features[by_stride[deepest]]
    stride = deepest
    for index, channels in enumerate(decoder_filters, start=1):
        stride //= 2
        block = UNetUp(
            channels,
            upsampling=upsampling,
            batch_norm=batch_norm,
            name=f"decoder_{index}",
        )
        x = block([x, features[by_stride[stride]]] if stride in by_stride else x)
    outputs = keras.layers.Conv2D(
        num_classes, 1, activation=classifier_activation, name="predictions"
    )(x)
    return keras.Model(inputs, outputs, name=name or f"{backbone.name}_unet")
