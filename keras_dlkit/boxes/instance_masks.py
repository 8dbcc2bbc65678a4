"""Bounding boxes from an instance segmentation mask."""

from __future__ import annotations

import numpy as np

from keras_dlkit.api_export import keras_dlkit_export

BOX_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh")


@keras_dlkit_export("keras_dlkit.boxes.boxes_from_instance_mask")
def boxes_from_instance_mask(
    mask: np.ndarray, bounding_box_format: str = "xyxy"
) -> tuple[np.ndarray, np.ndarray]:
    """One tight bounding box per instance of an instance mask.

    Coordinates are pixel edges, in the conventions of
    ``keras.utils.bounding_boxes``: an instance whose pixels span columns
    ``x0..x1`` and rows ``y0..y1`` (inclusive) gets, in ``"xyxy"``,
    ``[x0, y0, x1 + 1, y1 + 1]`` (left, top, right, bottom).

    Args:
        mask: Integer array of shape ``(height, width)``; 0 is background,
            each other value one instance.
        bounding_box_format: ``"xyxy"`` (left, top, right, bottom),
            ``"yxyx"`` (top, left, bottom, right), ``"xywh"`` (left, top,
            width, height) or ``"center_xywh"`` (centre x, centre y, width,
            height).

    Returns:
        ``(boxes, ids)``: ``boxes`` float32 of shape ``(num_instances, 4)``
        and ``ids`` the instance values, int64 ``(num_instances,)``, sorted.

    Raises:
        ValueError: for a mask that is not 2-D integers, or an unknown
            ``bounding_box_format``.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.boxes import boxes_from_instance_mask
    >>> mask = np.zeros((4, 5), dtype="int32")
    >>> mask[1:3, 2:5] = 7
    >>> boxes, ids = boxes_from_instance_mask(mask)
    >>> boxes.tolist(), ids.tolist()
    ([[2.0, 1.0, 5.0, 3.0]], [7])
    """
    mask = np.asarray(mask)
    if mask.ndim != 2 or not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(
            "`mask` must be a 2-D integer array, got shape "
            f"{mask.shape} and dtype {mask.dtype}."
        )
    if bounding_box_format not in BOX_FORMATS:
        raise ValueError(
            f"`bounding_box_format` must be one of {BOX_FORMATS}, got "
            f"{bounding_box_format!r}."
        )
    ids = np.unique(mask)
    ids = ids[ids != 0].astype(np.int64)
    boxes = np.zeros((len(ids), 4), dtype=np.float32)
    for row, instance in enumerate(ids):
        ys, xs = np.nonzero(mask == instance)
        boxes[row] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    left, top, right, bottom = boxes.T
    if bounding_box_format == "yxyx":
        boxes = np.stack([top, left, bottom, right], axis=-1)
    elif bounding_box_format == "xywh":
        boxes = np.stack([left, top, right - left, bottom - top], axis=-1)
    elif bounding_box_format == "center_xywh":
        boxes = np.stack(
            [(left + right) / 2, (top + bottom) / 2, right - left, bottom - top],
            axis=-1,
        )
    return boxes.astype(np.float32), ids
