"""The GAN trainer: two optimizers under plain ``fit()`` on every backend.

Each backend has its own ``train_step`` (tensorflow: traced ``GradientTape``;
jax: jitted stateless step on ``fit()``'s state; torch: eager ``backward``),
so every check runs through ``fit()``:

- one step against a NumPy float64 reference of the whole update (critic
  steps, then the generator step, with SGD), for each loss, on the same
  noise, replayed from the trainer's seed state;
- the gradient penalty (a double backward) against a closed form on a
  quadratic critic, where it depends on the interpolation weights;
- the two-optimizer bookkeeping that breaks on JAX when done naively: every
  variable, every optimizer slot and both step counters advance;
- reproducibility, inputs, saving and argument errors.
"""

import os

import keras
import numpy as np
import pytest
from _helpers import to_np64
from keras import ops

from keras_dlkit.training import GAN

LOSSES = ("non_saturating", "hinge", "wgan_gp")
LATENT = 3
IMAGE = (4, 4, 1)


def snapshot(variables):
    return [to_np64(v) for v in variables]


def functional(input_shape, layers, name):
    inputs = keras.Input(input_shape)
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name=name)


def image_generator():
    return functional(
        (LATENT,),
        [
            keras.layers.Dense(8, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Reshape(IMAGE),
        ],
        "generator",
    )


def image_discriminator():
    # No output bias: the Wasserstein loss and the penalty do not depend on it
    # (its gradient is exactly zero), and every variable must move here.
    return functional(
        IMAGE,
        [
            keras.layers.Flatten(),
            keras.layers.Dense(8),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Dropout(0.25),
            keras.layers.Dense(1, use_bias=False),
        ],
        "discriminator",
    )


def images(n=32, seed=0):
    return (
        np.random.default_rng(seed).uniform(-1, 1, size=(n, *IMAGE)).astype("float32")
    )


def image_gan(seed=None, **kwargs):
    return GAN(image_generator(), image_discriminator(), seed=seed, **kwargs)


def seed_counter(gan):
    return int(ops.convert_to_numpy(gan.seed_generator.state)[1])


# -- the two-optimizer pattern, through fit() ------------------------------------


@pytest.mark.parametrize("loss", LOSSES)
def test_fit_moves_every_variable_and_both_optimizers(loss):
    keras.utils.set_random_seed(1)
    gan = image_gan()
    gan.compile(loss=loss, discriminator_steps=2)
    g_opt, d_opt = gan.generator_optimizer, gan.discriminator_optimizer
    # JAX's fit threads only `gan.optimizer.variables`: both optimizers' state
    # must be in there.
    ids = {id(v) for v in gan.optimizer.variables}
    assert {id(v) for v in g_opt.variables + d_opt.variables} <= ids

    def optimizer_state(opt):
        return [v for v in opt.variables if not v.path.endswith("learning_rate")]

    watched = {
        "generator": gan.generator.trainable_variables,
        "discriminator": gan.discriminator.trainable_variables,
        "batchnorm statistics": [
            v for v in gan.generator.non_trainable_variables if "moving" in v.path
        ],
        "generator optimizer": optimizer_state(g_opt),
        "discriminator optimizer": optimizer_state(d_opt),
    }
    assert len(watched["batchnorm statistics"]) == 2
    before = {k: snapshot(v) for k, v in watched.items()}
    counter = seed_counter(gan)

    epochs, steps = 2, 2  # 32 samples, batch 16
    history = gan.fit(images(32), batch_size=16, epochs=epochs, verbose=0)

    for key, variables in watched.items():
        for variable, old in zip(variables, before[key], strict=True):
            assert not np.array_equal(to_np64(variable), old), (key, variable.path)
    n = epochs * steps
    assert int(ops.convert_to_numpy(d_opt.iterations)) == 2 * n
    assert int(ops.convert_to_numpy(g_opt.iterations)) == n
    assert int(ops.convert_to_numpy(gan.optimizer.iterations)) == n
    # Noise draws: per critic step z (and the interpolation weights with a
    # penalty), then z for the generator.
    draws_per_step = 2 * (2 if loss == "wgan_gp" else 1) + 1
    assert seed_counter(gan) - counter == n * draws_per_step

    expected = {"d_loss", "g_loss"} | (
        {"gradient_penalty"} if loss == "wgan_gp" else set()
    )
    assert set(history.history) == expected
    for values in history.history.values():
        assert len(values) == epochs and np.all(np.isfinite(values))
    # The trackers are reset each epoch: they hold the last epoch's 32 samples.
    for tracker in gan.metrics:
        assert float(ops.convert_to_numpy(tracker.count)) == 32.0
        np.testing.assert_allclose(
            float(ops.convert_to_numpy(tracker.result())),
            history.history[tracker.name][-1],
            rtol=1e-6,
        )


def assert_same_run(first, second):
    """Two runs' variables agree: exactly on jax and torch.

    TensorFlow's CPU kernels are not bitwise reproducible from one freshly
    traced train function to the next: CI runs saw differences from one
    float32 ulp up to 2e-7 on an Adam second moment of 7e-6, after the
    wgan_gp double backward, and once 8e-6 on an entry of 1.5e-5 in a
    vector whose largest entry is 9e-4 (Adam divides by the root of a tiny
    second moment, which magnifies the noise). So on TensorFlow each variable
    must agree to 2% of its own largest entry. That still catches a replayed
    or unseeded noise draw and lost optimizer slots on the variables that
    start at zero (biases, slots), which such bugs move by the order of their
    size; jax and torch check everything exactly.
    """
    exact = keras.backend.backend() != "tensorflow"
    for a, b in zip(first, second, strict=True):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            scale = float(np.max(np.abs(b))) if np.size(b) else 0.0
            np.testing.assert_allclose(a, b, rtol=0, atol=2e-2 * scale + 1e-10)


def test_same_seed_gives_the_same_run():
    def run():
        keras.utils.set_random_seed(3)  # weights, dropout and the noise seed
        gan = image_gan()
        gan.compile(loss="wgan_gp", discriminator_steps=2)
        gan.fit(images(32), batch_size=16, epochs=1, shuffle=False, verbose=0)
        return snapshot(gan.variables)

    assert_same_run(run(), run())


def test_noise_comes_from_the_trainer_seed():
    # Same weights, same data (uint8, cast to float by the trainer), only the
    # trainer's noise seed differs.
    x = np.random.default_rng(0).integers(0, 2, size=(16, *IMAGE), dtype=np.uint8)

    def run(seed):
        keras.utils.set_random_seed(5)
        gan = image_gan(seed=seed)
        gan.compile(loss="hinge")
        history = gan.fit(x, batch_size=16, shuffle=False, verbose=0).history
        assert np.isfinite(history["d_loss"][0])
        return snapshot(gan.generator.trainable_variables)

    a, b = run(10), run(11)
    assert any(not np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# -- one step against NumPy ----------------------------------------------------------


FEATURES, BATCH = 3, 4
LR_D, LR_G, PENALTY = 0.1, 0.05, 10.0


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_discriminator_terms(loss, r, f):
    """Loss value and its derivatives with respect to each real and fake logit."""
    b = r.size
    if loss == "non_saturating":
        value = np.mean(np.logaddexp(0, -r)) + np.mean(np.logaddexp(0, f))
        return value, -np_sigmoid(-r) / b, np_sigmoid(f) / b
    if loss == "hinge":
        value = np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f))
        return value, -(1 - r > 0).astype(float) / b, (1 + f > 0).astype(float) / b
    return np.mean(f) - np.mean(r), -np.ones_like(r) / b, np.ones_like(f) / b


def np_generator_terms(loss, f):
    b = f.size
    if loss == "non_saturating":
        return np.mean(np.logaddexp(0, -f)), -np_sigmoid(-f) / b
    return -np.mean(f), -np.ones_like(f) / b


def replay_noise(seed_state, draws):
    """Draw what the trainer drew: same seed state, same calls, same order."""
    generator = keras.random.SeedGenerator(0)
    generator.state.assign(seed_state)
    out = []
    for kind, shape in draws:
        sample = getattr(keras.random, kind)(shape, dtype="float32", seed=generator)
        out.append(to_np64(sample))
    return out


def linear_gan(loss, steps, seed):
    rng = np.random.default_rng(seed)
    generator = functional((LATENT,), [keras.layers.Dense(FEATURES)], "generator")
    discriminator = functional((FEATURES,), [keras.layers.Dense(1)], "discriminator")
    generator.set_weights(
        [rng.normal(size=(LATENT, FEATURES)), 0.1 * rng.normal(size=FEATURES)]
    )
    discriminator.set_weights(
        [rng.normal(size=(FEATURES, 1)), 0.1 * rng.normal(size=1)]
    )
    gan = GAN(generator, discriminator, seed=seed)
    gan.compile(
        generator_optimizer=keras.optimizers.SGD(LR_G),
        discriminator_optimizer=keras.optimizers.SGD(LR_D),
        loss=loss,
        discriminator_steps=steps,
    )
    return gan


@pytest.mark.parametrize(
    "loss, steps", [("non_saturating", 1), ("hinge", 2), ("wgan_gp", 2)]
)
def test_one_step_matches_numpy_reference(loss, steps):
    gan = linear_gan(loss, steps, seed=7)
    real = np.random.default_rng(8).normal(size=(BATCH, FEATURES)).astype("float32")
    wg, bg = snapshot(gan.generator.weights)
    w, b = snapshot(gan.discriminator.weights)
    penalized = loss == "wgan_gp"
    per_critic = [("normal", (BATCH, LATENT))] + (
        [("uniform", (BATCH, 1))] if penalized else []
    )
    draws = per_critic * steps + [("normal", (BATCH, LATENT))]
    noise = replay_noise(ops.convert_to_numpy(gan.seed_generator.state), draws)

    history = gan.fit(real, batch_size=BATCH, shuffle=False, verbose=0).history

    x = real.astype(np.float64)
    d_values, penalties = [], []
    for step in range(steps):
        z = noise[step * len(per_critic)]
        fake = z @ wg + bg
        value, dr, df = np_discriminator_terms(loss, x @ w + b, fake @ w + b)
        grad_w, grad_b = x.T @ dr + fake.T @ df, dr.sum() + df.sum()
        if penalized:
            # A linear critic's input gradient is w at every point, so the
            # penalty is (|w| - 1)^2 whatever the interpolation weights.
            norm = np.sqrt(np.sum(w**2) + 1e-12)
            penalties.append((norm - 1) ** 2)
            value += PENALTY * penalties[-1]
            grad_w = grad_w + PENALTY * 2 * (norm - 1) * w / norm
        d_values.append(value)
        w, b = w - LR_D * grad_w, b - LR_D * grad_b
    z = noise[-1]
    fake = z @ wg + bg
    g_value, df = np_generator_terms(loss, fake @ w + b)
    grad_fake = df @ w.T
    wg, bg = wg - LR_G * z.T @ grad_fake, bg - LR_G * grad_fake.sum(axis=0)

    for actual, expected in zip(
        snapshot(gan.discriminator.weights) + snapshot(gan.generator.weights),
        [w, b, wg, bg],
        strict=True,
    ):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history["d_loss"][0], np.mean(d_values), rtol=1e-5)
    np.testing.assert_allclose(history["g_loss"][0], g_value, rtol=1e-5, atol=1e-7)
    if penalized:
        np.testing.assert_allclose(
            history["gradient_penalty"][0], np.mean(penalties), rtol=1e-5
        )


def test_gradient_penalty_matches_closed_form_on_quadratic_critic():
    # D(x) = (x * x) @ v + c: its input gradient 2 v * x depends on where the
    # interpolate lies, so the penalty checks the interpolation weights too.
    rng = np.random.default_rng(11)
    generator = functional((LATENT,), [keras.layers.Dense(FEATURES)], "generator")
    inputs = keras.Input((FEATURES,))
    squares = keras.layers.Multiply()([inputs, inputs])
    discriminator = keras.Model(inputs, keras.layers.Dense(1)(squares))
    generator.set_weights(
        [rng.normal(size=(LATENT, FEATURES)), 0.1 * rng.normal(size=FEATURES)]
    )
    discriminator.set_weights([rng.normal(size=(FEATURES, 1)), np.zeros(1)])
    gan = GAN(generator, discriminator, seed=2)
    gan.compile(
        generator_optimizer=keras.optimizers.SGD(LR_G),
        discriminator_optimizer=keras.optimizers.SGD(LR_D),
        loss="wgan_gp",
        discriminator_steps=1,
    )
    real = rng.normal(size=(BATCH, FEATURES)).astype("float32")
    wg, bg = snapshot(gan.generator.weights)
    v, c = snapshot(gan.discriminator.weights)
    z, eps, _ = replay_noise(
        ops.convert_to_numpy(gan.seed_generator.state),
        [
            ("normal", (BATCH, LATENT)),
            ("uniform", (BATCH, 1)),
            ("normal", (BATCH, LATENT)),
        ],
    )

    history = gan.fit(real, batch_size=BATCH, shuffle=False, verbose=0).history

    x = real.astype(np.float64)
    fake = z @ wg + bg
    mixed = eps * x + (1 - eps) * fake
    grads = 2 * mixed * v.T
    norms = np.sqrt(np.sum(grads**2, axis=1, keepdims=True) + 1e-12)
    penalty = np.mean((norms - 1) ** 2)
    d_loss = np.mean(fake**2 @ v + c) - np.mean(x**2 @ v + c) + PENALTY * penalty
    grad_v = (
        np.mean(fake**2 - x**2, axis=0)[:, None]
        + PENALTY
        * np.mean(2 * (norms - 1) / norms * grads * 2 * mixed, axis=0)[:, None]
    )

    np.testing.assert_allclose(history["gradient_penalty"][0], penalty, rtol=1e-5)
    np.testing.assert_allclose(history["d_loss"][0], d_loss, rtol=1e-5)
    new_v, new_c = snapshot(gan.discriminator.weights)
    np.testing.assert_allclose(new_v, v - LR_D * grad_v, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(new_c, c)  # the Wasserstein loss ignores it


# -- the R1 penalty ----------------------------------------------------------------------

GAMMA = 3.0


def finite_difference_input_gradients(f, x, h=1e-6):
    """Central differences of ``sum(f(x))`` for each input coordinate (float64)."""
    grads = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        grads[index] = (np.sum(f(up)) - np.sum(f(down))) / (2 * h)
    return grads


def test_r1_penalty_one_step_matches_numpy_on_a_linear_discriminator():
    gan = linear_gan("non_saturating", 1, seed=7)
    gan.compile(
        generator_optimizer=keras.optimizers.SGD(LR_G),
        discriminator_optimizer=keras.optimizers.SGD(LR_D),
        r1_penalty_weight=GAMMA,
    )
    assert [m.name for m in gan.metrics] == ["d_loss", "g_loss", "r1_penalty"]
    real = np.random.default_rng(8).normal(size=(BATCH, FEATURES)).astype("float32")
    wg, bg = snapshot(gan.generator.weights)
    w, b = snapshot(gan.discriminator.weights)
    # R1 draws no noise: the seed stream is the plain GAN's.
    z, z_g = replay_noise(
        ops.convert_to_numpy(gan.seed_generator.state),
        [("normal", (BATCH, LATENT)), ("normal", (BATCH, LATENT))],
    )

    history = gan.fit(real, batch_size=BATCH, shuffle=False, verbose=0).history

    x = real.astype(np.float64)
    grads = finite_difference_input_gradients(lambda v: v @ w + b, x)
    np.testing.assert_allclose(grads, np.broadcast_to(w.T, x.shape), atol=1e-6)
    r1 = np.mean(np.sum(grads**2, axis=1))  # = |w|^2 for a linear critic
    fake = z @ wg + bg
    value, dr, df = np_discriminator_terms("non_saturating", x @ w + b, fake @ w + b)
    # d/dw of gamma/2 * |w|^2 is gamma * w; the bias does not enter the penalty.
    grad_w = x.T @ dr + fake.T @ df + GAMMA * w
    grad_b = dr.sum() + df.sum()
    w, b = w - LR_D * grad_w, b - LR_D * grad_b
    fake = z_g @ wg + bg
    g_value, df = np_generator_terms("non_saturating", fake @ w + b)
    grad_fake = df @ w.T
    wg, bg = wg - LR_G * z_g.T @ grad_fake, bg - LR_G * grad_fake.sum(axis=0)

    np.testing.assert_allclose(history["r1_penalty"][0], r1, rtol=1e-5)
    np.testing.assert_allclose(history["d_loss"][0], value + GAMMA / 2 * r1, rtol=1e-5)
    np.testing.assert_allclose(history["g_loss"][0], g_value, rtol=1e-5)
    for actual, expected in zip(
        snapshot(gan.discriminator.weights) + snapshot(gan.generator.weights),
        [w, b, wg, bg],
        strict=True,
    ):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_r1_penalty_matches_finite_differences_on_a_nonlinear_discriminator():
    # D(x) = tanh(x W1 + b1) w2: its input gradient depends on x, so the
    # penalty checks that the gradient is taken at the real samples.
    rng = np.random.default_rng(12)
    generator = functional((LATENT,), [keras.layers.Dense(FEATURES)], "generator")
    discriminator = functional(
        (FEATURES,),
        [keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(1)],
        "discriminator",
    )
    discriminator.set_weights(
        [
            rng.normal(size=(FEATURES, 5)),
            0.1 * rng.normal(size=5),
            rng.normal(size=(5, 1)),
            np.zeros(1),
        ]
    )
    w1, b1, w2, b2 = snapshot(discriminator.weights)
    gan = GAN(generator, discriminator, seed=2)
    gan.compile(loss="hinge", r1_penalty_weight=GAMMA)
    real = rng.normal(size=(BATCH, FEATURES)).astype("float32")

    history = gan.fit(real, batch_size=BATCH, shuffle=False, verbose=0).history

    def critic(v):
        return np.tanh(v @ w1 + b1) @ w2 + b2

    grads = finite_difference_input_gradients(critic, real.astype(np.float64))
    r1 = np.mean(np.sum(grads**2, axis=1))
    np.testing.assert_allclose(history["r1_penalty"][0], r1, rtol=1e-4)


def test_r1_penalty_weight_is_validated_and_saved(tmp_path):
    gan = image_gan(seed=1)
    with pytest.raises(ValueError, match="`r1_penalty_weight` must be"):
        gan.compile(r1_penalty_weight=-1.0)
    if keras.backend.backend() == "torch":
        with pytest.raises(ValueError, match="double backward"):
            gan.compile(r1_penalty_weight=1.0, jit_compile=True)
    gan.compile(r1_penalty_weight=10.0)
    assert gan.get_compile_config()["r1_penalty_weight"] == 10.0
    history = gan.fit(images(16), batch_size=16, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "r1_penalty"}
    assert np.isfinite(history["r1_penalty"][0]) and history["r1_penalty"][0] > 0
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.r1_penalty_weight == 10.0
    assert [m.name for m in loaded.metrics] == ["d_loss", "g_loss", "r1_penalty"]
    gan.compile()
    assert gan.r1_penalty_weight == 0.0
    assert [m.name for m in gan.metrics] == ["d_loss", "g_loss"]


# -- inputs ---------------------------------------------------------------------------


class LabelledImages(keras.utils.PyDataset):
    def __init__(self, x, batch_size):
        super().__init__()
        self.x, self.batch_size = x, batch_size

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, index):
        batch = self.x[index * self.batch_size : (index + 1) * self.batch_size]
        return batch, np.zeros((len(batch), 1), "float32")  # labels are ignored


def test_pydataset_and_tf_data_train_like_the_array():
    tf = pytest.importorskip("tensorflow")
    x = images(32)

    def run(data, **kwargs):
        keras.utils.set_random_seed(6)
        gan = image_gan()
        gan.compile(loss="non_saturating")
        gan.fit(data, shuffle=False, verbose=0, **kwargs)
        return snapshot(gan.variables)

    from_array = run(x, batch_size=16)
    from_pydataset = run(LabelledImages(x, 16))
    from_tf_data = run(tf.data.Dataset.from_tensor_slices(x).batch(16))
    for a, b, c in zip(from_array, from_pydataset, from_tf_data, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(c, a, rtol=1e-6, atol=1e-7)


# -- saving ---------------------------------------------------------------------------


def test_networks_save_and_load_as_plain_keras_models(tmp_path):
    keras.utils.set_random_seed(0)
    gan = image_gan()
    z = np.random.default_rng(1).normal(size=(5, LATENT)).astype("float32")
    x = images(5)
    for model, inputs in ((gan.generator, z), (gan.discriminator, x)):
        path = os.path.join(tmp_path, f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        assert type(loaded) is type(model)  # a plain functional model
        np.testing.assert_allclose(
            to_np64(loaded.predict(inputs, verbose=0)),
            to_np64(model.predict(inputs, verbose=0)),
            rtol=1e-6,
            atol=1e-6,
        )
    np.testing.assert_allclose(to_np64(gan(z)), to_np64(gan.generator(z)), rtol=1e-6)


def test_trainer_round_trip_resumes_exactly(tmp_path):
    x = images(32)
    fit = dict(batch_size=16, shuffle=False, verbose=0)

    def fresh():
        keras.utils.set_random_seed(2)
        gan = image_gan(seed=4, name="my_gan")
        gan.compile(
            generator_optimizer=keras.optimizers.Adam(1e-3),
            loss="wgan_gp",
            gradient_penalty_weight=5.0,
            discriminator_steps=2,
        )
        return gan

    straight = fresh()
    straight.fit(x, epochs=2, **fit)

    gan = fresh()
    gan.fit(x, epochs=1, **fit)
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, GAN) and loaded.name == "my_gan"
    assert (loaded.latent_dim, loaded.seed) == (LATENT, 4)
    assert loaded.adversarial_loss == "wgan_gp"
    assert loaded.gradient_penalty_weight == 5.0 and loaded.discriminator_steps == 2
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(loaded.generator_optimizer.learning_rate)), 1e-3
    )
    assert int(ops.convert_to_numpy(loaded.discriminator_optimizer.iterations)) == 4
    loaded.fit(x, epochs=1, **fit)
    assert_same_run(snapshot(straight.variables), snapshot(loaded.variables))


def test_get_config_round_trip_without_a_file():
    gan = image_gan(seed=3)
    config = gan.get_config()
    assert config["latent_dim"] == LATENT and config["seed"] == 3
    clone = GAN.from_config(config)
    assert clone.generator.output_shape == gan.generator.output_shape
    assert clone.discriminator.input_shape == gan.discriminator.input_shape
    assert not clone.compiled


# -- compile defaults -------------------------------------------------------------------


def test_compile_defaults_follow_the_papers():
    gan = image_gan()
    gan.compile()
    assert gan.adversarial_loss == "non_saturating"
    assert gan.discriminator_steps == 1 and gan.gradient_penalty_weight == 0.0
    for opt in (gan.generator_optimizer, gan.discriminator_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        np.testing.assert_allclose(float(ops.convert_to_numpy(opt.learning_rate)), 2e-4)
        assert (opt.beta_1, opt.beta_2) == (0.5, 0.999)
    assert gan.generator_optimizer is not gan.discriminator_optimizer
    assert [m.name for m in gan.metrics] == ["d_loss", "g_loss"]

    gan.compile(loss="wgan_gp")
    assert gan.discriminator_steps == 5 and gan.gradient_penalty_weight == 10.0
    for opt in (gan.generator_optimizer, gan.discriminator_optimizer):
        np.testing.assert_allclose(float(ops.convert_to_numpy(opt.learning_rate)), 1e-4)
        assert (opt.beta_1, opt.beta_2) == (0.0, 0.9)
    assert [m.name for m in gan.metrics] == ["d_loss", "g_loss", "gradient_penalty"]

    gan.compile(loss="hinge", gradient_penalty_weight=1.0, discriminator_steps=3)
    assert gan.gradient_penalty_weight == 1.0 and gan.discriminator_steps == 3
    assert isinstance(gan.optimizer, keras.optimizers.MultiOptimizer)


def test_recompile_with_the_same_optimizers_is_allowed():
    gan = image_gan()
    g_opt, d_opt = keras.optimizers.Adam(), keras.optimizers.RMSprop()
    gan.compile(generator_optimizer=g_opt, discriminator_optimizer=d_opt)
    gan.compile(generator_optimizer=g_opt, discriminator_optimizer=d_opt, loss="hinge")
    assert gan.discriminator_optimizer is d_opt


# -- bad input ------------------------------------------------------------------------


def test_fit_without_compile_raises():
    gan = image_gan()
    with pytest.raises(ValueError, match=r"call gan\.compile\(\)"):
        gan.fit(images(16), batch_size=16, verbose=0)


def test_constructor_rejects_bad_networks():
    g, d = image_generator(), image_discriminator()
    with pytest.raises(
        ValueError, match=r"`latent_dim` must be an integer >= 1, got 0"
    ):
        GAN(g, d, latent_dim=0)
    with pytest.raises(ValueError, match=r"input shape must be \(None, latent_dim\)"):
        GAN(g, d, latent_dim=4)
    other_d = functional(
        (5, 4, 1), [keras.layers.Flatten(), keras.layers.Dense(1)], "d"
    )
    with pytest.raises(
        ValueError,
        match=r"output shape \(None, 4, 4, 1\) must match the discriminator's "
        r"input shape \(None, 5, 4, 1\)",
    ):
        GAN(g, other_d)
    with pytest.raises(ValueError, match="`discriminator` must be a keras.Model"):
        GAN(g, keras.layers.Dense(1))
    with pytest.raises(ValueError, match="two different models"):
        GAN(d, d)
    a, b = keras.Input((3,)), keras.Input((3,))
    two_inputs = keras.Model([a, b], keras.layers.Add()([a, b]))
    with pytest.raises(ValueError, match="exactly one input and one output, got 2"):
        GAN(two_inputs, d)
    shared = keras.layers.Dense(16)
    g2 = functional((16,), [shared, keras.layers.Reshape(IMAGE)], "g2")
    d2 = functional(
        IMAGE, [keras.layers.Flatten(), shared, keras.layers.Dense(1)], "d2"
    )
    with pytest.raises(ValueError, match="share 2 variables"):
        GAN(g2, d2)


def test_compile_rejects_bad_arguments():
    gan = image_gan()
    with pytest.raises(ValueError, match=r"`loss` must be one of 'non_saturating', "):
        gan.compile(loss="wasserstein")
    with pytest.raises(ValueError, match="`gradient_penalty_weight` must be"):
        gan.compile(gradient_penalty_weight=-1.0)
    with pytest.raises(
        ValueError, match=r"`discriminator_steps` must be an integer >= 1"
    ):
        gan.compile(discriminator_steps=0)
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two different optimizer instances"):
        gan.compile(generator_optimizer=shared, discriminator_optimizer=shared)
    with pytest.raises(ValueError, match="`generator_optimizer` must be a keras"):
        gan.compile(generator_optimizer="not_an_optimizer")
    with pytest.raises(ValueError, match="not a MultiOptimizer"):
        gan.compile(
            discriminator_optimizer=keras.optimizers.MultiOptimizer(
                lambda v: keras.optimizers.SGD()
            )
        )
    elsewhere = keras.optimizers.Adam()
    elsewhere.build([keras.Variable(np.zeros(2))])
    with pytest.raises(ValueError, match="already built for other variables"):
        gan.compile(generator_optimizer=elsewhere)


def test_torch_compile_is_refused_with_a_gradient_penalty():
    gan = image_gan()
    if keras.backend.backend() == "torch":
        with pytest.raises(ValueError, match="double backward"):
            gan.compile(loss="wgan_gp", jit_compile=True)
    else:
        gan.compile(loss="wgan_gp", jit_compile=True)
        assert gan.jit_compile is True
    gan.compile(loss="wgan_gp", gradient_penalty_weight=0.0, jit_compile=True)
    assert gan.gradient_penalty_weight == 0.0


def test_fit_and_evaluate_reject_what_a_gan_cannot_use():
    gan = image_gan()
    gan.compile()
    x = images(16)
    with pytest.raises(ValueError, match="`y` must be None"):
        gan.fit(x, np.zeros(16), verbose=0)
    with pytest.raises(ValueError, match="validation"):
        gan.fit(x, validation_split=0.5, verbose=0)
    with pytest.raises(NotImplementedError, match="evaluate"):
        gan.evaluate(x)
