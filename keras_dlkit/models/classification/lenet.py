"""LeNet-5 (LeCun et al., 1998) as it is commonly taught."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import (
    check_cnn_arguments,
    classification_head,
    load_cnn_weights,
)
from keras_dlkit.models._registry import register_model
from keras_dlkit.utils.validation import check_activation


@register_model(
    "lenet5",
    family="cnn",
    test_config={"input_shape": (32, 32, 1), "num_classes": 3},
    test_input_shape=(32, 32, 1),
)
@keras_dlkit_export("keras_dlkit.models.lenet5")
def lenet5(
    input_shape: Sequence[int | None] = (32, 32, 1),
    num_classes: int = 10,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    activation: Any = "tanh",
    name: str = "lenet5",
) -> keras.Model:
    """LeNet-5: two convolution / subsampling pairs, C5, F6 and the classifier.

    LeCun, Bottou, Bengio & Haffner (1998), "Gradient-Based Learning Applied
    to Document Recognition", in the form textbooks teach (61,706 parameters
    on a 32x32x1 input with 10 classes):

    ======  ==============================================  ==========
    layer   what                                            parameters
    ======  ==============================================  ==========
    C1      6 maps, 5x5 valid convolution -> 28x28          156
    S2      2x2 average pooling, stride 2 -> 14x14          0
    C3      16 maps, 5x5, connected to all 6 S2 maps        2,416
    S4      2x2 average pooling -> 5x5                      0
    C5      120 maps, 5x5 -> 1x1                            48,120
    F6      84 units                                        10,164
    output  ``num_classes`` units (softmax)                 850
    ======  ==============================================  ==========

    Simplifications of the paper, as usually taught: S2/S4 average without
    the paper's trainable coefficient and bias per map, C3 connects to all
    S2 maps (the paper's sparse table has 1,516 weights), the activation is
    a plain ``tanh`` (the paper's is ``1.7159 tanh(2x/3)``) and the output
    is a softmax instead of Euclidean RBF units.

    Layers are named ``"c1"``, ``"s2"``, ``"c3"``, ``"s4"``, ``"c5"``,
    ``"f6"`` and ``"predictions"``. **Stage outputs**: ``"stage_1"`` (after
    S2, 14x14), ``"stage_2"`` (after S4, 5x5) and ``"stage_3"`` (C5, 1x1);
    with valid convolutions the strides are not powers of two
    (``feature_info`` rounds 32/14 to 2 and 32/5 to 6).

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32 (the
            valid convolutions shrink the map to 1x1 at C5); fully known
            with ``include_top`` (F6 sees the flattened C5 map).
        num_classes: Classes of the output layer (>= 1 with ``include_top``).
        include_top: Whether to end with F6 and the classifier (after
            flattening C5).
        pooling: Without the top: ``None`` (the C5 map), ``"avg"`` or
            ``"max"``.
        classifier_activation: Activation of the output layer (``None``
            for logits).
        weights: ``None`` or the path of a ``.weights.h5`` / ``.keras``
            file (there are no published LeNet weights).
        activation: Activation of C1, C3, C5 and F6 (default ``"tanh"``).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        ValueError: If an argument is invalid (the message names it), e.g.
            an input smaller than 32x32.

    Example:

    >>> from keras_dlkit.models import lenet5
    >>> model = lenet5()
    >>> model.output_shape
    (None, 10)
    >>> model.count_params()
    61706
    """
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
            f"`include_top=True` (F6 sees the flattened C5 map), got {input_shape}."
        )
    activation = check_activation("activation", activation)

    inputs = keras.Input(shape=input_shape, name="input")
    x = keras.layers.Conv2D(6, 5, activation=activation, name="c1")(inputs)
    x = keras.layers.AveragePooling2D(2, name="s2")(x)
    x = keras.layers.Identity(name="stage_1")(x)
    x = keras.layers.Conv2D(16, 5, activation=activation, name="c3")(x)
    x = keras.layers.AveragePooling2D(2, name="s4")(x)
    x = keras.layers.Identity(name="stage_2")(x)
    x = keras.layers.Conv2D(120, 5, activation=activation, name="c5")(x)
    x = keras.layers.Identity(name="stage_3")(x)
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(84, activation=activation, name="f6")(x)
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
