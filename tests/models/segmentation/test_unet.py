"""U-Net builder and the U-Net decoder on a backbone."""

import os

import keras
import numpy as np
import pytest

import keras_dlkit
from keras_dlkit.models import feature_info, unet, unet_from_backbone


def _conv(k, c_in, c_out):
    return k * k * c_in * c_out + c_out


def unet_parameter_count(channels, classes, filters, depth):
    """The paper's architecture counted by hand (no batch norm)."""
    total = _conv(3, channels, filters) + _conv(3, filters, filters)
    for level in range(1, depth + 1):
        f = filters * 2**level
        total += _conv(3, f // 2, f) + _conv(3, f, f)
    for level in range(depth - 1, -1, -1):
        f = filters * 2**level
        # 2x2 up-conv 2f->f, then 3x3 on the concatenation (2f) -> f, f -> f.
        total += _conv(2, 2 * f, f) + _conv(3, 2 * f, f) + _conv(3, f, f)
    return total + _conv(1, filters, classes)


def test_paper_parameter_count():
    # Ronneberger et al. 2015, Fig. 1: 1 input channel, 64..1024, 2 classes.
    assert unet_parameter_count(1, 2, 64, 4) == 31_030_658
    model = unet((None, None, 1), num_classes=2)
    assert model.count_params() == 31_030_658
    assert model.output_shape == (None, None, None, 2)


def test_valid_padding_has_the_paper_geometry():
    # 572x572 in, 388x388 out (Fig. 1); padding does not change the count.
    model = unet((572, 572, 1), num_classes=2, filters=2, padding="valid")
    assert model.output_shape == (None, 388, 388, 2)
    assert model.count_params() == unet_parameter_count(1, 2, 2, 4)
    assert model.get_layer("stage_4").output.shape == (None, 28, 28, 32)


def test_batch_norm_count_and_stage_outputs():
    model = unet((32, 32, 3), num_classes=4, filters=4, depth=3, batch_norm=True)
    # With BN each 3x3 conv loses its bias (c) and gains gamma, beta, mean, var.
    base = unet_parameter_count(3, 4, 4, 3)
    three_by_three = [4, 4] + [8, 8, 16, 16, 32, 32] + [16, 16, 8, 8, 4, 4]
    expected = base + sum(3 * c for c in three_by_three)
    assert model.count_params() == expected
    assert [(i["name"], i["stride"], i["channels"]) for i in feature_info(model)] == [
        ("stem", 1, 4),
        ("stage_1", 2, 8),
        ("stage_2", 4, 16),
        ("stage_3", 8, 32),
    ]
    out = model(np.zeros((2, 32, 32, 3), "float32"))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.sum(out, -1)), 1, 1e-5
    )


def test_registered_and_dropout_and_activation():
    assert "unet" in keras_dlkit.models.list_models(family="cnn")
    model = keras_dlkit.models.create_model(
        "unet",
        input_shape=(16, 16, 1),
        num_classes=1,
        filters=2,
        depth=2,
        dropout=0.5,
        classifier_activation="sigmoid",
        upsampling="bilinear",
    )
    assert model.get_layer("dropout").rate == 0.5
    out = keras.ops.convert_to_numpy(model(np.ones((1, 16, 16, 1), "float32")))
    assert out.shape == (1, 16, 16, 1) and np.all((out > 0) & (out < 1))


def test_weights_file_round_trip(tmp_path):
    model = unet((16, 16, 1), num_classes=2, filters=2, depth=2)
    path = os.path.join(tmp_path, "unet.weights.h5")
    model.save_weights(path)
    loaded = unet((16, 16, 1), num_classes=2, filters=2, depth=2, weights=path)
    x = np.random.default_rng(0).uniform(size=(1, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x))
    )


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (20, 20, 1)}, "input_shape"),  # not a multiple of 16
        ({"input_shape": (8, 8, 1)}, "input_shape"),  # smaller than the stride
        ({"input_shape": (570, 570, 1), "padding": "valid"}, "input_shape"),
        ({"num_classes": 0}, "num_classes"),
        ({"depth": 0}, "depth"),
        ({"filters": 0}, "filters"),
        ({"padding": "full"}, "padding"),
        ({"upsampling": "cubic"}, "upsampling"),
        ({"dropout": 1.0}, "dropout"),
        ({"batch_norm": 1}, "batch_norm"),
        ({"classifier_activation": "nope"}, "classifier_activation"),
        ({"weights": "imagenet"}, "weights"),
    ],
)
def test_bad_arguments_raise(kwargs, argument):
    base = {"input_shape": (32, 32, 1), "num_classes": 2, "filters": 2}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        unet(**base)


# --------------------------------------------------------------------------
# unet_from_backbone
# --------------------------------------------------------------------------


def _tiny_backbone(size=32):
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="stem")(inputs)
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same", name="stage_1")(x)
    x = keras.layers.Conv2D(8, 3, strides=1, padding="same", name="stage_2")(x)
    x = keras.layers.Conv2D(10, 3, strides=2, padding="same", name="stage_3")(x)
    return keras.Model(inputs, x, name="tiny")


def test_backbone_decoder_structure():
    backbone = _tiny_backbone()
    model = unet_from_backbone(backbone, num_classes=3, decoder_filters=(8, 6, 5))
    assert model.output_shape == (None, 32, 32, 3)
    # stride 8 -> 4 (skip stage_2, the deepest at stride 4) -> 2 (skip stem) -> 1.
    d1, d2, d3 = (model.get_layer(f"decoder_{i}") for i in (1, 2, 3))
    assert d1.convs[0].kernel.shape == (3, 3, 8 + 8, 8)
    assert d2.convs[0].kernel.shape == (3, 3, 6 + 4, 6)  # up-conv gives 6
    assert d3.convs[0].kernel.shape == (3, 3, 5, 5)  # no skip at stride 1
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(model(x))
    assert out.shape == (2, 32, 32, 3)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)


def test_backbone_default_filters_stage_subset_and_sharing():
    backbone = _tiny_backbone()
    model = unet_from_backbone(
        backbone,
        num_classes=1,
        stages=("stage_1", "stage_3"),
        classifier_activation=None,
    )
    # Default decoder filters: min(256, 16 * stride) at strides 4, 2, 1.
    assert [model.get_layer(f"decoder_{i}").filters for i in (1, 2, 3)] == [64, 32, 16]
    assert model.get_layer("decoder_1").convs[0].kernel.shape[2] == 64 + 6
    shared = model.get_layer("tiny_features")
    assert shared.get_layer("stage_3") is backbone.get_layer("stage_3")
    backbone.trainable = False
    frozen = {id(w) for w in backbone.weights}
    assert not any(id(w) in frozen for w in model.trainable_weights)
    assert len(model.trainable_weights) > 0


def test_backbone_round_trip(tmp_path):
    model = unet_from_backbone(_tiny_backbone(16), num_classes=2, batch_norm=False)
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 3)).astype("float32")
    path = os.path.join(tmp_path, "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)),
        keras.ops.convert_to_numpy(model(x)),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"num_classes": 0}, "num_classes"),
        ({"stages": ("stage_9",)}, "stages"),
        ({"decoder_filters": (8, 8)}, "decoder_filters"),
        ({"decoder_filters": (8, 8, 0)}, "decoder_filters"),
        ({"upsampling": "cubic"}, "upsampling"),
        ({"classifier_activation": "nope"}, "classifier_activation"),
    ],
)
def test_backbone_bad_arguments_raise(kwargs, argument):
    base = {"backbone": _tiny_backbone(), "num_classes": 2}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        unet_from_backbone(**base)


def test_backbone_input_must_fit_the_deepest_stride():
    # 36 is not a multiple of 8: the deepest map (5x5) gives a stride of 7.
    with pytest.raises(ValueError, match="`backbone`: stage 'stage_3' has stride 7"):
        unet_from_backbone(_tiny_backbone(36), num_classes=2)
    with pytest.raises(ValueError, match="`backbone`"):
        unet_from_backbone(keras.layers.Dense(2), num_classes=2)


@pytest.mark.parametrize("builder", ["resnet18", "vgg11"])
def test_on_a_keras_dlkit_backbone(builder):
    build = getattr(keras_dlkit.models, builder)
    backbone = build(input_shape=(64, 64, 3), include_top=False)
    info = feature_info(backbone)
    model = unet_from_backbone(backbone, num_classes=3)
    assert model.output_shape == (None, 64, 64, 3)
    doublings = int(np.log2(max(i["stride"] for i in info)))
    assert model.get_layer(f"decoder_{doublings}").filters == 16
    out = model(np.zeros((1, 64, 64, 3), "float32"))
    assert tuple(out.shape) == (1, 64, 64, 3)
