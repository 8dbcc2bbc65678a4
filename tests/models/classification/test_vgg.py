"""VGG builders: keras.applications equality, torchvision counts, features, weights."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.models import (
    feature_info,
    from_keras_applications,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

BUILDERS = [vgg11, vgg13, vgg16, vgg19, vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn]
#: torchvision's parameter counts (224x224, 1000 classes).
TORCHVISION = [
    132_863_336,
    133_047_848,
    138_357_544,
    143_667_240,
    132_868_840,
    133_053_736,
    138_365_992,
    143_678_248,
]
#: The classifier at 224x224: 7*7*512 -> 4096 -> 4096 -> 1000.
HEAD_224 = (25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize("builder, expected", zip(BUILDERS, TORCHVISION, strict=True))
def test_convolution_counts_match_torchvision(builder, expected):
    # The convolutions do not depend on the input size: count them at 32x32,
    # and add the 224x224 classifier (the full builds are the large test).
    model = builder(include_top=False, input_shape=(32, 32, 3))
    assert trainable_count(model) + HEAD_224 == expected


@pytest.mark.large
@pytest.mark.parametrize("builder, expected", zip(BUILDERS, TORCHVISION, strict=True))
def test_counts_at_defaults(builder, expected):
    assert trainable_count(builder()) == expected


@pytest.mark.large
@pytest.mark.parametrize("builder, application", [(vgg16, "VGG16"), (vgg19, "VGG19")])
def test_counts_equal_keras_applications_at_defaults(builder, application):
    source = getattr(keras.applications, application)(weights=None)
    assert trainable_count(builder()) == trainable_count(source)


@pytest.mark.parametrize("pooling", [None, "avg", "max"])
def test_vgg16_converted_matches_keras_applications_small(pooling):
    source = keras.applications.VGG16(
        weights=None, include_top=False, input_shape=(32, 32, 3), pooling=pooling
    )
    ours = from_keras_applications(source)
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    expected, actual = to_np(source(x)), to_np(ours(x))
    assert actual.shape == expected.shape and np.abs(expected).max() > 0
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


def test_vgg19_converted_with_a_small_top():
    source = keras.applications.VGG19(
        weights=None,
        input_shape=(32, 32, 3),
        classes=5,
        classifier_activation=None,
    )
    ours = from_keras_applications(source)
    assert ours.get_layer("fc1").units == 4096 and ours.output_shape == (None, 5)
    assert trainable_count(ours) == trainable_count(source)
    x = np.random.default_rng(1).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(to_np(ours(x)), to_np(source(x)), rtol=1e-4, atol=1e-4)


@pytest.mark.large
def test_vgg16_converted_matches_keras_applications_full_size():
    source = keras.applications.VGG16(weights=None)
    ours = from_keras_applications(source)
    x = (
        np.random.default_rng(2)
        .uniform(0, 255, size=(2, 224, 224, 3))
        .astype("float32")
    )
    expected = to_np(source(x))
    np.testing.assert_allclose(to_np(ours(x)), expected, rtol=1e-4, atol=1e-4)
    assert ours.output_shape == (None, 1000)


def test_imagenet_weights_go_through_keras_applications(monkeypatch):
    made = {}
    original = keras.applications.VGG16

    def fake_vgg16(weights="imagenet", **kwargs):
        # Stands in for the download: random weights instead of ImageNet's.
        assert weights == "imagenet"
        made["source"] = original(weights=None, **kwargs)
        return made["source"]

    monkeypatch.setattr(keras.applications, "VGG16", fake_vgg16)
    ours = vgg16(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    source = made["source"]
    for ours_w, source_w in zip(ours.weights, source.weights, strict=True):
        np.testing.assert_array_equal(to_np(ours_w), to_np(source_w))
    with pytest.raises(ValueError, match="imagenet"):
        vgg16_bn(weights="imagenet", include_top=False, input_shape=(32, 32, 3))


def test_weights_from_a_file(tmp_path):
    small = {"input_shape": (32, 32, 3), "width_multiplier": 0.125, "dense_units": 8}
    trained = vgg11_bn(**small)
    path = str(tmp_path / "vgg.weights.h5")
    trained.save_weights(path)
    loaded = vgg11_bn(**small, weights=path)
    for a, b in zip(loaded.weights, trained.weights, strict=True):
        np.testing.assert_array_equal(to_np(a), to_np(b))


def test_stages_and_head():
    model = vgg13(input_shape=(64, 64, 3), num_classes=4, width_multiplier=0.125)
    info = feature_info(model)
    assert [i["name"] for i in info] == [f"stage_{k}" for k in range(1, 6)]
    assert [i["stride"] for i in info] == [2, 4, 8, 16, 32]
    assert [i["channels"] for i in info] == [8, 16, 32, 64, 64]
    assert model.get_layer("fc1").input.shape == (None, 2 * 2 * 64)
    assert model.get_layer("fc1_dropout").rate == 0.5
    no_dropout = vgg13(input_shape=(32, 32, 3), width_multiplier=0.125, dropout=0.0)
    assert "fc1_dropout" not in [layer.name for layer in no_dropout.layers]
    assert vgg16_bn(
        include_top=False, input_shape=(None, None, 3), width_multiplier=0.125
    ).output_shape == (None, None, None, 64)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (16, 32, 3)}, "input_shape"),
        ({"input_shape": (None, None, 3)}, "input_shape"),  # the top flattens
        ({"num_classes": 0}, "num_classes"),
        ({"include_top": False, "pooling": "sum"}, "pooling"),
        ({"dense_units": 0}, "dense_units"),
        ({"dropout": 1.0}, "dropout"),
        ({"width_multiplier": -1.0}, "width_multiplier"),
    ],
)
def test_bad_arguments(kwargs, argument):
    base = {"input_shape": (32, 32, 3), "width_multiplier": 0.125, "dense_units": 8}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        vgg16(**base)
