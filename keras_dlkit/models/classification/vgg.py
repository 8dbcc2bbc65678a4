"""VGG builders: VGG-11/13/16/19 and their batch-norm variants.

Simonyan & Zisserman (2014), "Very Deep Convolutional Networks for
Large-Scale Image Recognition", configurations A (11), B (13), D (16) and E
(19): five :class:`~keras_dlkit.blocks.VGGStage` stages (3x3 convolutions
and a 2x2 max pool each) with 64, 128, 256, 512 and 512 channels, then
``Flatten`` and two 4096-unit ``Dense`` layers with dropout and the
classifier. VGG-16 and VGG-19 equal ``keras.applications.VGG16`` /
``VGG19`` (138,357,544 and 143,667,240 parameters at 224x224; weights
convertible); all counts equal torchvision's (``vgg11`` 132,863,336,
``vgg13`` 133,047,848, and the ``_bn`` variants, which keep their
convolution biases as torchvision's do: ``vgg11_bn`` 132,868,840,
``vgg13_bn`` 133,053,736, ``vgg16_bn`` 138,365,992, ``vgg19_bn``
143,678,248 trainable parameters).

The head flattens the last map, so with ``include_top`` the input size must
be fully known (the parameter counts above are at 224x224). The paper's
dropout of 0.5 after both hidden ``Dense`` layers is the default;
``keras.applications`` has none (it does not change inference).

**Stage outputs**: the stages are the layers ``"stage_1"`` ...
``"stage_5"``, after their pooling, at strides 2, 4, 8, 16 and 32 (VGG has
no separate stem).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.vgg_stage import VGGStage
from keras_dlkit.models._common import (
    check_cnn_arguments,
    check_width,
    classification_head,
    finish_cnn,
    scaled,
)
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.interop import (
    application_config,
    copy_mapped_weights,
    register_converter,
)
from keras_dlkit.utils.validation import check_float, check_int

WIDTHS = (64, 128, 256, 512, 512)
DEPTHS = {
    "vgg11": (1, 1, 2, 2, 2),
    "vgg13": (2, 2, 2, 2, 2),
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}
APPLICATIONS = {"vgg16": "VGG16", "vgg19": "VGG19"}
TEST_CONFIG = {
    "input_shape": (32, 32, 3),
    "num_classes": 3,
    "width_multiplier": 0.125,
    "dense_units": 16,
}


def _vgg(
    arch: str,
    batch_norm: bool,
    input_shape: Sequence[int | None],
    num_classes: int,
    include_top: bool,
    pooling: str | None,
    classifier_activation: Any,
    weights: str | None,
    width_multiplier: float,
    dense_units: int,
    dropout: float,
    name: str,
) -> keras.Model:
    input_shape = check_cnn_arguments(
        input_shape,
        num_classes,
        include_top,
        pooling,
        classifier_activation,
        weights,
        min_size=32,
    )
    if include_top and None in input_shape[:2]:
        raise ValueError(
            f"`input_shape` must give the height and width when "
            f"`include_top=True` (the head flattens the map), got {input_shape}."
        )
    width_multiplier = check_width(width_multiplier, weights)
    dense_units = check_int("dense_units", dense_units, minimum=1)
    dropout = check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    application = None if batch_norm else APPLICATIONS.get(arch)

    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for index, (width, depth) in enumerate(zip(WIDTHS, DEPTHS[arch], strict=True)):
        x = VGGStage(
            scaled(width, width_multiplier),
            num_convs=depth,
            norm="batch" if batch_norm else None,
            name=f"stage_{index + 1}",
        )(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        for index in (1, 2):
            x = keras.layers.Dense(dense_units, activation="relu", name=f"fc{index}")(x)
            if dropout > 0:
                x = keras.layers.Dropout(dropout, name=f"fc{index}_dropout")(x)
        outputs = keras.layers.Dense(
            num_classes, activation=classifier_activation, name="predictions"
        )(x)
    else:
        outputs = classification_head(
            x,
            include_top=False,
            num_classes=num_classes,
            pooling=pooling,
            classifier_activation=classifier_activation,
        )
    return finish_cnn(
        inputs,
        outputs,
        name=name,
        input_shape=input_shape,
        include_top=include_top,
        num_classes=num_classes,
        pooling=pooling,
        classifier_activation=classifier_activation,
        weights=weights,
        application=application,
        head=False,
    )


_DOC = """VGG-{depth}{bn_title}: configuration {config} of Simonyan & Zisserman (2014).

    {details}

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32 (the total
            stride); fully known with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the two hidden
            ``Dense`` layers (``"fc1"``, ``"fc2"``) and the classifier
            (``"predictions"``).
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or
            ``"max"`` (global pooling).
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` (random), {imagenet}or the path of a
            ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout rate after each hidden ``Dense`` layer, in
            ``[0, 1)`` (the paper's 0.5).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stage_1"`` ...
        ``"stage_5"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it), e.g.
            an input smaller than 32x32.

    Example:

    >>> from keras_dlkit.models import {name}
    >>> model = {name}(input_shape=(32, 32, 3), num_classes=10,
    ...     width_multiplier=0.25, dense_units=64)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("stage_5").output.shape
    (None, 1, 1, 128)
    """

_CONFIGS = {"vgg11": "A", "vgg13": "B", "vgg16": "D", "vgg19": "E"}


def _make_builder(arch: str, batch_norm: bool):
    """One documented, exported and registered VGG builder."""
    name = arch + ("_bn" if batch_norm else "")
    application = None if batch_norm else APPLICATIONS.get(arch)
    if batch_norm:
        details = (
            "Batch norm between each convolution and its ReLU, as torchvision's "
            f"``{name}`` (same parameter count)."
        )
    elif application:
        details = (
            f"Equal to ``keras.applications.{application}`` (same layers and "
            "trainable parameter count; :func:`from_keras_applications` "
            "converts its weights) plus the paper's dropout."
        )
    else:
        details = f"As torchvision's ``{arch}`` (same parameter count)."

    def builder(
        input_shape: Sequence[int | None] = (224, 224, 3),
        num_classes: int = 1000,
        include_top: bool = True,
        pooling: str | None = None,
        classifier_activation: Any = "softmax",
        weights: str | None = None,
        width_multiplier: float = 1.0,
        dense_units: int = 4096,
        dropout: float = 0.5,
        name: str = name,
    ) -> keras.Model:
        return _vgg(
            arch,
            batch_norm,
            input_shape,
            num_classes,
            include_top,
            pooling,
            classifier_activation,
            weights,
            width_multiplier,
            dense_units,
            dropout,
            name,
        )

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = _DOC.format(
        depth=arch[3:],
        bn_title=" with batch norm" if batch_norm else "",
        config=_CONFIGS[arch],
        details=details,
        imagenet=(
            f'``"imagenet"`` (``keras.applications.{application}``\'s '
            "weights, converted; downloads them, so it needs internet once) "
        )
        if application
        else "",
        name=name,
    )
    builder = keras_dlkit_export(f"keras_dlkit.models.{name}")(builder)
    return register_model(
        name, family="cnn", test_config=TEST_CONFIG, test_input_shape=(32, 32, 3)
    )(builder)


vgg11 = _make_builder("vgg11", batch_norm=False)
vgg13 = _make_builder("vgg13", batch_norm=False)
vgg16 = _make_builder("vgg16", batch_norm=False)
vgg19 = _make_builder("vgg19", batch_norm=False)
vgg11_bn = _make_builder("vgg11", batch_norm=True)
vgg13_bn = _make_builder("vgg13", batch_norm=True)
vgg16_bn = _make_builder("vgg16", batch_norm=True)
vgg19_bn = _make_builder("vgg19", batch_norm=True)


# ------------------------------------------------------------------ interop

_CONV_LAYER = re.compile(r"^block(\d)_conv(\d)$")


def _target_layer(model: keras.Model, source_name: str) -> keras.layers.Layer:
    """Our layer holding the weights of ``keras.applications``' ``source_name``."""
    if source_name in ("fc1", "fc2", "predictions"):
        return model.get_layer(source_name)
    match = _CONV_LAYER.match(source_name)
    if match is None:
        raise KeyError(source_name)
    stage = model.get_layer(f"stage_{match.group(1)}")
    return stage.convs[int(match.group(2)) - 1].conv


@register_converter("vgg16", "vgg19")
def convert_keras_vgg(source: keras.Model) -> keras.Model:
    """Our VGG-16/19 with the weights of ``keras.applications.VGG16`` / ``VGG19``."""
    builder = {"vgg16": vgg16, "vgg19": vgg19}[source.name]
    config = application_config(source)
    if config["include_top"]:
        config["dense_units"] = int(source.get_layer("fc1").units)
    target = builder(**config, name=source.name)
    return copy_mapped_weights(source, target, lambda name: _target_layer(target, name))
