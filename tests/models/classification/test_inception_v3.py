"""Inception-v3: keras.applications' parameter count and outputs, stages, arguments."""

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.models import feature_info, from_keras_applications, inception_v3
from keras_dlkit.models.interop import convertible_names

#: Trainable parameters of keras.applications.InceptionV3 at its defaults
#: (299x299x3, 1000 classes, top included).
KERAS_TRAINABLE = 23_817_352


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def assert_converted_matches(source, input_shape, seed=0):
    rng = np.random.default_rng(seed)
    for layer in source.layers:  # Random statistics, so batch norms matter.
        if isinstance(layer, keras.layers.BatchNormalization):
            beta, mean, variance = layer.get_weights()
            layer.set_weights(
                [
                    rng.normal(0.0, 0.2, size=beta.shape).astype("float32"),
                    rng.normal(0.0, 0.2, size=mean.shape).astype("float32"),
                    rng.uniform(0.5, 1.5, size=variance.shape).astype("float32"),
                ]
            )
    ours = from_keras_applications(source)
    x = rng.uniform(-1.0, 1.0, size=(2, *input_shape)).astype("float32")
    expected, actual = to_np64(source(x)), to_np64(ours(x))
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, atol=1e-4, rtol=1e-4)
    assert trainable(ours) == trainable(source)
    return ours


def test_converts_with_top_at_the_smallest_input():
    # 75x75 with the 1000-class top holds exactly the parameters of 299x299.
    assert "inception_v3" in convertible_names()
    source = keras.applications.InceptionV3(weights=None, input_shape=(75, 75, 3))
    ours = assert_converted_matches(source, (75, 75, 3))
    assert trainable(ours) == KERAS_TRAINABLE
    assert ours.count_params() == source.count_params()
    for i in range(11):  # The modules keep keras.applications' names.
        assert ours.get_layer(f"mixed{i}").output.shape == (
            source.get_layer(f"mixed{i}").output.shape
        )


def test_stage_outputs():
    model = inception_v3(
        input_shape=(299, 299, 3), include_top=False, width_multiplier=0.125
    )
    sizes = [tuple(model.get_layer(n).output.shape[1:3]) for n in ("stem", "stage_1")]
    sizes += [tuple(model.get_layer(f"stage_{i}").output.shape[1:3]) for i in (2, 3, 4)]
    assert sizes == [(147, 147), (71, 71), (35, 35), (17, 17), (8, 8)]
    info = feature_info(model)
    assert [i["name"] for i in info] == ["stem"] + [f"stage_{i}" for i in range(1, 5)]
    assert [i["channels"] for i in info] == [8, 24, 36, 96, 256]


def test_unknown_and_odd_sizes():
    model = inception_v3(
        input_shape=(None, None, 3),
        num_classes=3,
        width_multiplier=0.0625,
        classifier_activation=None,
    )
    x = np.random.default_rng(0).uniform(-1, 1, size=(2, 81, 77, 3)).astype("float32")
    assert tuple(model(x).shape) == (2, 3)
    assert model.get_layer("stage_4").output.shape == (None, None, None, 128)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (74, 74, 3)}, "input_shape"),
        ({"num_classes": 0}, "num_classes"),
        ({"include_top": False, "pooling": "min"}, "pooling"),
        ({"classifier_activation": "nope"}, "classifier_activation"),
        ({"width_multiplier": -1.0}, "width_multiplier"),
        ({"weights": "imagenet"}, "width_multiplier"),
        ({"weights": "missing.weights.h5"}, "weights"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        inception_v3(**{"width_multiplier": 0.0625, **kwargs})


@pytest.mark.large
def test_converts_at_defaults_with_top():
    source = keras.applications.InceptionV3(weights=None)
    ours = assert_converted_matches(source, (299, 299, 3), seed=1)
    assert ours.input_shape == (None, 299, 299, 3)
    assert trainable(ours) == trainable(inception_v3()) == KERAS_TRAINABLE


@pytest.mark.large
def test_converts_without_top_with_pooling_at_odd_sizes():
    source = keras.applications.InceptionV3(
        weights=None, include_top=False, pooling="max", input_shape=(83, 97, 3)
    )
    ours = assert_converted_matches(source, (83, 97, 3), seed=2)
    assert ours.output_shape == (None, 2048)
