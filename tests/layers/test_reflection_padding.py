"""ReflectionPadding2D against numpy.pad(mode="reflect"), on the shared harness."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.layers import ReflectionPadding2D
from keras_dlkit.testing import TestCase


@pytest.mark.parametrize(
    "padding, pad_width",
    [
        (1, ((1, 1), (1, 1))),
        ((2, 1), ((2, 2), (1, 1))),
        (((2, 0), (1, 3)), ((2, 0), (1, 3))),
        ([[0, 4], [3, 0]], ((0, 4), (3, 0))),
        ((np.int64(1), np.int32(2)), ((1, 1), (2, 2))),
    ],
)
def test_matches_numpy_reflect(padding, pad_width):
    x = np.random.default_rng(0).normal(size=(2, 5, 6, 3)).astype("float32")
    layer = ReflectionPadding2D(padding, data_format="channels_last")
    expected = np.pad(x, ((0, 0), *pad_width, (0, 0)), mode="reflect")
    np.testing.assert_array_equal(to_np(layer(x)), expected)
    assert layer.compute_output_shape(x.shape) == expected.shape
    assert layer.padding == pad_width


def test_channels_first_pads_the_last_two_axes():
    x = np.random.default_rng(1).normal(size=(2, 3, 5, 6)).astype("float32")
    layer = ReflectionPadding2D(((1, 2), (3, 0)), data_format="channels_first")
    expected = np.pad(x, ((0, 0), (0, 0), (1, 2), (3, 0)), mode="reflect")
    np.testing.assert_array_equal(to_np(layer(x)), expected)
    assert layer.compute_output_shape((None, 3, None, 6)) == (None, 3, None, 9)


def test_reflection_excludes_the_edge():
    # [1, 2, 3] padded by 2: the edge value is not repeated (unlike "symmetric").
    x = np.array([1.0, 2.0, 3.0], "float32").reshape(1, 3, 1, 1)
    y = ReflectionPadding2D(((2, 2), (0, 0)), data_format="channels_last")(x)
    assert to_np(y)[0, :, 0, 0].tolist() == [3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]


def test_gradient_folds_back_onto_the_reflected_pixels():
    # d(sum(w * pad(x)))/dx: each input pixel collects the weights of its copies.
    x = np.arange(4, dtype="float32").reshape(1, 4, 1, 1)
    layer = ReflectionPadding2D(((2, 1), (0, 0)), data_format="channels_last")
    inputs = keras.Input((4, 1, 1))
    outputs = layer(inputs)
    model = keras.Model(inputs, keras.layers.Flatten()(outputs))
    weights = np.arange(1, 8, dtype="float32")  # one per padded row
    # padded rows: x2 x1 | x0 x1 x2 x3 | x2
    expected = np.zeros(4)
    for row, source in enumerate([2, 1, 0, 1, 2, 3, 2]):
        expected[source] += weights[row]
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            value = tf.reduce_sum(model(t) * weights)
        grad = tape.gradient(value, t).numpy()
    elif keras.backend.backend() == "jax":
        import jax

        grad = jax.grad(lambda t: (model(t) * weights).sum())(x)
    else:
        import torch

        t = torch.tensor(x, requires_grad=True)
        (model(t) * torch.tensor(weights)).sum().backward()
        grad = t.grad.numpy()
    np.testing.assert_allclose(np.asarray(grad).ravel(), expected)


class ReflectionPaddingHarnessTest(TestCase):
    def test_layer(self):
        self.run_layer_test(
            ReflectionPadding2D,
            {"padding": ((1, 2), (3, 1)), "data_format": "channels_last"},
            input_shape=(2, 5, 4, 3),
            expected_output_shape=(2, 8, 8, 3),
            expected_output_dtype="float32",
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            run_training_check=False,  # no weights to train
        )

    def test_default_data_format_follows_keras_config(self):
        layer = ReflectionPadding2D()
        assert layer.data_format == keras.config.image_data_format()
        assert layer.get_config()["padding"] == ((1, 1), (1, 1))


@pytest.mark.parametrize(
    "padding",
    [-1, (1, -2), ((1, 2), (3,)), (1, 2, 3), "1", 1.0, True, ((1, 2), (3, 1.5)), None],
)
def test_rejects_bad_padding(padding):
    with pytest.raises(ValueError, match=r"`padding` must be .* got"):
        ReflectionPadding2D(padding)


def test_rejects_bad_data_format():
    with pytest.raises(ValueError, match="`data_format` must be one of"):
        ReflectionPadding2D(1, data_format="NHWC")


def test_padding_must_be_smaller_than_the_axis():
    layer = ReflectionPadding2D(((3, 0), (1, 1)), data_format="channels_last")
    with pytest.raises(
        ValueError, match=r"reflects 3 pixels of the height, which is 3"
    ):
        layer(keras.Input((3, 8, 1)))
    with pytest.raises(ValueError, match="at most 2"):
        layer.compute_output_shape((None, 3, 8, 1))
    with pytest.raises(ValueError, match=r"width, which is 1"):
        ReflectionPadding2D(1, data_format="channels_last")(np.zeros((1, 4, 1, 1)))
    # Unknown sizes pass at build time and are checked on the real input.
    model = keras.Sequential([keras.Input((None, None, 1)), layer])
    with pytest.raises(ValueError, match="`padding`"):
        model(np.zeros((1, 2, 8, 1), "float32"))
    assert model(np.zeros((1, 4, 8, 1), "float32")).shape == (1, 7, 10, 1)


def test_rejects_inputs_that_are_not_4d():
    with pytest.raises(ValueError, match="4"):
        ReflectionPadding2D(1)(keras.Input((5, 5)))
