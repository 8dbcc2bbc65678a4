"""Soft Dice / soft Jaccard losses against NumPy references and keras.losses.Dice."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.losses import (
    SoftDiceLoss,
    SoftJaccardLoss,
    soft_dice_loss,
    soft_jaccard_loss,
)

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(3, 5, 4, 3)).astype("float32") * 2
LABELS = RNG.integers(0, 3, size=(3, 5, 4))
LABELS[2] = 0  # an image where classes 1 and 2 are absent
del RNG  # drawn once at import; tests draw from their own `rng` fixture


def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def reference(kind, labels, probs, smooth=1.0, include_background=True):
    onehot = np.eye(probs.shape[-1])[labels]
    if not include_background:
        onehot, probs = onehot[..., 1:], probs[..., 1:]
    scores = []
    for t, p in zip(onehot, probs, strict=True):
        per_class = []
        for c in range(p.shape[-1]):
            inter = np.sum(t[..., c] * p[..., c])
            total = np.sum(t[..., c]) + np.sum(p[..., c])
            if kind == "dice":
                per_class.append((2 * inter + smooth) / (total + smooth))
            else:
                per_class.append((inter + smooth) / (total - inter + smooth))
        scores.append(1 - np.mean(per_class))
    return np.array(scores)


@pytest.mark.parametrize("kind", ["dice", "jaccard"])
@pytest.mark.parametrize(
    "kwargs", [{}, {"smooth": 0.0}, {"include_background": False}, {"smooth": 5.0}]
)
def test_multiclass_matches_numpy(kind, kwargs):
    function = soft_dice_loss if kind == "dice" else soft_jaccard_loss
    probs = np_softmax(LOGITS)
    expected = reference(kind, LABELS, probs, **kwargs)
    # From logits and integer masks, from probabilities and one-hot masks,
    # and with (batch, h, w, 1) integer masks: all the same.
    for y_true, y_pred, logits in (
        (LABELS, LOGITS, True),
        (np.eye(3)[LABELS], probs, False),
        (LABELS[..., None], probs, False),
    ):
        actual = to_np(function(y_true, y_pred, from_logits=logits, **kwargs))
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_binary_with_sigmoid_equals_keras_dice_without_smoothing():
    logits = LOGITS[..., :1]
    mask = (LABELS == 1).astype("float32")
    probs = 1 / (1 + np.exp(-logits))
    ours = to_np(soft_dice_loss(mask, logits, from_logits=True, smooth=0.0))
    keras_dice = to_np(
        keras.losses.Dice(axis=(1, 2, 3), reduction=None)(mask[..., None], probs)
    )
    np.testing.assert_allclose(ours, keras_dice, rtol=1e-5)


def test_perfect_and_empty_predictions():
    onehot = np.eye(3)[LABELS].astype("float32")
    np.testing.assert_allclose(to_np(soft_dice_loss(LABELS, onehot)), 0.0, atol=1e-6)
    np.testing.assert_allclose(to_np(soft_jaccard_loss(LABELS, onehot)), 0.0, atol=1e-6)
    # An image without foreground predicted as such scores 1 with smoothing.
    empty = np.zeros((1, 4, 4, 1), "float32")
    np.testing.assert_allclose(to_np(soft_dice_loss(empty, empty)), 0.0, atol=1e-6)


def test_loss_classes_reduce_serialize_and_train(rng):
    loss = SoftJaccardLoss(from_logits=True, smooth=0.5, include_background=False)
    expected = reference(
        "jaccard", LABELS, np_softmax(LOGITS), smooth=0.5, include_background=False
    )
    np.testing.assert_allclose(float(loss(LABELS, LOGITS)), expected.mean(), rtol=1e-5)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, SoftJaccardLoss)
    assert (restored.from_logits, restored.smooth, restored.include_background) == (
        True,
        0.5,
        False,
    )
    inputs = keras.Input((5, 4, 2))
    model = keras.Model(inputs, keras.layers.Conv2D(3, 1)(inputs))
    model.compile(
        optimizer=keras.optimizers.SGD(0.1), loss=SoftDiceLoss(from_logits=True)
    )
    x = rng.normal(size=(3, 5, 4, 2)).astype("float32")
    history = model.fit(x, LABELS, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"smooth": -1.0}, "smooth"),
        ({"from_logits": 1}, "from_logits"),
        ({"include_background": "no"}, "include_background"),
    ],
)
def test_bad_arguments_raise(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        SoftDiceLoss(**kwargs)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="`y_pred`"):
        soft_dice_loss(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="`include_background`"):
        soft_dice_loss(
            np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 1)), include_background=False
        )
