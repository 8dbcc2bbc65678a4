"""The conditional GAN trainer through ``fit()`` on every backend.

- one step against a NumPy float64 reference of the whole update on a
  linear conditional GAN with label embeddings (it proves that both networks
  see the batch's labels, and that the generated half uses the real labels);
- every variable of both networks (embeddings included) and both optimizers
  advance, losses stay finite, runs repeat under a seed;
- the input forms (``fit(x, y)``, ``fit((x, y))``, ``tf.data``, labels of
  shape ``(batch,)`` or ``(batch, 1)``), saving and argument errors.
"""

import os

import keras
import numpy as np
import pytest
from _helpers import to_np64
from keras import ops

from keras_dlkit.training import ConditionalGAN

LATENT, FEATURES, CLASSES, EMBED, BATCH = 3, 4, 3, 2, 6
LR_D, LR_G = 0.1, 0.05


def snapshot(variables):
    return [to_np64(v) for v in variables]


def linear_networks(label_shape=(1,)):
    """G([z, y]) = [z, Eg[y]] Wg + bg and D([x, y]) = [x, Ed[y]] Wd + bd."""

    def conditioned(first, name):
        inputs = keras.Input(first, name=f"{name}_first")
        labels = keras.Input(label_shape, dtype="int32", name=f"{name}_labels")
        code = keras.layers.Embedding(CLASSES, EMBED, name=f"{name}_embedding")(labels)
        if label_shape == (1,):
            code = keras.layers.Flatten(name=f"{name}_flatten")(code)
        x = keras.layers.Concatenate(name=f"{name}_concat")([inputs, code])
        units = FEATURES if name == "g" else 1
        outputs = keras.layers.Dense(units, name=f"{name}_dense")(x)
        return keras.Model([inputs, labels], outputs, name=name)

    return conditioned((LATENT,), "g"), conditioned((FEATURES,), "d")


def data(n=BATCH, seed=8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    y = (np.arange(n) % CLASSES).astype("int64")
    rng.shuffle(y)
    return x, y


def replay_noise(seed_state, count, shape):
    generator = keras.random.SeedGenerator(0)
    generator.state.assign(seed_state)
    return [
        to_np64(keras.random.normal(shape, dtype="float32", seed=generator))
        for _ in range(count)
    ]


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_one_step_matches_numpy_reference():
    keras.utils.set_random_seed(0)
    generator, discriminator = linear_networks()
    cgan = ConditionalGAN(generator, discriminator, num_classes=CLASSES, seed=7)
    cgan.compile(
        generator_optimizer=keras.optimizers.SGD(LR_G),
        discriminator_optimizer=keras.optimizers.SGD(LR_D),
    )
    x_real, y = data()
    eg, wg, bg = snapshot(generator.weights)
    ed, wd, bd = snapshot(discriminator.weights)
    z_d, z_g = replay_noise(
        ops.convert_to_numpy(cgan.seed_generator.state), 2, (BATCH, LATENT)
    )

    history = cgan.fit(x_real, y, batch_size=BATCH, shuffle=False, verbose=0).history

    x = x_real.astype(np.float64)
    onehot = np.eye(CLASSES)[y]  # row i selects the embedding of label y[i]
    # Discriminator step: the fakes carry the real batch's labels.
    fake = np.concatenate([z_d, eg[y]], axis=1) @ wg + bg
    real_in = np.concatenate([x, ed[y]], axis=1)
    fake_in = np.concatenate([fake, ed[y]], axis=1)
    r, f = real_in @ wd + bd, fake_in @ wd + bd
    d_value = np.mean(np.logaddexp(0, -r)) + np.mean(np.logaddexp(0, f))
    dr, df = -np_sigmoid(-r) / BATCH, np_sigmoid(f) / BATCH
    grad_wd = real_in.T @ dr + fake_in.T @ df
    grad_bd = dr.sum(axis=0) + df.sum(axis=0)
    grad_ed = onehot.T @ ((dr + df) @ wd[FEATURES:].T)
    ed, wd, bd = ed - LR_D * grad_ed, wd - LR_D * grad_wd, bd - LR_D * grad_bd
    # Generator step, against the updated discriminator.
    g_in = np.concatenate([z_g, eg[y]], axis=1)
    fake = g_in @ wg + bg
    f = np.concatenate([fake, ed[y]], axis=1) @ wd + bd
    g_value = np.mean(np.logaddexp(0, -f))
    grad_fake = (-np_sigmoid(-f) / BATCH) @ wd[:FEATURES].T
    grad_eg = onehot.T @ (grad_fake @ wg[LATENT:].T)
    eg, wg, bg = (
        eg - LR_G * grad_eg,
        wg - LR_G * g_in.T @ grad_fake,
        bg - LR_G * grad_fake.sum(axis=0),
    )

    np.testing.assert_allclose(history["d_loss"][0], d_value, rtol=1e-5)
    np.testing.assert_allclose(history["g_loss"][0], g_value, rtol=1e-5)
    for actual, expected in zip(
        snapshot(discriminator.weights) + snapshot(generator.weights),
        [ed, wd, bd, eg, wg, bg],
        strict=True,
    ):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("penalty", [0.0, 1.0])
def test_fit_moves_every_variable_and_both_optimizers(penalty):
    # Hinge, not Wasserstein: with a linear critic and the same labels on
    # both halves, the Wasserstein loss does not depend on the critic's label
    # embedding or bias (their gradient is exactly zero).
    keras.utils.set_random_seed(1)
    generator, discriminator = linear_networks()
    cgan = ConditionalGAN(generator, discriminator, num_classes=CLASSES)
    cgan.compile(
        loss="hinge",
        gradient_penalty_weight=penalty,
        discriminator_steps=2,
        r1_penalty_weight=1.0,
    )
    before = snapshot(generator.trainable_variables) + snapshot(
        discriminator.trainable_variables
    )
    x, y = data(12)
    history = cgan.fit(x, y, batch_size=6, epochs=2, verbose=0).history
    after = snapshot(generator.trainable_variables) + snapshot(
        discriminator.trainable_variables
    )
    for old, new in zip(before, after, strict=True):
        assert not np.array_equal(old, new)
    assert int(ops.convert_to_numpy(cgan.discriminator_optimizer.iterations)) == 8
    assert int(ops.convert_to_numpy(cgan.generator_optimizer.iterations)) == 4
    expected = {"d_loss", "g_loss", "r1_penalty"} | (
        {"gradient_penalty"} if penalty else set()
    )
    assert set(history) == expected
    assert all(np.all(np.isfinite(v)) for v in history.values())


def test_same_seed_gives_the_same_run():
    def run():
        keras.utils.set_random_seed(3)
        cgan = ConditionalGAN(*linear_networks(), num_classes=CLASSES)
        cgan.compile(loss="hinge")
        x, y = data(12)
        cgan.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
        return snapshot(cgan.variables)

    for a, b in zip(run(), run(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_input_forms_train_alike():
    x, y = data(12)

    def run(*args, label_shape=(1,), **kwargs):
        keras.utils.set_random_seed(4)
        cgan = ConditionalGAN(
            *linear_networks(label_shape), num_classes=CLASSES, seed=5
        )
        cgan.compile()
        cgan.fit(*args, shuffle=False, verbose=0, **kwargs)
        return snapshot(cgan.variables)

    reference = run(x, y, batch_size=6)
    others = [
        run((x, y), batch_size=6),
        run(x, y[:, None].astype("float32"), batch_size=6),
        run(x, y, batch_size=6, label_shape=()),
    ]
    try:
        import tensorflow as tf
    except ImportError:
        tf = None
    if tf is not None:
        others.append(run(tf.data.Dataset.from_tensor_slices((x, y)).batch(6)))
    for other in others:
        for a, b in zip(reference, other, strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_networks_and_trainer_save_and_load(tmp_path):
    keras.utils.set_random_seed(0)
    generator, discriminator = linear_networks()
    cgan = ConditionalGAN(generator, discriminator, num_classes=CLASSES, seed=2)
    cgan.compile(loss="hinge", r1_penalty_weight=2.0)
    x, y = data(12)
    cgan.fit(x, y, batch_size=6, verbose=0)
    z = np.random.default_rng(1).normal(size=(4, LATENT)).astype("float32")
    labels = np.array([[0], [1], [2], [1]], "int32")
    for model, inputs in ((generator, [z, labels]), (discriminator, [x[:4], labels])):
        path = os.path.join(tmp_path, f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        np.testing.assert_allclose(
            to_np64(loaded(inputs)), to_np64(model(inputs)), rtol=1e-6, atol=1e-6
        )
    path = os.path.join(tmp_path, "cgan.keras")
    cgan.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, ConditionalGAN)
    assert (loaded.num_classes, loaded.latent_dim, loaded.seed) == (CLASSES, LATENT, 2)
    assert loaded.adversarial_loss == "hinge" and loaded.r1_penalty_weight == 2.0
    np.testing.assert_allclose(
        to_np64(loaded([z, labels[:, 0]])), to_np64(cgan([z, labels])), rtol=1e-6
    )


def test_bad_input_says_what_to_do():
    generator, discriminator = linear_networks()
    with pytest.raises(ValueError, match="`num_classes` must be an integer >= 2"):
        ConditionalGAN(generator, discriminator, num_classes=1)
    cgan = ConditionalGAN(generator, discriminator, num_classes=CLASSES)
    x, y = data()
    with pytest.raises(ValueError, match=r"call cgan\.compile\(\)"):
        cgan.fit(x, y, verbose=0)
    cgan.compile()
    with pytest.raises(ValueError, match=r"fit\(images, labels\)"):
        cgan.fit(x, batch_size=BATCH, verbose=0)
    with pytest.raises(ValueError, match="validation"):
        cgan.fit(x, y, validation_split=0.5, verbose=0)
    with pytest.raises(ValueError, match=r"takes \[noise, labels\]"):
        cgan(np.zeros((2, LATENT), "float32"))

    plain_g = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(FEATURES)])
    with pytest.raises(ValueError, match=r"exactly 2 inputs \(\[noise, labels\]\)"):
        ConditionalGAN(plain_g, discriminator, num_classes=CLASSES)
    z, wide = keras.Input((LATENT,)), keras.Input((2,), dtype="int32")
    two_labels = keras.Model(
        [z, wide], keras.layers.Dense(FEATURES)(keras.layers.Concatenate()([z, wide]))
    )
    with pytest.raises(ValueError, match=r"labels\) must have shape \(None,\)"):
        ConditionalGAN(two_labels, discriminator, num_classes=CLASSES)
    with pytest.raises(ValueError, match="latent_dim"):
        ConditionalGAN(generator, discriminator, num_classes=CLASSES, latent_dim=0)
