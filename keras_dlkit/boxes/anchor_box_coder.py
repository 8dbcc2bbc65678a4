"""Anchors, target encoding and decoding (with non-max suppression) for detectors.

Box arithmetic is Keras's own: ``keras.utils.bounding_boxes.compute_iou``,
``encode_box_to_deltas``, ``decode_deltas_to_boxes`` and
``convert_format``. Non-max suppression is keras-hub's
``keras_hub.layers.NonMaxSuppression`` (the ``hub`` extra, imported only
when :meth:`AnchorBoxCoder.decode` runs; Keras itself has no NMS op).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float, check_int

BOX_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw")
DEFAULT_ANCHOR_SCALES = (1.0, 2 ** (1 / 3), 2 ** (2 / 3))
DEFAULT_ASPECT_RATIOS = (0.5, 1.0, 2.0)
DEFAULT_VARIANCE = (0.1, 0.1, 0.2, 0.2)
#: ``y_true[..., 4]`` of an anchor matched to no object, and of an ignored one.
BACKGROUND, IGNORE = -1, -2


def _positive_floats(name: str, values: Any) -> tuple[float, ...]:
    if (
        isinstance(values, (str, bytes))
        or not isinstance(values, Sequence)
        or not values
    ):
        raise ValueError(
            f"`{name}` must be a non-empty sequence of numbers, got {values!r}."
        )
    return tuple(check_float(name, v, minimum=0.0, min_inclusive=False) for v in values)


def _pyramid_strides(model: keras.Model) -> list[int]:
    height = model.inputs[0].shape[1]
    strides = []
    for layer in model.layers:
        if layer.name.startswith("pyramid_"):
            strides.append(int(round(height / layer.output.shape[1])))
    # The detector concatenates its levels shallowest (smallest stride) first.
    return sorted(strides)


@keras_dlkit_export("keras_dlkit.boxes.AnchorBoxCoder")
class AnchorBoxCoder:
    """Anchor boxes of a detector, and the encoding of boxes to training targets.

    At every location of each pyramid level of stride ``s`` (centre
    ``((j + 0.5) s, (i + 0.5) s)``) sit ``len(anchor_scales) *
    len(aspect_ratios)`` anchors of size ``anchor_size * s * scale`` and
    width/height ratio ``ratio`` (RetinaNet's layout; its defaults are
    ``anchor_size=4`` and the scales and ratios below).

    :meth:`encode` matches each anchor to the ground-truth box it overlaps
    most: IoU >= ``positive_iou`` makes it positive (class and box deltas
    from ``keras.utils.bounding_boxes.encode_box_to_deltas``), IoU <
    ``negative_iou`` background, in between ignored; each box's best anchor
    is positive too, so no object goes unmatched. :meth:`decode` inverts the
    deltas and runs non-max suppression.

    Args:
        image_shape: ``(height, width)`` of the detector's input.
        strides: Stride of each pyramid level, shallowest first (e.g. from
            :func:`keras_dlkit.models.feature_info`).
        anchor_size: Anchor side at scale 1, in units of the level's stride.
        anchor_scales: Scales of the anchors at each location.
        aspect_ratios: Width / height ratios of the anchors.
        bounding_box_format: Format of boxes in and out (``"xyxy"``,
            ``"yxyx"``, ``"xywh"``, ``"center_xywh"``, ``"center_yxhw"``,
            pixels).
        positive_iou: IoU from which an anchor is positive.
        negative_iou: IoU below which an anchor is background.
        variance: Divisors of the 4 deltas (centre y, x, height, width).

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import AnchorBoxCoder
    >>> coder = AnchorBoxCoder((32, 32), strides=(8, 16), anchor_scales=(1.0,),
    ...                        aspect_ratios=(1.0,))
    >>> coder.anchors.shape  # 4*4 + 2*2 locations, one anchor each
    (20, 4)
    >>> coder.anchors[0].tolist()  # 32x32 box centred on (4, 4)
    [-12.0, -12.0, 20.0, 20.0]
    >>> targets = coder.encode(np.array([[0.0, 0.0, 24.0, 24.0]]), np.array([0]))
    >>> tuple(targets.shape)
    (1, 20, 5)
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        strides: Sequence[int],
        anchor_size: float = 4.0,
        anchor_scales: Sequence[float] = DEFAULT_ANCHOR_SCALES,
        aspect_ratios: Sequence[float] = DEFAULT_ASPECT_RATIOS,
        bounding_box_format: str = "xyxy",
        positive_iou: float = 0.5,
        negative_iou: float = 0.4,
        variance: Sequence[float] = DEFAULT_VARIANCE,
    ) -> None:
        if (
            isinstance(image_shape, (str, bytes))
            or not isinstance(image_shape, Sequence)
            or len(image_shape) != 2
        ):
            raise ValueError(
                f"`image_shape` must be (height, width), got {image_shape!r}."
            )
        self.image_shape = tuple(
            check_int("image_shape", s, minimum=1) for s in image_shape
        )
        if (
            isinstance(strides, (str, bytes))
            or not isinstance(strides, Sequence)
            or not strides
        ):
            raise ValueError(
                f"`strides` must be a non-empty sequence, got {strides!r}."
            )
        self.strides = tuple(check_int("strides", s, minimum=1) for s in strides)
        self.anchor_size = check_float(
            "anchor_size", anchor_size, minimum=0.0, min_inclusive=False
        )
        self.anchor_scales = _positive_floats("anchor_scales", anchor_scales)
        self.aspect_ratios = _positive_floats("aspect_ratios", aspect_ratios)
        if bounding_box_format not in BOX_FORMATS:
            raise ValueError(
                f"`bounding_box_format` must be one of {BOX_FORMATS}, got "
                f"{bounding_box_format!r}."
            )
        self.bounding_box_format = bounding_box_format
        self.positive_iou = check_float(
            "positive_iou", positive_iou, minimum=0.0, maximum=1.0
        )
        self.negative_iou = check_float(
            "negative_iou", negative_iou, minimum=0.0, maximum=self.positive_iou
        )
        self.variance = _positive_floats("variance", variance)
        if len(self.variance) != 4:
            raise ValueError(f"`variance` must have 4 entries, got {variance!r}.")
        self.anchors = self._make_anchors()

    @classmethod
    def from_detector(cls, model: keras.Model, **kwargs: Any) -> AnchorBoxCoder:
        """The coder of a :func:`keras_dlkit.models.detector` model.

        Reads the input size and the pyramid strides off ``model``; pass the
        anchor arguments the model was built with (``anchor_scales``,
        ``aspect_ratios``) if they were not the defaults.

        Args:
            model: A model built by :func:`keras_dlkit.models.detector`.
            **kwargs: Other :class:`AnchorBoxCoder` arguments.

        Returns:
            An :class:`AnchorBoxCoder` whose anchors match the model's output.

        Raises:
            ValueError: If the model is not a detector or the anchor count
                does not match its head.
        """
        strides = _pyramid_strides(model)
        try:
            head = model.get_layer("head")
        except ValueError:
            head = None
        if not strides or head is None:
            raise ValueError(
                f"`model` {model.name!r} is not a keras_dlkit detector (no "
                "'pyramid_*' layers or no 'head' layer)."
            )
        coder = cls(tuple(model.inputs[0].shape[1:3]), strides, **kwargs)
        if coder.anchors_per_location != head.num_anchors:
            raise ValueError(
                f"The model's head predicts {head.num_anchors} anchors per "
                f"location but anchor_scales x aspect_ratios give "
                f"{coder.anchors_per_location}: pass the values the model was "
                "built with."
            )
        return coder

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, for ``from_config`` and Keras serialization."""
        return {
            "image_shape": self.image_shape,
            "strides": self.strides,
            "anchor_size": self.anchor_size,
            "anchor_scales": self.anchor_scales,
            "aspect_ratios": self.aspect_ratios,
            "bounding_box_format": self.bounding_box_format,
            "positive_iou": self.positive_iou,
            "negative_iou": self.negative_iou,
            "variance": self.variance,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AnchorBoxCoder:
        """A coder from :meth:`get_config`'s output."""
        return cls(**config)

    @property
    def anchors_per_location(self) -> int:
        """``len(anchor_scales) * len(aspect_ratios)``."""
        return len(self.anchor_scales) * len(self.aspect_ratios)

    @property
    def num_anchors(self) -> int:
        """Total number of anchors over all levels."""
        return int(self.anchors.shape[0])

    def _make_anchors(self) -> np.ndarray:
        height, width = self.image_shape
        levels = []
        for stride in self.strides:
            rows, cols = math.ceil(height / stride), math.ceil(width / stride)
            sizes = []
            for scale in self.anchor_scales:
                for ratio in self.aspect_ratios:
                    side = self.anchor_size * stride * scale
                    sizes.append((side / math.sqrt(ratio), side * math.sqrt(ratio)))
            sizes = np.asarray(sizes, dtype=np.float64)  # (A, 2): h, w
            cy, cx = np.meshgrid(
                (np.arange(rows) + 0.5) * stride,
                (np.arange(cols) + 0.5) * stride,
                indexing="ij",
            )
            centres = np.stack([cy, cx], -1).reshape(-1, 1, 2)
            centres = np.broadcast_to(centres, (rows * cols, len(sizes), 2))
            hw = np.broadcast_to(sizes, (rows * cols, len(sizes), 2))
            levels.append(np.concatenate([centres, hw], -1).reshape(-1, 4))
        center_yxhw = np.concatenate(levels, 0).astype(np.float32)
        anchors = keras.utils.bounding_boxes.convert_format(
            center_yxhw, source="center_yxhw", target=self.bounding_box_format
        )
        return np.asarray(ops.convert_to_numpy(anchors), dtype=np.float32)

    def encode(self, boxes: Any, labels: Any) -> Any:
        """Training targets ``(batch, num_anchors, 5)``: 4 deltas and a label.

        The label is the class of a positive anchor, ``-1`` for background
        and ``-2`` for an ignored anchor (between the IoU thresholds);
        deltas of non-positive anchors are 0.

        Args:
            boxes: ``(batch, max_boxes, 4)`` or ``(max_boxes, 4)`` in
                ``bounding_box_format``; padding rows are ignored when their
                label is negative.
            labels: ``(batch, max_boxes)`` or ``(max_boxes,)`` integer classes,
                ``-1`` for padding.

        Returns:
            A float32 tensor of the backend, batched.
        """
        boxes = ops.cast(ops.convert_to_tensor(boxes), "float32")
        labels = ops.cast(ops.convert_to_tensor(labels), "int32")
        if len(boxes.shape) == 2:
            boxes, labels = boxes[None], labels[None]
        if len(boxes.shape) != 3 or boxes.shape[-1] != 4:
            raise ValueError(
                f"`boxes` must be (batch, max_boxes, 4), got {boxes.shape}."
            )
        if tuple(labels.shape) != tuple(boxes.shape[:2]):
            raise ValueError(
                f"`labels` must be (batch, max_boxes) = {tuple(boxes.shape[:2])}, "
                f"got {tuple(labels.shape)}."
            )
        anchors = ops.convert_to_tensor(self.anchors)
        valid = labels >= 0  # (B, M)
        if boxes.shape[1] == 0:
            iou = ops.zeros((boxes.shape[0], self.num_anchors, 1))
            boxes = ops.zeros((boxes.shape[0], 1, 4))
            labels = -ops.ones((boxes.shape[0], 1), "int32")
            valid = labels >= 0
        else:
            iou = keras.utils.bounding_boxes.compute_iou(
                anchors, boxes, self.bounding_box_format
            )  # (B, N, M)
        iou = ops.where(valid[:, None, :], iou, -1.0)
        best_iou = ops.max(iou, axis=2)  # (B, N)
        matched = ops.argmax(iou, axis=2)  # (B, N)
        # Each object's best anchor is positive whatever its IoU.
        per_box_best = ops.max(iou, axis=1, keepdims=True)  # (B, 1, M)
        is_best = ops.logical_and(
            ops.equal(iou, per_box_best),
            ops.logical_and(valid[:, None, :], per_box_best > 0.0),
        )
        forced = ops.any(is_best, axis=2)
        matched = ops.where(
            forced, ops.argmax(ops.cast(is_best, "float32") + iou, axis=2), matched
        )
        positive = ops.logical_or(best_iou >= self.positive_iou, forced)
        ignore = ops.logical_and(
            ops.logical_not(positive), best_iou >= self.negative_iou
        )
        matched_boxes = ops.take_along_axis(boxes, matched[..., None], axis=1)
        matched_labels = ops.take_along_axis(labels, matched, axis=1)
        deltas = keras.utils.bounding_boxes.encode_box_to_deltas(
            anchors,
            matched_boxes,
            anchor_format=self.bounding_box_format,
            box_format=self.bounding_box_format,
            variance=self.variance,
        )
        deltas = ops.where(positive[..., None], deltas, 0.0)
        target_labels = ops.where(
            positive, matched_labels, ops.where(ignore, IGNORE, BACKGROUND)
        )
        return ops.concatenate(
            [deltas, ops.cast(target_labels, "float32")[..., None]], axis=-1
        )

    def decode_boxes(self, predictions: Any) -> Any:
        """Boxes ``(batch, num_anchors, 4)`` from a detector's output, no NMS.

        Args:
            predictions: ``(batch, num_anchors, 4 + num_classes)``.

        Returns:
            Boxes in ``bounding_box_format``.
        """
        predictions = ops.convert_to_tensor(predictions)
        self._check_predictions(predictions)
        return keras.utils.bounding_boxes.decode_deltas_to_boxes(
            ops.convert_to_tensor(self.anchors),
            ops.cast(predictions[..., :4], "float32"),
            anchor_format=self.bounding_box_format,
            box_format=self.bounding_box_format,
            variance=self.variance,
        )

    def decode(
        self,
        predictions: Any,
        confidence_threshold: float = 0.05,
        iou_threshold: float = 0.5,
        max_detections: int = 100,
    ) -> dict[str, Any]:
        """Detections after non-max suppression (keras-hub's ``NonMaxSuppression``).

        Class scores are the sigmoid of the logits; each anchor keeps its
        best class. Suppression is across classes (class-agnostic), as in
        keras-hub's layer. Needs ``keras-hub`` (``pip install
        'keras-dlkit[hub]'``).

        Args:
            predictions: ``(batch, num_anchors, 4 + num_classes)`` logits.
            confidence_threshold: Minimum score of a detection.
            iou_threshold: IoU above which the lower-scored box is removed.
            max_detections: Detections kept per image.

        Returns:
            A dict of ``"boxes"`` ``(batch, max_detections, 4)``,
            ``"confidence"`` and ``"labels"`` ``(batch, max_detections)`` and
            ``"num_detections"`` ``(batch,)``; slots past ``num_detections``
            hold -1.
        """
        try:
            from keras_hub.layers import NonMaxSuppression
        except ImportError as error:  # pragma: no cover - depends on extras
            raise ImportError(
                "AnchorBoxCoder.decode needs keras-hub for non-max suppression: "
                "pip install 'keras-dlkit[hub]'."
            ) from error
        confidence_threshold = check_float(
            "confidence_threshold", confidence_threshold, minimum=0.0, maximum=1.0
        )
        iou_threshold = check_float(
            "iou_threshold", iou_threshold, minimum=0.0, maximum=1.0
        )
        max_detections = check_int("max_detections", max_detections, minimum=1)
        predictions = ops.convert_to_tensor(predictions)
        boxes = self.decode_boxes(predictions)
        nms = NonMaxSuppression(
            bounding_box_format=self.bounding_box_format,
            from_logits=True,
            iou_threshold=iou_threshold,
            confidence_threshold=confidence_threshold,
            max_detections=max_detections,
        )
        return nms(boxes, ops.cast(predictions[..., 4:], "float32"))

    def _check_predictions(self, predictions) -> None:
        if (
            len(predictions.shape) != 3
            or predictions.shape[-1] is None
            or predictions.shape[-1] < 5
        ):
            raise ValueError(
                "`predictions` must be (batch, num_anchors, 4 + num_classes), got "
                f"shape {tuple(predictions.shape)}."
            )
        if (
            predictions.shape[1] is not None
            and predictions.shape[1] != self.num_anchors
        ):
            raise ValueError(
                f"`predictions` has {predictions.shape[1]} anchors but this coder "
                f"has {self.num_anchors}: build the coder for the same image size, "
                "strides, scales and ratios as the detector "
                "(AnchorBoxCoder.from_detector(model))."
            )
