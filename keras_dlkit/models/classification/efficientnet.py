"""EfficientNet-B0 ... B7 builders (Tan & Le, 2019), as ``keras.applications``.

Compound scaling: from the B0 baseline, variant ``bX`` scales the width
(filters, rounded to multiples of 8), the depth (repeats per stage, rounded
up) and the input resolution together, with more dropout before the
classifier; ``EFFICIENTNET_CONFIGS`` holds each variant's coefficients, and
the builders' defaults come from it.

Each builder takes ``keras.applications``' arguments, defaults and input
preprocessing, so its trainable parameter count equals
``keras.applications.EfficientNetBX``'s and
:func:`keras_dlkit.models.from_keras_applications` converts one into the
other with identical outputs (the converter is at the end of this file). The
body lives in :mod:`keras_dlkit.models.classification._efficientnet`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.classification._efficientnet import (
    EfficientNetConfig,
    build_efficientnet,
)
from keras_dlkit.models.interop import (
    application_config,
    copy_mapped_weights,
    register_converter,
)

#: Variant: width and depth coefficients, resolution, dropout, keras.applications.
EFFICIENTNET_CONFIGS: dict[str, EfficientNetConfig] = {
    "b0": EfficientNetConfig(1.0, 1.0, 224, 0.2, "EfficientNetB0"),
    "b1": EfficientNetConfig(1.0, 1.1, 240, 0.2, "EfficientNetB1"),
    "b2": EfficientNetConfig(1.1, 1.2, 260, 0.3, "EfficientNetB2"),
    "b3": EfficientNetConfig(1.2, 1.4, 300, 0.3, "EfficientNetB3"),
    "b4": EfficientNetConfig(1.4, 1.8, 380, 0.4, "EfficientNetB4"),
    "b5": EfficientNetConfig(1.6, 2.2, 456, 0.4, "EfficientNetB5"),
    "b6": EfficientNetConfig(1.8, 2.6, 528, 0.5, "EfficientNetB6"),
    "b7": EfficientNetConfig(2.0, 3.1, 600, 0.5, "EfficientNetB7"),
}

#: The registry test's configuration: a thumbnail of the architecture (a
#: quarter of the width and depth, 32x32 inputs), so all eight variants stay
#: quick to build, train one step and save.
TEST_CONFIG = {
    "input_shape": (32, 32, 3),
    "num_classes": 3,
    "width_coefficient": 0.25,
    "depth_coefficient": 0.25,
}


@register_model(
    "efficientnet_b0",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b0")
def efficientnet_b0(
    input_shape: Sequence[int | None] = EFFICIENTNET_CONFIGS["b0"].input_shape,
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = EFFICIENTNET_CONFIGS["b0"].width_coefficient,
    depth_coefficient: float = EFFICIENTNET_CONFIGS["b0"].depth_coefficient,
    dropout: float = EFFICIENTNET_CONFIGS["b0"].dropout,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b0",
) -> keras.Model:
    """EfficientNet-B0 (Tan & Le, 2019): ``keras.applications.EfficientNetB0``.

    The baseline: width and depth coefficients 1.0 and 1.0, 224x224 inputs and
    dropout 0.2 before the classifier: 5,288,548 trainable parameters, as in
    Keras.

    The model starts with ``keras.applications``' preprocessing
    (``Rescaling(1/255)`` and a ``Normalization`` layer whose statistics come
    with the weights), so it takes pixels in ``[0, 255]``. The stem's output is
    the layer ``"stem"`` (stride 2) and the seven stages of MBConv blocks end in
    layers ``"stage_1"`` ... ``"stage_7"`` (strides 2, 4, 8, 16, 16, 32, 32; the
    paper's stages 2-8); blocks are named as in ``keras.applications``
    (``"block1a"``, ``"block2b"``, ...).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; sizes may be ``None``.
        num_classes: Classes of the classifier (with ``include_top``).
        include_top: Whether to end with global pooling, dropout and the classifier.
        pooling: Without the top: ``None`` (the 4D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the classifier.
        weights: ``None``, ``"imagenet"`` (through ``keras.applications``; needs
            internet once) or a weights file.
        width_coefficient: Width multiplier (1.0); change it (and
            ``depth_coefficient``) only for a thumbnail of the architecture.
        depth_coefficient: Depth multiplier (1.0).
        dropout: Dropout rate before the classifier.
        drop_connect_rate: Stochastic-depth rate of the last block, growing
            linearly from 0 at the first.
        include_preprocessing: Whether to start with the rescaling and
            normalization layers (``False``: feed normalized inputs).
        name: Model name.

    Returns:
        A functional ``keras.Model``; :func:`keras_dlkit.models.feature_extractor`
        gives a dict of its stage outputs.

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> import inspect
    >>> from keras_dlkit.models import efficientnet_b0
    >>> defaults = inspect.signature(efficientnet_b0).parameters
    >>> [defaults[k].default for k in ("width_coefficient", "depth_coefficient",
    ...                                  "input_shape", "dropout")]
    [1.0, 1.0, (224, 224, 3), 0.2]
    >>> model = efficientnet_b0(input_shape=(32, 32, 3), include_top=False,
    ...                          width_coefficient=0.25, depth_coefficient=0.25)
    >>> model.get_layer("stage_7").output.shape  # a thumbnail, for speed
    (None, 1, 1, 80)
    """
    return build_efficientnet(EFFICIENTNET_CONFIGS["b0"], **locals())


@register_model(
    "efficientnet_b1",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b1")
def efficientnet_b1(
    input_shape: Sequence[int | None] = EFFICIENTNET_CONFIGS["b1"].input_shape,
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = EFFICIENTNET_CONFIGS["b1"].width_coefficient,
    depth_coefficient: float = EFFICIENTNET_CONFIGS["b1"].depth_coefficient,
    dropout: float = EFFICIENTNET_CONFIGS["b1"].dropout,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b1",
) -> keras.Model:
    """EfficientNet-B1 (Tan & Le, 2019): ``keras.applications.EfficientNetB1``.

    Width coefficient 1.0, depth coefficient 1.1, 240x240 inputs and dropout 0.2
    before the classifier: 7,794,184 trainable parameters, as in Keras.

    Preprocessing, stages and layer names as in :func:`efficientnet_b0`: it
    takes pixels in ``[0, 255]``, and its stage outputs are ``"stem"`` and
    ``"stage_1"`` ... ``"stage_7"`` (strides 2, 2, 4, 8, 16, 16, 32, 32).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; sizes may be ``None``.
        num_classes: Classes of the classifier (with ``include_top``).
        include_top: Whether to end with global pooling, dropout and the classifier.
        pooling: Without the top: ``None`` (the 4D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the classifier.
        weights: ``None``, ``"imagenet"`` (through ``keras.applications``; needs
            internet once) or a weights file.
        width_coefficient: Width multiplier (1.0); change it (and
            ``depth_coefficient``) only for a thumbnail of the architecture.
        depth_coefficient: Depth multiplier (1.1).
        dropout: Dropout rate before the classifier.
        drop_connect_rate: Stochastic-depth rate of the last block, growing
            linearly from 0 at the first.
        include_preprocessing: Whether to start with the rescaling and
            normalization layers (``False``: feed normalized inputs).
        name: Model name.

    Returns:
        A functional ``keras.Model``; :func:`keras_dlkit.models.feature_extractor`
        gives a dict of its stage outputs.

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> import inspect
    >>> from keras_dlkit.models import efficientnet_b1
    >>> defaults = inspect.signature(efficientnet_b1).parameters
    >>> [defaults[k].default for k in ("width_coefficient", "depth_coefficient",
    ...                                  "input_shape", "dropout")]
    [1.0, 1.1, (240, 240, 3), 0.2]
    >>> model = efficientnet_b1(input_shape=(32, 32, 3), include_top=False,
    ...                          width_coefficient=0.25, depth_coefficient=0.25)
    >>> model.get_layer("stage_7").output.shape  # a thumbnail, for speed
    (None, 1, 1, 80)
    """
    return build_efficientnet(EFFICIENTNET_CONFIGS["b1"], **locals())


@register_model(
    "efficientnet_b2",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b2")
def efficientnet_b2(
    input_shape: Sequence[int | None] = EFFICIENTNET_CONFIGS["b2"].input_shape,
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = EFFICIENTNET_CONFIGS["b2"].width_coefficient,
    depth_coefficient: float = EFFICIENTNET_CONFIGS["b2"].depth_coefficient,
    dropout: float = EFFICIENTNET_CONFIGS["b2"].dropout,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b2",
) -> keras.Model:
    """EfficientNet-B2 (Tan & Le, 2019): ``keras.applications.EfficientNetB2``.

    Width coefficient 1.1, depth coefficient 1.2, 260x260 inputs and dropout 0.3
    before the classifier: 9,109,994 trainable parameters, as in Keras.

    Preprocessing, stages and layer names as in :func:`efficientnet_b0`: it
    takes pixels in ``[0, 255]``, and its stage outputs are ``"stem"`` and
    ``"stage_1"`` ... ``"stage_7"`` (strides 2, 2, 4, 8, 16, 16, 32, 32).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; sizes may be ``None``.
        num_classes: Classes of the classifier (with ``include_top``).
        include_top: Whether to end with global pooling, dropout and the classifier.
        pooling: Without the top: ``None`` (the 4D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the classifier.
        weights: ``None``, ``"imagenet"`` (through ``keras.applications``; needs
            internet once) or a weights file.
        width_coefficient: Width multiplier (1.1); change it (and
            ``depth_coefficient``) only for a thumbnail of the architecture.
        depth_coefficient: Depth multiplier (1.2).
        dropout: Dropout rate before the classifier.
        drop_connect_rate: Stochastic-depth rate of the last block, growing
            linearly from 0 at the first.
        include_preprocessing: Whether to start with the rescaling and
            normalization layers (``False``: feed normalized inputs).
        name: Model name.

    Returns:
        A functional ``keras.Model``; :func:`keras_dlkit.models.feature_extractor`
        gives a dict of its stage outputs.

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> import inspect
    >>> from keras_dlkit.models import efficientnet_b2
    >>> defaults = inspect.signature(efficientnet_b2).parameters
    >>> [defaults[k].default for k in ("width_coefficient", "depth_coefficient",
    ...                                  "input_shape", "dropout")]
    [1.1, 1.2, (260, 260, 3), 0.3]
    >>> model = efficientnet_b2(input_shape=(32, 32, 3), include_top=False,
    ...                          width_coefficient=0.25, depth_coefficient=0.25)
    >>> model.get_layer("stage_7").output.shape  # a thumbnail, for speed
    (None, 1, 1, 80)
    """
    return build_efficientnet(EFFICIENTNET_CONFIGS["b2"], **locals())


@register_model(
    "efficientnet_b3",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b3")
def efficientnet_b3(
    input_shape: Sequence[int | None] = EFFICIENTNET_CONFIGS["b3"].input_shape,
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = EFFICIENTNET_CONFIGS["b3"].width_coefficient,
    depth_coefficient: float = EFFICIENTNET_CONFIGS["b3"].depth_coefficient,
    dropout: float = EFFICIENTNET_CONFIGS["b3"].dropout,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b3",
) -> keras.Model:
    """EfficientNet-B3 (Tan & Le, 2019): ``keras.applications.EfficientNetB3``.

    Width coefficient 1.2, depth coefficient 1.4, 300x300 inputs and dropout 0.3
    before the classifier: 12,233,232 trainable parameters, as in Keras.

    Preprocessing, stages and layer names as in :func:`efficientnet_b0`: it
    takes pixels in ``[0, 255]``, and its stage outputs are ``"stem"`` and
    ``"stage_1"`` ... ``"stage_7"`` (strides 2, 2, 4, 8, 16, 16, 32, 32).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; sizes may be ``None``.
        num_classes: Classes of the classifier (with ``include_top``).
        include_top: Whether to end with global pooling, dropout and the classifier.
        pooling: Without the top: ``None`` (the 4D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the classifier.
        weights: ``None``, ``"imagenet"`` (through ``keras.applications``; needs
            internet once) or a weights file.
        width_coefficient: Width multiplier (1.2); change it (and
            ``depth_coefficient``) only for a thumbnail of the architecture.
        depth_coefficient: Depth multiplier (1.4).
        dropout: Dropout rate before the classifier.
        drop_connect_rate: Stochastic-depth rate of the last block, growing
            linearly from 0 at the first.
        include_preprocessing: Whether to start with the rescaling and
            normalization layers (``False``: feed normalized inputs).
        name: Model name.

    Returns:
        A functional ``keras.Model``; :func:`keras_dlkit.models.feature_extractor`
        gives a dict of its stage outputs.

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> import inspect
    >>> from keras_dlkit.models import efficientnet_b3
    >>> defaults = inspect.signature(efficientnet_b3).parameters
    >>> [defaults[k].default for k in ("width_coefficient", "depth_coefficient",
    ...                                  "input_shape", "dropout")]
    [1.2, 1.4, (300, 300, 3), 0.3]
    >>> model = efficientnet_b3(input_shape=(32, 32, 3), include_top=False,
    ...                          width_coefficient=0.25, depth_coefficient=0.25)
    >>> model.get_layer("stage_7").output.shape  # a thumbnail, for speed
    (None, 1, 1, 80)
    """
    return build_efficientnet(EFFICIENTNET_CONFIGS["b3"], **locals())


@register_model(
    "efficientnet_b4",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b4")
def efficientnet_b4(
    input_shape: Sequence[int | None] = EFFICIENTNET_CONFIGS["b4"].input_shape,
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = EFFICIENTNET_CONFIGS["b4"].width_coefficient,
    depth_coefficient: float = EFFICIENTNET_CONFIGS["b4"].depth_coefficient,
    dropout: float = EFFICIENTNET_CONFIGS["b4"].dropout,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b4",
) -> keras.Model:
    """EfficientNet-B4 (Tan & Le, 2019): ``keras.applications.EfficientNetB4``.

    Width coefficient 1.4, depth coefficient 1.8, 380x380 inputs and dropout 0.4
    before the classifier: 19,341,616 trainable parameters, as in Keras.

    Preprocessing, stages and layer names as in :func:`efficientnet_b0`: it
    takes pixels in ``[0, 255]``, and its stage outputs are ``"stem"`` and
    ``"stage_1"`` ... ``"stage_7"`` (strides 2, 2, 4, 8, 16, 16, 32, 32).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; sizes may be ``None``.
        num_classes: Classes of the classifier (with ``include_top``).
        include_top: Whether to end with global pooling, dropout and the classifier.
        pooling: Without the top: ``None`` (the 4D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the classifier.
        weights: ``None``, ``"imagenet"`` (through ``keras.applications``; needs
            internet once) or a weights file.
        width_coefficient: Width multiplier (1.4); change it (and
            ``depth_coefficient``) only for a thumbnail of the architecture.
        depth_coefficient: Depth multiplier (1.8).
        dropout: Dropout rate before the classifier.
        drop_connect_rate: Stochastic-depth rate of the last block, growing
            linearly from 0 at the first.
        include_preprocessing: Whether to start with the rescaling and
            normalization layers (``False``: feed normalized inputs).
        name: Model name.

    Returns:
        A functional ``keras.Model``; :func:`keras_dlkit.models.feature_extractor`
        gives a dict of its stage outputs.

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> import inspect
    >>> from keras_dlkit.models import efficientnet_b4
    >>> defaults = inspect.signature(efficientnet_b4).parameters
    >>> [defaults[k].default for k in ("width_coefficient", "depth_coefficient",
    ...                                  "input_shape", "dropout")]
    [1.4, 1.8, (380, 380, 3), 0.4]
    >>> model = efficientnet_b4(input_shape=(32, 32, 3), include_top=False,
    ...                          width_coefficient=0.25, depth_coefficient=0.25)
    >>> model.get_layer("stage_7").output.shape  # a thumbnail, for speed
    (None, 1, 1, 80)
    """
    return build_efficientnet(EFFICIENTNET_CONFIGS["b4"], **locals())


@register_model(
    "efficientnet_b5",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b5")
def efficientnet_b5(
    input_shape: Sequence[int | None] = EFFICIENTNET_CONFIGS["b5"].input_shape,
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = EFFICIENTNET_CONFIGS["b5"].width_coefficient,
    depth_coefficient: float = EFFICIENTNET_CONFIGS["b5"].depth_coefficient,
    dropout: float = EFFICIENTNET_CONFIGS["b5"].dropout,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b5",
) -> keras.Model:
    """EfficientNet-B5 (Tan & Le, 2019): ``keras.applications.EfficientNetB5``.

    Width coefficient 1.6, depth coefficient 2.2, 456x456 inputs and dropout 0.4
    before the classifier: 30,389,784 trainable parameters, as in Keras.

    Preprocessing, stages and layer names as in :func:`efficientnet_b0`: it
    takes pixels in ``[0, 255]``, and its stage outputs are ``"stem"`` and
    ``"stage_1"`` ... ``"stage_7"`` (strides 2, 2, 4, 8, 16, 16, 32, 32).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; sizes may be ``None``.
        num_classes: Classes of the classifier (with ``include_top``).
        include_top: Whether to end with global pooling, dropout and the classifier.
        pooling: Without the top: ``None`` (the 4D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the classifier.
        weights: ``None``, ``"imagenet"`` (through ``keras.applications``; needs
            internet once) or a weights file.
        width_coefficient: Width multiplier (1.6); change it (and
            ``depth_coefficient``) only for a thumbnail of the architecture.
        depth_coefficient: Depth multiplier (2.2).
        dropout: Dropout rate before the classifier.
        drop_connect_rate: Stochastic-depth rate of the last block, growing
            linearly from 0 at the first.
        include_preprocessing: Whether to start with the rescaling and
            normalization layers (``False``: feed normalized inputs).
        name: Model name.

    Returns:
        A functional ``keras.Model``; :func:`keras_dlkit.models.feature_extractor`
        gives a dict of its stage outputs.

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> import inspect
    >>> from keras_dlkit.models import efficientnet_b5
    >>> defaults = inspect.signature(efficientnet_b5).parameters
    >>> [defaults[k].default for k in ("width_coefficient", "depth_coefficient",
    ...                                  "input_shape", "dropout")]
    [1.6, 2.2, (456, 456, 3), 0.4]
    >>> model = efficientnet_b5(input_shape=(32, 32, 3), include_top=False,
    ...                          width_coefficient=0.25, depth_coefficient=0.25)
    >>> model.get_layer("stage_7").output.shape  # a thumbnail, for speed
    (None, 1, 1, 80)
    """
    return build_efficientnet(EFFICIENTNET_CONFIGS["b5"], **locals())


@register_model(
    "efficientnet_b6",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b6")
def efficientnet_b6(
    input_shape: Sequence[int | None] = EFFICIENTNET_CONFIGS["b6"].input_shape,
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = EFFICIENTNET_CONFIGS["b6"].width_coefficient,
    depth_coefficient: float = EFFICIENTNET_CONFIGS["b6"].depth_coefficient,
    dropout: float = EFFICIENTNET_CONFIGS["b6"].dropout,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b6",
) -> keras.Model:
    """EfficientNet-B6 (Tan & Le, 2019): ``keras.applications.EfficientNetB6``.

    Width coefficient 1.8, depth coefficient 2.6, 528x528 inputs and dropout 0.5
    before the classifier: 43,040,704 trainable parameters, as in Keras.

    Preprocessing, stages and layer names as in :func:`efficientnet_b0`: it
    takes pixels in ``[0, 255]``, and its stage outputs are ``"stem"`` and
    ``"stage_1"`` ... ``"stage_7"`` (strides 2, 2, 4, 8, 16, 16, 32, 32).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; sizes may be ``None``.
        num_classes: Classes of the classifier (with ``include_top``).
        include_top: Whether to end with global pooling, dropout and the classifier.
        pooling: Without the top: ``None`` (the 4D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the classifier.
        weights: ``None``, ``"imagenet"`` (through ``keras.applications``; needs
            internet once) or a weights file.
        width_coefficient: Width multiplier (1.8); change it (and
            ``depth_coefficient``) only for a thumbnail of the architecture.
        depth_coefficient: Depth multiplier (2.6).
        dropout: Dropout rate before the classifier.
        drop_connect_rate: Stochastic-depth rate of the last block, growing
            linearly from 0 at the first.
        include_preprocessing: Whether to start with the rescaling and
            normalization layers (``False``: feed normalized inputs).
        name: Model name.

    Returns:
        A functional ``keras.Model``; :func:`keras_dlkit.models.feature_extractor`
        gives a dict of its stage outputs.

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> import inspect
    >>> from keras_dlkit.models import efficientnet_b6
    >>> defaults = inspect.signature(efficientnet_b6).parameters
    >>> [defaults[k].default for k in ("width_coefficient", "depth_coefficient",
    ...                                  "input_shape", "dropout")]
    [1.8, 2.6, (528, 528, 3), 0.5]
    >>> model = efficientnet_b6(input_shape=(32, 32, 3), include_top=False,
    ...                          width_coefficient=0.25, depth_coefficient=0.25)
    >>> model.get_layer("stage_7").output.shape  # a thumbnail, for speed
    (None, 1, 1, 80)
    """
    return build_efficientnet(EFFICIENTNET_CONFIGS["b6"], **locals())


@register_model(
    "efficientnet_b7",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b7")
def efficientnet_b7(
    input_shape: Sequence[int | None] = EFFICIENTNET_CONFIGS["b7"].input_shape,
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = EFFICIENTNET_CONFIGS["b7"].width_coefficient,
    depth_coefficient: float = EFFICIENTNET_CONFIGS["b7"].depth_coefficient,
    dropout: float = EFFICIENTNET_CONFIGS["b7"].dropout,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b7",
) -> keras.Model:
    """EfficientNet-B7 (Tan & Le, 2019): ``keras.applications.EfficientNetB7``.

    Width coefficient 2.0, depth coefficient 3.1, 600x600 inputs and dropout 0.5
    before the classifier: 66,347,960 trainable parameters, as in Keras.

    Preprocessing, stages and layer names as in :func:`efficientnet_b0`: it
    takes pixels in ``[0, 255]``, and its stage outputs are ``"stem"`` and
    ``"stage_1"`` ... ``"stage_7"`` (strides 2, 2, 4, 8, 16, 16, 32, 32).

    Args:
        input_shape: ``(height, width, 3)``, at least 32x32; sizes may be ``None``.
        num_classes: Classes of the classifier (with ``include_top``).
        include_top: Whether to end with global pooling, dropout and the classifier.
        pooling: Without the top: ``None`` (the 4D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the classifier.
        weights: ``None``, ``"imagenet"`` (through ``keras.applications``; needs
            internet once) or a weights file.
        width_coefficient: Width multiplier (2.0); change it (and
            ``depth_coefficient``) only for a thumbnail of the architecture.
        depth_coefficient: Depth multiplier (3.1).
        dropout: Dropout rate before the classifier.
        drop_connect_rate: Stochastic-depth rate of the last block, growing
            linearly from 0 at the first.
        include_preprocessing: Whether to start with the rescaling and
            normalization layers (``False``: feed normalized inputs).
        name: Model name.

    Returns:
        A functional ``keras.Model``; :func:`keras_dlkit.models.feature_extractor`
        gives a dict of its stage outputs.

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> import inspect
    >>> from keras_dlkit.models import efficientnet_b7
    >>> defaults = inspect.signature(efficientnet_b7).parameters
    >>> [defaults[k].default for k in ("width_coefficient", "depth_coefficient",
    ...                                  "input_shape", "dropout")]
    [2.0, 3.1, (600, 600, 3), 0.5]
    >>> model = efficientnet_b7(input_shape=(32, 32, 3), include_top=False,
    ...                          width_coefficient=0.25, depth_coefficient=0.25)
    >>> model.get_layer("stage_7").output.shape  # a thumbnail, for speed
    (None, 1, 1, 80)
    """
    return build_efficientnet(EFFICIENTNET_CONFIGS["b7"], **locals())


# --------------------------------------------------------------------------
# Weight interop with keras.applications.EfficientNetB0 ... B7.
# --------------------------------------------------------------------------

_BLOCK_PARTS = {
    "expand_conv": "expand_conv",
    "expand_bn": "expand_bn",
    "dwconv": "dwconv",
    "bn": "bn",
    "se_reduce": "se.reduce",
    "se_expand": "se.expand",
    "project_conv": "project_conv",
    "project_bn": "project_bn",
}
_BLOCK_LAYER = re.compile(r"^(block\d+[a-z])_(\w+)$")


def _target_layer(target: keras.Model, source_name: str) -> keras.layers.Layer:
    """Our layer holding the weights of the source layer ``source_name``."""
    match = _BLOCK_LAYER.match(source_name)
    if match:
        layer = target.get_layer(match.group(1))
        for part in _BLOCK_PARTS[match.group(2)].split("."):
            layer = getattr(layer, part)
        return layer
    if source_name.startswith("normalization"):
        return target.get_layer("normalization")
    return target.get_layer(source_name)


@register_converter(
    *(config.application.lower() for config in EFFICIENTNET_CONFIGS.values())
)
def convert_efficientnet(source: keras.Model) -> keras.Model:
    """Our ``efficientnet_bX`` with the weights of ``keras.applications``' one."""
    variant = "b" + source.name[-1]
    config = EFFICIENTNET_CONFIGS[variant]
    rescalings = [
        layer for layer in source.layers if isinstance(layer, keras.layers.Rescaling)
    ]
    dropouts = [layer for layer in source.layers if layer.name == "top_dropout"]
    target = build_efficientnet(
        config,
        weights=None,
        width_coefficient=config.width_coefficient,
        depth_coefficient=config.depth_coefficient,
        dropout=float(dropouts[0].rate) if dropouts else 0.0,
        drop_connect_rate=0.2,
        include_preprocessing=True,
        name=f"efficientnet_{variant}",
        imagenet_rescaling=len(rescalings) > 1,
        **{"num_classes": 1000, "classifier_activation": "softmax"}
        | application_config(source),
    )
    return copy_mapped_weights(source, target, lambda name: _target_layer(target, name))
