"""ResNet builders: keras.applications equality, published counts, features, weights."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.blocks import BasicBlock, BottleneckBlock
from keras_dlkit.models import (
    feature_extractor,
    feature_info,
    from_keras_applications,
    resnet18,
    resnet34,
    resnet50,
    resnet50v2,
    resnet101,
    resnet101v2,
    resnet152,
    resnet152v2,
)


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def randomize_norms(model, seed=0):
    """Random BN statistics and affine weights: fresh ones are an identity."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma.shape),
                    rng.normal(0, 0.1, beta.shape),
                    rng.normal(0, 0.1, mean.shape),
                    rng.uniform(0.5, 1.5, var.shape),
                ]
            )
    return model


def assert_converted_matches(source, x, atol=1e-4):
    ours = from_keras_applications(source)
    assert ours.name == source.name
    assert trainable_count(ours) == trainable_count(source)
    assert ours.count_params() == source.count_params()
    expected, actual = to_np(source(x, training=False)), to_np(ours(x, training=False))
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=atol * scale)
    return ours


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize(
    "builder, expected", [(resnet18, 11_689_512), (resnet34, 21_797_672)]
)
def test_resnet18_34_match_the_paper_and_torchvision(builder, expected):
    assert trainable_count(builder()) == expected


@pytest.mark.large
@pytest.mark.parametrize(
    "builder, application",
    [
        (resnet50, "ResNet50"),
        (resnet101, "ResNet101"),
        (resnet152, "ResNet152"),
        (resnet50v2, "ResNet50V2"),
        (resnet101v2, "ResNet101V2"),
        (resnet152v2, "ResNet152V2"),
    ],
)
def test_counts_equal_keras_applications_at_defaults(builder, application):
    source = getattr(keras.applications, application)(weights=None)
    ours = builder()
    assert trainable_count(ours) == trainable_count(source)
    assert ours.count_params() == source.count_params()


def test_depths():
    def blocks(model, cls):
        return sum(isinstance(layer, cls) for layer in model.layers)

    small = {"input_shape": (32, 32, 3), "width_multiplier": 0.0625}
    assert blocks(resnet18(**small), BasicBlock) == 8
    assert blocks(resnet34(**small), BasicBlock) == 16
    assert blocks(resnet101(**small), BottleneckBlock) == 33


# --------------------------------------------------------------- interop


def test_resnet50_converted_matches_keras_applications_small():
    source = keras.applications.ResNet50(
        weights=None, include_top=False, input_shape=(64, 64, 3), pooling="avg"
    )
    randomize_norms(source)
    x = np.random.default_rng(1).uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")
    ours = assert_converted_matches(source, x)
    assert ours.output_shape == (None, 2048)


def test_resnet50v2_converted_matches_keras_applications_small():
    source = keras.applications.ResNet50V2(
        weights=None, include_top=False, input_shape=(64, 64, 3)
    )
    randomize_norms(source)
    x = np.random.default_rng(2).uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")
    ours = assert_converted_matches(source, x)
    assert ours.output_shape == (None, 2, 2, 2048)
    # The V2 layout: stride on the last block of stages 1-3, max-pool shortcut.
    for stage, depth in zip((2, 3, 4, 5), (3, 4, 6, 3), strict=True):
        last = ours.get_layer(f"conv{stage}_block{depth}")
        assert last.stride == (2 if stage < 5 else 1)
        assert (last.shortcut_pool is not None) == (stage < 5)


@pytest.mark.large
@pytest.mark.parametrize("application", ["ResNet50", "ResNet50V2"])
def test_converted_matches_keras_applications_full_size(application):
    source = getattr(keras.applications, application)(weights=None)
    randomize_norms(source)
    x = np.random.default_rng(3).uniform(-1, 1, size=(2, 224, 224, 3))
    ours = assert_converted_matches(source, x.astype("float32"))
    assert ours.output_shape == (None, 1000)


def test_imagenet_weights_go_through_keras_applications(monkeypatch):
    made = {}
    original = keras.applications.ResNet50

    def fake_resnet50(weights="imagenet", **kwargs):
        # Stands in for the download: random weights instead of ImageNet's.
        assert weights == "imagenet"
        source = original(weights=None, **kwargs)
        randomize_norms(source, seed=5)
        made["source"] = source
        return source

    monkeypatch.setattr(keras.applications, "ResNet50", fake_resnet50)
    ours = resnet50(weights="imagenet", include_top=False, input_shape=(64, 64, 3))
    source = made["source"]
    assert source.input_shape == (None, 64, 64, 3)
    np.testing.assert_array_equal(
        to_np(ours.get_layer("conv3_block2").conv2.conv.kernel),
        to_np(source.get_layer("conv3_block2_2_conv").kernel),
    )
    np.testing.assert_array_equal(
        to_np(ours.get_layer("stem").norm_layer.moving_variance),
        to_np(source.get_layer("conv1_bn").moving_variance),
    )
    x = np.random.default_rng(6).uniform(0, 255, size=(1, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(to_np(ours(x)), to_np(source(x)), rtol=1e-4, atol=1e-4)


def test_imagenet_weights_need_full_width_and_an_application():
    with pytest.raises(ValueError, match="`width_multiplier`"):
        resnet50(weights="imagenet", width_multiplier=0.5)
    with pytest.raises(ValueError, match="imagenet"):
        resnet18(weights="imagenet", include_top=False, input_shape=(32, 32, 3))


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_weights_from_a_file(tmp_path, suffix):
    small = {"input_shape": (32, 32, 3), "num_classes": 3, "width_multiplier": 0.125}
    trained = randomize_norms(resnet18(**small), seed=7)
    path = str(tmp_path / f"resnet18{suffix}")
    if suffix == ".keras":
        trained.save(path)
    else:
        trained.save_weights(path)
    loaded = resnet18(**small, weights=path)
    x = np.random.default_rng(8).normal(size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(to_np(loaded(x)), to_np(trained(x)), rtol=1e-6)
    with pytest.raises(ValueError, match="`weights`"):
        resnet18(**small, weights=str(tmp_path / "missing.weights.h5"))


# -------------------------------------------------------------- features


def test_feature_info_of_resnet50():
    model = resnet50(include_top=False, input_shape=(64, 64, 3))
    info = feature_info(model)
    assert [i["name"] for i in info] == ["stem", *(f"stage_{k}" for k in range(1, 5))]
    # Stem convention: the 7x7 stride-2 convolution, before the max pool.
    assert [i["stride"] for i in info] == [2, 4, 8, 16, 32]
    assert [i["channels"] for i in info] == [64, 256, 512, 1024, 2048]


def test_feature_extractor_v2_and_basic():
    small = {"include_top": False, "width_multiplier": 0.125}
    v2 = resnet50v2(input_shape=(None, None, 3), **small)
    assert [i["stride"] for i in feature_info(v2)] == [2, 4, 8, 16, 32]
    features = feature_extractor(resnet18(input_shape=(64, 64, 3), **small))
    out = features(np.zeros((1, 64, 64, 3), "float32"))
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "stem": (1, 32, 32, 8),
        "stage_1": (1, 16, 16, 8),
        "stage_2": (1, 8, 8, 16),
        "stage_3": (1, 4, 4, 32),
        "stage_4": (1, 2, 2, 64),
    }


# -------------------------------------------------------------- arguments


def test_head_and_pooling():
    small = {"input_shape": (32, 32, 3), "width_multiplier": 0.125}
    model = resnet34(num_classes=7, classifier_activation=None, **small)
    assert model.output_shape == (None, 7)
    assert model.get_layer("predictions").activation is keras.activations.linear
    assert resnet34(include_top=False, pooling="max", **small).output_shape == (
        None,
        64,
    )
    assert resnet34(include_top=False, **small).output_shape == (None, 1, 1, 64)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (31, 64, 3)}, "input_shape"),
        ({"input_shape": (64, 64)}, "input_shape"),
        ({"num_classes": 0}, "num_classes"),
        ({"pooling": "mean", "include_top": False}, "pooling"),
        ({"classifier_activation": "softmaxx"}, "classifier_activation"),
        ({"width_multiplier": 0.0}, "width_multiplier"),
        ({"weights": 3}, "weights"),
    ],
)
def test_bad_arguments(kwargs, argument):
    base = {"input_shape": (32, 32, 3), "width_multiplier": 0.125}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        resnet50(**base)
