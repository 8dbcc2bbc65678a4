"""GoogLeNet (Szegedy et al., 2014), as torchvision's ``googlenet``.

"Going deeper with convolutions" stacks nine Inception modules
(:class:`keras_dlkit.blocks.InceptionModule`) between max poolings, on a
stem of three convolutions, and ends with global average pooling, dropout
and one dense layer.

**Which variant.** The paper's network has no batch normalization, local
response normalization in the stem, dropout 0.4 and two auxiliary
classifiers during training; its table sums to about 6.8M parameters
without them. We follow torchvision's ``googlenet`` instead, the variant in
use today and the one with a precise published count: batch normalization
(epsilon 1e-3) after every convolution (which then has no bias), no local
response normalization, no auxiliary classifiers, dropout 0.2, and a 3x3
kernel in the "5x5" branch of every module (torchvision's known deviation,
kept for its pretrained weights). At 224x224x3 with 1000 classes it has
**6,624,904 parameters** (torchvision's documented ``num_params``), all
trainable here except the batch normalizations' moving statistics.
Max poolings use ``"same"`` padding, which on even sizes is torchvision's
``ceil_mode=True``.

Stage outputs: ``"stem"`` (the 7x7 convolution, stride 2), ``"stage_1"``
(max pooling, 1x1 and 3x3 convolutions, stride 4), ``"stage_2"`` (3a, 3b,
stride 8), ``"stage_3"`` (4a-4e, stride 16), ``"stage_4"`` (5a, 5b, stride
32).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.conv_norm_act import ConvNormAct
from keras_dlkit.blocks.inception_module import InceptionModule
from keras_dlkit.models._common import (
    check_cnn_arguments,
    finish_cnn,
)
from keras_dlkit.models._registry import register_model
from keras_dlkit.utils.validation import check_float

#: Module name: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj), the
#: paper's Table 1; a max pooling precedes 3a, 4a and 5a.
MODULES: dict[str, tuple[int, int, int, int, int, int]] = {
    "inception_3a": (64, 96, 128, 16, 32, 32),
    "inception_3b": (128, 128, 192, 32, 96, 64),
    "inception_4a": (192, 96, 208, 16, 48, 64),
    "inception_4b": (160, 112, 224, 24, 64, 64),
    "inception_4c": (128, 128, 256, 24, 64, 64),
    "inception_4d": (112, 144, 288, 32, 64, 64),
    "inception_4e": (256, 160, 320, 32, 128, 128),
    "inception_5a": (256, 160, 320, 32, 128, 128),
    "inception_5b": (384, 192, 384, 48, 128, 128),
}

#: torchvision's documented parameter count at 224x224x3, 1000 classes.
TORCHVISION_PARAMS = 6_624_904


def _scaled(filters: int, width_multiplier: float) -> int:
    return max(1, int(round(filters * width_multiplier)))


@register_model(
    "googlenet",
    family="cnn",
    test_config={
        "input_shape": (32, 32, 3),
        "num_classes": 3,
        "width_multiplier": 0.125,
    },
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.googlenet")
def googlenet(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    dropout: float = 0.2,
    width_multiplier: float = 1.0,
    name: str = "googlenet",
) -> keras.Model:
    """GoogLeNet (Inception v1) as torchvision builds it: 6,624,904 parameters.

    See the module docstring for the variant: torchvision's (batch
    normalization, no auxiliary classifiers, 3x3 kernels in the "5x5"
    branches). Inputs are expected normalized (no preprocessing layer).

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32 (the total
            stride); height and width may be ``None``.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling, dropout and
            the dense classifier (``"predictions"``).
        pooling: Without the top: ``None``, ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` or the path of a weights file (there are no
            ``keras.applications`` ImageNet weights for GoogLeNet).
        dropout: Dropout rate before the classifier (0.2 in torchvision, 0.4
            in the paper), in ``[0, 1)``.
        width_multiplier: Scales every width (> 0; 1.0 is the published
            network).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (strides 2, 4, 8, 16, 32).

    Example:

    >>> from keras_dlkit.models import googlenet
    >>> model = googlenet(input_shape=(64, 64, 3), include_top=False,
    ...                   width_multiplier=0.25)  # a thumbnail, for speed
    >>> model.output_shape
    (None, 2, 2, 256)
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
    dropout = check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    width_multiplier = check_float(
        "width_multiplier", width_multiplier, minimum=0.0, min_inclusive=False
    )
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be a non-empty string, got {name!r}.")

    def unit(filters, kernel_size, strides, padding, unit_name):
        return ConvNormAct(
            _scaled(filters, width_multiplier),
            kernel_size,
            strides=strides,
            padding=padding,
            use_bias=False,
            norm_epsilon=1e-3,
            name=unit_name,
        )

    inputs = keras.Input(shape=input_shape, name="input")
    x = unit(64, 7, 2, 3, "stem")(inputs)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    x = unit(64, 1, 1, 0, "conv2")(x)
    x = unit(192, 3, 1, 1, "conv3")(x)
    x = keras.layers.Identity(name="stage_1")(x)
    for stage, pool in ((2, "pool3"), (3, "pool4"), (4, "pool5")):
        size = 2 if stage == 4 else 3
        x = keras.layers.MaxPooling2D(size, strides=2, padding="same", name=pool)(x)
        for module, filters in MODULES.items():
            if module[-2] != str(stage + 1):
                continue
            x = InceptionModule(
                *(_scaled(f, width_multiplier) for f in filters),
                kernel_size_5x5=3,
                batch_norm=True,
                norm_scale=True,
                norm_epsilon=1e-3,
                kernel_initializer="he_uniform",
                name=module,
            )(x)
        x = keras.layers.Identity(name=f"stage_{stage}")(x)
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
        application=None,
        dropout=dropout,
    )
