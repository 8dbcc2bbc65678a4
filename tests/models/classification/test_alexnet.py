"""AlexNet (single tower): torchvision's parameter count, shapes, arguments."""

import keras
import numpy as np
import pytest

from keras_dlkit.models import alexnet, feature_info


def test_parameter_count_matches_torchvision():
    model = alexnet()
    assert model.count_params() == 61_100_840
    shapes = {
        name: model.get_layer(name).output.shape
        for name in ("conv1", "pool1", "pool2", "conv5", "pool5", "flatten")
    }
    assert shapes == {
        "conv1": (None, 55, 55, 64),
        "pool1": (None, 27, 27, 64),
        "pool2": (None, 13, 13, 192),
        "conv5": (None, 13, 13, 256),
        "pool5": (None, 6, 6, 256),
        "flatten": (None, 9216),
    }
    assert [i["stride"] for i in feature_info(model)] == [8, 17, 37]


def test_small_inputs_and_headless():
    small = {"width_multiplier": 0.125, "dense_units": 16, "num_classes": 3}
    a = alexnet(input_shape=(63, 63, 3), **small)
    assert a.get_layer("pool5").output.shape == (None, 1, 1, 32)
    assert a.get_layer("fc1").input.shape == (None, 32)
    x = np.random.default_rng(0).uniform(size=(2, 63, 63, 3)).astype("float32")
    probabilities = keras.ops.convert_to_numpy(a(x))
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)
    headless = alexnet(input_shape=(None, None, 3), include_top=False, pooling="max")
    assert headless.output_shape == (None, 256)


def test_explicit_padding_matches_torchvision_arithmetic():
    # torch: out = floor((n + 2 * 2 - 11) / 4) + 1 for conv1.
    for n in (63, 64, 67, 100, 227):
        model = alexnet(
            input_shape=(n, n, 3), include_top=False, width_multiplier=0.125
        )
        assert model.get_layer("conv1").output.shape[1] == (n + 4 - 11) // 4 + 1


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (62, 62, 3)}, "input_shape"),
        ({"input_shape": (None, None, 3)}, "input_shape"),
        ({"num_classes": 0}, "num_classes"),
        ({"include_top": False, "pooling": "min"}, "pooling"),
        ({"dense_units": 0}, "dense_units"),
        ({"dropout": -0.5}, "dropout"),
        ({"weights": "imagenet", "width_multiplier": 1.0}, "weights"),
    ],
)
def test_bad_arguments(kwargs, argument):
    base = {"input_shape": (64, 64, 3), "width_multiplier": 0.125, "dense_units": 8}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        alexnet(**base)
