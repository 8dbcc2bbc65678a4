"""The loss of a single-stage detector: focal classification + Huber box regression.

Both terms are Keras's own functions (``keras.losses.binary_focal_crossentropy``
and ``keras.losses.huber``); what is added is the bookkeeping of a detector:
which anchors count, and the normalisation by the number of positive anchors
(Lin et al., "Focal Loss for Dense Object Detection", 2017).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float, check_int


@keras_dlkit_export("keras_dlkit.losses.detection_loss")
def detection_loss(
    y_true: Any,
    y_pred: Any,
    num_classes: int,
    alpha: float = 0.25,
    gamma: float = 2.0,
    box_weight: float = 1.0,
    delta: float = 1.0,
) -> Any:
    """Per-image RetinaNet loss from anchor targets and predictions.

    ``y_true[..., :4]`` are the target deltas and ``y_true[..., 4]`` the
    label of each anchor: a class ``>= 0`` (positive), ``-1`` (background)
    or ``-2`` (ignored), as :meth:`keras_dlkit.boxes.AnchorBoxCoder.encode`
    writes them. ``y_pred[..., :4]`` are predicted deltas and
    ``y_pred[..., 4:]`` class logits. For each image,

    ``loss = (sum over non-ignored anchors and classes of focal(one_hot,
    logits) + box_weight * sum over positive anchors and 4 deltas of
    huber(delta)) / max(1, number of positive anchors)``

    with the sigmoid focal loss ``alpha_t (1 - p_t)^gamma BCE`` (alpha for
    the positive class, ``1 - alpha`` for the others).

    Args:
        y_true: ``(batch, num_anchors, 5)``.
        y_pred: ``(batch, num_anchors, 4 + num_classes)``.
        num_classes: Number of classes, >= 1.
        alpha: Weight of positives in the focal loss, in [0, 1].
        gamma: Focusing exponent of the focal loss, >= 0.
        box_weight: Weight of the box term, >= 0.
        delta: Huber threshold (``delta=1`` is smooth L1), > 0.

    Returns:
        The loss of each image, ``(batch,)``, float32.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.losses import detection_loss
    >>> y_true = np.array([[[0, 0, 0, 0, 0], [0, 0, 0, 0, -1]]], "float32")
    >>> y_pred = np.array([[[0.5, 0, 0, 0, 0.0], [0, 0, 0, 0, 0.0]]], "float32")
    >>> # focal at p=0.5: 0.25*0.25*ln2 + 0.75*0.25*ln2; huber(0.5) = 0.125
    >>> round(float(detection_loss(y_true, y_pred, num_classes=1)[0]), 4)
    0.2983
    """
    num_classes = check_int("num_classes", num_classes, minimum=1)
    y_true = ops.cast(ops.convert_to_tensor(y_true), "float32")
    y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
    if y_true.shape[-1] != 5 or y_pred.shape[-1] != 4 + num_classes:
        raise ValueError(
            f"`y_true` must be (batch, anchors, 5) and `y_pred` (batch, anchors, "
            f"{4 + num_classes}) for num_classes={num_classes}, got "
            f"{tuple(y_true.shape)} and {tuple(y_pred.shape)}."
        )
    labels = y_true[..., 4]
    positive = ops.cast(labels >= 0, "float32")
    counted = ops.cast(labels > -1.5, "float32")  # background or positive
    one_hot = ops.one_hot(ops.cast(ops.maximum(labels, 0.0), "int32"), num_classes)
    one_hot = one_hot * positive[..., None]
    focal = keras.losses.binary_focal_crossentropy(
        one_hot,
        y_pred[..., 4:],
        apply_class_balancing=True,
        alpha=alpha,
        gamma=gamma,
        from_logits=True,
    ) * float(num_classes)  # Keras averages over classes; sum them
    huber = keras.losses.huber(y_true[..., :4], y_pred[..., :4], delta=delta) * 4.0
    classification = ops.sum(focal * counted, axis=-1)
    regression = ops.sum(huber * positive, axis=-1)
    normaliser = ops.maximum(ops.sum(positive, axis=-1), 1.0)
    return (classification + box_weight * regression) / normaliser


@keras_dlkit_export("keras_dlkit.losses.DetectionLoss")
class DetectionLoss(keras.losses.Loss):
    """Loss class of :func:`detection_loss`, for ``compile(loss=...)``.

    Args:
        num_classes: Number of classes, >= 1.
        alpha: Weight of positives in the focal loss, in [0, 1].
        gamma: Focusing exponent, >= 0.
        box_weight: Weight of the box term, >= 0.
        delta: Huber threshold, > 0.
        reduction: Keras reduction over the images of a batch.
        name: Loss name.
        dtype: Dtype of the loss computation.

    Example:

    >>> import keras
    >>> from keras_dlkit.losses import DetectionLoss
    >>> loss = DetectionLoss(num_classes=3)
    >>> keras.losses.deserialize(keras.losses.serialize(loss)).num_classes
    3
    """

    def __init__(
        self,
        num_classes: int,
        alpha: float = 0.25,
        gamma: float = 2.0,
        box_weight: float = 1.0,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "detection_loss",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.num_classes = check_int("num_classes", num_classes, minimum=1)
        self.alpha = check_float("alpha", alpha, minimum=0.0, maximum=1.0)
        self.gamma = check_float("gamma", gamma, minimum=0.0)
        self.box_weight = check_float("box_weight", box_weight, minimum=0.0)
        self.delta = check_float("delta", delta, minimum=0.0, min_inclusive=False)

    def call(self, y_true, y_pred):
        return detection_loss(
            y_true,
            y_pred,
            num_classes=self.num_classes,
            alpha=self.alpha,
            gamma=self.gamma,
            box_weight=self.box_weight,
            delta=self.delta,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "alpha": self.alpha,
            "gamma": self.gamma,
            "box_weight": self.box_weight,
            "delta": self.delta,
        }
