"""StyleMixing: w_avg's moving average, mixing in training only, truncation."""

import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale

from keras_dlkit.layers import StyleMixing
from keras_dlkit.testing import TestCase


def latents(batch=4, dim=3, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(batch, dim)).astype("float32"),
        rng.normal(size=(batch, dim)).astype("float32") + 10.0,
    )


class StyleMixingTest(TestCase):
    def test_harness(self):
        self.run_layer_test(
            StyleMixing,
            {"num_ws": 4, "truncation_psi": 0.7, "seed": 1},
            input_shape=[(2, 3), (2, 3)],
            expected_output_shape=(2, 4, 3),
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=1,
            run_training_check=False,  # no trainable weights
        )

    def test_inference_broadcasts_w_and_ignores_w_mix(self):
        w, w_mix = latents()
        layer = StyleMixing(5, style_mixing_prob=1.0)
        ws = to_np64(layer([w, w_mix]))
        np.testing.assert_array_equal(ws, np.repeat(w[:, None], 5, axis=1))

    def test_w_avg_moving_average_in_training_only(self):
        w, w_mix = latents()
        layer = StyleMixing(3, w_avg_beta=0.9, style_mixing_prob=0.0)
        layer([w, w_mix])
        np.testing.assert_array_equal(to_np64(layer.w_avg), 0.0)
        expected = np.zeros(3)
        for step in range(3):
            w_step = w + step
            layer([w_step, w_mix], training=True)
            expected = 0.9 * expected + 0.1 * w_step.mean(axis=0)
        # Batch means can cancel: compared at the scale of the whole average.
        assert_close_to_scale(to_np64(layer.w_avg), expected)

    def test_mixing_probability_and_crossover_points(self):
        w, w_mix = latents()
        num_ws, calls = 6, 200
        layer = StyleMixing(num_ws, style_mixing_prob=0.9, seed=3)
        crossovers = []
        for _ in range(calls):
            ws = to_np64(layer([w, w_mix], training=True))
            from_w = np.all(ws == w[:, None], axis=(0, 2))
            from_mix = np.all(ws == w_mix[:, None], axis=(0, 2))
            assert np.all(from_w | from_mix)
            k = int(from_w.sum())
            # A prefix from w, the rest from w_mix; k >= 1.
            assert np.all(from_w[:k]) and np.all(from_mix[k:]) and k >= 1
            crossovers.append(k)
        crossovers = np.array(crossovers)
        mixed = crossovers < num_ws
        self.assertLess(abs(mixed.mean() - 0.9), 0.07)  # 3.3 sigma
        counts = np.bincount(crossovers[mixed], minlength=num_ws)[1:]
        self.assertEqual(len(counts), num_ws - 1)
        self.assertTrue(np.all(counts > 0.5 * mixed.sum() / (num_ws - 1)))

    def test_no_mixing_when_probability_zero(self):
        w, w_mix = latents()
        layer = StyleMixing(4, style_mixing_prob=0.0)
        for _ in range(5):
            ws = to_np64(layer([w, w_mix], training=True))
            np.testing.assert_array_equal(ws, np.repeat(w[:, None], 4, axis=1))

    def test_truncation(self):
        w, w_mix = latents()
        avg = np.array([1.0, -2.0, 0.5], "float32")
        for psi in (0.0, 0.5, 1.0, 1.5):
            layer = StyleMixing(4, truncation_psi=psi)
            layer.build([w.shape, w.shape])
            layer.w_avg.assign(avg)
            ws = to_np64(layer([w, w_mix]))
            expected = avg + psi * (np.repeat(w[:, None], 4, axis=1) - avg)
            np.testing.assert_allclose(ws, expected, rtol=1e-6, atol=1e-6)
        layer = StyleMixing(4, truncation_psi=0.0, truncation_cutoff=2)
        layer.build([w.shape, w.shape])
        layer.w_avg.assign(avg)
        ws = to_np64(layer([w, w_mix]))
        np.testing.assert_allclose(ws[:, :2], np.broadcast_to(avg, (4, 2, 3)))
        np.testing.assert_allclose(ws[:, 2:], np.repeat(w[:, None], 2, axis=1))
        # psi is not applied in training.
        ws = to_np64(layer([w, w_mix], training=True))
        self.assertFalse(np.allclose(ws[:, 0], ws[:, 0] * 0 + avg))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"num_ws": 0}, "num_ws"),
        ({"style_mixing_prob": 1.5}, "style_mixing_prob"),
        ({"w_avg_beta": -0.1}, "w_avg_beta"),
        ({"truncation_psi": float("inf")}, "truncation_psi"),
        ({"truncation_cutoff": -1}, "truncation_cutoff"),
        ({"seed": "a"}, "seed"),
    ],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        StyleMixing(**{"num_ws": 2, **kwargs})


def test_bad_shapes():
    with pytest.raises(ValueError, match="same shape"):
        StyleMixing(2).build([(1, 3), (1, 4)])
