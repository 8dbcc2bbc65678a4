"""ConvNormAct: equal to plain Keras layers, shapes, harness, arguments."""

import keras
import numpy as np
import pytest
from _tolerance import assert_close_to_scale

from keras_dlkit.blocks import ConvNormAct
from keras_dlkit.testing import TestCase


def randomize_norm(layer, rng):
    """Random BN statistics and affine weights, so the comparison sees them."""
    shapes = [tuple(w.shape) for w in layer.weights]
    values = []
    for w, shape in zip(layer.weights, shapes, strict=True):
        if "variance" in w.path:
            values.append(rng.uniform(0.5, 1.5, shape))
        elif "gamma" in w.path:
            values.append(rng.uniform(0.5, 1.5, shape))
        else:
            values.append(rng.normal(0, 0.3, shape))
    layer.set_weights(values)


def plain_reference(unit, input_shape):
    """The same computation from plain Keras layers, weights copied."""
    inputs = keras.Input(input_shape[1:])
    x = inputs
    conv_padding = unit.padding
    if isinstance(unit.padding, int):
        conv_padding = "valid"
        x = keras.layers.ZeroPadding2D(unit.padding)(x)
    conv = keras.layers.Conv2D(
        unit.filters,
        unit.kernel_size,
        strides=unit.strides,
        padding=conv_padding,
        groups=unit.groups,
        dilation_rate=unit.dilation_rate,
        use_bias=unit.use_bias,
    )
    x = conv(x)
    norm = None
    if unit.norm == "batch":
        norm = keras.layers.BatchNormalization(
            epsilon=unit.norm_epsilon, scale=unit.norm_scale
        )
        x = norm(x)
    if unit.activation is not None:
        x = keras.layers.Activation(unit.activation)(x)
    model = keras.Model(inputs, x)
    conv.set_weights(unit.conv.get_weights())
    if norm is not None:
        norm.set_weights(unit.norm_layer.get_weights())
    return model


CONFIGS = [
    {"filters": 6, "kernel_size": 3, "strides": 2, "padding": 1},
    {"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same"},
    {"filters": 4, "kernel_size": 7, "strides": 2, "padding": 3, "use_bias": True},
    {"filters": 5, "kernel_size": 1, "padding": "valid", "norm": None},
    {
        "filters": 6,
        "kernel_size": 3,
        "groups": 3,
        "dilation_rate": 2,
        "norm_scale": False,
        "activation": "swish",
    },
    {"filters": 4, "kernel_size": 5, "norm": None, "activation": None, "padding": 0},
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("training", [False, True])
def test_equals_plain_keras_layers(config, training):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 9, 10, 3)).astype("float32")
    unit = ConvNormAct(**config, norm_epsilon=1e-5, name="unit")
    unit.build(x.shape)
    if unit.norm_layer is not None:
        randomize_norm(unit.norm_layer, rng)
    if unit.use_bias:
        unit.conv.bias.assign(rng.normal(size=unit.filters).astype("float32"))
    reference = plain_reference(unit, x.shape)
    expected = keras.ops.convert_to_numpy(reference(x, training=training))
    actual = keras.ops.convert_to_numpy(unit(x, training=training))
    assert actual.shape == tuple(unit.compute_output_shape(x.shape))
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_explicit_padding_differs_from_same_when_strided():
    # "same" pads (0, 1) for a strided 3x3 on an even size; padding=1 pads (1, 1).
    x = np.random.default_rng(1).normal(size=(1, 8, 8, 2)).astype("float32")
    explicit = ConvNormAct(3, 3, strides=2, padding=1, norm=None, activation=None)
    same = ConvNormAct(3, 3, strides=2, padding="same", norm=None, activation=None)
    explicit.build(x.shape)
    same.build(x.shape)
    same.set_weights(explicit.get_weights())
    a = keras.ops.convert_to_numpy(explicit(x))
    b = keras.ops.convert_to_numpy(same(x))
    assert a.shape == b.shape == (1, 4, 4, 3)
    assert not np.allclose(a, b)
    # Padding (1, 1) then a valid conv: row 0 of the output sees padding row -1.
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    kernel, bias = explicit.conv.get_weights()
    window = padded[0, 0:3, 0:3, :]
    # Sums of cancelling products: compared at the scale of the whole output.
    assert_close_to_scale(
        a[0, 0, 0],
        np.einsum("ijc,ijco->o", window, kernel) + bias,
        scale=np.abs(a).max(),
    )


def test_sublayers_names_and_defaults():
    unit = ConvNormAct(8, name="unit")
    unit.build((None, 5, 5, 2))
    assert unit.use_bias is False  # the norm's offset replaces the bias
    assert unit.pad is None
    assert [w.path for w in unit.trainable_weights] == [
        "unit/conv/kernel",
        "unit/norm/gamma",
        "unit/norm/beta",
    ]
    bare = ConvNormAct(8, norm=None, activation=None, padding=2)
    assert bare.use_bias is True and bare.act is None and bare.norm_layer is None
    assert bare.compute_output_shape((None, 5, 7, 2)) == (None, 7, 9, 8)
    assert bare.compute_output_shape((None, None, 7, 2)) == (None, None, 9, 8)


def test_default_kernel_is_he_uniform():
    # He et al. 2015: variance 2 / fan_in, drawn from U(-sqrt(6/fan_in), +).
    keras.utils.set_random_seed(0)
    unit = ConvNormAct(256, kernel_size=3)
    unit.build((None, 8, 8, 64))
    kernel = keras.ops.convert_to_numpy(unit.conv.kernel)
    fan_in = 3 * 3 * 64
    limit = np.sqrt(6.0 / fan_in)
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.99 * limit  # uniform: reaches the bound
    np.testing.assert_allclose(kernel.var(), 2.0 / fan_in, rtol=0.02)


class ConvNormActLayerTest(TestCase):
    def test_layer_batch_norm(self):
        self.run_layer_test(
            ConvNormAct,
            {"filters": 4, "kernel_size": 3, "strides": 2, "padding": 1},
            input_shape=(2, 8, 8, 3),
            expected_output_shape=(2, 4, 4, 4),
            expected_num_trainable_weights=3,
            expected_num_non_trainable_weights=2,
        )

    def test_layer_plain_conv(self):
        self.run_layer_test(
            ConvNormAct,
            {"filters": 4, "kernel_size": 5, "norm": None, "activation": "tanh"},
            input_shape=(2, 7, 9, 3),
            expected_output_shape=(2, 7, 9, 4),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": 0}, "filters"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"strides": 0}, "strides"),
        ({"padding": "full"}, "padding"),
        ({"padding": -1}, "padding"),
        ({"groups": 3}, "groups"),
        ({"use_bias": "yes"}, "use_bias"),
        ({"norm": "layer"}, "norm"),
        ({"norm_epsilon": 0.0}, "norm_epsilon"),
        ({"norm_momentum": 1.0}, "norm_momentum"),
        ({"norm_scale": 1}, "norm_scale"),
        ({"activation": "relux"}, "activation"),
        ({"kernel_initializer": "nope"}, "kernel_initializer"),
        ({"kernel_regularizer": "nope"}, "kernel_regularizer"),
    ],
)
def test_bad_arguments(kwargs, argument):
    base = {"filters": 4}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        ConvNormAct(**base)


def test_bad_input_rank():
    with pytest.raises(ValueError, match="expects inputs"):
        ConvNormAct(4).build((None, 8, 3))
