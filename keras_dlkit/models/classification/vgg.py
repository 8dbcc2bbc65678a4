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

import dataclasses
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


@dataclasses.dataclass(frozen=True)
class VGGConfig:
    """One VGG variant.

    Attributes:
        depths: Convolutions in each of the five stages.
        batch_norm: Whether batch norm follows each convolution.
        application: The ``keras.applications`` twin, if there is one.
    """

    depths: tuple[int, int, int, int, int]
    batch_norm: bool = False
    application: str | None = None


VGG_CONFIGS: dict[str, VGGConfig] = {
    "vgg11": VGGConfig((1, 1, 2, 2, 2)),
    "vgg13": VGGConfig((2, 2, 2, 2, 2)),
    "vgg16": VGGConfig((2, 2, 3, 3, 3), application="VGG16"),
    "vgg19": VGGConfig((2, 2, 4, 4, 4), application="VGG19"),
    "vgg11_bn": VGGConfig((1, 1, 2, 2, 2), batch_norm=True),
    "vgg13_bn": VGGConfig((2, 2, 2, 2, 2), batch_norm=True),
    "vgg16_bn": VGGConfig((2, 2, 3, 3, 3), batch_norm=True),
    "vgg19_bn": VGGConfig((2, 2, 4, 4, 4), batch_norm=True),
}

TEST_CONFIG = {
    "input_shape": (32, 32, 3),
    "num_classes": 3,
    "width_multiplier": 0.125,
    "dense_units": 16,
}


def _vgg(
    arch: str,
    *,
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
    """The VGG ``VGG_CONFIGS[arch]``; what every ``vggN`` builder calls."""
    config = VGG_CONFIGS[arch]
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

    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for index, (width, depth) in enumerate(zip(WIDTHS, config.depths, strict=True)):
        x = VGGStage(
            scaled(width, width_multiplier),
            num_convs=depth,
            norm="batch" if config.batch_norm else None,
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
        application=config.application,
        head=False,
    )


@register_model(
    "vgg11", family="cnn", test_config=TEST_CONFIG, test_input_shape=(32, 32, 3)
)
@keras_dlkit_export("keras_dlkit.models.vgg11")
def vgg11(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    dense_units: int = 4096,
    dropout: float = 0.5,
    name: str = "vgg11",
) -> keras.Model:
    """VGG-11: configuration A of Simonyan & Zisserman (2014).

    Convolutions per stage (1, 1, 2, 2, 2), then three ``Dense`` layers: 11 weight
    layers. As torchvision's ``vgg11``: 132,863,336 parameters at 224x224.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; fully known
            with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the hidden ``Dense``
            layers ``"fc1"`` and ``"fc2"`` and the classifier ``"predictions"``.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` (random) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout after each hidden ``Dense`` layer, in ``[0, 1)``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stage_1"`` ...
        ``"stage_5"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import vgg11
    >>> model = vgg11(input_shape=(32, 32, 3), num_classes=10,
    ...     width_multiplier=0.25, dense_units=64)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("stage_5").output.shape
    (None, 1, 1, 128)
    """
    return _vgg("vgg11", **locals())


@register_model(
    "vgg13",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.vgg13")
def vgg13(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    dense_units: int = 4096,
    dropout: float = 0.5,
    name: str = "vgg13",
) -> keras.Model:
    """VGG-13: configuration B of Simonyan & Zisserman (2014).

    Convolutions per stage (2, 2, 2, 2, 2), then three ``Dense`` layers: 13 weight
    layers. As torchvision's ``vgg13``: 133,047,848 parameters at 224x224.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; fully known
            with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the hidden ``Dense``
            layers ``"fc1"`` and ``"fc2"`` and the classifier ``"predictions"``.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` (random) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout after each hidden ``Dense`` layer, in ``[0, 1)``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stage_1"`` ...
        ``"stage_5"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import vgg13
    >>> model = vgg13(input_shape=(32, 32, 3), num_classes=10,
    ...     width_multiplier=0.25, dense_units=64)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("stage_5").output.shape
    (None, 1, 1, 128)
    """
    return _vgg("vgg13", **locals())


@register_model(
    "vgg16",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.vgg16")
def vgg16(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    dense_units: int = 4096,
    dropout: float = 0.5,
    name: str = "vgg16",
) -> keras.Model:
    """VGG-16: configuration D of Simonyan & Zisserman (2014).

    Convolutions per stage (2, 2, 3, 3, 3), then three ``Dense`` layers: 16 weight
    layers. Equal to ``keras.applications.VGG16`` (same layers, 138,357,544
    trainable parameters at 224x224; :func:`from_keras_applications` converts its
    weights) plus the paper's dropout.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; fully known
            with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the hidden ``Dense``
            layers ``"fc1"`` and ``"fc2"`` and the classifier ``"predictions"``.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None``, ``"imagenet"`` (``keras.applications.VGG16``'s,
            converted; needs internet once) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout after each hidden ``Dense`` layer, in ``[0, 1)``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stage_1"`` ...
        ``"stage_5"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import vgg16
    >>> model = vgg16(input_shape=(32, 32, 3), num_classes=10,
    ...     width_multiplier=0.25, dense_units=64)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("stage_5").output.shape
    (None, 1, 1, 128)
    """
    return _vgg("vgg16", **locals())


@register_model(
    "vgg19",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.vgg19")
def vgg19(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    dense_units: int = 4096,
    dropout: float = 0.5,
    name: str = "vgg19",
) -> keras.Model:
    """VGG-19: configuration E of Simonyan & Zisserman (2014).

    Convolutions per stage (2, 2, 4, 4, 4), then three ``Dense`` layers: 19 weight
    layers. Equal to ``keras.applications.VGG19`` (same layers, 143,667,240
    trainable parameters at 224x224; :func:`from_keras_applications` converts its
    weights) plus the paper's dropout.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; fully known
            with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the hidden ``Dense``
            layers ``"fc1"`` and ``"fc2"`` and the classifier ``"predictions"``.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None``, ``"imagenet"`` (``keras.applications.VGG19``'s,
            converted; needs internet once) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout after each hidden ``Dense`` layer, in ``[0, 1)``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stage_1"`` ...
        ``"stage_5"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import vgg19
    >>> model = vgg19(input_shape=(32, 32, 3), num_classes=10,
    ...     width_multiplier=0.25, dense_units=64)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("stage_5").output.shape
    (None, 1, 1, 128)
    """
    return _vgg("vgg19", **locals())


@register_model(
    "vgg11_bn", family="cnn", test_config=TEST_CONFIG, test_input_shape=(32, 32, 3)
)
@keras_dlkit_export("keras_dlkit.models.vgg11_bn")
def vgg11_bn(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    dense_units: int = 4096,
    dropout: float = 0.5,
    name: str = "vgg11_bn",
) -> keras.Model:
    """VGG-11 with batch norm: configuration A of Simonyan & Zisserman (2014).

    Convolutions per stage (1, 1, 2, 2, 2), then three ``Dense`` layers: 11 weight
    layers, with batch norm between each convolution and its ReLU (the convolutions
    keep their biases), as torchvision's ``vgg11_bn``: 132,868,840 parameters at
    224x224.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; fully known
            with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the hidden ``Dense``
            layers ``"fc1"`` and ``"fc2"`` and the classifier ``"predictions"``.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` (random) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout after each hidden ``Dense`` layer, in ``[0, 1)``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stage_1"`` ...
        ``"stage_5"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import vgg11_bn
    >>> model = vgg11_bn(input_shape=(32, 32, 3), num_classes=10,
    ...     width_multiplier=0.25, dense_units=64)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("stage_5").output.shape
    (None, 1, 1, 128)
    """
    return _vgg("vgg11_bn", **locals())


@register_model(
    "vgg13_bn",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.vgg13_bn")
def vgg13_bn(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    dense_units: int = 4096,
    dropout: float = 0.5,
    name: str = "vgg13_bn",
) -> keras.Model:
    """VGG-13 with batch norm: configuration B of Simonyan & Zisserman (2014).

    Convolutions per stage (2, 2, 2, 2, 2), then three ``Dense`` layers: 13 weight
    layers, with batch norm between each convolution and its ReLU (the convolutions
    keep their biases), as torchvision's ``vgg13_bn``: 133,053,736 parameters at
    224x224.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; fully known
            with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the hidden ``Dense``
            layers ``"fc1"`` and ``"fc2"`` and the classifier ``"predictions"``.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` (random) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout after each hidden ``Dense`` layer, in ``[0, 1)``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stage_1"`` ...
        ``"stage_5"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import vgg13_bn
    >>> model = vgg13_bn(input_shape=(32, 32, 3), num_classes=10,
    ...     width_multiplier=0.25, dense_units=64)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("stage_5").output.shape
    (None, 1, 1, 128)
    """
    return _vgg("vgg13_bn", **locals())


@register_model(
    "vgg16_bn",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.vgg16_bn")
def vgg16_bn(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    dense_units: int = 4096,
    dropout: float = 0.5,
    name: str = "vgg16_bn",
) -> keras.Model:
    """VGG-16 with batch norm: configuration D of Simonyan & Zisserman (2014).

    Convolutions per stage (2, 2, 3, 3, 3), then three ``Dense`` layers: 16 weight
    layers, with batch norm between each convolution and its ReLU (the convolutions
    keep their biases), as torchvision's ``vgg16_bn``: 138,365,992 parameters at
    224x224.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; fully known
            with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the hidden ``Dense``
            layers ``"fc1"`` and ``"fc2"`` and the classifier ``"predictions"``.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` (random) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout after each hidden ``Dense`` layer, in ``[0, 1)``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stage_1"`` ...
        ``"stage_5"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import vgg16_bn
    >>> model = vgg16_bn(input_shape=(32, 32, 3), num_classes=10,
    ...     width_multiplier=0.25, dense_units=64)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("stage_5").output.shape
    (None, 1, 1, 128)
    """
    return _vgg("vgg16_bn", **locals())


@register_model(
    "vgg19_bn",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.vgg19_bn")
def vgg19_bn(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    dense_units: int = 4096,
    dropout: float = 0.5,
    name: str = "vgg19_bn",
) -> keras.Model:
    """VGG-19 with batch norm: configuration E of Simonyan & Zisserman (2014).

    Convolutions per stage (2, 2, 4, 4, 4), then three ``Dense`` layers: 19 weight
    layers, with batch norm between each convolution and its ReLU (the convolutions
    keep their biases), as torchvision's ``vgg19_bn``: 143,678,248 parameters at
    224x224.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; fully known
            with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the hidden ``Dense``
            layers ``"fc1"`` and ``"fc2"`` and the classifier ``"predictions"``.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` (random) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout after each hidden ``Dense`` layer, in ``[0, 1)``.
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stage_1"`` ...
        ``"stage_5"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import vgg19_bn
    >>> model = vgg19_bn(input_shape=(32, 32, 3), num_classes=10,
    ...     width_multiplier=0.25, dense_units=64)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("stage_5").output.shape
    (None, 1, 1, 128)
    """
    return _vgg("vgg19_bn", **locals())


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


@register_converter(
    *(arch for arch, config in VGG_CONFIGS.items() if config.application)
)
def convert_keras_vgg(source: keras.Model) -> keras.Model:
    """Our VGG-16/19 with the weights of ``keras.applications.VGG16`` / ``VGG19``."""
    builder = {"vgg16": vgg16, "vgg19": vgg19}[source.name]
    config = application_config(source)
    if config["include_top"]:
        config["dense_units"] = int(source.get_layer("fc1").units)
    target = builder(**config, name=source.name)
    return copy_mapped_weights(source, target, lambda name: _target_layer(target, name))
