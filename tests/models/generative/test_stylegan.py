"""StyleGAN builders: architecture, counts, truncation, style mixing, saving, errors."""

import math

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.blocks import StyleGANSynthesisBlock
from keras_dlkit.layers import NoiseInjection
from keras_dlkit.models import (
    create_model,
    stylegan_discriminator,
    stylegan_generate,
    stylegan_generator,
    stylegan_mapping_network,
    stylegan_styles,
    stylegan_synthesis_network,
    stylegan_synthesize,
)
from keras_dlkit.testing import TestCase
from keras_dlkit.training import StyleGAN
from keras_dlkit.utils.keras_compat import flatten_layers

TINY = {"latent_dim": 4, "mapping_layers": 1, "channel_base": 32, "channel_max": 4}


def trainable_count(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


def latents(n=3, dim=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, dim)).astype("float32")


def randomize_state(generator, seed=0):
    """Non-zero noise strengths and w_avg, so the checks below can fail."""
    rng = np.random.default_rng(seed)
    for variable in generator.trainable_variables:
        if variable.path.endswith("strength"):
            variable.assign(rng.normal(size=variable.shape).astype("float32"))
    w_avg = generator.get_layer("style_mixing").w_avg
    w_avg.assign(rng.normal(size=w_avg.shape).astype("float32"))


def g_hand_count(size, latent, w, layers, ch, rgb):
    count = latent * w + w + (layers - 1) * (w * w + w)  # mapping

    def conv(cin, cout, k, demod=True):  # ModulatedConv2D with its affine map
        return k * k * cin * cout + cout + w * cin + cin

    count += 16 * ch(4) + conv(ch(4), ch(4), 3) + ch(4) + conv(ch(4), rgb, 1)
    res = 8
    while res <= size:
        c_in, c = ch(res // 2), ch(res)
        count += conv(c_in, c, 3) + c + conv(c, c, 3) + c + conv(c, rgb, 1)
        res *= 2
    return count


def d_hand_count(size, ch, rgb):
    count = rgb * ch(size) + ch(size)
    res = size
    while res > 4:
        c, out = ch(res), ch(res // 2)
        count += c * out + 9 * c * c + c + 9 * c * out + out
        res //= 2
    c = ch(4)
    return count + 9 * (c + 1) * c + c + 16 * c * c + c + c + 1


class StyleGANBuildersTest(TestCase):
    def test_structure_for_each_size(self):
        for size, num_ws in ((4, 2), (8, 4), (32, 8)):
            g = stylegan_generator((size, size, 3), **TINY)
            d = stylegan_discriminator((size, size, 3), channel_base=32, channel_max=4)
            self.assertEqual(g.output_shape, (None, size, size, 3))
            self.assertEqual(d.output_shape, (None, 1))
            self.assertEqual(g.get_layer("style_mixing").num_ws, num_ws)
            synthesis = g.get_layer("synthesis")
            self.assertEqual(synthesis.input_shape, (None, num_ws, 4))
            blocks = [
                layer
                for layer in synthesis.layers
                if isinstance(layer, StyleGANSynthesisBlock)
            ]
            self.assertEqual(
                [b.name for b in blocks],
                [f"block_{2**i}" for i in range(2, int(math.log2(size)) + 1)],
            )
            # toRGB of block i shares its style with block i + 1's first layer.
            expected = [0] + [2 * i - 1 for i in range(1, len(blocks))]
            self.assertEqual([b.w_index for b in blocks], expected)

    def test_parameter_counts_match_hand_counts(self):
        def ch(res):
            return max(1, min(256 // res, 16))

        g = stylegan_generator(
            (16, 16, 3), 6, w_dim=5, mapping_layers=3, channel_base=256, channel_max=16
        )
        self.assertEqual(trainable_count(g), g_hand_count(16, 6, 5, 3, ch, 3))
        d = stylegan_discriminator((16, 16, 3), channel_base=256, channel_max=16)
        self.assertEqual(trainable_count(d), d_hand_count(16, ch, 3))
        mapping = stylegan_mapping_network(6, 5, num_layers=3)
        self.assertEqual(trainable_count(mapping), 6 * 5 + 5 + 2 * (5 * 5 + 5))
        # The pixel norm's scale is frozen at one.
        self.assertEqual(len(mapping.non_trainable_weights), 1)
        self.assertEqual(mapping.get_layer("dense_0").lr_multiplier, 0.01)

    @pytest.mark.large
    def test_published_stylegan2_ffhq_1024_parameter_count(self):
        # stylegan2-ada-pytorch, FFHQ 1024 (cbase 32768, cmax 512, 8 mapping
        # layers, w 512): G has 30,370,060 parameters, the mapping network
        # 2,101,248. Ours differ only by a per-channel noise strength where
        # the official code has one scalar per layer.
        g = stylegan_generator(
            (1024, 1024, 3), 512, channel_base=32768, channel_max=512
        )
        noise = [x for x in flatten_layers(g) if isinstance(x, NoiseInjection)]
        per_channel_extra = sum(int(x.strength.shape[0]) - 1 for x in noise)
        self.assertEqual(trainable_count(g) - per_channel_extra, 30_370_060)
        self.assertEqual(trainable_count(g.get_layer("mapping")), 2_101_248)

    def test_truncation(self):
        g = stylegan_generator((8, 8, 1), **TINY, seed=0)
        randomize_state(g)
        z1, z2 = latents(3, seed=1), latents(3, seed=2)
        w_avg = to_np64(g.get_layer("style_mixing").w_avg)
        # psi = 0: the image of the average w, for any z.
        average = to_np64(
            stylegan_synthesize(
                g, np.broadcast_to(w_avg, (3, 4, 4)).astype("float32"), "const"
            )
        )
        for z in (z1, z2):
            image = to_np64(stylegan_generate(g, z, 0.0, noise_mode="const"))
            np.testing.assert_allclose(image, average, rtol=1e-5, atol=1e-5)
        # psi = 1: the untruncated image; with const noise, deterministic.
        w = to_np64(g.get_layer("mapping")(z1))
        ws = np.repeat(w[:, None], 4, axis=1)
        np.testing.assert_allclose(to_np64(stylegan_styles(g, z1, 1.0)), ws, rtol=1e-6)
        full = to_np64(stylegan_generate(g, z1, 1.0, noise_mode="const"))
        np.testing.assert_allclose(
            full,
            to_np64(stylegan_synthesize(g, ws.astype("float32"), "const")),
            rtol=1e-5,
            atol=1e-6,
        )
        self.assertFalse(np.allclose(full, average, atol=1e-3))
        # psi = 0.5 and a cutoff: lerp on the first two styles only.
        styles = to_np64(stylegan_styles(g, z1, 0.5, truncation_cutoff=2))
        np.testing.assert_allclose(
            styles[:, :2], w_avg + 0.5 * (ws[:, :2] - w_avg), rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(styles[:, 2:], ws[:, 2:], rtol=1e-6)

    def test_psi_one_with_random_noise_is_the_generator(self):
        g = stylegan_generator((8, 8, 1), **TINY, seed=0)  # strengths still 0
        z = latents()
        np.testing.assert_allclose(
            to_np64(stylegan_generate(g, z)), to_np64(g(z)), rtol=1e-5, atol=1e-6
        )

    def test_noise_modes_and_restore(self):
        g = stylegan_generator((8, 8, 1), **TINY, seed=0)
        randomize_state(g)
        ws = to_np64(stylegan_styles(g, latents())).astype("float32")
        a, b = (to_np64(stylegan_synthesize(g, ws, "random")) for _ in range(2))
        self.assertFalse(np.allclose(a, b))
        c, d = (to_np64(stylegan_synthesize(g, ws, "const")) for _ in range(2))
        np.testing.assert_array_equal(c, d)
        self.assertFalse(np.allclose(to_np64(stylegan_synthesize(g, ws, "none")), c))
        modes = {
            x.noise_mode for x in flatten_layers(g) if isinstance(x, NoiseInjection)
        }
        self.assertEqual(modes, {"random"})
        with pytest.raises(ValueError, match="`noise_mode`"):
            stylegan_synthesize(g, ws, "fixed")

    def test_style_mixing_in_training_only(self):
        z = latents(4)
        mixing = stylegan_generator((8, 8, 1), **TINY, seed=0)
        plain = stylegan_generator((8, 8, 1), **TINY, style_mixing_prob=0.0, seed=0)
        plain.set_weights(mixing.get_weights())
        inference = to_np64(mixing(z, training=False))
        # Noise strengths are zero: only mixing can change a training output.
        np.testing.assert_allclose(to_np64(mixing(z, training=False)), inference)
        np.testing.assert_allclose(
            to_np64(plain(z, training=True)), inference, rtol=1e-5, atol=1e-6
        )
        changed = [
            not np.allclose(to_np64(mixing(z, training=True)), inference, atol=1e-6)
            for _ in range(6)
        ]
        self.assertGreaterEqual(sum(changed), 3)
        self.assertIsNone(_find(plain, "mixing_latent"))

    def test_saving_round_trip(self):
        g = stylegan_generator((8, 8, 1), **TINY, seed=0)
        d = stylegan_discriminator((8, 8, 1), channel_base=32, channel_max=4)
        z = latents()
        loaded_g = self.run_saving_test(g, z)
        self.run_saving_test(
            d, np.random.default_rng(0).normal(size=(4, 8, 8, 1)).astype("float32")
        )
        randomize_state(g, seed=3)
        path = self.get_temp_dir() + "/g.keras"
        g.save(path)
        loaded_g = keras.saving.load_model(path, safe_mode=True)
        np.testing.assert_array_equal(
            to_np64(loaded_g.get_layer("style_mixing").w_avg),
            to_np64(g.get_layer("style_mixing").w_avg),
        )
        for psi in (0.0, 0.7):
            np.testing.assert_allclose(
                to_np64(stylegan_generate(loaded_g, z, psi, noise_mode="const")),
                to_np64(stylegan_generate(g, z, psi, noise_mode="const")),
                rtol=1e-6,
                atol=1e-6,
            )

    def test_mixed_precision(self):
        keras.config.set_dtype_policy("mixed_float16")
        g = stylegan_generator((8, 8, 1), **TINY, seed=0)
        d = stylegan_discriminator((8, 8, 1), channel_base=32, channel_max=4)
        images = g(latents(4), training=True)
        self.assertDTypeEqual(images, "float16")
        logits = d(images)
        self.assertDTypeEqual(logits, "float16")
        self.assertTrue(
            np.all(np.isfinite(to_np64(images)))
            and np.all(np.isfinite(to_np64(logits)))
        )
        self.assertDTypeEqual(g.get_layer("style_mixing").w_avg, "float32")

    def test_create_model_returns_the_trainer(self):
        gan = create_model("stylegan", image_shape=(8, 8, 1), **TINY)
        self.assertIsInstance(gan, StyleGAN)
        self.assertFalse(gan.compiled)
        self.assertEqual(gan.latent_dim, 4)
        self.assertEqual(gan.generator.output_shape, (None, 8, 8, 1))
        self.assertEqual(gan.discriminator.input_shape, (None, 8, 8, 1))

    def test_not_a_stylegan_generator(self):
        inputs = keras.Input((4,))
        other = keras.Model(inputs, keras.layers.Dense(2)(inputs))
        with pytest.raises(ValueError, match="`generator`"):
            stylegan_generate(other, latents())


def _find(model, name):
    try:
        return model.get_layer(name)
    except ValueError:
        return None


@pytest.mark.parametrize(
    "image_shape", [(30, 30, 1), (32, 16, 1), (2, 2, 1), (32, 32), (0, 0, 1)]
)
def test_image_shape_must_be_a_square_power_of_two(image_shape):
    for build in (
        lambda: stylegan_generator(image_shape, 4),
        lambda: stylegan_discriminator(image_shape),
        lambda: create_model("stylegan", image_shape=image_shape),
    ):
        with pytest.raises(ValueError, match="`image_shape`"):
            build()


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"latent_dim": 0}, "latent_dim"),
        ({"w_dim": 0}, "w_dim"),
        ({"mapping_layers": 0}, "num_layers"),
        ({"mapping_lr_multiplier": 0.0}, "lr_multiplier"),
        ({"channel_base": 0}, "channel_base"),
        ({"channel_max": -1}, "channel_max"),
        ({"style_mixing_prob": 2.0}, "style_mixing_prob"),
        ({"w_avg_beta": 1.5}, "w_avg_beta"),
        ({"seed": -1}, "seed"),
        ({"name": ""}, "name"),
    ],
)
def test_generator_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        stylegan_generator((8, 8, 1), **{"latent_dim": 4, **kwargs})


def test_synthesis_and_discriminator_bad_arguments():
    with pytest.raises(ValueError, match="`w_dim`"):
        stylegan_synthesis_network((8, 8, 1), w_dim=0)
    with pytest.raises(ValueError, match="`group_size`"):
        stylegan_discriminator((8, 8, 1), mbstd_group_size=0)
