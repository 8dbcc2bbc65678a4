"""The StyleGAN trainer: StyleGAN2's compile defaults and plain fit() on every backend.

One tiny 8x8 StyleGAN (both synthesis block kinds, a residual discriminator
block, minibatch std-dev) is trained the same way in every fit test, so on
JAX the persistent compilation cache of ``conftest.py`` compiles its train
step once.
"""

import os

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.layers import MixingLatent, NoiseInjection, StyleMixing
from keras_dlkit.models import create_model, stylegan_generate
from keras_dlkit.training import GAN, StyleGAN
from keras_dlkit.utils.keras_compat import flatten_layers

CONFIG = {
    "image_shape": (8, 8, 1),
    "latent_dim": 4,
    "mapping_layers": 1,
    "channel_base": 32,
    "channel_max": 4,
}
FIT = {"batch_size": 8, "shuffle": False, "verbose": 0}


def images(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(n, 8, 8, 1)).astype("float32")


def fresh(seed=3):
    keras.utils.set_random_seed(seed)
    gan = create_model("stylegan", **CONFIG, seed=7)
    gan.compile()
    return gan


def layers_of(model, cls):
    return [x for x in flatten_layers(model) if isinstance(x, cls)]


def counter(seed_generator):
    return int(to_np64(seed_generator.state)[1])


def test_fit_without_compile_raises():
    gan = create_model("stylegan", **CONFIG)
    with pytest.raises(ValueError, match="compile()"):
        gan.fit(images(8), batch_size=8)


def test_compile_defaults_are_stylegan2s():
    gan = create_model("stylegan", **CONFIG)
    assert isinstance(gan, GAN)
    gan.compile()
    g_opt, d_opt = gan.generator_optimizer, gan.discriminator_optimizer
    assert g_opt is not d_opt
    for opt in (g_opt, d_opt):
        assert isinstance(opt, keras.optimizers.Adam)
        np.testing.assert_allclose(float(to_np64(opt.learning_rate)), 0.002, rtol=1e-6)
        assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.0, 0.99, 1e-8)
    assert gan.adversarial_loss == "non_saturating"
    assert gan.r1_penalty_weight == 10.0
    assert gan.gradient_penalty_weight == 0.0 and gan.discriminator_steps == 1
    gan.compile(r1_penalty_weight=0.5, generator_optimizer=keras.optimizers.SGD())
    assert gan.r1_penalty_weight == 0.5
    assert isinstance(gan.generator_optimizer, keras.optimizers.SGD)
    with pytest.raises(ValueError, match="`r1_penalty_weight`"):
        gan.compile(r1_penalty_weight=-1.0)


def test_fit_trains_everything_reproducibly_and_saves(tmp_path):
    """Few steps change every variable, two runs with one seed agree, and a
    .keras round trip keeps every variable, seed states and w_avg included."""
    x = images(16)
    first = fresh()
    g = first.generator
    before_g = [to_np64(v) for v in g.trainable_variables]
    before_d = [to_np64(v) for v in first.discriminator.trainable_variables]
    mixing = layers_of(g, StyleMixing)[0]
    randoms = layers_of(g, MixingLatent) + layers_of(g, NoiseInjection) + [mixing]
    counters = [counter(layer.seed_generator) for layer in randoms]
    strengths = [layer.strength for layer in layers_of(g, NoiseInjection)]
    assert len(strengths) == 3 and all(not np.any(to_np64(s)) for s in strengths)

    start_state = [to_np64(v) for v in first.variables + first.optimizer.variables]
    history = first.fit(x, epochs=2, **FIT).history
    steps = 4

    assert set(history) == {"d_loss", "g_loss", "r1_penalty"}
    for values in history.values():
        assert len(values) == 2 and np.all(np.isfinite(values))
    assert history["r1_penalty"][-1] > 0
    for name, variables, old in (
        ("generator", g.trainable_variables, before_g),
        ("discriminator", first.discriminator.trainable_variables, before_d),
    ):
        for variable, value in zip(variables, old, strict=True):
            assert not np.array_equal(to_np64(variable), value), (name, variable.path)
    # The noise strengths start at zero and still receive gradients.
    assert all(np.all(to_np64(s) != 0) for s in strengths)
    assert int(to_np64(first.generator_optimizer.iterations)) == steps
    assert int(to_np64(first.discriminator_optimizer.iterations)) == steps
    # w_avg moved; every random layer drew once per generator call (the
    # critic step and the generator step), style mixing included.
    assert np.all(to_np64(mixing.w_avg) != 0)
    for layer, start in zip(randoms, counters, strict=True):
        assert counter(layer.seed_generator) - start == 2 * steps, layer.name

    # Reproducible: a second trainer built under the same seed starts from the
    # same state (weights, seed states, noise seed), and fit() is a function
    # of that state (re-running from the saved start gives identical
    # results; the same trainer is reused so nothing is traced twice).
    twin = fresh()
    for a, b in zip(
        start_state, twin.variables + twin.optimizer.variables, strict=True
    ):
        np.testing.assert_array_equal(to_np64(b), a)
    trained = [to_np64(v) for v in first.variables + first.optimizer.variables]
    for variable, value in zip(
        first.variables + first.optimizer.variables, start_state, strict=True
    ):
        variable.assign(value.astype(variable.dtype))
    rerun = first.fit(x, epochs=2, **FIT).history
    assert rerun == history
    for variable, value in zip(
        first.variables + first.optimizer.variables, trained, strict=True
    ):
        np.testing.assert_array_equal(to_np64(variable), value, err_msg=variable.path)

    path = os.path.join(tmp_path, "stylegan.keras")
    first.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, StyleGAN) and loaded.r1_penalty_weight == 10.0
    loaded_randoms = (
        layers_of(loaded.generator, MixingLatent)
        + layers_of(loaded.generator, NoiseInjection)
        + layers_of(loaded.generator, StyleMixing)
    )
    for a, b in zip(randoms, loaded_randoms, strict=True):
        np.testing.assert_array_equal(
            to_np64(b.seed_generator.state), to_np64(a.seed_generator.state)
        )
    for a, b in zip(first.variables, loaded.variables, strict=True):
        np.testing.assert_array_equal(to_np64(b), to_np64(a), err_msg=a.path)


def test_generate_applies_truncation():
    gan = create_model("stylegan", **CONFIG, seed=1)
    g = gan.generator
    rng = np.random.default_rng(0)
    for variable in g.trainable_variables:
        if variable.path.endswith("strength"):
            variable.assign(rng.normal(size=variable.shape).astype("float32"))
    g.get_layer("style_mixing").w_avg.assign(rng.normal(size=(4,)).astype("float32"))
    z = rng.normal(size=(3, 4)).astype("float32")
    average = to_np64(gan.generate(z, truncation_psi=0.0, noise_mode="const"))
    np.testing.assert_allclose(average[0], average[1], rtol=1e-5, atol=1e-6)
    full = to_np64(gan.generate(z, noise_mode="const"))
    np.testing.assert_allclose(
        full, to_np64(stylegan_generate(g, z, 1.0, noise_mode="const")), rtol=1e-6
    )
    assert not np.allclose(full[0], full[1])
