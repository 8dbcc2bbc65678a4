"""VAESampling: harness, reparameterization statistics, seeds, modes, saving."""

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.layers import VAESampling
from keras_dlkit.testing import TestCase


def replay_normal(seed, shape):
    """The first draw of a fresh ``SeedGenerator(seed)``, as the layer makes it."""
    generator = keras.random.SeedGenerator(seed)
    return to_np(keras.random.normal(shape, dtype="float32", seed=generator))


class VAESamplingTest(TestCase):
    def test_layer_harness(self):
        # Deterministic in inference, so the config round trip can compare.
        self.run_layer_test(
            VAESampling,
            {"seed": 3, "sample_in_inference": False},
            input_shape=[(4, 3), (4, 3)],
            expected_output_shape=(4, 3),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
        )

    def test_sampling_path_under_mixed_precision_and_saving(self):
        # The sampling path: noise in the compute dtype (float16 / bfloat16).
        self.run_precision_test(VAESampling, {"seed": 1}, input_shape=[(4, 3), (4, 3)])
        rng = np.random.default_rng(0)
        data = [rng.normal(size=(4, 3)).astype("float32") for _ in range(2)]
        # A fresh layer with the same seed draws the same first sample.
        self.run_saving_test(VAESampling(seed=5), data)

    def test_output_is_the_reparameterized_sample(self):
        rng = np.random.default_rng(1)
        mean = rng.normal(size=(6, 4)).astype("float32")
        log_var = rng.normal(size=(6, 4)).astype("float32")
        z = to_np(VAESampling(seed=7)([mean, log_var]))
        eps = replay_normal(7, (6, 4))
        np.testing.assert_allclose(
            z, mean + np.exp(0.5 * log_var) * eps, rtol=1e-5, atol=1e-6
        )

    def test_samples_have_the_requested_mean_and_variance(self):
        n = 20000
        mean = np.tile(np.array([[2.0, -1.0]], "float32"), (n, 1))
        log_var = np.tile(np.log(np.array([[0.25, 4.0]], "float32")), (n, 1))
        z = to_np(VAESampling(seed=0)([mean, log_var]))
        np.testing.assert_allclose(z.mean(axis=0), [2.0, -1.0], atol=0.05)
        np.testing.assert_allclose(z.std(axis=0), [0.5, 2.0], rtol=0.03)
        assert abs(np.corrcoef(z.T)[0, 1]) < 0.03  # independent dimensions

    def test_seed_repeats_and_successive_calls_differ(self):
        data = [np.zeros((3, 2), "float32"), np.zeros((3, 2), "float32")]
        layer = VAESampling(seed=11)
        first, second = to_np(layer(data)), to_np(layer(data))
        assert not np.allclose(first, second)
        np.testing.assert_array_equal(to_np(VAESampling(seed=11)(data)), first)
        assert not np.allclose(to_np(VAESampling(seed=12)(data)), first)

    def test_unseeded_layers_follow_the_global_seed(self):
        data = [np.zeros((3, 2), "float32"), np.zeros((3, 2), "float32")]
        keras.utils.set_random_seed(4)
        a = to_np(VAESampling()(data))
        keras.utils.set_random_seed(4)
        b = to_np(VAESampling()(data))
        np.testing.assert_array_equal(a, b)

    def test_inference_mode(self):
        mean = np.full((3, 2), 1.5, "float32")
        log_var = np.zeros((3, 2), "float32")
        deterministic = VAESampling(seed=0, sample_in_inference=False)
        np.testing.assert_array_equal(
            to_np(deterministic([mean, log_var], training=False)), mean
        )
        trained = to_np(deterministic([mean, log_var], training=True))
        assert not np.allclose(trained, mean)
        # Default: sample in inference too.
        default = to_np(VAESampling(seed=0)([mean, log_var], training=False))
        assert not np.allclose(default, mean)

    def test_inside_a_functional_model(self):
        mean_in, log_var_in = keras.Input((3,)), keras.Input((3,))
        z = VAESampling(seed=2, name="z")([mean_in, log_var_in])
        model = keras.Model([mean_in, log_var_in], z)
        assert model.output_shape == (None, 3)
        out = model.predict(
            [np.zeros((5, 3), "float32"), np.zeros((5, 3), "float32")], verbose=0
        )
        assert out.shape == (5, 3) and np.all(np.isfinite(out))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seed": 1.5}, r"`seed` must be an integer"),
        ({"seed": "1"}, r"`seed` must be an integer"),
        ({"sample_in_inference": 1}, r"`sample_in_inference` must be True or False"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        VAESampling(**kwargs)


def test_bad_inputs():
    layer = VAESampling()
    with pytest.raises(ValueError, match="two inputs"):
        layer.build((4, 3))
    with pytest.raises(ValueError, match="same shape"):
        VAESampling().build([(4, 3), (4, 2)])
    with pytest.raises(ValueError, match="two inputs"):
        VAESampling().compute_output_shape([(4, 3), (4, 3), (4, 3)])
