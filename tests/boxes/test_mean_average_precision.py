"""mean_average_precision against hand-computed values."""

import numpy as np
import pytest

from keras_dlkit.utils import mean_average_precision

TRUTH = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]], "float32")]
TRUTH_LABELS = [np.array([0, 0])]


def test_perfect_detections_score_one():
    assert (
        mean_average_precision(TRUTH, TRUTH_LABELS, TRUTH, TRUTH_LABELS, [np.ones(2)])
        == 1.0
    )


def test_hand_computed_precision_recall_curve():
    # Ranked: TP (IoU 1), FP (no overlap), TP (IoU 0.81), duplicate of box 0 (FP).
    found = [
        np.array([[0, 0, 10, 10], [50, 50, 60, 60], [21, 21, 30, 30], [0, 0, 10, 9]])
    ]
    scores = [np.array([0.9, 0.8, 0.7, 0.6])]
    # precision 1, 1/2, 2/3, 1/2 at recall 1/2, 1/2, 1, 1; envelope 1 then 2/3.
    value = mean_average_precision(TRUTH, TRUTH_LABELS, found, [np.zeros(4)], scores)
    np.testing.assert_allclose(value, 0.5 * 1 + 0.5 * 2 / 3)
    # At IoU 0.85 the third detection misses: AP = 1/2 (recall stops at 1/2).
    strict = mean_average_precision(
        TRUTH, TRUTH_LABELS, found, [np.zeros(4)], scores, iou_threshold=0.85
    )
    np.testing.assert_allclose(strict, 0.5)
    both = mean_average_precision(
        TRUTH, TRUTH_LABELS, found, [np.zeros(4)], scores, iou_threshold=[0.5, 0.85]
    )
    np.testing.assert_allclose(both, (5 / 6 + 0.5) / 2)


def test_voc_rule_best_overlap_already_matched_is_a_false_positive():
    truth = [np.array([[0, 0, 10, 10], [0, 0, 10, 12]], "float32")]
    # Both detections overlap box 1 most; the second cannot take box 0.
    found = [np.array([[0, 0, 10, 12], [0, 0, 10, 11.9]], "float32")]
    value = mean_average_precision(
        truth, [np.array([0, 0])], found, [np.array([0, 0])], [np.array([0.9, 0.8])]
    )
    np.testing.assert_allclose(value, 0.5)


def test_classes_are_averaged_and_padding_is_dropped():
    truth = np.array([[[0, 0, 10, 10], [20, 20, 30, 30], [-1, -1, -1, -1]]], "float32")
    truth_labels = np.array([[0, 1, -1]])
    found = np.array([[[0, 0, 10, 10], [20, 20, 30, 30], [-1, -1, -1, -1]]], "float32")
    # Class 0 found; the class-1 box is detected with the wrong label.
    value, per_class = mean_average_precision(
        truth,
        truth_labels,
        found,
        np.array([[0, 2, -1]]),
        np.array([[0.9, 0.8, -1]]),
        return_per_class=True,
    )
    assert per_class == {0: 1.0, 1: 0.0}
    assert value == 0.5


def test_other_box_format_and_several_images():
    truth_xywh = [
        np.array([[0, 0, 10, 10]], "float32"),
        np.array([[5, 5, 4, 4]], "float32"),
    ]
    found = [np.array([[0, 0, 10, 10]], "float32"), np.array([[5, 5, 4, 4]], "float32")]
    labels = [np.array([0]), np.array([0])]
    value = mean_average_precision(
        truth_xywh,
        labels,
        found,
        labels,
        [np.array([0.5]), np.array([0.6])],
        bounding_box_format="xywh",
    )
    assert value == 1.0


def test_no_ground_truth_is_nan_and_bad_arguments_raise():
    empty = [np.zeros((0, 4))]
    assert np.isnan(
        mean_average_precision(
            empty, [np.zeros(0)], empty, [np.zeros(0)], [np.zeros(0)]
        )
    )
    with pytest.raises(ValueError, match="`iou_threshold`"):
        mean_average_precision(
            TRUTH, TRUTH_LABELS, TRUTH, TRUTH_LABELS, [np.ones(2)], iou_threshold=0
        )
    with pytest.raises(ValueError, match="`pred_scores`"):
        mean_average_precision(
            TRUTH, TRUTH_LABELS, TRUTH, TRUTH_LABELS, [np.ones(2)] * 2
        )
