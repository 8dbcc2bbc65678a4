"""count_flops: multiply-accumulates against hand counts."""

import keras
import numpy as np
import pytest

from keras_dlkit.blocks import MBConv
from keras_dlkit.utils import count_flops


def single(layer, shape):
    inputs = keras.Input(shape)
    return keras.Model(inputs, layer(inputs))


@pytest.mark.parametrize(
    "layer, shape, expected",
    [
        # 4x4 outputs x (3x3 window x 4 inputs x 6 filters).
        (keras.layers.Conv2D(6, 3, strides=2), (10, 10, 4), 16 * 3 * 3 * 4 * 6),
        # "same": 10x10 outputs; groups=2 halves the inputs per filter.
        (keras.layers.Conv2D(6, 3, padding="same", groups=2), (10, 10, 4), 100 * 9 * 2 * 6),
        (keras.layers.Conv1D(5, 3), (12, 2), 10 * 3 * 2 * 5),
        (keras.layers.Conv3D(2, 2), (3, 3, 3, 1), 8 * 8 * 2),
        # Depthwise: 8x8 outputs x 3x3 window x 3 channels x multiplier 2.
        (keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (8, 8, 3),
         64 * 9 * 3 * 2),
        # Separable: the depthwise part plus a 1x1 from 3 to 5 channels.
        (keras.layers.SeparableConv2D(5, 3, padding="same"), (8, 8, 3),
         64 * (9 * 3) + 64 * (3 * 5)),
        # Transposed: every one of the 5x5 inputs scatters 3x3 x 4 x 2 products.
        (keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same"), (5, 5, 2),
         25 * 9 * 4 * 2),
        # Dense on a sequence: one matrix product per position.
        (keras.layers.Dense(6), (7, 5), 7 * 5 * 6),
        (keras.layers.Dense(6), (5,), 5 * 6),
    ],
)  # fmt: skip
def test_single_layers(layer, shape, expected):
    assert count_flops(single(layer, shape)) == expected


def test_nested_models_and_composite_layers():
    # MBConv on 6x6x4: expand 1x1 to 8, depthwise 3x3, squeeze-excite with
    # max(1, int(4 * 0.25)) = 1 unit on the pooled 1x1 map, project 1x1 to 8.
    block = MBConv(8, expand_ratio=2)
    mbconv = 36 * 4 * 8 + 36 * 9 * 8 + 8 * 1 + 1 * 8 + 36 * 8 * 8
    assert count_flops(block, (6, 6, 4)) == mbconv == 6064
    inner = keras.Sequential(
        [keras.Input((6, 6, 8)), keras.layers.Conv2D(2, 1)], name="inner"
    )
    inputs = keras.Input((6, 6, 4))
    x = MBConv(8, expand_ratio=2)(inputs)
    x = keras.layers.BatchNormalization()(inner(x))
    x = keras.layers.ReLU()(keras.layers.MaxPooling2D()(x))
    model = keras.Model(inputs, x)
    assert count_flops(model) == mbconv + 36 * 8 * 2


def test_shared_layer_counts_once_per_call():
    square = keras.layers.Dense(4)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, square(square(inputs)))
    assert count_flops(model) == 2 * 16


def test_input_shape_argument_and_ignored_layers():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))
    assert count_flops(model, (16, 16, 3)) == 256 * 27 * 4
    assert count_flops(model, (8, 8, 3)) == 64 * 27 * 4
    with pytest.raises(ValueError, match="`input_shape`"):
        count_flops(model)
    with pytest.raises(ValueError, match="`input_shape`"):
        count_flops(model, (0, 8, 3))
    with pytest.raises(ValueError, match="`model`"):
        count_flops("resnet50")


def test_several_inputs():
    a, b = keras.Input((3,)), keras.Input((5,))
    x = keras.layers.Concatenate()([keras.layers.Dense(2)(a), keras.layers.Dense(2)(b)])
    model = keras.Model([a, b], keras.layers.Dense(1)(x))
    assert count_flops(model) == 3 * 2 + 5 * 2 + 4 * 1
    assert count_flops(model, [(3,), (5,)]) == 20


def test_does_not_change_the_model():
    model = single(keras.layers.Conv2D(2, 3), (5, 5, 1))
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 1)).astype("float32")
    before = keras.ops.convert_to_numpy(model(x))
    count_flops(model)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(x)), before)
    assert "call" not in model.layers[1].__dict__


@pytest.mark.large
def test_published_counts():
    from keras_dlkit.models import efficientnet_b0, googlenet, inception_v3

    # EfficientNet-B0: 0.39 G (Tan & Le, Table 2); GoogLeNet 1.50 G and
    # Inception-v3 5.71 G (torchvision's model tables), in MACs. The tables
    # round to two decimals, so that is the precision compared (0.39 G covers
    # 0.385 to 0.395 G: a relative tolerance of 1% would not).
    expected = {efficientnet_b0: 0.39, googlenet: 1.50, inception_v3: 5.71}
    for builder, giga_macs in expected.items():
        with keras.StatelessScope(initialize_variables=False):
            model = builder()
        counted = count_flops(model) / 1e9
        assert round(counted, 2) == giga_macs, (builder.__name__, counted)
    keras.utils.clear_session()
