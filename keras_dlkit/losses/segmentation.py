"""Soft Dice and soft Jaccard (IoU) losses for multi-class segmentation.

What Keras 3.15 already has, and is not repeated here: the loss
``keras.losses.Dice`` (one soft Dice over all elements, probabilities in,
no per-class average, no logits), the focal losses, and the metrics
``keras.metrics.IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU`` and
``OneHotMeanIoU`` (hard, thresholded IoU accumulated over a data set). A
hard Dice score follows from an accumulated IoU ``J`` as ``2J / (1 + J)``.

What is added: per-class soft Dice and soft Jaccard losses that take logits
or probabilities, one-hot or integer masks, average the per-class scores of
each image (so a small class weighs as much as a large one) and smooth
empty classes.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_bool, check_float


def _prepare(y_true, y_pred, from_logits: bool):
    """Probabilities and one-hot targets, both ``(batch, ..., classes)`` float32."""
    y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
    y_true = ops.convert_to_tensor(y_true)
    num_classes = y_pred.shape[-1]
    if num_classes is None:
        raise ValueError(
            f"`y_pred` must have a known number of classes (last axis), got "
            f"shape {y_pred.shape}."
        )
    rank = len(y_pred.shape)
    if rank < 3:
        raise ValueError(
            "`y_pred` must be (batch, ..., classes) with at least one spatial "
            f"axis, got shape {y_pred.shape}."
        )
    if num_classes == 1:
        if from_logits:
            y_pred = ops.sigmoid(y_pred)
        if len(y_true.shape) == rank - 1:
            y_true = ops.expand_dims(y_true, -1)
        y_true = ops.cast(y_true, "float32")
    else:
        if from_logits:
            y_pred = ops.softmax(y_pred, axis=-1)
        sparse = len(y_true.shape) == rank - 1 or (
            len(y_true.shape) == rank and y_true.shape[-1] == 1
        )
        if sparse:
            if len(y_true.shape) == rank:
                y_true = ops.squeeze(y_true, -1)
            y_true = ops.one_hot(ops.cast(y_true, "int32"), num_classes)
        y_true = ops.cast(y_true, "float32")
    return y_true, y_pred


def _overlaps(y_true, y_pred, from_logits, smooth, include_background):
    smooth = check_float("smooth", smooth, minimum=0.0)
    check_bool("from_logits", from_logits)
    y_true, y_pred = _prepare(y_true, y_pred, from_logits)
    if not include_background:
        if y_pred.shape[-1] < 2:
            raise ValueError(
                "`include_background`=False needs at least 2 classes, got "
                f"{y_pred.shape[-1]}."
            )
        y_true, y_pred = y_true[..., 1:], y_pred[..., 1:]
    axes = tuple(range(1, len(y_pred.shape) - 1))
    intersection = ops.sum(y_true * y_pred, axis=axes)
    total = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes)
    return intersection, total, smooth


@keras_dlkit_export("keras_dlkit.losses.soft_dice_loss")
def soft_dice_loss(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    smooth: float = 1.0,
    include_background: bool = True,
) -> Any:
    """Per-image soft Dice loss, averaged over classes.

    For image ``b`` and class ``c``, with ``p`` the predicted probabilities
    and ``t`` the one-hot target summed over the spatial axes,
    ``dice[b, c] = (2 * sum(t * p) + smooth) / (sum(t) + sum(p) + smooth)``
    and the loss is ``1 - mean_c dice[b, c]`` (Milletari et al., 2016, with
    squares replaced by plain sums as in most implementations).

    Args:
        y_true: One-hot masks ``(batch, ..., classes)``, or integer class
            masks ``(batch, ...)`` / ``(batch, ..., 1)``. With one class, a
            binary mask of either shape.
        y_pred: Scores ``(batch, ..., classes)``: probabilities, or logits
            with ``from_logits`` (softmax over classes; sigmoid for one class).
        from_logits: Whether ``y_pred`` holds logits.
        smooth: Added to numerator and denominator (>= 0); it makes a class
            absent from both target and prediction score 1, not 0/0.
        include_background: With ``False``, class 0 is left out of the mean.

    Returns:
        The loss of each image, shape ``(batch,)``, float32.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.losses import soft_dice_loss
    >>> labels = np.array([[[0, 1], [1, 1]]])  # one 2x2 image, classes 0/1
    >>> perfect = np.eye(2)[labels]
    >>> float(soft_dice_loss(labels, perfect, smooth=0.0)[0])
    0.0
    """
    intersection, total, smooth = _overlaps(
        y_true, y_pred, from_logits, smooth, include_background
    )
    dice = (2.0 * intersection + smooth) / ops.maximum(
        total + smooth, keras.backend.epsilon()
    )
    return 1.0 - ops.mean(dice, axis=-1)


@keras_dlkit_export("keras_dlkit.losses.soft_jaccard_loss")
def soft_jaccard_loss(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    smooth: float = 1.0,
    include_background: bool = True,
) -> Any:
    """Per-image soft Jaccard (IoU) loss, averaged over classes.

    ``iou[b, c] = (sum(t * p) + smooth) / (sum(t) + sum(p) - sum(t * p) +
    smooth)`` and the loss is ``1 - mean_c iou[b, c]``: the soft relaxation
    of the IoU that ``keras.metrics.MeanIoU`` reports (Rahman and Wang, 2016).
    Arguments as in :func:`soft_dice_loss`.

    Args:
        y_true: One-hot or integer masks (see :func:`soft_dice_loss`).
        y_pred: Probabilities or logits ``(batch, ..., classes)``.
        from_logits: Whether ``y_pred`` holds logits.
        smooth: Added to numerator and denominator (>= 0).
        include_background: With ``False``, class 0 is left out of the mean.

    Returns:
        The loss of each image, shape ``(batch,)``, float32.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.losses import soft_jaccard_loss
    >>> mask = np.array([[[1.0], [0.0]]])  # one 2x1 image, one class
    >>> half = np.array([[[1.0], [1.0]]])  # predicts both pixels
    >>> round(float(soft_jaccard_loss(mask, half, smooth=0.0)[0]), 4)
    0.5
    """
    intersection, total, smooth = _overlaps(
        y_true, y_pred, from_logits, smooth, include_background
    )
    iou = (intersection + smooth) / ops.maximum(
        total - intersection + smooth, keras.backend.epsilon()
    )
    return 1.0 - ops.mean(iou, axis=-1)


class _SegmentationLoss(keras.losses.Loss):
    _function = None

    def __init__(
        self,
        from_logits: bool = False,
        smooth: float = 1.0,
        include_background: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        check_bool("from_logits", from_logits)
        check_bool("include_background", include_background)
        self.from_logits = from_logits
        self.smooth = check_float("smooth", smooth, minimum=0.0)
        self.include_background = include_background

    def call(self, y_true, y_pred):
        return type(self)._function(
            y_true,
            y_pred,
            from_logits=self.from_logits,
            smooth=self.smooth,
            include_background=self.include_background,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "smooth": self.smooth,
            "include_background": self.include_background,
        }


@keras_dlkit_export("keras_dlkit.losses.SoftDiceLoss")
class SoftDiceLoss(_SegmentationLoss):
    """Loss class of :func:`soft_dice_loss`, for ``compile(loss=...)``.

    Args:
        from_logits: Whether predictions are logits.
        smooth: Added to numerator and denominator (>= 0).
        include_background: With ``False``, class 0 is left out of the mean.
        reduction: Keras loss reduction over the images of a batch.
        name: Loss name.
        dtype: Dtype of the loss computation.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.losses import SoftDiceLoss
    >>> loss = SoftDiceLoss(from_logits=True)
    >>> logits = np.zeros((2, 4, 4, 3), "float32")  # uniform over 3 classes
    >>> labels = np.zeros((2, 4, 4), "int32")
    >>> round(float(loss(labels, logits)), 4)
    0.7206
    """

    _function = staticmethod(soft_dice_loss)

    def __init__(self, *args: Any, name: str | None = "soft_dice", **kwargs: Any):
        super().__init__(*args, name=name, **kwargs)


@keras_dlkit_export("keras_dlkit.losses.SoftJaccardLoss")
class SoftJaccardLoss(_SegmentationLoss):
    """Loss class of :func:`soft_jaccard_loss`, for ``compile(loss=...)``.

    Args:
        from_logits: Whether predictions are logits.
        smooth: Added to numerator and denominator (>= 0).
        include_background: With ``False``, class 0 is left out of the mean.
        reduction: Keras loss reduction over the images of a batch.
        name: Loss name.
        dtype: Dtype of the loss computation.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.losses import SoftJaccardLoss
    >>> masks = np.ones((1, 2, 2, 1), "float32")
    >>> float(SoftJaccardLoss(smooth=0.0)(masks, masks))
    0.0
    """

    _function = staticmethod(soft_jaccard_loss)

    def __init__(
        self, *args: Any, name: str | None = "soft_jaccard", **kwargs: Any
    ) -> None:
        super().__init__(*args, name=name, **kwargs)
