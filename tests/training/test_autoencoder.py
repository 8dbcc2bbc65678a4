"""The Autoencoder trainer: losses against NumPy, every variable trains, saving.

The builders' behaviour on real data (below the mean-image baseline,
denoising, sparsity) is in tests/models/test_autoencoders.py.
"""

import os

import keras
import numpy as np
import pytest
from _helpers import to_np

from keras_dlkit.models import create_model
from keras_dlkit.training import Autoencoder

BATCH, FEATURES, CODE = 6, 5, 2


def snapshot(variables):
    return [np.array(to_np(v)) for v in variables]


def linear_autoencoder(output_activation=None, seed=0, **encoder_kwargs):
    rng = np.random.default_rng(seed)
    x = keras.Input((FEATURES,))
    encoder = keras.Model(x, keras.layers.Dense(CODE, **encoder_kwargs)(x))
    z = keras.Input((CODE,))
    decoder = keras.Model(
        z, keras.layers.Dense(FEATURES, activation=output_activation)(z)
    )
    encoder.set_weights([rng.normal(size=(FEATURES, CODE)), rng.normal(size=CODE)])
    decoder.set_weights(
        [rng.normal(size=(CODE, FEATURES)), 0.1 * rng.normal(size=FEATURES)]
    )
    return Autoencoder(encoder, decoder)


def data(n=BATCH, seed=1):
    return np.random.default_rng(seed).uniform(size=(n, FEATURES)).astype("float32")


# -- the loss against NumPy ------------------------------------------------------------


def test_one_sgd_step_matches_numpy_reference():
    lr = 0.1
    ae = linear_autoencoder()
    ae.compile(optimizer=keras.optimizers.SGD(lr))
    we, be = snapshot(ae.encoder.weights)
    wd, bd = snapshot(ae.decoder.weights)
    x32 = data()
    x = x32.astype(np.float64)

    history = ae.fit(x32, batch_size=BATCH, shuffle=False, verbose=0).history

    z = x @ we + be
    x_hat = z @ wd + bd
    loss = np.mean((x_hat - x) ** 2)
    d_xhat = 2 * (x_hat - x) / x.size
    d_z = d_xhat @ wd.T
    expected = [
        we - lr * x.T @ d_z,
        be - lr * d_z.sum(0),
        wd - lr * z.T @ d_xhat,
        bd - lr * d_xhat.sum(0),
    ]
    np.testing.assert_allclose(history["loss"][0], loss, rtol=1e-5)
    np.testing.assert_allclose(history["reconstruction_loss"][0], loss, rtol=1e-5)
    for actual, want in zip(snapshot(ae.weights), expected, strict=True):
        np.testing.assert_allclose(actual, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", ["mae", "binary_crossentropy"])
def test_other_reconstruction_losses_match_numpy(loss):
    ae = linear_autoencoder(output_activation="sigmoid")
    ae.compile(optimizer=keras.optimizers.SGD(0.0), loss=loss)
    x = data()
    x_hat = to_np(ae(x)).astype(np.float64)
    if loss == "mae":
        expected = np.mean(np.abs(x_hat - x))
    else:
        expected = -np.mean(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat))
    result = ae.evaluate(x, batch_size=BATCH, verbose=0, return_dict=True)
    np.testing.assert_allclose(result["loss"], expected, rtol=1e-5)


def test_target_and_sample_weight():
    ae = linear_autoencoder()
    ae.compile(optimizer=keras.optimizers.SGD(0.0))
    x, y = data(), data(seed=5)
    x_hat = to_np(ae(x)).astype(np.float64)
    per_sample = np.mean((x_hat - y) ** 2, axis=1)
    result = ae.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    np.testing.assert_allclose(result["loss"], per_sample.mean(), rtol=1e-5)
    weights = np.arange(BATCH, dtype="float32")
    result = ae.evaluate(
        x, y, sample_weight=weights, batch_size=BATCH, verbose=0, return_dict=True
    )
    np.testing.assert_allclose(result["loss"], np.mean(per_sample * weights), rtol=1e-5)
    fresh = linear_autoencoder()  # a new trace: TF relaxes shapes on retracing
    fresh.compile()
    with pytest.raises(ValueError, match="labels are not targets"):
        fresh.fit(x, np.zeros((BATCH, 1)), verbose=0)


def test_regularization_losses_are_added_and_logged():
    ae = linear_autoencoder(activity_regularizer=keras.regularizers.L1(0.01))
    assert ae.has_regularization
    ae.compile(optimizer=keras.optimizers.SGD(0.0))
    x = data()
    codes = to_np(ae.encoder(x)).astype(np.float64)
    x_hat = to_np(ae(x)).astype(np.float64)
    reconstruction = np.mean((x_hat - x) ** 2)
    # Keras divides activity penalties by the batch size.
    penalty = 0.01 * np.abs(codes).sum() / BATCH
    logs = ae.fit(x, batch_size=BATCH, verbose=0).history
    assert sorted(logs) == ["loss", "reconstruction_loss", "regularization_loss"]
    np.testing.assert_allclose(
        logs["reconstruction_loss"][0], reconstruction, rtol=1e-5
    )
    np.testing.assert_allclose(logs["regularization_loss"][0], penalty, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"][0], reconstruction + penalty, rtol=1e-5)


# -- every variable trains, reproducibly -------------------------------------------------


BUILDERS = {
    "dense_autoencoder": {"hidden_units": (8,)},
    "conv_autoencoder": {"filters": (4, 4)},
    "denoising_autoencoder": {"hidden_units": (8,), "mask_rate": 0.2},
    "sparse_autoencoder_l1": {"hidden_units": (8,), "sparsity": "l1"},
    "sparse_autoencoder_kl": {"hidden_units": (8,), "sparsity": "kl"},
}


def build(key, seed=0):
    keras.utils.set_random_seed(seed)
    name = key.rsplit("_", 1)[0] if key.startswith("sparse") else key
    return create_model(name, input_shape=(8, 8, 1), latent_dim=3, **BUILDERS[key])


def images(n=32, seed=0):
    return np.random.default_rng(seed).uniform(size=(n, 8, 8, 1)).astype("float32")


@pytest.mark.parametrize("key", sorted(BUILDERS))
def test_fit_moves_every_variable_and_is_reproducible(key):
    def run():
        ae = build(key)
        ae.compile()
        before = snapshot(ae.trainable_variables)
        history = ae.fit(images(), batch_size=16, epochs=2, verbose=0).history
        return ae, before, history

    ae, before, history = run()
    names = [v.path for v in ae.trainable_variables]
    assert len(names) == len(ae.encoder.trainable_variables) + len(
        ae.decoder.trainable_variables
    )
    after = snapshot(ae.trainable_variables)
    unchanged = [
        n for n, a, b in zip(names, before, after, strict=True) if np.all(a == b)
    ]
    assert not unchanged, f"not trained: {unchanged}"
    for values in history.values():
        assert np.all(np.isfinite(values))
    assert int(to_np(ae.optimizer.iterations)) == 4
    expected_logs = ["loss", "reconstruction_loss"]
    if key.startswith("sparse"):
        expected_logs.append("regularization_loss")
    assert sorted(history) == expected_logs

    again, _, _ = run()
    for a, b in zip(after, snapshot(again.trainable_variables), strict=True):
        np.testing.assert_array_equal(a, b)


# -- compile, saving --------------------------------------------------------------------


def test_compile_defaults():
    ae = build("dense_autoencoder")
    ae.compile()
    assert isinstance(ae.optimizer, keras.optimizers.Adam)
    np.testing.assert_allclose(float(to_np(ae.optimizer.learning_rate)), 1e-3)
    assert ae.reconstruction_loss == "mse"
    assert [m.name for m in ae.metrics] == ["loss", "reconstruction_loss"]
    ae.compile(optimizer="sgd", loss="binary_crossentropy")
    assert isinstance(ae.optimizer, keras.optimizers.SGD)
    with pytest.raises(ValueError, match=r"`loss` must be one of 'mse'"):
        ae.compile(loss="huber")
    with pytest.raises(ValueError, match=r"`optimizer` must be a keras"):
        ae.compile(optimizer="not_an_optimizer")


def test_networks_save_and_load_as_plain_keras_models(tmp_path):
    ae = build("denoising_autoencoder")
    x = images(4)
    for model, inputs in ((ae.encoder, x), (ae.decoder, to_np(ae.encoder(x)))):
        path = os.path.join(tmp_path, f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        assert type(loaded) is type(model)
        np.testing.assert_allclose(
            to_np(loaded(inputs)), to_np(model(inputs)), rtol=1e-6, atol=1e-6
        )


def test_trainer_round_trip_resumes_exactly(tmp_path):
    x = images(32)
    fit = dict(batch_size=16, shuffle=False, verbose=0)

    def fresh():
        ae = build("denoising_autoencoder", seed=3)
        ae.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy")
        return ae

    straight = fresh()
    straight.fit(x, epochs=2, **fit)
    ae = fresh()
    ae.fit(x, epochs=1, **fit)
    path = os.path.join(tmp_path, "ae.keras")
    ae.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, Autoencoder) and loaded.name == "denoising_autoencoder"
    assert loaded.reconstruction_loss == "binary_crossentropy"
    assert int(to_np(loaded.optimizer.iterations)) == 2
    np.testing.assert_allclose(float(to_np(loaded.optimizer.learning_rate)), 2e-3)
    np.testing.assert_allclose(to_np(loaded(x)), to_np(ae(x)), rtol=1e-6, atol=1e-7)
    loaded.fit(x, epochs=1, **fit)  # same dropout masks and Adam slots
    exact = keras.backend.backend() != "tensorflow"
    for a, b in zip(
        snapshot(straight.variables), snapshot(loaded.variables), strict=True
    ):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)


def test_get_config_round_trip():
    ae = build("conv_autoencoder")
    clone = Autoencoder.from_config(ae.get_config())
    assert clone.encoder.output_shape == ae.encoder.output_shape
    assert clone.decoder.output_shape == ae.decoder.output_shape
    assert not clone.compiled


# -- bad input --------------------------------------------------------------------------


def test_fit_and_evaluate_without_compile_raise():
    ae = build("dense_autoencoder")
    with pytest.raises(ValueError, match=r"call autoencoder\.compile\(\)"):
        ae.fit(images(4), verbose=0)
    with pytest.raises(ValueError, match=r"Autoencoder\.evaluate\(\) needs compile"):
        ae.evaluate(images(4), verbose=0)


def test_constructor_rejects_networks_that_do_not_fit():
    x, z = keras.Input((4,)), keras.Input((2,))
    encoder = keras.Model(x, keras.layers.Dense(2)(x))
    decoder = keras.Model(z, keras.layers.Dense(4)(z))
    z3 = keras.Input((3,))
    wide_decoder = keras.Model(z3, keras.layers.Dense(4)(z3))
    with pytest.raises(
        ValueError, match=r"decoder's input shape \(None, 3\) must match the "
    ):
        Autoencoder(encoder, wide_decoder)
    z2 = keras.Input((2,))
    short_decoder = keras.Model(z2, keras.layers.Dense(5)(z2))
    with pytest.raises(ValueError, match=r"output shape \(None, 5\) must match"):
        Autoencoder(encoder, short_decoder)
    with pytest.raises(ValueError, match="`decoder` must be a keras.Model"):
        Autoencoder(encoder, keras.layers.Dense(4))
    with pytest.raises(ValueError, match="two different models"):
        Autoencoder(decoder, decoder)
    two = keras.Model(x, [keras.layers.Dense(2)(x), keras.layers.Dense(2)(x)])
    with pytest.raises(ValueError, match="one output"):
        Autoencoder(two, decoder)
