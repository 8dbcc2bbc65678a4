"""VGGStage: equal to plain Keras layers (keras.applications' VGG layout), harness."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.blocks import VGGStage
from keras_dlkit.testing import TestCase


@pytest.mark.parametrize("norm", [None, "batch"])
@pytest.mark.parametrize("size", [(8, 8), (7, 9)])
def test_equals_plain_keras_layers(norm, size):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, *size, 3)).astype("float32")
    stage = VGGStage(5, num_convs=3, norm=norm)
    stage.build(x.shape)
    # Random biases and norm statistics, so the comparison sees them.
    stage.set_weights([rng.uniform(0.5, 1.5, tuple(w.shape)) for w in stage.weights])

    inputs = keras.Input(x.shape[1:])
    h = inputs
    for unit in stage.convs:
        # keras.applications.VGG16's layer: Conv2D(3x3, "same", ReLU fused).
        conv = keras.layers.Conv2D(
            5, 3, padding="same", activation=None if norm else "relu"
        )
        h = conv(h)
        conv.set_weights(unit.conv.get_weights())
        if norm:
            bn = keras.layers.BatchNormalization(epsilon=1e-5)
            h = keras.layers.ReLU()(bn(h))
            bn.set_weights(unit.norm_layer.get_weights())
    h = keras.layers.MaxPooling2D((2, 2), strides=(2, 2))(h)
    reference = keras.Model(inputs, h)

    actual = to_np(stage(x, training=False))
    assert actual.shape == (2, size[0] // 2, size[1] // 2, 5)
    assert actual.shape == tuple(stage.compute_output_shape(x.shape))
    np.testing.assert_allclose(
        actual, to_np(reference(x, training=False)), rtol=1e-5, atol=1e-5
    )


def test_counts_and_names():
    stage = VGGStage(64, num_convs=2, name="stage_1")
    stage.build((None, 224, 224, 3))
    # keras.applications.VGG16 block1: (3*3*3*64 + 64) + (3*3*64*64 + 64).
    assert stage.count_params() == 38720
    assert [w.path for w in stage.weights] == [
        "stage_1/conv1/conv/kernel",
        "stage_1/conv1/conv/bias",
        "stage_1/conv2/conv/kernel",
        "stage_1/conv2/conv/bias",
    ]
    bn = VGGStage(64, num_convs=2, norm="batch")
    bn.build((None, 224, 224, 3))
    # torchvision's vgg*_bn keeps the conv biases and adds 4 BN weights each.
    assert bn.count_params() == 38720 + 2 * 4 * 64


class VGGStageLayerTest(TestCase):
    def test_layer(self):
        self.run_layer_test(
            VGGStage,
            {"filters": 4, "num_convs": 2},
            input_shape=(2, 8, 6, 3),
            expected_output_shape=(2, 4, 3, 4),
            expected_num_trainable_weights=4,
            expected_num_non_trainable_weights=0,
        )

    def test_layer_batch_norm(self):
        self.run_layer_test(
            VGGStage,
            {"filters": 4, "num_convs": 1, "norm": "batch", "use_bias": False},
            input_shape=(2, 6, 6, 3),
            expected_output_shape=(2, 3, 3, 4),
            expected_num_trainable_weights=3,
            expected_num_non_trainable_weights=2,
        )


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": 0}, "filters"),
        ({"num_convs": 0}, "num_convs"),
        ({"norm": "group"}, "norm"),
        ({"activation": 5}, "activation"),
        ({"use_bias": None}, "use_bias"),
        ({"norm_epsilon": 0}, "norm_epsilon"),
    ],
)
def test_bad_arguments(kwargs, argument):
    base = {"filters": 4}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        VGGStage(**base)
