"""Detection loss against a NumPy reference."""

import keras
import numpy as np
import pytest

from keras_dlkit.losses import DetectionLoss, detection_loss


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def reference(
    y_true, y_pred, num_classes, alpha=0.25, gamma=2.0, box_weight=1.0, delta=1.0
):
    out = []
    for t, p in zip(y_true, y_pred, strict=True):
        labels = t[:, 4]
        probs = _sigmoid(p[:, 4:])
        total = 0.0
        for anchor, label in enumerate(labels):
            if label == -2:
                continue
            target = np.zeros(num_classes)
            if label >= 0:
                target[int(label)] = 1.0
            for c in range(num_classes):
                pc = np.clip(probs[anchor, c], 1e-7, 1 - 1e-7)
                p_t = pc if target[c] else 1 - pc
                a_t = alpha if target[c] else 1 - alpha
                total += -a_t * (1 - p_t) ** gamma * np.log(p_t)
            if label >= 0:
                err = np.abs(t[anchor, :4] - p[anchor, :4])
                huber = np.where(
                    err <= delta, 0.5 * err**2, delta * (err - 0.5 * delta)
                )
                total += box_weight * huber.sum()
        out.append(total / max(1, np.sum(labels >= 0)))
    return np.array(out)


def _data(seed=0, num_classes=3):
    rng = np.random.default_rng(seed)
    y_true = np.zeros((2, 12, 5), "float32")
    y_true[..., :4] = rng.normal(size=(2, 12, 4))
    # A mix of ignored (-2), background (-1) and positive anchors.
    y_true[..., 4] = rng.choice([-2, -1, -1, *range(num_classes)], size=(2, 12))
    y_true[1, :, 4] = -1  # an image without objects: normalised by 1
    y_true[1, 0, 4] = -2
    y_pred = rng.normal(size=(2, 12, 4 + num_classes)).astype("float32") * 2
    return y_true, y_pred


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"alpha": 0.5, "gamma": 0.0}, {"box_weight": 2.5, "delta": 0.3}],
)
def test_matches_numpy_reference(kwargs):
    y_true, y_pred = _data()
    expected = reference(y_true, y_pred, 3, **kwargs)
    actual = keras.ops.convert_to_numpy(detection_loss(y_true, y_pred, 3, **kwargs))
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6)


def test_ignored_anchors_do_not_count_and_class_reduces():
    y_true, y_pred = _data(1)
    ignored = y_true.copy()
    ignored[0, :, 4] = np.where(ignored[0, :, 4] == -1, -2, ignored[0, :, 4])
    changed = y_pred.copy()
    changed[0, ignored[0, :, 4] == -2] += 5.0  # any prediction on ignored anchors
    a = keras.ops.convert_to_numpy(detection_loss(ignored, y_pred, 3))
    b = keras.ops.convert_to_numpy(detection_loss(ignored, changed, 3))
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
    loss = DetectionLoss(num_classes=3)
    np.testing.assert_allclose(
        float(loss(y_true, y_pred)), reference(y_true, y_pred, 3).mean(), rtol=1e-4
    )
    restored = DetectionLoss.from_config(loss.get_config())
    assert (restored.num_classes, restored.alpha, restored.gamma) == (3, 0.25, 2.0)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"num_classes": 0}, "num_classes"),
        ({"alpha": 1.5}, "alpha"),
        ({"gamma": -1.0}, "gamma"),
        ({"box_weight": -1.0}, "box_weight"),
        ({"delta": 0.0}, "delta"),
    ],
)
def test_bad_arguments_raise(kwargs, argument):
    base = {"num_classes": 2}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        DetectionLoss(**base)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="`y_true`"):
        detection_loss(np.zeros((1, 4, 5)), np.zeros((1, 4, 6)), num_classes=1)
