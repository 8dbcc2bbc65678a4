"""ResNet builders: ResNet-18/34/50/101/152 (v1) and ResNet-50/101/152 V2.

Version 1 is He et al. (2015), "Deep Residual Learning for Image
Recognition"; version 2 is He et al. (2016), "Identity Mappings in Deep
Residual Networks" (pre-activation). The bottleneck networks reproduce
``keras.applications`` exactly (same layers, same parameter counts, weights
convertible both ways): ``ResNet50`` has biases on every convolution and the
stride on the first 1x1 convolution of a block; ``ResNet50V2`` has the
stride on the 3x3 convolution of the *last* block of stages 1-3, a max-pool
shortcut there, and a final ``post_bn`` + ReLU. ResNet-18 and -34 follow the
paper and torchvision (no convolution biases; 11,689,512 and 21,797,672
parameters).

Layer names follow ``keras.applications``: the stem (7x7 convolution,
stride 2) is the layer ``"stem"`` (``conv1`` there), then ``pool1_pad`` /
``pool1_pool`` and the blocks ``conv2_block1`` ... ``conv5_block3``.

**Stage outputs** (see :func:`keras_dlkit.models.feature_info`): ``"stem"``
at stride 2 (before the max pool, as timm's ``act1``), ``"stage_1"`` ...
``"stage_4"`` at strides 4, 8, 16 and 32, so a ResNet gives strides
``[2, 4, 8, 16, 32]``. In version 1 ``stage_k`` is the output of the k-th
group of blocks. In version 2 a group subsamples in its last block, so
``stage_k`` is the last map at stride ``2 ** (k + 1)``: the input of that
strided block (stages 1-3) and the output of ``post_bn`` + ReLU (stage 4).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.basic_block import BasicBlock
from keras_dlkit.blocks.bottleneck_block import BottleneckBlock
from keras_dlkit.blocks.conv_norm_act import ConvNormAct
from keras_dlkit.models._common import (
    check_cnn_arguments,
    check_width,
    finish_cnn,
    scaled,
)
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.interop import (
    application_config,
    copy_mapped_weights,
    register_converter,
)

EPSILON = 1.001e-5
WIDTHS = (64, 128, 256, 512)


@dataclasses.dataclass(frozen=True)
class ResNetConfig:
    """One ResNet variant.

    Attributes:
        block: ``BasicBlock`` or ``BottleneckBlock``.
        depths: Blocks in each of the four stages.
        version: 1 (He et al., 2015) or 2 (pre-activation, He et al., 2016).
        conv_bias: Whether the convolutions have biases (``keras.applications``'
            version 1 has them; torchvision's networks do not).
        application: The ``keras.applications`` twin, if there is one.
    """

    block: type
    depths: tuple[int, int, int, int]
    version: int = 1
    conv_bias: bool = False
    application: str | None = None


RESNET_CONFIGS: dict[str, ResNetConfig] = {
    "resnet18": ResNetConfig(BasicBlock, (2, 2, 2, 2)),
    "resnet34": ResNetConfig(BasicBlock, (3, 4, 6, 3)),
    "resnet50": ResNetConfig(
        BottleneckBlock, (3, 4, 6, 3), conv_bias=True, application="ResNet50"
    ),
    "resnet101": ResNetConfig(
        BottleneckBlock, (3, 4, 23, 3), conv_bias=True, application="ResNet101"
    ),
    "resnet152": ResNetConfig(
        BottleneckBlock, (3, 8, 36, 3), conv_bias=True, application="ResNet152"
    ),
    "resnet50v2": ResNetConfig(
        BottleneckBlock, (3, 4, 6, 3), version=2, application="ResNet50V2"
    ),
    "resnet101v2": ResNetConfig(
        BottleneckBlock, (3, 4, 23, 3), version=2, application="ResNet101V2"
    ),
    "resnet152v2": ResNetConfig(
        BottleneckBlock, (3, 8, 36, 3), version=2, application="ResNet152V2"
    ),
}

# 64x64, not the smallest input (32x32): at 32x32 the last stage's maps are
# 1x1, so with a batch of 2 every batch norm there normalizes two values to
# +-1 whatever they are, and almost no gradient reaches the layers before it.
TEST_CONFIG = {
    "input_shape": (64, 64, 3),
    "num_classes": 3,
    "width_multiplier": 0.0625,
}


def _resnet(
    arch: str,
    *,
    input_shape: Sequence[int | None],
    num_classes: int,
    include_top: bool,
    pooling: str | None,
    classifier_activation: Any,
    weights: str | None,
    width_multiplier: float,
    name: str,
) -> keras.Model:
    """The ResNet ``RESNET_CONFIGS[arch]``; what every ``resnetN`` builder calls."""
    config = RESNET_CONFIGS[arch]
    block_cls, depths, version = config.block, config.depths, config.version
    use_bias = config.conv_bias
    input_shape = check_cnn_arguments(
        input_shape,
        num_classes,
        include_top,
        pooling,
        classifier_activation,
        weights,
        min_size=32,
    )
    width_multiplier = check_width(width_multiplier, weights)

    inputs = keras.Input(shape=input_shape, name="input")
    if version == 1:
        x = ConvNormAct(
            scaled(64, width_multiplier),
            7,
            strides=2,
            padding=3,
            use_bias=use_bias,
            norm_epsilon=EPSILON,
            name="stem",
        )(inputs)
    else:  # Pre-activation: the first block normalizes the stem's output.
        x = ConvNormAct(
            scaled(64, width_multiplier),
            7,
            strides=2,
            padding=3,
            use_bias=True,
            norm=None,
            activation=None,
            name="stem",
        )(inputs)
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (width, depth) in enumerate(zip(WIDTHS, depths, strict=True)):
        filters = scaled(width, width_multiplier)
        for index in range(depth):
            block_name = f"conv{stage + 2}_block{index + 1}"
            if version == 1:
                stride = 2 if stage > 0 and index == 0 else 1
                conv_shortcut = None
            else:  # keras.applications ResNetV2: subsample in the last block.
                stride = 2 if stage < 3 and index == depth - 1 else 1
                conv_shortcut = index == 0
                if stride > 1:
                    x = keras.layers.Identity(name=f"stage_{stage + 1}")(x)
            x = block_cls(
                filters,
                stride=stride,
                conv_shortcut=conv_shortcut,
                version=version,
                use_bias=use_bias,
                norm_epsilon=EPSILON,
                name=block_name,
            )(x)
        if version == 1:
            x = keras.layers.Identity(name=f"stage_{stage + 1}")(x)
    if version == 2:
        x = keras.layers.BatchNormalization(epsilon=EPSILON, name="post_bn")(x)
        x = keras.layers.Activation("relu", name="post_relu")(x)
        x = keras.layers.Identity(name="stage_4")(x)
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
    )


@register_model(
    "resnet18", family="cnn", test_config=TEST_CONFIG, test_input_shape=(64, 64, 3)
)
@keras_dlkit_export("keras_dlkit.models.resnet18")
def resnet18(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    name: str = "resnet18",
) -> keras.Model:
    """ResNet-18: basic blocks (2, 2, 2, 2), 11,689,512 parameters.

    He et al. (2015), as torchvision's ``resnet18``: two 3x3 convolutions a
    block, no convolution biases, the stride on the first block of stages
    2-4. ``keras.applications`` has no ResNet-18, so ``weights`` takes no
    ``"imagenet"``.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; height and
            width may be ``None`` without the top.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling and the classifier.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` (random) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales every width (> 0; 1.0 is the paper's).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import resnet18
    >>> model = resnet18(input_shape=(64, 64, 3), include_top=False,
    ...     width_multiplier=0.25)
    >>> model.output_shape
    (None, 2, 2, 128)
    """
    return _resnet("resnet18", **locals())


@register_model(
    "resnet34", family="cnn", test_config=TEST_CONFIG, test_input_shape=(64, 64, 3)
)
@keras_dlkit_export("keras_dlkit.models.resnet34")
def resnet34(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    name: str = "resnet34",
) -> keras.Model:
    """ResNet-34: basic blocks (3, 4, 6, 3), 21,797,672 parameters.

    He et al. (2015), as torchvision's ``resnet34``: two 3x3 convolutions a
    block, no convolution biases, the stride on the first block of stages
    2-4. ``keras.applications`` has no ResNet-34, so ``weights`` takes no
    ``"imagenet"``.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; height and
            width may be ``None`` without the top.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling and the classifier.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None`` (random) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales every width (> 0; 1.0 is the paper's).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import resnet34
    >>> model = resnet34(input_shape=(64, 64, 3), include_top=False,
    ...     width_multiplier=0.25)
    >>> model.output_shape
    (None, 2, 2, 128)
    """
    return _resnet("resnet34", **locals())


@register_model(
    "resnet50", family="cnn", test_config=TEST_CONFIG, test_input_shape=(64, 64, 3)
)
@keras_dlkit_export("keras_dlkit.models.resnet50")
def resnet50(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    name: str = "resnet50",
) -> keras.Model:
    """ResNet-50: bottleneck blocks (3, 4, 6, 3), version 1.

    He et al. (2015), laid out as ``keras.applications.ResNet50``: biases
    on every convolution and the stride on the first 1x1 convolution of
    the first block of stages 2-4. The trainable parameter count is
    ``ResNet50``'s, and :func:`from_keras_applications` converts its
    weights.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; height and
            width may be ``None`` without the top.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling and the classifier.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None``, ``"imagenet"`` (``keras.applications.ResNet50``'s,
            converted; needs internet once) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales every width (> 0; 1.0 is the paper's).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import resnet50
    >>> model = resnet50(input_shape=(64, 64, 3), include_top=False,
    ...     width_multiplier=0.25)
    >>> model.output_shape
    (None, 2, 2, 512)
    """
    return _resnet("resnet50", **locals())


@register_model(
    "resnet101",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(64, 64, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.resnet101")
def resnet101(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    name: str = "resnet101",
) -> keras.Model:
    """ResNet-101: bottleneck blocks (3, 4, 23, 3), version 1.

    He et al. (2015), laid out as ``keras.applications.ResNet101``: biases
    on every convolution and the stride on the first 1x1 convolution of
    the first block of stages 2-4. The trainable parameter count is
    ``ResNet101``'s, and :func:`from_keras_applications` converts its
    weights.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; height and
            width may be ``None`` without the top.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling and the classifier.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None``, ``"imagenet"`` (``keras.applications.ResNet101``'s,
            converted; needs internet once) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales every width (> 0; 1.0 is the paper's).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import resnet101
    >>> model = resnet101(input_shape=(64, 64, 3), include_top=False,
    ...     width_multiplier=0.25)
    >>> model.output_shape
    (None, 2, 2, 512)
    """
    return _resnet("resnet101", **locals())


@register_model(
    "resnet152",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(64, 64, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.resnet152")
def resnet152(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    name: str = "resnet152",
) -> keras.Model:
    """ResNet-152: bottleneck blocks (3, 8, 36, 3), version 1.

    He et al. (2015), laid out as ``keras.applications.ResNet152``: biases
    on every convolution and the stride on the first 1x1 convolution of
    the first block of stages 2-4. The trainable parameter count is
    ``ResNet152``'s, and :func:`from_keras_applications` converts its
    weights.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; height and
            width may be ``None`` without the top.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling and the classifier.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None``, ``"imagenet"`` (``keras.applications.ResNet152``'s,
            converted; needs internet once) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales every width (> 0; 1.0 is the paper's).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import resnet152
    >>> model = resnet152(input_shape=(64, 64, 3), include_top=False,
    ...     width_multiplier=0.25)
    >>> model.output_shape
    (None, 2, 2, 512)
    """
    return _resnet("resnet152", **locals())


@register_model(
    "resnet50v2", family="cnn", test_config=TEST_CONFIG, test_input_shape=(64, 64, 3)
)
@keras_dlkit_export("keras_dlkit.models.resnet50v2")
def resnet50v2(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    name: str = "resnet50v2",
) -> keras.Model:
    """ResNet-50 V2: pre-activation bottleneck blocks (3, 4, 6, 3).

    He et al. (2016), laid out as ``keras.applications.ResNet50V2``: batch
    norm and ReLU before each block's convolutions, the stride on the 3x3
    convolution of the *last* block of stages 1-3 with a max-pool shortcut
    there, and a final ``post_bn`` + ReLU. The trainable parameter count is
    ``ResNet50V2``'s, and :func:`from_keras_applications` converts its
    weights.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; height and
            width may be ``None`` without the top.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling and the classifier.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None``, ``"imagenet"`` (``keras.applications.ResNet50V2``'s,
            converted; needs internet once) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales every width (> 0; 1.0 is the paper's).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import resnet50v2
    >>> model = resnet50v2(input_shape=(64, 64, 3), include_top=False,
    ...     width_multiplier=0.25)
    >>> model.output_shape
    (None, 2, 2, 512)
    """
    return _resnet("resnet50v2", **locals())


@register_model(
    "resnet101v2",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(64, 64, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.resnet101v2")
def resnet101v2(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    name: str = "resnet101v2",
) -> keras.Model:
    """ResNet-101 V2: pre-activation bottleneck blocks (3, 4, 23, 3).

    He et al. (2016), laid out as ``keras.applications.ResNet101V2``: batch
    norm and ReLU before each block's convolutions, the stride on the 3x3
    convolution of the *last* block of stages 1-3 with a max-pool shortcut
    there, and a final ``post_bn`` + ReLU. The trainable parameter count is
    ``ResNet101V2``'s, and :func:`from_keras_applications` converts its
    weights.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; height and
            width may be ``None`` without the top.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling and the classifier.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None``, ``"imagenet"`` (``keras.applications.ResNet101V2``'s,
            converted; needs internet once) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales every width (> 0; 1.0 is the paper's).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import resnet101v2
    >>> model = resnet101v2(input_shape=(64, 64, 3), include_top=False,
    ...     width_multiplier=0.25)
    >>> model.output_shape
    (None, 2, 2, 512)
    """
    return _resnet("resnet101v2", **locals())


@register_model(
    "resnet152v2",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(64, 64, 3),
    large=True,
)
@keras_dlkit_export("keras_dlkit.models.resnet152v2")
def resnet152v2(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    width_multiplier: float = 1.0,
    name: str = "resnet152v2",
) -> keras.Model:
    """ResNet-152 V2: pre-activation bottleneck blocks (3, 8, 36, 3).

    He et al. (2016), laid out as ``keras.applications.ResNet152V2``: batch
    norm and ReLU before each block's convolutions, the stride on the 3x3
    convolution of the *last* block of stages 1-3 with a max-pool shortcut
    there, and a final ``post_bn`` + ReLU. The trainable parameter count is
    ``ResNet152V2``'s, and :func:`from_keras_applications` converts its
    weights.

    Args:
        input_shape: ``(height, width, channels)``, at least 32x32; height and
            width may be ``None`` without the top.
        num_classes: Classes of the head (>= 1 with ``include_top``).
        include_top: Whether to end with global average pooling and the classifier.
        pooling: Without the top: ``None`` (the 4-D map), ``"avg"`` or ``"max"``.
        classifier_activation: Activation of the head (``None`` for logits).
        weights: ``None``, ``"imagenet"`` (``keras.applications.ResNet152V2``'s,
            converted; needs internet once) or a ``.weights.h5`` / ``.keras`` file.
        width_multiplier: Scales every width (> 0; 1.0 is the paper's).
        name: Model name.

    Returns:
        A functional ``keras.Model`` with stage outputs ``"stem"``,
        ``"stage_1"`` ... ``"stage_4"`` (strides 2, 4, 8, 16, 32).

    Raises:
        ValueError: If an argument is invalid (the message names it).

    Example:

    >>> from keras_dlkit.models import resnet152v2
    >>> model = resnet152v2(input_shape=(64, 64, 3), include_top=False,
    ...     width_multiplier=0.25)
    >>> model.output_shape
    (None, 2, 2, 512)
    """
    return _resnet("resnet152v2", **locals())


# ------------------------------------------------------------------ interop

_BLOCK_LAYER = re.compile(r"^(conv\d_block\d+)_(0|1|2|3|preact)_(conv|bn)$")


def _target_layer(model: keras.Model, source_name: str) -> keras.layers.Layer:
    """Our layer holding the weights of ``keras.applications``' ``source_name``."""
    if source_name in ("conv1_conv", "conv1_bn"):
        stem = model.get_layer("stem")
        return stem.conv if source_name.endswith("conv") else stem.norm_layer
    if source_name in ("post_bn", "predictions"):
        return model.get_layer(source_name)
    match = _BLOCK_LAYER.match(source_name)
    if match is None:
        raise KeyError(source_name)
    block = model.get_layer(match.group(1))
    part, kind = match.group(2), match.group(3)
    if part == "preact":
        return block.preact_norm
    unit = block.shortcut if part == "0" else getattr(block, f"conv{part}")
    if unit is None:
        raise KeyError(f"{block.name} has no {'shortcut' if part == '0' else part}")
    return unit.conv if kind == "conv" else unit.norm_layer


@register_converter(
    *(arch for arch, config in RESNET_CONFIGS.items() if config.application)
)
def convert_keras_resnet(source: keras.Model) -> keras.Model:
    """Our ResNet with the weights of a ``keras.applications`` ResNet(V2)."""
    builder = {
        "resnet50": resnet50,
        "resnet101": resnet101,
        "resnet152": resnet152,
        "resnet50v2": resnet50v2,
        "resnet101v2": resnet101v2,
        "resnet152v2": resnet152v2,
    }[source.name]
    target = builder(**application_config(source), name=source.name)
    return copy_mapped_weights(source, target, lambda name: _target_layer(target, name))
