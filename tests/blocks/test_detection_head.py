"""DetectionHead: the harness, equality with plain Keras layers, prior bias."""

import math

import keras
import numpy as np
import pytest
from _tolerance import assert_close_to_scale

from keras_dlkit.blocks import DetectionHead
from keras_dlkit.testing import TestCase


class DetectionHeadTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            DetectionHead,
            {"num_classes": 3, "num_anchors": 2, "channels": 4, "num_convs": 1},
            input_shape=(2, 3, 5, 6),
            expected_output_shape=(2, 3 * 5 * 2, 7),
            expected_num_trainable_weights=2 * 2 + 2 * 2,
        )

    def test_matches_plain_keras_layers(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, 4, 3, 5)).astype("float32")
        head = DetectionHead(num_classes=2, num_anchors=3, channels=4, num_convs=2)
        out = keras.ops.convert_to_numpy(head(x))

        def run(tower, output, h):
            for conv in tower:
                ref = keras.layers.Conv2D(4, 3, padding="same", activation="relu")
                ref.build(h.shape)
                ref.set_weights(conv.get_weights())
                h = ref(h)
            ref = keras.layers.Conv2D(output.filters, 3, padding="same")
            ref.build(h.shape)
            ref.set_weights(output.get_weights())
            return keras.ops.convert_to_numpy(ref(h))

        boxes = run(head.box_tower, head.box_output, x)  # (2, 4, 3, 12)
        classes = run(head.class_tower, head.class_output, x)  # (2, 4, 3, 6)
        # Anchor k of cell (i, j) is row (i * 3 + j) * 3 + k.
        expected = np.concatenate(
            [boxes.reshape(2, 4, 3, 3, 4), classes.reshape(2, 4, 3, 3, 2)], -1
        ).reshape(2, 36, 6)
        # Convolution outputs: compared at the scale of the whole output.
        assert_close_to_scale(out, expected)

    def test_prior_probability_sets_the_initial_scores(self):
        head = DetectionHead(
            num_classes=1, num_anchors=1, channels=2, prior_probability=0.01
        )
        out = keras.ops.convert_to_numpy(head(np.zeros((1, 2, 2, 3), "float32")))
        np.testing.assert_allclose(1 / (1 + np.exp(-out[..., 4])), 0.01, rtol=1e-5)
        bias = keras.ops.convert_to_numpy(head.class_output.bias)
        np.testing.assert_allclose(bias, -math.log(99.0), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"num_classes": 0}, "num_classes"),
        ({"num_anchors": 0}, "num_anchors"),
        ({"channels": 0}, "channels"),
        ({"num_convs": -1}, "num_convs"),
        ({"prior_probability": 1.0}, "prior_probability"),
    ],
)
def test_bad_arguments_raise(kwargs, argument):
    base = {"num_classes": 1, "num_anchors": 1}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        DetectionHead(**base)
