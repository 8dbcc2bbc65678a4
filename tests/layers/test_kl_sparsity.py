"""KLSparsityRegularization: harness, Ng's formula in NumPy, training-only loss."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.layers import KLSparsityRegularization
from keras_dlkit.testing import TestCase


def np_penalty(activations, target, weight, epsilon=1e-6):
    a = activations.reshape(-1, activations.shape[-1]).astype(np.float64)
    rho_hat = np.clip(a.mean(axis=0), epsilon, 1 - epsilon)
    rho = target
    kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
    return weight * kl.sum()


class KLSparsityTest(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            KLSparsityRegularization,
            {"target": 0.1, "weight": 0.5, "epsilon": 1e-5},
            input_data=np.random.default_rng(0).uniform(size=(4, 5)).astype("float32"),
            expected_output_shape=(4, 5),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
        )

    def test_penalty_matches_numpy_on_dense_and_conv_codes(self):
        rng = np.random.default_rng(1)
        for shape in [(8, 6), (3, 4, 4, 5)]:
            codes = rng.uniform(size=shape).astype("float32")
            layer = KLSparsityRegularization(target=0.05, weight=0.3)
            out = layer(codes, training=True)
            np.testing.assert_array_equal(to_np(out), codes)
            assert len(layer.losses) == 1
            np.testing.assert_allclose(
                to_np(layer.losses[0]), np_penalty(codes, 0.05, 0.3), rtol=1e-5
            )

    def test_hand_value_and_clipping(self):
        # Mean activation 0.5 for both units, target 0.05:
        # 0.05 log(0.1) + 0.95 log(1.9) per unit.
        codes = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
        layer = KLSparsityRegularization(target=0.05, weight=1.0)
        layer(codes, training=True)
        per_unit = 0.05 * np.log(0.1) + 0.95 * np.log(1.9)
        np.testing.assert_allclose(to_np(layer.losses[0]), 2 * per_unit, rtol=1e-5)
        # A dead unit (mean 0) is clipped to epsilon: large but finite.
        layer(np.zeros((3, 2), "float32"), training=True)
        value = float(to_np(layer.losses[0]))
        np.testing.assert_allclose(
            value, np_penalty(np.zeros((3, 2)), 0.05, 1.0), rtol=1e-4
        )
        assert np.isfinite(value) and value > 0

    def test_no_loss_in_inference_or_with_zero_weight(self):
        codes = np.full((4, 3), 0.5, "float32")
        layer = KLSparsityRegularization()
        layer(codes, training=False)
        assert layer.losses == []
        layer = KLSparsityRegularization(weight=0.0)
        layer(codes, training=True)
        assert layer.losses == []

    def test_mixed_precision_penalty_is_float32(self):
        codes = np.random.default_rng(2).uniform(size=(6, 4)).astype("float16")
        layer = KLSparsityRegularization(weight=1.0, dtype="mixed_float16")
        out = layer(codes, training=True)
        assert keras.backend.standardize_dtype(out.dtype) == "float16"
        penalty = layer.losses[0]
        assert keras.backend.standardize_dtype(penalty.dtype) == "float32"
        np.testing.assert_allclose(
            to_np(penalty), np_penalty(codes.astype("float32"), 0.05, 1.0), rtol=1e-3
        )

    def test_training_pulls_mean_activation_to_the_target(self):
        # Only the penalty trains the bias of a sigmoid layer (the MSE target
        # is the layer's own input-independent output, so its loss is ~0).
        inputs = keras.Input((3,))
        dense = keras.layers.Dense(4, activation="sigmoid", name="dense")
        codes = KLSparsityRegularization(target=0.1, weight=1.0)(dense(inputs))
        model = keras.Model(inputs, codes)
        model.compile(optimizer=keras.optimizers.SGD(5.0), loss=lambda y, p: 0.0 * p)
        x = np.random.default_rng(3).normal(size=(64, 3)).astype("float32")
        before = to_np(model(x)).mean()
        model.fit(x, np.zeros((64, 4), "float32"), epochs=60, batch_size=64, verbose=0)
        after = to_np(model(x)).mean(axis=0)
        assert abs(before - 0.5) < 0.2
        np.testing.assert_allclose(after, 0.1, atol=0.03)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"target": 0.0}, "target"),
        ({"target": 1.0}, "target"),
        ({"weight": -1.0}, "weight"),
        ({"epsilon": 0.0}, "epsilon"),
        ({"epsilon": 0.5}, "epsilon"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        KLSparsityRegularization(**kwargs)


def test_needs_a_unit_axis():
    with pytest.raises(ValueError, match="unit axis"):
        KLSparsityRegularization().build((4,))
