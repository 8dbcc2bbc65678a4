"""Mean average precision (PASCAL VOC style) for object detection, in NumPy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_dlkit.api_export import keras_dlkit_export


def _to_xyxy(boxes: np.ndarray, bounding_box_format: str) -> np.ndarray:
    if bounding_box_format == "xyxy" or boxes.size == 0:
        return boxes.reshape(-1, 4)
    import keras

    converted = keras.utils.bounding_boxes.convert_format(
        boxes.astype("float32"), source=bounding_box_format, target="xyxy"
    )
    return np.asarray(keras.ops.convert_to_numpy(converted), dtype=np.float64)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box with each of ``boxes``."""
    left = np.maximum(box[0], boxes[:, 0])
    top = np.maximum(box[1], boxes[:, 1])
    right = np.minimum(box[2], boxes[:, 2])
    bottom = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def _per_image(name: str, values: Any, num_images: int | None, ndim: int) -> list:
    """Split batched arrays or sequences into one NumPy array per image."""
    if isinstance(values, np.ndarray) or hasattr(values, "shape"):
        values = np.asarray(values)
        if values.ndim != ndim + 1:
            raise ValueError(
                f"`{name}` must hold one array per image (a sequence, or an "
                f"array of rank {ndim + 1}), got shape {values.shape}."
            )
        values = list(values)
    elif not isinstance(values, Sequence):
        raise ValueError(
            f"`{name}` must be a sequence of per-image arrays, got {values!r}."
        )
    values = [np.asarray(v, dtype=np.float64) for v in values]
    if num_images is not None and len(values) != num_images:
        raise ValueError(
            f"`{name}` has {len(values)} images, expected {num_images} (as `true_boxes`)."
        )
    return values


def _average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision envelope (all-point interpolation, VOC 2010+)."""
    recall = np.concatenate([[0.0], recall, [1.0]])
    precision = np.concatenate([[0.0], precision, [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.nonzero(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


@keras_dlkit_export("keras_dlkit.boxes.mean_average_precision")
def mean_average_precision(
    true_boxes: Any,
    true_labels: Any,
    pred_boxes: Any,
    pred_labels: Any,
    pred_scores: Any,
    iou_threshold: float | Sequence[float] = 0.5,
    bounding_box_format: str = "xyxy",
    return_per_class: bool = False,
) -> float | tuple[float, dict[int, float]]:
    """Mean average precision of detections over a set of images.

    For each class, the detections of all images are ranked by score; one
    is a true positive when its IoU with the ground-truth box of that class
    it overlaps most is at least ``iou_threshold`` and that box was not
    matched already (PASCAL VOC's rule), else a false positive. The average
    precision is the area under the precision-recall curve with precision
    made monotone (all-point interpolation, VOC 2010 onwards); the mean is
    over the classes that have ground truth. A sequence of thresholds (e.g.
    ``np.arange(0.5, 1.0, 0.05)``) averages the mAP over them, in the spirit
    of COCO's mAP@[.5:.95].

    Rows whose label is negative are padding and are dropped, so the padded
    output of :meth:`keras_dlkit.boxes.AnchorBoxCoder.decode` (converted
    to NumPy) can be passed as it is.

    Args:
        true_boxes: Per image, ``(num_objects, 4)`` ground-truth boxes (a
            sequence of arrays, or a padded ``(images, max, 4)`` array).
        true_labels: Per image, ``(num_objects,)`` integer classes.
        pred_boxes: Per image, ``(num_detections, 4)`` predicted boxes.
        pred_labels: Per image, ``(num_detections,)`` predicted classes.
        pred_scores: Per image, ``(num_detections,)`` confidences.
        iou_threshold: IoU for a match, in ``(0, 1]``, or a sequence of them.
        bounding_box_format: Format of all boxes (any format of
            ``keras.utils.bounding_boxes.convert_format``).
        return_per_class: Also return ``{class: AP}`` (at the first
            threshold's average over thresholds).

    Returns:
        The mAP as a float in ``[0, 1]`` (``nan`` when no image has ground
        truth), or ``(mAP, {class: AP})`` with ``return_per_class``.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.utils import mean_average_precision
    >>> truth = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]])]
    >>> found = [np.array([[0, 0, 10, 10], [50, 50, 60, 60], [21, 21, 30, 30]])]
    >>> # ranked: TP, FP, TP -> precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1
    >>> round(mean_average_precision(truth, [np.array([0, 0])], found,
    ...       [np.array([0, 0, 0])], [np.array([0.9, 0.8, 0.7])]), 4)
    0.8333
    """
    thresholds = (
        [iou_threshold]
        if not isinstance(iou_threshold, (Sequence, np.ndarray))
        else list(iou_threshold)
    )
    if not thresholds or not all(
        isinstance(t, (int, float, np.floating)) and 0 < float(t) <= 1
        for t in thresholds
    ):
        raise ValueError(
            "`iou_threshold` must be a number in (0, 1] or a non-empty sequence "
            f"of them, got {iou_threshold!r}."
        )
    true_boxes = _per_image("true_boxes", true_boxes, None, 2)
    count = len(true_boxes)
    true_labels = _per_image("true_labels", true_labels, count, 1)
    pred_boxes = _per_image("pred_boxes", pred_boxes, count, 2)
    pred_labels = _per_image("pred_labels", pred_labels, count, 1)
    pred_scores = _per_image("pred_scores", pred_scores, count, 1)

    truths, detections = [], []  # per image: (boxes xyxy, labels)
    for image in range(count):
        keep = true_labels[image] >= 0
        truths.append(
            (
                _to_xyxy(true_boxes[image].reshape(-1, 4)[keep], bounding_box_format),
                true_labels[image][keep].astype(int),
            )
        )
        keep = pred_labels[image] >= 0
        detections.append(
            (
                _to_xyxy(pred_boxes[image].reshape(-1, 4)[keep], bounding_box_format),
                pred_labels[image][keep].astype(int),
                pred_scores[image][keep],
            )
        )
    classes = sorted({int(c) for _, labels in truths for c in labels})
    if not classes:
        return (float("nan"), {}) if return_per_class else float("nan")

    per_class: dict[int, float] = {}
    for cls in classes:
        ranked = [
            (score, image, box)
            for image, (boxes, labels, scores) in enumerate(detections)
            for box, label, score in zip(boxes, labels, scores, strict=True)
            if label == cls
        ]
        ranked.sort(key=lambda item: -item[0])  # stable: ties keep input order
        num_truth = sum(int(np.sum(labels == cls)) for _, labels in truths)
        aps = []
        for threshold in thresholds:
            matched = [
                np.zeros(int(np.sum(labels == cls)), bool) for _, labels in truths
            ]
            hits = np.zeros(len(ranked))
            for rank, (_, image, box) in enumerate(ranked):
                boxes, labels = truths[image]
                candidates = boxes[labels == cls]
                if len(candidates) == 0:
                    continue
                overlaps = _iou(box, candidates)
                best = int(np.argmax(overlaps))
                if overlaps[best] >= threshold and not matched[image][best]:
                    matched[image][best] = True
                    hits[rank] = 1.0
            true_positives = np.cumsum(hits)
            recall = true_positives / num_truth
            precision = true_positives / np.arange(1, len(ranked) + 1)
            aps.append(_average_precision(recall, precision))
        per_class[cls] = float(np.mean(aps))
    value = float(np.mean(list(per_class.values())))
    return (value, per_class) if return_per_class else value
