"""EfficientNet's body, shared by the ``efficientnet_bX`` builders.

EfficientNet (Tan & Le, 2019) is one baseline (B0, found by architecture
search) scaled in width, depth and resolution together: variant ``bX``
multiplies every stage's filters by a width coefficient (rounded to multiples
of 8), every stage's repeats by a depth coefficient (rounded up), and takes
larger images, with more dropout before the classifier. The layers are those
of ``keras.applications.EfficientNetB0`` ... ``B7``; the variants'
coefficients are the table ``EFFICIENTNET_CONFIGS`` of
:mod:`keras_dlkit.models.classification.efficientnet`, which also holds the
weight converter.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.blocks.mbconv import CONV_KERNEL_INITIALIZER, MBConv
from keras_dlkit.models._common import (
    check_cnn_arguments,
    finish_cnn,
)
from keras_dlkit.utils.validation import check_bool, check_float


@dataclasses.dataclass(frozen=True)
class EfficientNetConfig:
    """One EfficientNet variant: its compound-scaling coefficients.

    Attributes:
        width_coefficient: Multiplies every stage's filters.
        depth_coefficient: Multiplies every stage's repeats.
        resolution: Height and width of the default input.
        dropout: Dropout rate before the classifier.
        application: The ``keras.applications`` twin.
    """

    width_coefficient: float
    depth_coefficient: float
    resolution: int
    dropout: float
    application: str

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """The default input shape, ``(resolution, resolution, 3)``."""
        return (self.resolution, self.resolution, 3)


#: B0's stages (the paper's stages 2-8, our ``stage_1`` ... ``stage_7``):
#: kernel, repeats, input filters, output filters, expand ratio, stride.
#: Every block has squeeze-excite with ratio 0.25.
BASELINE_STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)

#: ImageNet channel standard deviations; ``keras.applications`` divides by
#: their square roots once more when it loads ImageNet weights.
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def round_filters(filters: int, width_coefficient: float, divisor: int = 8) -> int:
    """Scale ``filters`` by the width coefficient, to a multiple of ``divisor``.

    Rounds to the nearest multiple, and up by one more ``divisor`` when that
    loses more than 10%, as the reference implementation does.

    Example:

    >>> from keras_dlkit.models.classification._efficientnet import round_filters
    >>> round_filters(32, 1.1), round_filters(1280, 2.0)
    (32, 2560)
    """
    filters *= width_coefficient
    new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if new_filters < 0.9 * filters:
        new_filters += divisor
    return int(new_filters)


def round_repeats(repeats: int, depth_coefficient: float) -> int:
    """Scale a stage's ``repeats`` by the depth coefficient, rounding up."""
    return int(math.ceil(depth_coefficient * repeats))


def build_efficientnet(
    config: EfficientNetConfig,
    *,
    input_shape: Sequence[int | None],
    num_classes: int,
    include_top: bool,
    pooling: str | None,
    classifier_activation: Any,
    weights: str | None,
    width_coefficient: float,
    depth_coefficient: float,
    dropout: float,
    drop_connect_rate: float,
    include_preprocessing: bool,
    name: str,
    imagenet_rescaling: bool | None = None,
) -> keras.Model:
    """Build an EfficientNet; what every ``efficientnet_bX`` builder calls.

    ``config`` is the variant's published configuration (``weights="imagenet"``
    needs its coefficients) and names its ``keras.applications`` twin.
    ``imagenet_rescaling`` adds the extra ``Rescaling`` by
    ``1 / sqrt(stddev)`` that ``keras.applications`` inserts after its
    ``Normalization`` when it loads ImageNet weights (default: when
    ``weights == "imagenet"``).
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
    width_coefficient = check_float(
        "width_coefficient", width_coefficient, minimum=0.0, min_inclusive=False
    )
    depth_coefficient = check_float(
        "depth_coefficient", depth_coefficient, minimum=0.0, min_inclusive=False
    )
    dropout = check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    drop_connect_rate = check_float(
        "drop_connect_rate",
        drop_connect_rate,
        minimum=0.0,
        maximum=1.0,
        max_inclusive=False,
    )
    check_bool("include_preprocessing", include_preprocessing)
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be a non-empty string, got {name!r}.")
    published = (config.width_coefficient, config.depth_coefficient)
    if weights == "imagenet" and (
        (width_coefficient, depth_coefficient) != published or not include_preprocessing
    ):
        variant = config.application.removeprefix("EfficientNet")
        raise ValueError(
            f"`weights`='imagenet' needs the published EfficientNet-{variant} "
            f"(width_coefficient={published[0]}, depth_coefficient={published[1]}, "
            f"include_preprocessing=True), got width_coefficient="
            f"{width_coefficient}, depth_coefficient={depth_coefficient}, "
            f"include_preprocessing={include_preprocessing}."
        )
    if imagenet_rescaling is None:
        imagenet_rescaling = weights == "imagenet"

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    if include_preprocessing:
        x = keras.layers.Rescaling(1.0 / 255.0, name="rescaling")(x)
        x = keras.layers.Normalization(axis=-1, name="normalization")(x)
        if imagenet_rescaling:
            x = keras.layers.Rescaling(
                [1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB],
                name="imagenet_rescaling",
            )(x)
    x = keras.layers.Conv2D(
        round_filters(32, width_coefficient),
        3,
        strides=2,
        padding="same",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name="stem_conv",
    )(x)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.Activation("swish", name="stem")(x)

    total = float(sum(round_repeats(s[1], depth_coefficient) for s in BASELINE_STAGES))
    index = 0
    for stage, spec in enumerate(copy.deepcopy(BASELINE_STAGES), start=1):
        kernel_size, repeats, _, filters_out, expand_ratio, strides = spec
        filters_out = round_filters(filters_out, width_coefficient)
        for j in range(round_repeats(repeats, depth_coefficient)):
            x = MBConv(
                filters_out,
                kernel_size=kernel_size,
                strides=strides if j == 0 else 1,
                expand_ratio=expand_ratio,
                se_ratio=0.25,
                activation="swish",
                drop_path_rate=drop_connect_rate * index / total,
                name=f"block{stage}{chr(j + 97)}",
            )(x)
            index += 1
        x = keras.layers.Identity(name=f"stage_{stage}")(x)

    x = keras.layers.Conv2D(
        round_filters(1280, width_coefficient),
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name="top_conv",
    )(x)
    x = keras.layers.BatchNormalization(name="top_bn")(x)
    x = keras.layers.Activation("swish", name="top_activation")(x)
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
        application=config.application,
        dropout=dropout,
    )
