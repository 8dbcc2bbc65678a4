"""Public ``keras_dlkit.boxes`` namespace: bounding-box tools for detection.

The anchor box coder a detector trains against, boxes from an instance mask,
and the mean average precision that scores detections. They are not models:
detection builders (:func:`keras_dlkit.models.detector`), data sets and
gallery examples use them. Boxes follow ``keras.utils.bounding_boxes``'
formats. ``keras_dlkit.models.AnchorBoxCoder``,
``keras_dlkit.utils.mean_average_precision`` and
``keras_dlkit.datasets.boxes_from_instance_mask`` remain as aliases.
"""

from keras_dlkit.boxes.anchor_box_coder import AnchorBoxCoder
from keras_dlkit.boxes.instance_masks import boxes_from_instance_mask
from keras_dlkit.boxes.mean_average_precision import mean_average_precision

__all__ = [
    "AnchorBoxCoder",
    "boxes_from_instance_mask",
    "mean_average_precision",
]
