"""AlexNet, the single-tower variant (torchvision's; Krizhevsky, 2014)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.conv_norm_act import ConvNormAct
from keras_dlkit.models._common import (
    check_cnn_arguments,
    check_width,
    classification_head,
    load_cnn_weights,
    scaled,
)
from keras_dlkit.models._registry import register_model
from keras_dlkit.utils.validation import check_float, check_int

#: (filters, kernel, stride, padding, max pool after it) of the five convolutions.
CONVS = (
    (64, 11, 4, 2, True),
    (192, 5, 1, 2, True),
    (384, 3, 1, 1, False),
    (256, 3, 1, 1, False),
    (256, 3, 1, 1, True),
)
#: The smallest input whose last max pool still sees a 3x3 map.
MIN_SIZE = 63


@register_model(
    "alexnet",
    family="cnn",
    test_config={
        "input_shape": (MIN_SIZE, MIN_SIZE, 3),
        "num_classes": 3,
        "width_multiplier": 0.0625,
        "dense_units": 8,
    },
    test_input_shape=(MIN_SIZE, MIN_SIZE, 3),
)
@keras_dlkit_export("keras_dlkit.models.alexnet")
def alexnet(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    dense_units: int = 4096,
    dropout: float = 0.5,
    name: str = "alexnet",
) -> keras.Model:
    """AlexNet, single tower: five convolutions, three max pools, three dense layers.

    The variant of Krizhevsky (2014), "One weird trick for parallelizing
    convolutional neural networks", which torchvision ships as ``alexnet``
    (61,100,840 parameters at 224x224 with 1000 classes): convolutions of
    64 (11x11, stride 4, padding 2), 192 (5x5, padding 2), 384, 256 and 256
    (3x3, padding 1) channels with ReLU, 3x3 max pools with stride 2 after
    the first, second and fifth, and ``Flatten -> Dropout -> Dense(4096) ->
    ReLU -> Dropout -> Dense(4096) -> ReLU -> Dense(num_classes)``. The original two-tower network of Krizhevsky,
    Sutskever & Hinton (2012) has 96/256/384/384/256 channels split over
    two GPUs and local response normalization; it is not built here.

    The head flattens the pool5 map (6x6x256 at 224x224), as
    ``keras.applications``' VGG does, so with ``include_top`` the input size
    must be fully known and other sizes give ``fc1`` another input width.
    (torchvision inserts an adaptive average pool to 6x6 instead; Keras's
    ``AdaptiveAveragePooling2D`` fails in TensorFlow graphs when its input
    is smaller than its output.) Layers: ``"conv1"`` ... ``"conv5"``
    (:class:`~keras_dlkit.blocks.ConvNormAct` without norm), ``"pool1"``,
    ``"pool2"``, ``"pool5"``, ``"fc1"``, ``"fc2"``, ``"predictions"``.
    **Stage outputs**: ``"stage_1"`` (after pool1, 27x27 at 224),
    ``"stage_2"`` (after pool2, 13x13) and ``"stage_3"`` (after pool5,
    6x6); valid pooling makes the strides 8, 17 and 37 at 224x224.

    Args:
        input_shape: ``(height, width, channels)``, at least 63x63; fully
            known with ``include_top``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with ``Flatten``, the dense layers and
            the classifier.
        pooling: Without the top: ``None`` (the pool5 map), ``"avg"`` or
            ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` or the path of a ``.weights.h5`` / ``.keras``
            file (``keras.applications`` has no AlexNet).
        width_multiplier: Scales the convolution widths (> 0).
        dense_units: Width of the two hidden ``Dense`` layers (4096).
        dropout: Dropout rate before each hidden ``Dense`` layer, in
            ``[0, 1)``.
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError: If an argument is invalid (the message names it), e.g.
            an input smaller than 63x63.

    Example:

    >>> from keras_dlkit.models import alexnet
    >>> model = alexnet(input_shape=(63, 63, 3), num_classes=5,
    ...     width_multiplier=0.25, dense_units=32)
    >>> model.output_shape
    (None, 5)
    >>> model.get_layer("stage_3").output.shape
    (None, 1, 1, 64)
    """
    input_shape = check_cnn_arguments(
        input_shape,
        num_classes,
        include_top,
        pooling,
        classifier_activation,
        weights,
        min_size=MIN_SIZE,
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
    stage = 0
    for index, (filters, kernel, stride, padding, pool) in enumerate(CONVS, 1):
        x = ConvNormAct(
            scaled(filters, width_multiplier),
            kernel,
            strides=stride,
            padding=padding,
            norm=None,
            activation="relu",
            name=f"conv{index}",
        )(x)
        if pool:
            stage += 1
            x = keras.layers.MaxPooling2D(3, strides=2, name=f"pool{index}")(x)
            x = keras.layers.Identity(name=f"stage_{stage}")(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        for index in (1, 2):
            if dropout > 0:
                x = keras.layers.Dropout(dropout, name=f"dropout{index}")(x)
            x = keras.layers.Dense(dense_units, activation="relu", name=f"fc{index}")(x)
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
    model = keras.Model(inputs, outputs, name=name)
    return load_cnn_weights(model, weights, None)
