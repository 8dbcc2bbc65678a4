"""The shared prediction head of a single-stage (RetinaNet-style) detector."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float, check_int


@keras_dlkit_export("keras_dlkit.blocks.DetectionHead")
class DetectionHead(keras.layers.Layer):
    """Box and class predictions for every anchor of one feature map.

    Two towers of ``num_convs`` 3x3 convolutions with ReLU (one for boxes,
    one for classes), then a 3x3 convolution to ``num_anchors * 4`` box
    deltas and one to ``num_anchors * num_classes`` class logits, as in
    RetinaNet (Lin et al., 2017). The class bias starts at
    ``-log((1 - prior_probability) / prior_probability)`` so every anchor
    first predicts foreground with probability ``prior_probability``, which
    keeps the focal loss stable at the start. One head is shared by all
    pyramid levels (call it on each).

    The output concatenates, per anchor, the 4 box deltas and the
    ``num_classes`` logits; anchors are ordered row by row, column by
    column, then anchor by anchor, the order of
    :class:`keras_dlkit.boxes.AnchorBoxCoder`.

    Args:
        num_classes: Number of object classes (no background class), >= 1.
        num_anchors: Anchors per feature-map location, >= 1.
        channels: Channels of the tower convolutions.
        num_convs: Convolutions per tower (RetinaNet: 4), >= 0.
        prior_probability: Initial foreground probability, in (0, 1).
        **kwargs: Base layer arguments.

    Input shape: ``(batch, height, width, channels_in)``.

    Output shape: ``(batch, height * width * num_anchors, 4 + num_classes)``.

    Example:

    >>> import keras
    >>> from keras_dlkit.blocks import DetectionHead
    >>> head = DetectionHead(num_classes=2, num_anchors=3, channels=8, num_convs=1)
    >>> tuple(head(keras.ops.zeros((1, 4, 5, 16))).shape)
    (1, 60, 6)
    """

    def __init__(
        self,
        num_classes: int,
        num_anchors: int,
        channels: int = 64,
        num_convs: int = 2,
        prior_probability: float = 0.01,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_classes = check_int("num_classes", num_classes, minimum=1)
        self.num_anchors = check_int("num_anchors", num_anchors, minimum=1)
        self.channels = check_int("channels", channels, minimum=1)
        self.num_convs = check_int("num_convs", num_convs, minimum=0)
        self.prior_probability = check_float(
            "prior_probability",
            prior_probability,
            minimum=0.0,
            maximum=1.0,
            min_inclusive=False,
            max_inclusive=False,
        )

        def tower(kind):
            return [
                keras.layers.Conv2D(
                    channels,
                    3,
                    padding="same",
                    activation="relu",
                    kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
                    name=f"{kind}_conv{i}",
                    dtype=self.dtype_policy,
                )
                for i in range(1, num_convs + 1)
            ]

        self.box_tower = tower("box")
        self.class_tower = tower("class")
        self.box_output = keras.layers.Conv2D(
            num_anchors * 4,
            3,
            padding="same",
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
            name="box_output",
            dtype=self.dtype_policy,
        )
        bias = -math.log((1.0 - self.prior_probability) / self.prior_probability)
        self.class_output = keras.layers.Conv2D(
            num_anchors * num_classes,
            3,
            padding="same",
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
            bias_initializer=keras.initializers.Constant(bias),
            name="class_output",
            dtype=self.dtype_policy,
        )

    def build(self, input_shape) -> None:
        for layers, output in (
            (self.box_tower, self.box_output),
            (self.class_tower, self.class_output),
        ):
            shape = tuple(input_shape)
            for conv in layers:
                conv.build(shape)
                shape = conv.compute_output_shape(shape)
            output.build(shape)
        self.built = True

    def call(self, inputs):
        boxes, classes = inputs, inputs
        for conv in self.box_tower:
            boxes = conv(boxes)
        for conv in self.class_tower:
            classes = conv(classes)
        batch = ops.shape(inputs)[0]
        boxes = ops.reshape(self.box_output(boxes), (batch, -1, 4))
        classes = ops.reshape(self.class_output(classes), (batch, -1, self.num_classes))
        return ops.concatenate([boxes, classes], axis=-1)

    def compute_output_shape(self, input_shape) -> tuple:
        batch, height, width = input_shape[0], input_shape[1], input_shape[2]
        count = (
            None
            if height is None or width is None
            else height * width * self.num_anchors
        )
        return (batch, count, 4 + self.num_classes)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "num_anchors": self.num_anchors,
            "channels": self.channels,
            "num_convs": self.num_convs,
            "prior_probability": self.prior_probability,
        }
