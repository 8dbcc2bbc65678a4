"""EfficientNet-B0 ... B7 builders (Tan & Le, 2019), as ``keras.applications``.

Compound scaling: from the B0 baseline, variant ``bX`` scales the width
(filters, rounded to multiples of 8), the depth (repeats per stage, rounded
up) and the input resolution together, with more dropout before the
classifier:

======= ===== ===== ========== =======
variant width depth resolution dropout
======= ===== ===== ========== =======
B0      1.0   1.0   224        0.2
B1      1.0   1.1   240        0.2
B2      1.1   1.2   260        0.3
B3      1.2   1.4   300        0.3
B4      1.4   1.8   380        0.4
B5      1.6   2.2   456        0.4
B6      1.8   2.6   528        0.5
B7      2.0   3.1   600        0.5
======= ===== ===== ========== =======

Each builder takes ``keras.applications``' arguments, defaults and input
preprocessing, so its trainable parameter count equals
``keras.applications.EfficientNetBX``'s and
:func:`keras_dlkit.models.from_keras_applications` converts one into the
other with identical outputs. The body lives in
:mod:`keras_dlkit.models.classification._efficientnet`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.classification._efficientnet import (
    EFFICIENTNET_VARIANTS,
    build_efficientnet,
)

#: The registry test's configuration: a thumbnail of the architecture (a
#: quarter of the width and depth, 32x32 inputs), so all eight variants stay
#: quick to build, train one step and save.
TEST_CONFIG = {
    "input_shape": (32, 32, 3),
    "num_classes": 3,
    "width_coefficient": 0.25,
    "depth_coefficient": 0.25,
}

_DOC = """EfficientNet-{V} (Tan & Le, 2019): ``keras.applications.EfficientNet{V}``.

    Width coefficient {w}, depth coefficient {d}, {r}x{r} inputs and dropout
    {p} before the classifier. The model starts with ``keras.applications``'
    preprocessing (``Rescaling(1/255)`` and a ``Normalization`` layer whose
    statistics come with the weights), so it takes pixels in ``[0, 255]``.
    The stem's output is the layer ``"stem"`` (stride 2) and the seven stages
    of MBConv blocks end in layers ``"stage_1"`` ... ``"stage_7"`` (strides
    2, 4, 8, 16, 16, 32, 32; the paper's stages 2-8); blocks are named as in
    ``keras.applications`` (``"block1a"``, ``"block2b"``, ...). Use
    :func:`keras_dlkit.models.feature_extractor` for a dict of stage
    outputs.

    Args:
        input_shape: ``(height, width, 3)``; at least 32x32. ``None`` sizes
            are allowed.
        num_classes: Classes of the classifier (with ``include_top``).
        include_top: Whether to end with global pooling, dropout and the
            classifier.
        pooling: Without the top: ``None`` (the 4D map), ``"avg"`` or
            ``"max"``.
        classifier_activation: Activation of the classifier.
        weights: ``None``, ``"imagenet"`` (through ``keras.applications``;
            needs internet once) or a weights file.
        width_coefficient: Width multiplier; the default is {V}'s. Change it
            (and ``depth_coefficient``) only for a thumbnail of the
            architecture.
        depth_coefficient: Depth multiplier; the default is {V}'s.
        dropout: Dropout rate before the classifier.
        drop_connect_rate: Stochastic-depth rate of the last block, growing
            linearly from 0 at the first.
        include_preprocessing: Whether to start with the rescaling and
            normalization layers (``False``: feed normalized inputs).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> import inspect
    >>> from keras_dlkit.models import efficientnet_{v}
    >>> defaults = inspect.signature(efficientnet_{v}).parameters
    >>> [defaults[k].default for k in ("width_coefficient", "depth_coefficient",
    ...                                  "input_shape", "dropout")]
    [{w}, {d}, ({r}, {r}, 3), {p}]
    >>> model = efficientnet_{v}(input_shape=(32, 32, 3), include_top=False,
    ...                          width_coefficient=0.25, depth_coefficient=0.25)
    >>> model.get_layer("stage_7").output.shape  # a thumbnail, for speed
    (None, 1, 1, {last})
    """


def _document(variant: str) -> Callable[[Callable], Callable]:
    w, d, r, p = EFFICIENTNET_VARIANTS[variant]

    def decorator(builder: Callable) -> Callable:
        builder.__doc__ = _DOC.format(
            V=variant.upper(), v=variant, w=w, d=d, r=r, p=p, last=80
        )
        return builder

    return decorator


@register_model(
    "efficientnet_b0",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b0")
@_document("b0")
def efficientnet_b0(
    input_shape: Sequence[int | None] = (224, 224, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = 1.0,
    depth_coefficient: float = 1.0,
    dropout: float = 0.2,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b0",
) -> keras.Model:
    return build_efficientnet("b0", **locals())


@register_model(
    "efficientnet_b1",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b1")
@_document("b1")
def efficientnet_b1(
    input_shape: Sequence[int | None] = (240, 240, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = 1.0,
    depth_coefficient: float = 1.1,
    dropout: float = 0.2,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b1",
) -> keras.Model:
    return build_efficientnet("b1", **locals())


@register_model(
    "efficientnet_b2",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b2")
@_document("b2")
def efficientnet_b2(
    input_shape: Sequence[int | None] = (260, 260, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = 1.1,
    depth_coefficient: float = 1.2,
    dropout: float = 0.3,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b2",
) -> keras.Model:
    return build_efficientnet("b2", **locals())


@register_model(
    "efficientnet_b3",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b3")
@_document("b3")
def efficientnet_b3(
    input_shape: Sequence[int | None] = (300, 300, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = 1.2,
    depth_coefficient: float = 1.4,
    dropout: float = 0.3,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b3",
) -> keras.Model:
    return build_efficientnet("b3", **locals())


@register_model(
    "efficientnet_b4",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b4")
@_document("b4")
def efficientnet_b4(
    input_shape: Sequence[int | None] = (380, 380, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = 1.4,
    depth_coefficient: float = 1.8,
    dropout: float = 0.4,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b4",
) -> keras.Model:
    return build_efficientnet("b4", **locals())


@register_model(
    "efficientnet_b5",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b5")
@_document("b5")
def efficientnet_b5(
    input_shape: Sequence[int | None] = (456, 456, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = 1.6,
    depth_coefficient: float = 2.2,
    dropout: float = 0.4,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b5",
) -> keras.Model:
    return build_efficientnet("b5", **locals())


@register_model(
    "efficientnet_b6",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b6")
@_document("b6")
def efficientnet_b6(
    input_shape: Sequence[int | None] = (528, 528, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = 1.8,
    depth_coefficient: float = 2.6,
    dropout: float = 0.5,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b6",
) -> keras.Model:
    return build_efficientnet("b6", **locals())


@register_model(
    "efficientnet_b7",
    family="cnn",
    test_config=TEST_CONFIG,
    test_input_shape=(32, 32, 3),
)
@keras_dlkit_export("keras_dlkit.models.efficientnet_b7")
@_document("b7")
def efficientnet_b7(
    input_shape: Sequence[int | None] = (600, 600, 3),
    num_classes: int = 1000,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: Any = "softmax",
    weights: str | None = None,
    *,
    width_coefficient: float = 2.0,
    depth_coefficient: float = 3.1,
    dropout: float = 0.5,
    drop_connect_rate: float = 0.2,
    include_preprocessing: bool = True,
    name: str = "efficientnet_b7",
) -> keras.Model:
    return build_efficientnet("b7", **locals())
