"""GoogLeNet: torchvision's published parameter count, stages, arguments."""

import keras
import numpy as np
import pytest

from keras_dlkit.blocks import InceptionModule
from keras_dlkit.models import feature_info, googlenet, list_models
from keras_dlkit.models.classification.googlenet import TORCHVISION_PARAMS


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_torchvision_parameter_count():
    # torchvision.models.googlenet(aux_logits=False): num_params 6,624,904
    # (BN weights and biases included; its running statistics are buffers).
    with keras.StatelessScope(initialize_variables=False):  # Shapes only.
        model = googlenet()
    keras.utils.clear_session()
    assert TORCHVISION_PARAMS == 6_624_904
    assert trainable(model) == 6_624_904
    assert model.output_shape == (None, 1000)
    assert model.get_layer("top_dropout").rate == 0.2
    modules = [layer for layer in model.layers if isinstance(layer, InceptionModule)]
    assert [m.name[-2:] for m in modules] == [
        "3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"
    ]  # fmt: skip
    # Table 1 of the paper: output channels of each module.
    assert [int(m.output.shape[-1]) for m in modules] == [
        256, 480, 512, 512, 512, 528, 832, 832, 1024
    ]  # fmt: skip


def test_paper_variant_counts_of_a_module():
    # Without batch norm and with the paper's 5x5 kernel, inception (3a) has
    # 163,696 parameters (weights and biases of its six convolutions).
    block = InceptionModule(64, 96, 128, 16, 32, 32, batch_norm=False)
    block.build((None, 28, 28, 192))
    expected = (
        192 * 64 + 64
        + 192 * 96 + 96 + 9 * 96 * 128 + 128
        + 192 * 16 + 16 + 25 * 16 * 32 + 32
        + 192 * 32 + 32
    )  # fmt: skip
    assert block.count_params() == expected == 163_696


def test_stages():
    model = googlenet(input_shape=(64, 64, 3), include_top=False, width_multiplier=0.25)
    info = feature_info(model)
    assert [i["name"] for i in info] == ["stem"] + [f"stage_{i}" for i in range(1, 5)]
    assert [i["stride"] for i in info] == [2, 4, 8, 16, 32]
    assert [i["channels"] for i in info] == [16, 48, 120, 208, 256]
    assert "googlenet" in list_models(family="cnn")


def test_head_options():
    model = googlenet(
        input_shape=(32, 32, 3),
        include_top=False,
        pooling="avg",
        width_multiplier=0.125,
    )
    assert model.output_shape == (None, 128)
    model = googlenet(
        input_shape=(None, None, 3),
        num_classes=7,
        classifier_activation=None,
        width_multiplier=0.125,
        dropout=0.0,
    )
    x = np.random.default_rng(0).normal(size=(2, 40, 56, 3)).astype("float32")
    assert tuple(model(x).shape) == (2, 7)
    assert "top_dropout" not in [layer.name for layer in model.layers]


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"input_shape": (16, 16, 3)}, "input_shape"),
        ({"num_classes": 0}, "num_classes"),
        ({"include_top": False, "pooling": "mean"}, "pooling"),
        ({"dropout": 1.0}, "dropout"),
        ({"width_multiplier": 0}, "width_multiplier"),
        ({"weights": "imagenet"}, "weights"),
        ({"weights": "no_such_file.weights.h5"}, "weights"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        googlenet(**{"width_multiplier": 0.125, **kwargs})
