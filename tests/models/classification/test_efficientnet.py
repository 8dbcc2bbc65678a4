"""EfficientNet-B0 ... B7: keras.applications' parameter counts, outputs and stages."""

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.models import (
    efficientnet_b0,
    efficientnet_b7,
    feature_info,
    from_keras_applications,
    list_models,
)
from keras_dlkit.models.classification._efficientnet import round_filters, round_repeats
from keras_dlkit.models.interop import convertible_names

#: Trainable parameters of keras.applications.EfficientNetB0 ... B7 at their
#: defaults (1000 classes, top included), as Keras 3.15 builds them.
KERAS_TRAINABLE = {
    "b0": 5_288_548,
    "b1": 7_794_184,
    "b2": 9_109_994,
    "b3": 12_233_232,
    "b4": 19_341_616,
    "b5": 30_389_784,
    "b6": 43_040_704,
    "b7": 66_347_960,
}

THUMBNAIL = {"width_coefficient": 0.25, "depth_coefficient": 0.25}


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def randomize_statistics(model, rng):
    """Random BN statistics and input normalization, so they matter."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization):
            mean, variance, count = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.2, 0.6, size=mean.shape).astype(mean.dtype),
                    rng.uniform(0.03, 0.09, size=variance.shape).astype(variance.dtype),
                    count,
                ]
            )
        elif isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, size=w.shape).astype("float32")
                    if i in (0, 3)
                    else rng.normal(0.0, 0.2, size=w.shape).astype("float32")
                    for i, w in enumerate(layer.get_weights())
                ]
            )


def assert_converted_matches(source, input_shape, seed=0):
    rng = np.random.default_rng(seed)
    randomize_statistics(source, rng)
    ours = from_keras_applications(source)
    x = rng.uniform(0.0, 255.0, size=(2, *input_shape)).astype("float32")
    expected, actual = to_np64(source(x)), to_np64(ours(x))
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, atol=1e-4, rtol=1e-4)
    assert trainable(ours) == trainable(source)
    return ours


def test_registered_with_converters():
    assert [f"efficientnet_b{i}" for i in range(8)] == list_models("efficientnet_b*")
    assert set(list_models("efficientnet_b*")) <= set(list_models(family="cnn"))
    for i in range(8):
        assert f"efficientnetb{i}" in convertible_names()


def test_b0_converts_with_top_and_has_keras_parameter_count():
    # The parameters do not depend on the input size: 64x64 with the
    # 1000-class top has exactly the parameters of B0 at 224x224.
    source = keras.applications.EfficientNetB0(weights=None, input_shape=(64, 64, 3))
    ours = assert_converted_matches(source, (64, 64, 3))
    assert trainable(ours) == KERAS_TRAINABLE["b0"]
    assert ours.count_params() == source.count_params()


@pytest.mark.large
def test_b0_converts_without_top_with_pooling():
    source = keras.applications.EfficientNetB0(
        weights=None, include_top=False, pooling="max", input_shape=(48, 48, 3)
    )
    ours = assert_converted_matches(source, (48, 48, 3), seed=1)
    assert ours.output_shape == (None, 1280)


def test_compound_scaling_rules():
    # Reference numbers from the keras.applications models' layers.
    assert [round_filters(f, 1.1) for f in (32, 16, 24, 40, 80, 1280)] == [
        32,
        16,
        24,
        48,
        88,
        1408,
    ]
    assert [round_filters(f, 2.0) for f in (32, 320, 1280)] == [64, 640, 2560]
    assert [round_repeats(r, 3.1) for r in (1, 2, 2, 3, 3, 4, 1)] == [
        4,
        7,
        7,
        10,
        10,
        13,
        4,
    ]


def test_stage_outputs_and_feature_info():
    model = efficientnet_b0(input_shape=(64, 64, 3), include_top=False, **THUMBNAIL)
    info = feature_info(model)
    assert [i["name"] for i in info] == ["stem"] + [f"stage_{i}" for i in range(1, 8)]
    assert [i["stride"] for i in info] == [2, 2, 4, 8, 16, 16, 32, 32]
    assert [i["channels"] for i in info] == [8, 8, 8, 16, 24, 32, 48, 80]
    # Blocks are named as in keras.applications.
    assert model.get_layer("block1a").name == "block1a"
    assert model.output_shape == (None, 2, 2, 320)


def test_drop_connect_rate_grows_linearly():
    model = efficientnet_b0(input_shape=(32, 32, 3), drop_connect_rate=0.4, **THUMBNAIL)
    rates = [
        layer.drop_path_rate for layer in model.layers if layer.name.startswith("block")
    ]
    np.testing.assert_allclose(rates, 0.4 * np.arange(7) / 7)


def test_weights_file_round_trip(tmp_path):
    path = str(tmp_path / "thumbnail.weights.h5")
    first = efficientnet_b0(input_shape=(32, 32, 3), num_classes=4, **THUMBNAIL)
    first.save_weights(path)
    second = efficientnet_b0(
        input_shape=(32, 32, 3), num_classes=4, weights=path, **THUMBNAIL
    )
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3))
    np.testing.assert_allclose(to_np64(second(x)), to_np64(first(x)), atol=1e-6)


@pytest.mark.large
def test_imagenet_path_goes_through_the_converter(monkeypatch):
    # No download here: stand a weights=None model in for the ImageNet one.
    calls = {}
    real = keras.applications.EfficientNetB0

    def fake(weights, **kwargs):
        calls.update(kwargs, weights=weights)
        source = real(weights=None, **kwargs)
        randomize_statistics(source, np.random.default_rng(4))
        calls["source"] = source
        return source

    monkeypatch.setattr(keras.applications, "EfficientNetB0", fake)
    ours = efficientnet_b0(
        input_shape=(32, 32, 3), include_top=False, pooling="avg", weights="imagenet"
    )
    assert calls["weights"] == "imagenet"
    assert calls["input_shape"] == (32, 32, 3) and calls["pooling"] == "avg"
    source = calls["source"]
    np.testing.assert_array_equal(
        to_np64(ours.get_layer("block2b").dwconv.kernel),
        to_np64(source.get_layer("block2b_dwconv").kernel),
    )
    normalization = next(
        layer
        for layer in source.layers
        if isinstance(layer, keras.layers.Normalization)
    )
    np.testing.assert_array_equal(
        to_np64(ours.get_layer("normalization").mean), to_np64(normalization.mean)
    )
    # keras.applications divides by sqrt(stddev) once more with ImageNet weights.
    scale = ours.get_layer("imagenet_rescaling").scale
    np.testing.assert_allclose(scale, [1 / np.sqrt(s) for s in (0.229, 0.224, 0.225)])


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (16, 16, 3)}, "input_shape"),
        ({"input_shape": (64, 64)}, "input_shape"),
        ({"num_classes": 0}, "num_classes"),
        ({"include_top": False, "pooling": "sum"}, "pooling"),
        ({"classifier_activation": "no_such"}, "classifier_activation"),
        ({"width_coefficient": 0.0}, "width_coefficient"),
        ({"depth_coefficient": -1.0}, "depth_coefficient"),
        ({"dropout": 1.0}, "dropout"),
        ({"drop_connect_rate": 1.0}, "drop_connect_rate"),
        ({"include_preprocessing": "yes"}, "include_preprocessing"),
        ({"weights": "imagenet", "width_coefficient": 0.5}, "weights"),
        (
            {
                "weights": "imagenet",
                "include_preprocessing": False,
                "width_coefficient": 1.0,
                "depth_coefficient": 1.0,
            },
            "weights",
        ),
        ({"weights": "/no/such/file.weights.h5"}, "weights"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        efficientnet_b0(**{**THUMBNAIL, **kwargs})


@pytest.mark.large
@pytest.mark.parametrize("variant", sorted(KERAS_TRAINABLE))
def test_parameter_count_equals_keras_applications(variant):
    index = int(variant[1])
    ours = list_models  # noqa: F841 - keep the registry loaded
    builder = getattr(
        __import__("keras_dlkit.models", fromlist=["x"]), f"efficientnet_{variant}"
    )
    model = builder()
    source = getattr(keras.applications, f"EfficientNetB{index}")(weights=None)
    assert model.input_shape == source.input_shape
    assert trainable(model) == trainable(source) == KERAS_TRAINABLE[variant]
    assert model.count_params() == source.count_params()
    keras.utils.clear_session()


@pytest.mark.large
def test_b0_converts_at_defaults_with_top():
    source = keras.applications.EfficientNetB0(weights=None)
    ours = assert_converted_matches(source, (224, 224, 3), seed=5)
    assert ours.name == "efficientnet_b0"


@pytest.mark.large
def test_b7_defaults():
    with keras.StatelessScope(initialize_variables=False):
        model = efficientnet_b7()
    assert model.input_shape == (None, 600, 600, 3)
    assert model.get_layer("top_dropout").rate == 0.5
    keras.utils.clear_session()
