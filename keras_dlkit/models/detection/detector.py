"""A single-stage, RetinaNet-style object detector on any CNN backbone."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.detection_head import DetectionHead
from keras_dlkit.blocks.unet import UNetDown
from keras_dlkit.boxes.anchor_box_coder import (
    DEFAULT_ANCHOR_SCALES,
    DEFAULT_ASPECT_RATIOS,
)
from keras_dlkit.models._common import check_cnn_arguments, load_cnn_weights
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.features import feature_extractor, feature_info
from keras_dlkit.utils.validation import check_bool, check_float, check_int


def _simple_backbone(
    input_shape, filters: Sequence[int], batch_norm: bool
) -> keras.Model:
    """A small VGG-like backbone: a stride-2 stem, then pool + 2 convs per stage."""
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Conv2D(
        filters[0],
        3,
        strides=2,
        padding="same",
        use_bias=not batch_norm,
        name="stem_conv",
    )(inputs)
    if batch_norm:
        x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.Activation("relu", name="stem")(x)
    for index, channels in enumerate(filters[1:], start=1):
        x = UNetDown(channels, batch_norm=batch_norm, name=f"stage_{index}")(x)
    return keras.Model(inputs, x, name="backbone")


@register_model(
    "detector",
    family="cnn",
    test_config={
        "input_shape": (32, 32, 3),
        "num_classes": 2,
        "backbone_filters": (4, 4, 8),
        "pyramid_channels": 8,
        "head_convs": 1,
        "anchor_scales": (1.0,),
        "aspect_ratios": (1.0,),
    },
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.detector")
def detector(
    input_shape: Sequence[int] | None = None,
    num_classes: int = 1,
    backbone: keras.Model | None = None,
    stages: Sequence[str] | None = None,
    backbone_filters: Sequence[int] = (32, 64, 128, 256),
    batch_norm: bool = True,
    pyramid_channels: int = 64,
    head_convs: int = 2,
    anchor_scales: Sequence[float] = DEFAULT_ANCHOR_SCALES,
    aspect_ratios: Sequence[float] = DEFAULT_ASPECT_RATIOS,
    prior_probability: float = 0.01,
    weights: str | None = None,
    name: str = "detector",
) -> keras.Model:
    """A single-stage anchor-based detector (RetinaNet-style, Lin et al. 2017).

    ``backbone`` stage outputs (read with
    :func:`keras_dlkit.models.feature_extractor`) feed a feature pyramid:
    a 1x1 lateral convolution per stage, top-down upsampling and addition,
    and a 3x3 convolution (layers ``"pyramid_<stage>"``). One shared
    :class:`keras_dlkit.blocks.DetectionHead` predicts, for every anchor of
    every level, 4 box deltas and ``num_classes`` logits; the output is
    their concatenation over levels, ``(batch, num_anchors, 4 +
    num_classes)``. Train it with :class:`keras_dlkit.losses.DetectionLoss`
    on targets from :class:`keras_dlkit.boxes.AnchorBoxCoder` (build it
    with ``AnchorBoxCoder.from_detector(model)``), whose ``decode`` applies
    non-max suppression.

    Without ``backbone`` a small VGG-like backbone is built (stem of stride
    2, then a max pool and two 3x3 conv-BN-ReLU per stage, channels
    ``backbone_filters``); any keras_dlkit CNN with ``include_top=False``
    (e.g. ``resnet18``) can be passed instead. The arguments shared by the
    CNN builders apply where they make sense: the output holds logits (the
    focal loss wants them), so there is no ``classifier_activation``,
    ``include_top`` or ``pooling``; ``weights`` is ``None`` or a weights
    file.

    Args:
        input_shape: ``(height, width, channels)`` with a fixed size (the
            anchors depend on it). Default ``(256, 256, 3)``, or the
            backbone's.
        num_classes: Object classes (no background class), >= 1.
        backbone: A model with stage outputs, or ``None``.
        stages: Stages feeding the pyramid (default: the three deepest).
        backbone_filters: Channels of the stem and stages of the default
            backbone (stage ``i`` has stride ``2**(i + 1)``).
        batch_norm: Batch normalization in the default backbone.
        pyramid_channels: Channels of the pyramid and head convolutions.
        head_convs: Convolutions per head tower (RetinaNet: 4).
        anchor_scales: Anchor scales per location (see
            :class:`keras_dlkit.boxes.AnchorBoxCoder`).
        aspect_ratios: Anchor width/height ratios per location.
        prior_probability: Initial foreground probability of the classifier.
        weights: ``None`` or the path of a weights file.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with output ``(batch, num_anchors, 4 +
        num_classes)``.

    Raises:
        ValueError: For an argument out of range, naming it.

    Example:

    >>> from keras_dlkit.models import AnchorBoxCoder, detector
    >>> model = detector((64, 64, 3), num_classes=2, backbone_filters=(8, 8, 16, 16))
    >>> coder = AnchorBoxCoder.from_detector(model)
    >>> coder.strides
    (4, 8, 16)
    >>> model.output_shape == (None, coder.num_anchors, 6)
    True
    """
    if backbone is not None and not isinstance(backbone, keras.Model):
        raise ValueError(f"`backbone` must be None or a keras.Model, got {backbone!r}.")
    if input_shape is None:
        input_shape = (
            (256, 256, 3) if backbone is None else tuple(backbone.inputs[0].shape[1:])
        )
    input_shape = check_cnn_arguments(
        input_shape, num_classes, True, None, None, weights, min_size=1
    )
    if weights == "imagenet":
        raise ValueError(
            "`weights`='imagenet' is not available for the detector (its head "
            "and pyramid are new); pass None or a weights file, and ImageNet "
            "weights to the backbone instead."
        )
    if None in input_shape:
        raise ValueError(
            f"`input_shape` must have a fixed height and width (the anchors "
            f"depend on them), got {input_shape}."
        )
    if backbone is None:
        if (
            isinstance(backbone_filters, (str, bytes))
            or not isinstance(backbone_filters, Sequence)
            or len(backbone_filters) < 2
        ):
            raise ValueError(
                "`backbone_filters` must be a sequence of at least 2 positive "
                f"integers (stem and stages), got {backbone_filters!r}."
            )
        for value in backbone_filters:
            check_int("backbone_filters", value, minimum=1)
        stride = 2 ** len(backbone_filters)
        for size in input_shape[:2]:
            if size % stride:
                raise ValueError(
                    f"`input_shape` {input_shape}: height and width must be "
                    f"multiples of the backbone's total stride {stride}."
                )
        check_bool("batch_norm", batch_norm)
        backbone = _simple_backbone(input_shape, backbone_filters, batch_norm)
    elif tuple(backbone.inputs[0].shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"`input_shape` {input_shape} differs from the backbone's input "
            f"shape {tuple(backbone.inputs[0].shape[1:])}."
        )
    check_int("pyramid_channels", pyramid_channels, minimum=1)
    check_int("head_convs", head_convs, minimum=0)
    for argument, values in (
        ("anchor_scales", anchor_scales),
        ("aspect_ratios", aspect_ratios),
    ):
        if (
            isinstance(values, (str, bytes))
            or not isinstance(values, Sequence)
            or not values
        ):
            raise ValueError(
                f"`{argument}` must be a non-empty sequence, got {values!r}."
            )
        for value in values:
            check_float(argument, value, minimum=0.0, min_inclusive=False)

    info = feature_info(backbone)
    if stages is None:
        stages = [entry["name"] for entry in info[-3:]]
    extractor = feature_extractor(backbone, stages)
    levels = [entry for entry in info if entry["name"] in extractor.output]
    for shallow, deep in zip(levels, levels[1:], strict=False):
        if deep["stride"] % shallow["stride"]:
            raise ValueError(
                f"`stages`: the strides {[e['stride'] for e in levels]} must each "
                "divide the next for the top-down pathway."
            )

    inputs = keras.Input(shape=input_shape, name="inputs")
    features = extractor(inputs)
    laterals = {
        entry["name"]: keras.layers.Conv2D(
            pyramid_channels, 1, name=f"lateral_{entry['name']}"
        )(features[entry["name"]])
        for entry in levels
    }
    merged, pyramid, deeper = {}, [], None
    for entry in reversed(levels):
        stage = entry["name"]
        x = laterals[stage]
        if deeper is not None:
            ratio = deeper["stride"] // entry["stride"]
            top_down = merged[deeper["name"]]
            if ratio > 1:
                top_down = keras.layers.UpSampling2D(ratio, name=f"top_down_{stage}")(
                    top_down
                )
            x = keras.layers.Add(name=f"merge_{stage}")([x, top_down])
        merged[stage] = x
        deeper = entry
    head = DetectionHead(
        num_classes,
        len(anchor_scales) * len(aspect_ratios),
        channels=pyramid_channels,
        num_convs=head_convs,
        prior_probability=prior_probability,
        name="head",
    )
    for entry in levels:
        level = keras.layers.Conv2D(
            pyramid_channels, 3, padding="same", name=f"pyramid_{entry['name']}"
        )(merged[entry["name"]])
        pyramid.append(head(level))
    outputs = (
        keras.layers.Concatenate(axis=1, name="predictions")(pyramid)
        if len(pyramid) > 1
        else keras.layers.Identity(name="predictions")(pyramid[0])
    )
    model = keras.Model(inputs, outputs, name=name)
    return load_cnn_weights(model, weights, application=None)
