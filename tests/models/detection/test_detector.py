"""Detector: anchors, target encoding, decoding with NMS, the builder, overfitting."""

import keras
import numpy as np
import pytest
from _helpers import to_np

import keras_dlkit
from keras_dlkit.losses import DetectionLoss
from keras_dlkit.models import AnchorBoxCoder, detector
from keras_dlkit.utils import mean_average_precision


def _single_anchor_coder(**kwargs):
    # 16x16 image, one level of stride 8: 2x2 cells, one 16x16 anchor each.
    return AnchorBoxCoder(
        (16, 16),
        strides=(8,),
        anchor_size=2.0,
        anchor_scales=(1.0,),
        aspect_ratios=(1.0,),
        **kwargs,
    )


def test_anchor_layout_by_hand():
    coder = AnchorBoxCoder(
        (16, 16),
        strides=(8,),
        anchor_size=2.0,
        anchor_scales=(1.0, 2.0),
        aspect_ratios=(1.0, 4.0),
    )
    assert coder.anchors_per_location == 4 and coder.num_anchors == 16
    # Cell (0, 0), centre (y, x) = (4, 4): scale-major, then ratio (w/h).
    np.testing.assert_allclose(
        coder.anchors[:4],
        [[-4, -4, 12, 12], [-12, 0, 20, 8], [-12, -12, 20, 20], [-28, -4, 36, 12]],
    )
    # Cell (0, 1) comes next (row-major): centre (y, x) = (4, 12).
    np.testing.assert_allclose(coder.anchors[4], [4, -4, 20, 12])
    yxyx = AnchorBoxCoder(
        (16, 16),
        strides=(8,),
        anchor_size=2.0,
        anchor_scales=(1.0, 2.0),
        aspect_ratios=(1.0, 4.0),
        bounding_box_format="yxyx",
    )
    np.testing.assert_allclose(yxyx.anchors[4], [-4, 4, 12, 20])


def test_encode_by_hand():
    coder = _single_anchor_coder(negative_iou=0.3)
    # Anchors: A0 [-4,-4,12,12], A1 [4,-4,20,12], A2 [-4,4,12,20], A3 [4,4,20,20].
    boxes = np.array([[-4, -4, 12, 12], [13, 13, 17, 17], [-1, -1, -1, -1]], "float32")
    labels = np.array([1, 0, -1])
    targets = to_np(coder.encode(boxes, labels))[0]
    # A0 = box 0 exactly; A1, A2 overlap it with IoU 1/3 (ignored, between
    # 0.3 and 0.5); A3's IoUs are 1/7 and 1/16, but it is the best anchor of
    # the small box 1, so it is forced positive for box 1, not box 0.
    np.testing.assert_array_equal(targets[:, 4], [1, -2, -2, 0])
    np.testing.assert_allclose(targets[0, :4], 0.0, atol=1e-6)
    np.testing.assert_allclose(targets[1:3, :4], 0.0)
    # centre (15, 15) vs (12, 12), size 4 vs 16, variance (0.1, 0.1, 0.2, 0.2).
    d = 3 / 16 / 0.1
    s = np.log(4 / 16) / 0.2
    np.testing.assert_allclose(targets[3, :4], [d, d, s, s], rtol=1e-5)


def test_encode_background_and_batched_padding():
    coder = _single_anchor_coder()
    boxes = np.array(
        [[[-4, -4, 12, 12], [0, 0, 0, 0]], [[-1, -1, -1, -1], [-1, -1, -1, -1]]],
        "float32",
    )
    labels = np.array([[0, -1], [-1, -1]])
    targets = to_np(coder.encode(boxes, labels))
    np.testing.assert_array_equal(targets[0, :, 4], [0, -1, -1, -1])
    np.testing.assert_array_equal(targets[1, :, 4], [-1, -1, -1, -1])  # no objects


@pytest.mark.parametrize("box_format", ["xyxy", "yxyx", "center_xywh"])
def test_encode_decode_round_trip(box_format):
    coder = AnchorBoxCoder((64, 64), strides=(8, 16), bounding_box_format=box_format)
    xyxy = np.array([[3, 5, 20, 30], [30, 28, 62, 50], [40, 2, 52, 14]], "float32")
    boxes = to_np(
        keras.utils.bounding_boxes.convert_format(
            xyxy, source="xyxy", target=box_format
        )
    )
    targets = to_np(coder.encode(boxes[None], np.array([[0, 1, 2]])))[0]
    positive = targets[:, 4] >= 0
    assert set(targets[positive, 4].astype(int)) == {0, 1, 2}
    predictions = np.concatenate([targets[:, :4], np.zeros((len(targets), 3))], -1)
    decoded = to_np(coder.decode_boxes(predictions[None]))[0]
    # Every positive anchor decodes to exactly its matched box.
    expected = boxes[targets[positive, 4].astype(int)]
    np.testing.assert_allclose(decoded[positive], expected, atol=1e-3)


def test_decode_runs_keras_hub_nms_by_hand():
    pytest.importorskip("keras_hub")
    coder = _single_anchor_coder()
    predictions = np.zeros((1, 4, 5), "float32")  # zero deltas: boxes = anchors
    predictions[0, :, 4] = [3.0, 2.0, 1.0, 0.0]
    # IoU(A0, A1) = IoU(A0, A2) = 1/3, IoU(A0, A3) = 1/7.
    loose = {
        k: to_np(v) for k, v in coder.decode(predictions, iou_threshold=0.5).items()
    }
    assert int(loose["num_detections"][0]) == 4
    np.testing.assert_allclose(
        loose["confidence"][0, :4],
        1 / (1 + np.exp(-np.array([3.0, 2.0, 1.0, 0.0]))),
        rtol=1e-5,
    )
    np.testing.assert_allclose(loose["boxes"][0, :4], coder.anchors, atol=1e-4)
    tight = {
        k: to_np(v) for k, v in coder.decode(predictions, iou_threshold=0.3).items()
    }
    assert int(tight["num_detections"][0]) == 2  # A1, A2 suppressed by A0
    np.testing.assert_allclose(tight["boxes"][0, :2], coder.anchors[[0, 3]], atol=1e-4)
    np.testing.assert_array_equal(tight["labels"][0, :2], [0, 0])
    assert np.all(tight["labels"][0, 2:] == -1)
    few = coder.decode(predictions, confidence_threshold=0.8, max_detections=2)
    assert int(to_np(few["num_detections"])[0]) == 2  # scores 0.95, 0.88


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"image_shape": (16,)}, "image_shape"),
        ({"strides": ()}, "strides"),
        ({"anchor_size": 0}, "anchor_size"),
        ({"anchor_scales": ()}, "anchor_scales"),
        ({"aspect_ratios": (0.0,)}, "aspect_ratios"),
        ({"bounding_box_format": "rel_xyxy"}, "bounding_box_format"),
        ({"positive_iou": 1.5}, "positive_iou"),
        ({"negative_iou": 0.6}, "negative_iou"),
        ({"variance": (1.0, 1.0)}, "variance"),
    ],
)
def test_coder_bad_arguments_raise(kwargs, argument):
    base = {"image_shape": (16, 16), "strides": (8,)}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        AnchorBoxCoder(**base)


def test_coder_rejects_other_anchor_count_and_config_round_trip():
    coder = _single_anchor_coder()
    with pytest.raises(ValueError, match="`predictions` has 5 anchors"):
        coder.decode_boxes(np.zeros((1, 5, 5), "float32"))
    copy = AnchorBoxCoder.from_config(coder.get_config())
    np.testing.assert_array_equal(copy.anchors, coder.anchors)


# --------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_detector():
    return detector(
        (32, 32, 3),
        num_classes=3,
        backbone_filters=(4, 4, 4, 4),
        pyramid_channels=8,
        head_convs=1,
    )


def test_builder_levels_and_coder(tiny_detector):
    coder = AnchorBoxCoder.from_detector(tiny_detector)
    assert coder.strides == (4, 8, 16)  # the three deepest stages
    assert coder.num_anchors == (8 * 8 + 4 * 4 + 2 * 2) * 9
    assert tiny_detector.output_shape == (None, coder.num_anchors, 7)
    assert "detector" in keras_dlkit.models.list_models(family="cnn")
    with pytest.raises(ValueError, match="predicts 9 anchors"):
        AnchorBoxCoder.from_detector(tiny_detector, aspect_ratios=(1.0,))
    with pytest.raises(ValueError, match="`model`"):
        AnchorBoxCoder.from_detector(keras_dlkit.models.mlp((3,), 2))
    # The three levels go through one shared head: one set of head weights.
    head = tiny_detector.get_layer("head")
    assert len(head.trainable_weights) == 2 * 2 + 2 * 2
    out = to_np(tiny_detector(np.zeros((1, 32, 32, 3), "float32")))
    np.testing.assert_allclose(1 / (1 + np.exp(-out[..., 4:])), 0.01, rtol=1e-3)


def test_builder_on_a_given_backbone_and_stages():
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="stem")(inputs)
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same", name="stage_1")(x)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="stage_2")(x)
    backbone = keras.Model(inputs, x, name="tiny")
    model = detector(
        backbone=backbone,
        stages=("stem", "stage_2"),
        pyramid_channels=8,
        head_convs=0,
        anchor_scales=(1.0,),
        aspect_ratios=(1.0, 2.0),
    )
    coder = AnchorBoxCoder.from_detector(
        model, anchor_scales=(1.0,), aspect_ratios=(1.0, 2.0)
    )
    assert coder.strides == (2, 8)
    assert model.output_shape == (None, (16 * 16 + 4 * 4) * 2, 5)
    assert model.get_layer("top_down_stem").size == (4, 4)
    assert len(model.get_layer("head").trainable_weights) == 4  # no tower


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (None, None, 3)}, "input_shape"),
        ({"input_shape": (36, 36, 3)}, "input_shape"),
        ({"num_classes": 0}, "num_classes"),
        ({"backbone": "resnet18"}, "backbone"),
        ({"backbone_filters": (4,)}, "backbone_filters"),
        ({"batch_norm": 1}, "batch_norm"),
        ({"pyramid_channels": 0}, "pyramid_channels"),
        ({"head_convs": -1}, "head_convs"),
        ({"anchor_scales": ()}, "anchor_scales"),
        ({"stages": ("stage_7",)}, "stages"),
        ({"weights": "imagenet"}, "weights"),
    ],
)
def test_builder_bad_arguments_raise(kwargs, argument):
    base = {"input_shape": (32, 32, 3), "backbone_filters": (4, 4, 4)}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        detector(**base)


def test_builder_on_resnet18():
    build = keras_dlkit.models.resnet18
    backbone = build(input_shape=(64, 64, 3), include_top=False)
    model = detector(backbone=backbone, num_classes=2, pyramid_channels=8, head_convs=1)
    coder = AnchorBoxCoder.from_detector(model)
    deepest = [i["stride"] for i in keras_dlkit.models.feature_info(backbone)][-3:]
    assert coder.strides == tuple(deepest)
    assert model.output_shape == (None, coder.num_anchors, 6)


def test_overfits_one_image():
    keras.utils.set_random_seed(0)
    image = np.zeros((1, 32, 32, 1), "float32")
    image[0, 3:13, 2:12] = 1.0
    image[0, 14:26, 16:30] = 0.5
    boxes = np.array([[[2, 3, 12, 13], [16, 14, 30, 26]]], "float32")
    labels = np.array([[0, 1]])
    model = detector(
        (32, 32, 1),
        num_classes=2,
        backbone_filters=(8, 8, 16),
        batch_norm=False,
        pyramid_channels=16,
        head_convs=0,  # no tower: no dead ReLU at this tiny width
        anchor_scales=(1.0,),
        aspect_ratios=(1.0,),
    )
    coder = AnchorBoxCoder.from_detector(
        model, anchor_scales=(1.0,), aspect_ratios=(1.0,)
    )
    targets = to_np(coder.encode(boxes, labels))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=DetectionLoss(2))
    # One epoch of 150 one-image steps (cheaper than 150 epochs).
    model.fit(
        np.repeat(image, 150, 0), np.repeat(targets, 150, 0), batch_size=1, verbose=0
    )
    predictions = to_np(model(image))
    # Every positive anchor scores its class above every background anchor.
    scores = 1 / (1 + np.exp(-predictions[0, :, 4:]))
    positive = targets[0, :, 4] >= 0
    own = scores[positive, targets[0, positive, 4].astype(int)]
    assert own.min() > scores[~positive].max()
    decoded = to_np(coder.decode_boxes(predictions))[0]
    # The positive anchors regress onto their boxes.
    expected = boxes[0][[0 if c == 0 else 1 for c in targets[0, positive, 4]]]
    np.testing.assert_allclose(decoded[positive], expected, atol=1.5)
    pytest.importorskip("keras_hub")
    found = {k: to_np(v) for k, v in coder.decode(predictions).items()}
    score = mean_average_precision(
        boxes, labels, found["boxes"], found["labels"], found["confidence"]
    )
    assert score == 1.0
