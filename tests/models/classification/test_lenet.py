"""LeNet-5: the taught parameter count, a NumPy forward pass, arguments."""

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.models import create_model, feature_info, lenet5


def test_parameter_count_and_shapes():
    model = lenet5()
    assert model.count_params() == 61_706
    assert model.count_params() == (
        (5 * 5 * 1 * 6 + 6)
        + (5 * 5 * 6 * 16 + 16)
        + (5 * 5 * 16 * 120 + 120)
        + (120 * 84 + 84)
        + (84 * 10 + 10)
    )
    shapes = {
        name: model.get_layer(name).output.shape
        for name in ("c1", "s2", "c3", "s4", "c5", "f6", "predictions")
    }
    assert shapes == {
        "c1": (None, 28, 28, 6),
        "s2": (None, 14, 14, 6),
        "c3": (None, 10, 10, 16),
        "s4": (None, 5, 5, 16),
        "c5": (None, 1, 1, 120),
        "f6": (None, 84),
        "predictions": (None, 10),
    }
    assert [i["name"] for i in feature_info(model)] == ["stage_1", "stage_2", "stage_3"]


def test_forward_matches_numpy():
    model = lenet5(classifier_activation=None)
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 1)).astype("float32")

    def conv(h, name):
        kernel, bias = [to_np64(w) for w in model.get_layer(name).weights]
        windows = np.lib.stride_tricks.sliding_window_view(h, (5, 5), axis=(1, 2))
        return np.tanh(np.einsum("nhwcij,ijco->nhwo", windows, kernel) + bias)

    def pool(h):
        n, height, width, c = h.shape
        return h.reshape(n, height // 2, 2, width // 2, 2, c).mean(axis=(2, 4))

    h = conv(pool(conv(pool(conv(x.astype(np.float64), "c1")), "c3")), "c5")
    h = h.reshape(2, -1)
    kernel, bias = [to_np64(w) for w in model.get_layer("f6").weights]
    h = np.tanh(h @ kernel + bias)
    kernel, bias = [to_np64(w) for w in model.get_layer("predictions").weights]
    np.testing.assert_allclose(
        to_np64(model(x)), h @ kernel + bias, rtol=1e-4, atol=1e-5
    )


def test_headless_pooling_and_larger_inputs():
    assert lenet5(include_top=False).output_shape == (None, 1, 1, 120)
    assert lenet5(include_top=False, pooling="avg").output_shape == (None, 120)
    bigger = lenet5(input_shape=(36, 36, 3), num_classes=4)
    assert bigger.get_layer("c5").output.shape == (None, 2, 2, 120)
    assert bigger.output_shape == (None, 4)
    relu = create_model("lenet5", activation="relu")
    assert relu.get_layer("c1").activation is keras.activations.relu


def test_weights_from_a_file(tmp_path):
    trained = lenet5()
    path = str(tmp_path / "lenet.weights.h5")
    trained.save_weights(path)
    loaded = lenet5(weights=path)
    for a, b in zip(loaded.weights, trained.weights, strict=True):
        np.testing.assert_array_equal(to_np64(a), to_np64(b))
    with pytest.raises(ValueError, match="imagenet"):
        lenet5(weights="imagenet")


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (28, 28, 1)}, "input_shape"),  # pad MNIST to 32x32
        ({"input_shape": (None, None, 1)}, "input_shape"),  # the top flattens
        ({"num_classes": 0}, "num_classes"),
        ({"include_top": False, "pooling": "gap"}, "pooling"),
        ({"activation": "tanhh"}, "activation"),
        ({"include_top": "yes"}, "include_top"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        lenet5(**kwargs)
