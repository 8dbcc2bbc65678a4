"""The VAE trainer: the ELBO against NumPy, training on Fashion-MNIST, saving."""

import os

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.datasets import load_fashion_mnist
from keras_dlkit.models import create_model
from keras_dlkit.training import VAE

BATCH, FEATURES, LATENT = 6, 5, 2
HALF_LOG_TWO_PI = 0.5 * np.log(2 * np.pi)


def snapshot(variables):
    return [np.array(to_np(v)) for v in variables]


def linear_vae(reconstruction="gaussian", beta=1.0, seed=3, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    x = keras.Input((FEATURES,))
    encoder = keras.Model(
        x,
        [
            keras.layers.Dense(LATENT, name="z_mean")(x),
            keras.layers.Dense(LATENT, name="z_log_var")(x),
        ],
    )
    z = keras.Input((LATENT,))
    activation = "sigmoid" if reconstruction == "bernoulli" else None
    decoder = keras.Model(z, keras.layers.Dense(FEATURES, activation=activation)(z))
    encoder.set_weights(
        [
            rng.normal(size=(FEATURES, LATENT)),
            rng.normal(size=LATENT),
            0.3 * rng.normal(size=(FEATURES, LATENT)),
            0.1 * rng.normal(size=LATENT),
        ]
    )
    decoder.set_weights(
        [rng.normal(size=(LATENT, FEATURES)), rng.normal(size=FEATURES)]
    )
    return VAE(encoder, decoder, beta=beta, reconstruction=reconstruction, seed=seed)


def data(n=BATCH, seed=1):
    return np.random.default_rng(seed).uniform(size=(n, FEATURES)).astype("float32")


def replay_eps(vae, shape):
    """The trainer's next sampling noise: same seed state, same draw."""
    generator = keras.random.SeedGenerator(0)
    generator.state.assign(vae.sampling.seed_generator.state)
    return to_np(keras.random.normal(shape, dtype="float32", seed=generator))


def np_kl(mean, log_var):
    return 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=1)


# -- the ELBO against NumPy ----------------------------------------------------------


@pytest.mark.parametrize("beta", [1.0, 4.0])
def test_one_sgd_step_matches_numpy_reference(beta):
    lr = 0.05
    vae = linear_vae(beta=beta)
    vae.compile(optimizer=keras.optimizers.SGD(lr))
    wm, bm, wv, bv = snapshot(vae.encoder.weights)
    wd, bd = snapshot(vae.decoder.weights)
    x32 = data()
    x = x32.astype(np.float64)
    eps = replay_eps(vae, (BATCH, LATENT)).astype(np.float64)

    logs = vae.fit(x32, batch_size=BATCH, shuffle=False, verbose=0).history

    n = BATCH
    mean, log_var = x @ wm + bm, x @ wv + bv
    std = np.exp(0.5 * log_var)
    z = mean + std * eps
    x_hat = z @ wd + bd
    nll = np.sum(0.5 * (x - x_hat) ** 2 + HALF_LOG_TWO_PI, axis=1)
    kl = np_kl(mean, log_var)
    np.testing.assert_allclose(logs["reconstruction_loss"][0], nll.mean(), rtol=1e-5)
    np.testing.assert_allclose(logs["kl_loss"][0], kl.mean(), rtol=1e-5)
    np.testing.assert_allclose(logs["loss"][0], (nll + beta * kl).mean(), rtol=1e-5)

    d_xhat = (x_hat - x) / n
    d_z = d_xhat @ wd.T
    d_mean = d_z + beta * mean / n
    d_log_var = d_z * eps * 0.5 * std + beta * 0.5 * (np.exp(log_var) - 1) / n
    expected = [
        wm - lr * x.T @ d_mean,
        bm - lr * d_mean.sum(0),
        wv - lr * x.T @ d_log_var,
        bv - lr * d_log_var.sum(0),
        wd - lr * z.T @ d_xhat,
        bd - lr * d_xhat.sum(0),
    ]
    for actual, want in zip(snapshot(vae.weights), expected, strict=True):
        np.testing.assert_allclose(actual, want, rtol=1e-4, atol=1e-6)


def test_bernoulli_likelihood_and_predict_outputs():
    vae = linear_vae(reconstruction="bernoulli")
    vae.compile()
    x = data()
    eps = replay_eps(vae, (BATCH, LATENT))
    out = {k: to_np(v).astype(np.float64) for k, v in vae(x).items()}
    assert sorted(out) == ["reconstruction", "z", "z_log_var", "z_mean"]
    np.testing.assert_allclose(
        out["z"], out["z_mean"] + np.exp(0.5 * out["z_log_var"]) * eps, rtol=1e-5
    )
    # evaluate() draws the next noise: recompute from the same seed state.
    vae2 = linear_vae(reconstruction="bernoulli")
    vae2.compile()
    result = vae2.evaluate(x, batch_size=BATCH, verbose=0, return_dict=True)
    p = out["reconstruction"]
    nll = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)
    kl = np_kl(out["z_mean"], out["z_log_var"])
    np.testing.assert_allclose(result["reconstruction_loss"], nll.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["kl_loss"], kl.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["loss"], (nll + kl).mean(), rtol=1e-5)


def test_encoder_that_samples_itself_is_used_as_is():
    # An encoder returning (z_mean, z_log_var, z) with z = z_mean: no noise.
    x = keras.Input((FEATURES,))
    mean = keras.layers.Dense(LATENT)(x)
    log_var = keras.layers.Dense(LATENT)(x)
    encoder = keras.Model(x, [mean, log_var, mean])
    z = keras.Input((LATENT,))
    decoder = keras.Model(z, keras.layers.Dense(FEATURES)(z))
    vae = VAE(encoder, decoder, reconstruction="gaussian")
    out = vae(data())
    np.testing.assert_array_equal(to_np(out["z"]), to_np(out["z_mean"]))
    np.testing.assert_allclose(
        to_np(out["reconstruction"]), to_np(decoder(out["z_mean"])), rtol=1e-6
    )


# -- every variable trains, reproducibly -------------------------------------------------


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("vae", {"hidden_units": (8,)}),
        ("conv_vae", {"filters": (4, 4), "beta": 2.0}),
    ],
)
def test_fit_moves_every_variable_and_is_reproducible(name, kwargs):
    x = np.random.default_rng(0).uniform(size=(32, 8, 8, 1)).astype("float32")

    def run():
        keras.utils.set_random_seed(1)
        vae = create_model(name, input_shape=(8, 8, 1), latent_dim=3, **kwargs)
        vae.compile()
        before = snapshot(vae.trainable_variables)
        history = vae.fit(x, batch_size=16, epochs=2, verbose=0).history
        return vae, before, history

    vae, before, history = run()
    names = [v.path for v in vae.trainable_variables]
    after = snapshot(vae.trainable_variables)
    unchanged = [
        n for n, a, b in zip(names, before, after, strict=True) if np.all(a == b)
    ]
    assert not unchanged, f"not trained: {unchanged}"
    assert len(names) == len(vae.encoder.trainable_variables) + len(
        vae.decoder.trainable_variables
    )
    assert sorted(history) == ["kl_loss", "loss", "reconstruction_loss"]
    for values in history.values():
        assert np.all(np.isfinite(values))
    np.testing.assert_allclose(
        history["loss"],
        np.array(history["reconstruction_loss"])
        + vae.beta * np.array(history["kl_loss"]),
        rtol=1e-5,
    )
    again, _, _ = run()
    for a, b in zip(after, snapshot(again.trainable_variables), strict=True):
        np.testing.assert_array_equal(a, b)


def test_mixed_precision_training_keeps_float32_losses():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        vae = create_model("vae", input_shape=(6,), latent_dim=2, hidden_units=(4,))
        vae.compile()
        x = np.random.default_rng(0).uniform(size=(16, 6)).astype("float32")
        history = vae.fit(x, batch_size=8, verbose=0).history
    finally:
        keras.config.set_dtype_policy("float32")
    assert keras.backend.standardize_dtype(vae.decoder.output.dtype) == "float16"
    for values in history.values():
        assert np.all(np.isfinite(values))


# -- real data: the ELBO improves on held-out Fashion-MNIST ----------------------------


def test_elbo_improves_on_held_out_fashion_mnist():
    (x_train, _), (x_test, _) = load_fashion_mnist()
    x_train = x_train[:2000, ..., None].astype("float32") / 255.0
    x_test = x_test[:500, ..., None].astype("float32") / 255.0
    keras.utils.set_random_seed(0)
    vae = create_model(
        "vae", input_shape=(28, 28, 1), latent_dim=8, hidden_units=(128,), seed=0
    )
    vae.compile()
    before = vae.evaluate(x_test, batch_size=250, verbose=0, return_dict=True)
    vae.fit(x_train, batch_size=64, epochs=2, verbose=0)
    after = vae.evaluate(x_test, batch_size=250, verbose=0, return_dict=True)
    elbo_before = -(before["reconstruction_loss"] + before["kl_loss"])
    elbo_after = -(after["reconstruction_loss"] + after["kl_loss"])
    # Per image, in nats: an untrained decoder predicts ~0.5 everywhere
    # (784 * log 2 = 543 nats); two short epochs gain well over 150 nats.
    assert elbo_before < -450
    assert elbo_after > elbo_before + 150, (elbo_before, elbo_after)
    np.testing.assert_allclose(after["loss"], -elbo_after, rtol=1e-5)  # beta = 1
    # Reconstructions of the posterior means beat the mean training image.
    means = to_np(vae.encoder.predict(x_test, verbose=0)[0])
    reconstruction = to_np(vae.decoder.predict(means, verbose=0))
    mse = np.mean((reconstruction - x_test) ** 2)
    baseline = np.mean((x_train.mean(axis=0) - x_test) ** 2)
    assert mse < 0.8 * baseline, (mse, baseline)


# -- saving ----------------------------------------------------------------------------


def test_trainer_round_trip_resumes_exactly(tmp_path):
    x = np.random.default_rng(0).uniform(size=(32, 8, 8, 1)).astype("float32")
    fit = dict(batch_size=16, shuffle=False, verbose=0)

    def fresh():
        keras.utils.set_random_seed(2)
        vae = create_model(
            "conv_vae",
            input_shape=(8, 8, 1),
            latent_dim=3,
            filters=(4,),
            beta=0.5,
            reconstruction="gaussian",
            seed=9,
            name="my_vae",
        )
        vae.compile(optimizer=keras.optimizers.Adam(2e-3))
        return vae

    straight = fresh()
    straight.fit(x, epochs=2, **fit)
    vae = fresh()
    vae.fit(x, epochs=1, **fit)
    path = os.path.join(tmp_path, "vae.keras")
    vae.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, VAE) and loaded.name == "my_vae"
    assert (loaded.beta, loaded.reconstruction, loaded.seed) == (0.5, "gaussian", 9)
    assert int(to_np(loaded.optimizer.iterations)) == 2
    np.testing.assert_array_equal(
        to_np(loaded.sampling.seed_generator.state),
        to_np(vae.sampling.seed_generator.state),
    )
    loaded.fit(x, epochs=1, **fit)  # same sampling noise and Adam slots
    exact = keras.backend.backend() != "tensorflow"
    for a, b in zip(
        snapshot(straight.variables), snapshot(loaded.variables), strict=True
    ):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)


def test_networks_save_and_load_as_plain_keras_models(tmp_path):
    vae = create_model("vae", input_shape=(8, 8, 1), latent_dim=3, hidden_units=(8,))
    x = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype("float32")
    z = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    for model, inputs in ((vae.encoder, x), (vae.decoder, z)):
        path = os.path.join(tmp_path, f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        assert type(loaded) is type(model)
        for a, b in zip(
            keras.tree.flatten(loaded(inputs)),
            keras.tree.flatten(model(inputs)),
            strict=True,
        ):
            np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-6, atol=1e-6)


def test_get_config_round_trip():
    vae = linear_vae(beta=2.0, seed=4)
    config = vae.get_config()
    assert (config["beta"], config["reconstruction"], config["seed"]) == (
        2.0,
        "gaussian",
        4,
    )
    clone = VAE.from_config(config)
    assert clone.beta == 2.0 and clone.seed == 4 and not clone.compiled


# -- bad input ---------------------------------------------------------------------------


def test_fit_without_compile_raises():
    vae = linear_vae()
    with pytest.raises(ValueError, match=r"call vae\.compile\(\)"):
        vae.fit(data(), verbose=0)


def test_constructor_rejects_networks_that_do_not_fit():
    x, z = keras.Input((4,)), keras.Input((2,))
    decoder = keras.Model(z, keras.layers.Dense(4)(z))
    one = keras.Model(x, keras.layers.Dense(2)(x))
    with pytest.raises(ValueError, match=r"2 or 3 output\(s\), got 1 input\(s\) and 1"):
        VAE(one, decoder)
    uneven = keras.Model(x, [keras.layers.Dense(2)(x), keras.layers.Dense(3)(x)])
    with pytest.raises(ValueError, match="must have the same shape"):
        VAE(uneven, decoder)
    wide = keras.Model(x, [keras.layers.Dense(3)(x), keras.layers.Dense(3)(x)])
    with pytest.raises(ValueError, match=r"decoder's input shape \(None, 2\) must"):
        VAE(wide, decoder)
    good = keras.Model(x, [keras.layers.Dense(2)(x), keras.layers.Dense(2)(x)])
    z2 = keras.Input((2,))
    with pytest.raises(ValueError, match=r"output shape \(None, 5\) must match"):
        VAE(good, keras.Model(z2, keras.layers.Dense(5)(z2)))
    with pytest.raises(ValueError, match=r"`beta` must be a finite number"):
        VAE(good, decoder, beta=-1.0)
    with pytest.raises(ValueError, match=r"`reconstruction` must be one of"):
        VAE(good, decoder, reconstruction="poisson")
    with pytest.raises(ValueError, match=r"`seed` must be an integer"):
        VAE(good, decoder, seed=0.5)
