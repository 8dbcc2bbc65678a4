"""Inception-v3 (Szegedy et al., 2016), as ``keras.applications.InceptionV3``.

A stem of five convolutions and two max poolings, then the factorized
Inception modules of :mod:`keras_dlkit.blocks.inception_v3`: three A modules
on the 35x35 grid (``mixed0`` ... ``mixed2``), the B grid reduction
(``mixed3``), four C modules on the 17x17 grid (``mixed4`` ... ``mixed7``),
the D reduction (``mixed8``) and two E modules on the 8x8 grid (``mixed9``,
``mixed10``). Every convolution has no bias and is followed by batch
normalization without scale and a ReLU, as in ``keras.applications``, whose
trainable parameter count (23,817,352 at 299x299x3 with 1000 classes) ours
equals and whose weights :func:`keras_dlkit.models.from_keras_applications`
copies over. No auxiliary classifier (``keras.applications`` has none).

Stage outputs (timm's ``feature_info`` for this network): ``"stem"`` after
the first three convolutions (stride 2), ``"stage_1"`` after the next max
pooling and two convolutions (stride 4), ``"stage_2"`` after ``mixed2``
(stride 8), ``"stage_3"`` after ``mixed7`` (stride 16), ``"stage_4"`` after
``mixed10`` (stride 32). "valid" paddings make the maps a little smaller
than ``input / stride`` (35x35 at stride 8 for 299x299 inputs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.conv_norm_act import ConvNormAct
from keras_dlkit.blocks.inception_base import InceptionBase
from keras_dlkit.blocks.inception_v3 import (
    InceptionA,
    InceptionB,
    InceptionC,
    InceptionD,
    InceptionE,
)
from keras_dlkit.models._common import (
    check_cnn_arguments,
    finish_cnn,
)
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.interop import (
    application_config,
    copy_mapped_weights,
    register_converter,
)
from keras_dlkit.utils.validation import check_float

#: Stem units: (name, filters, kernel, strides, padding); max poolings after
#: ``conv_2b`` and ``conv_4a``.
STEM = (
    ("conv_1a", 32, 3, 2, "valid"),
    ("conv_2a", 32, 3, 1, "valid"),
    ("conv_2b", 64, 3, 1, "same"),
    ("conv_3b", 80, 1, 1, "valid"),
    ("conv_4a", 192, 3, 1, "valid"),
)


def _scaled(filters: Any, width_multiplier: float) -> Any:
    if isinstance(filters, tuple):
        return tuple(_scaled(f, width_multiplier) for f in filters)
    return max(1, int(round(filters * width_multiplier)))


def _modules(w: float) -> list[tuple[str, InceptionBase]]:
    """``mixed0`` ... ``mixed10`` with their stage; widths scaled by ``w``."""
    s = lambda filters: _scaled(filters, w)  # noqa: E731
    a = {
        "filters_1x1": s(64),
        "filters_5x5": s((48, 64)),
        "filters_3x3dbl": s((64, 96, 96)),
    }
    return [
        ("stage_2", InceptionA(s(32), **a, name="mixed0")),
        ("stage_2", InceptionA(s(64), **a, name="mixed1")),
        ("stage_2", InceptionA(s(64), **a, name="mixed2")),
        ("stage_3", InceptionB(s(384), s((64, 96, 96)), name="mixed3")),
        ("stage_3", InceptionC(s(128), s(192), name="mixed4")),
        ("stage_3", InceptionC(s(160), s(192), name="mixed5")),
        ("stage_3", InceptionC(s(160), s(192), name="mixed6")),
        ("stage_3", InceptionC(s(192), s(192), name="mixed7")),
        ("stage_4", InceptionD(s((192, 320)), s(192), name="mixed8")),
        ("stage_4", InceptionE(s(320), s(384), s((448, 384)), s(192), name="mixed9")),
        ("stage_4", InceptionE(s(320), s(384), s((448, 384)), s(192), name="mixed10")),
    ]


@register_model(
    "inception_v3",
    family="cnn",
    test_config={
        "input_shape": (75, 75, 3),
        "num_classes": 3,
        "width_multiplier": 0.0625,
    },
    test_input_shape=(75, 75, 3),
)
@keras_dlkit_export("keras_dlkit.models.inception_v3")
def inception_v3(
    input_shape: Sequence[int | None] = (299, 299, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    name: str = "inception_v3",
) -> keras.Model:
    """Inception-v3, layer for layer ``keras.applications.InceptionV3``.

    Inputs are expected in ``[-1, 1]``
    (``keras.applications.inception_v3.preprocess_input``), as for the
    ``keras.applications`` model; there is no preprocessing layer. The
    default input is 299x299, the smallest 75x75.

    Args:
        input_shape: ``(height, width, channels)``, at least 75x75;
            height and width may be ``None``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling and the
            dense classifier (``"predictions"``).
        pooling: Without the top: ``None``, ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None``, ``"imagenet"`` (``keras.applications``' weights,
            converted; needs internet once) or the path of a weights file.
        width_multiplier: Scales every width (> 0; 1.0 is the published
            network, and what ``"imagenet"`` needs).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (nominal strides 2, 4, 8, 16, 32) and
        modules ``"mixed0"`` ... ``"mixed10"``.

    Example:

    >>> from keras_dlkit.models import inception_v3
    >>> model = inception_v3(input_shape=(75, 75, 3), include_top=False,
    ...                      width_multiplier=0.25)
    >>> [tuple(model.get_layer(f"stage_{i}").output.shape[1:3]) for i in (2, 3, 4)]
    [(7, 7), (3, 3), (1, 1)]
    >>> model.output_shape
    (None, 1, 1, 512)
    """
    input_shape = check_cnn_arguments(
        input_shape,
        num_classes,
        include_top,
        pooling,
        classifier_activation,
        weights,
        min_size=75,
    )
    width_multiplier = check_float(
        "width_multiplier", width_multiplier, minimum=0.0, min_inclusive=False
    )
    if weights == "imagenet" and width_multiplier != 1.0:
        raise ValueError(
            "`width_multiplier` must be 1.0 with weights='imagenet' (the "
            f"pretrained network has the full width), got {width_multiplier!r}."
        )
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be a non-empty string, got {name!r}.")

    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for unit, filters, kernel_size, strides, padding in STEM:
        x = ConvNormAct(
            _scaled(filters, width_multiplier),
            kernel_size,
            strides=strides,
            padding=padding,
            use_bias=False,
            norm_scale=False,
            norm_epsilon=1e-3,
            kernel_initializer="glorot_uniform",
            name=unit,
        )(x)
        if unit == "conv_2b":
            x = keras.layers.Identity(name="stem")(x)
            x = keras.layers.MaxPooling2D(3, strides=2, name="pool_3a")(x)
    x = keras.layers.Identity(name="stage_1")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool_5a")(x)
    modules = _modules(width_multiplier)
    for i, (stage, module) in enumerate(modules):
        x = module(x)
        if i + 1 == len(modules) or modules[i + 1][0] != stage:
            x = keras.layers.Identity(name=stage)(x)
    return finish_cnn(
        inputs,
        x,
        name=name,
        input_shape=input_shape,
        include_top=include_top,
        num_classes=num_classes,
        pooling=pooling,
        classifier_activation=classifier_activation,
        weights=weights,
        application="InceptionV3",
    )


# --------------------------------------------------------------------------
# Weight interop with keras.applications.InceptionV3.
# --------------------------------------------------------------------------

_AUTO_NAME = re.compile(r"^(conv2d|batch_normalization)(?:_(\d+))?$")


def _creation_order(source: keras.Model, kind: str) -> list[str]:
    """Names of ``source``'s auto-named ``kind`` layers, in creation order.

    ``keras.applications.InceptionV3`` leaves its convolutions and batch
    normalizations unnamed; Keras numbers them ``conv2d``, ``conv2d_1``, ...
    in the order they are made, which is the order of its code (and of our
    units).
    """
    found = []
    for layer in source.layers:
        match = _AUTO_NAME.match(layer.name)
        if match and match.group(1) == kind:
            found.append((int(match.group(2) or 0), layer.name))
    return [name for _, name in sorted(found)]


@register_converter("inception_v3")
def convert_inception_v3(source: keras.Model) -> keras.Model:
    """Our ``inception_v3`` with the weights of ``keras.applications``' one."""
    target = inception_v3(
        **{"num_classes": 1000, "classifier_activation": "softmax"}
        | application_config(source)
    )
    units = [
        (target.get_layer(unit).conv, target.get_layer(unit).norm_layer)
        for unit, *_ in STEM
    ]
    for layer in target.layers:
        if isinstance(layer, InceptionBase):
            units += layer.units()
    convs = _creation_order(source, "conv2d")
    norms = _creation_order(source, "batch_normalization")
    if not len(convs) == len(norms) == len(units):
        raise ValueError(
            f"`source_model` {source.name!r} has {len(convs)} convolutions and "
            f"{len(norms)} batch normalizations; InceptionV3 has {len(units)} of "
            "each."
        )
    mapping = {}
    for (conv, norm), conv_name, norm_name in zip(units, convs, norms, strict=True):
        mapping[conv_name], mapping[norm_name] = conv, norm
    if any(layer.name == "predictions" for layer in target.layers):
        mapping["predictions"] = target.get_layer("predictions")
    return copy_mapped_weights(source, target, lambda name: mapping[name])
