"""Autoencoder and VAE builders: structure, corruption, sparsity, real data.

Trainer mechanics (losses against NumPy, saving) are tested in
tests/training/test_autoencoder.py and tests/training/test_vae.py.
"""

import keras
import numpy as np
import pytest
from _helpers import to_np
from _tolerance import assert_close_to_scale

from keras_dlkit.datasets import load_fashion_mnist
from keras_dlkit.layers import KLSparsityRegularization
from keras_dlkit.models import (
    conv_decoder,
    conv_encoder,
    create_model,
    dense_decoder,
    dense_encoder,
    get_model_entry,
    list_models,
)
from keras_dlkit.training import VAE, Autoencoder

NAMES = [
    "conv_autoencoder",
    "conv_vae",
    "dense_autoencoder",
    "denoising_autoencoder",
    "sparse_autoencoder",
    "vae",
]


def dense_params(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


# -- structure ----------------------------------------------------------------------


def test_registered_as_generative_trainers():
    assert set(NAMES) <= set(list_models(family="generative"))
    for name in NAMES:
        entry = get_model_entry(name)
        trainer = create_model(name, **entry.test_config)
        assert isinstance(trainer, VAE if "vae" in name else Autoencoder)
        assert trainer.encoder.input_shape == (None, *entry.test_input_shape)
        assert trainer.decoder.output_shape == (None, *entry.test_input_shape)
        assert not trainer.compiled
        assert trainer.count_params() < 5000


def test_dense_autoencoder_parameter_count_and_names():
    ae = create_model("dense_autoencoder", input_shape=(28, 28, 1))
    assert ae.encoder.count_params() == dense_params([784, 256, 128, 32])
    assert ae.decoder.count_params() == dense_params([32, 128, 256, 784])
    assert ae.encoder.get_layer("code").output.shape == (None, 32)
    assert [layer.name for layer in ae.decoder.layers[1:]] == [
        "dense_0",
        "dense_1",
        "reconstruction",
        "reshape",
    ]
    assert ae.decoder.get_layer("dense_0").units == 128
    assert ae.decoder.get_layer("reconstruction").activation.__name__ == "sigmoid"


def test_conv_networks_shapes_and_parameter_counts():
    encoder = conv_encoder((28, 28, 1), 16)
    assert encoder.get_layer("conv_0").output.shape == (None, 14, 14, 32)
    assert encoder.get_layer("conv_1").output.shape == (None, 7, 7, 64)
    assert encoder.count_params() == (
        (9 * 1 * 32 + 32) + (9 * 32 * 64 + 64) + (7 * 7 * 64 * 16 + 16)
    )
    decoder = conv_decoder(16, (28, 28, 1))
    assert decoder.get_layer("reshape").output.shape == (None, 7, 7, 64)
    assert decoder.get_layer("deconv_1").output.shape == (None, 28, 28, 32)
    assert decoder.count_params() == (
        (16 * 7 * 7 * 64 + 7 * 7 * 64)
        + (9 * 64 * 64 + 64)
        + (9 * 64 * 32 + 32)
        + (9 * 32 * 1 + 1)
    )
    rgb = conv_decoder(4, (32, 16, 3), filters=(8, 8, 8))
    assert rgb.output_shape == (None, 32, 16, 3)


def test_forward_pass_matches_numpy():
    encoder = dense_encoder((6,), 2, hidden_units=(4,), activation="tanh")
    decoder = dense_decoder(2, (3, 2), hidden_units=(5,), output_activation=None)
    x = np.random.default_rng(0).normal(size=(3, 6)).astype("float32")
    w0, b0, wc, bc = encoder.get_weights()
    code = np.tanh(x @ w0 + b0) @ wc + bc
    # Matmul outputs: compared at the scale of the whole code.
    assert_close_to_scale(to_np(encoder(x)), code)
    w1, b1, wr, br = decoder.get_weights()
    out = (np.maximum(code @ w1 + b1, 0) @ wr + br).reshape(3, 3, 2)
    np.testing.assert_allclose(to_np(decoder(code)), out, rtol=1e-5, atol=1e-5)


def test_vae_builders():
    model = create_model("vae", input_shape=(28, 28, 1), latent_dim=2)
    assert [t.shape for t in model.encoder.outputs] == [(None, 2), (None, 2)]
    assert [layer.name for layer in model.encoder.layers[-2:]] == [
        "z_mean",
        "z_log_var",
    ]
    assert model.decoder.get_layer("reconstruction").activation.__name__ == "sigmoid"
    assert (model.beta, model.reconstruction) == (1.0, "bernoulli")
    gaussian = create_model(
        "conv_vae",
        input_shape=(8, 8, 3),
        latent_dim=3,
        beta=4.0,
        reconstruction="gaussian",
        seed=1,
    )
    assert gaussian.decoder.output_shape == (None, 8, 8, 3)
    assert gaussian.decoder.get_layer("reconstruction").activation.__name__ == "linear"
    assert (gaussian.beta, gaussian.seed) == (4.0, 1)


def test_sparse_builders_wire_the_penalties():
    l1 = create_model("sparse_autoencoder", input_shape=(8,), latent_dim=4)
    code = l1.encoder.get_layer("code")
    assert code.activation.__name__ == "relu"
    np.testing.assert_allclose(code.activity_regularizer.l1, 1e-4)
    kl = create_model(
        "sparse_autoencoder",
        input_shape=(8, 8, 1),
        latent_dim=4,
        sparsity="kl",
        sparsity_weight=0.5,
        target=0.2,
        architecture="conv",
        filters=(4,),
    )
    layer = kl.encoder.get_layer("sparsity")
    assert isinstance(layer, KLSparsityRegularization)
    assert (layer.target, layer.weight) == (0.2, 0.5)
    assert kl.encoder.get_layer("code").activation.__name__ == "sigmoid"
    assert l1.has_regularization and kl.has_regularization


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_latent_dim_below_one_raises(name):
    entry = get_model_entry(name)
    with pytest.raises(
        ValueError, match=r"`latent_dim` must be an integer >= 1, got 0"
    ):
        create_model(name, **{**entry.test_config, "latent_dim": 0})


def test_image_sizes_the_decoder_cannot_produce_raise():
    with pytest.raises(ValueError, match=r"multiples of 4"):
        create_model("conv_autoencoder", input_shape=(30, 30, 1))
    with pytest.raises(ValueError, match=r"`output_shape` \(28, 28, 1\) cannot be"):
        conv_decoder(4, (28, 28, 1), filters=(8, 8, 8))
    with pytest.raises(ValueError, match=r"`input_shape` must be a tuple of positive"):
        create_model("conv_vae", input_shape=(28, 28))


@pytest.mark.parametrize(
    "name, kwargs, argument",
    [
        ("dense_autoencoder", {"hidden_units": (8, 0)}, "hidden_units"),
        ("dense_autoencoder", {"activation": "relux"}, "activation"),
        ("dense_autoencoder", {"name": ""}, "name"),
        ("conv_autoencoder", {"filters": ()}, "filters"),
        ("conv_autoencoder", {"kernel_size": 0}, "kernel_size"),
        ("denoising_autoencoder", {"noise_stddev": -0.1}, "noise_stddev"),
        ("denoising_autoencoder", {"mask_rate": 1.0}, "mask_rate"),
        (
            "denoising_autoencoder",
            {"noise_stddev": 0.0, "mask_rate": 0.0},
            "noise_stddev",
        ),
        ("denoising_autoencoder", {"architecture": "rnn"}, "architecture"),
        ("sparse_autoencoder", {"sparsity": "l2"}, "sparsity"),
        ("sparse_autoencoder", {"sparsity_weight": -1.0}, "sparsity_weight"),
        ("sparse_autoencoder", {"sparsity": "kl", "target": 1.0}, "target"),
        ("vae", {"beta": -1.0}, "beta"),
        ("vae", {"reconstruction": "poisson"}, "reconstruction"),
        ("conv_vae", {"seed": 1.5}, "seed"),
    ],
)
def test_bad_arguments_name_the_argument(name, kwargs, argument):
    config = {**get_model_entry(name).test_config, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        create_model(name, **config)


# -- denoising: corruption in training only ----------------------------------------------


def test_corruption_layers_act_in_training_only():
    ae = create_model(
        "denoising_autoencoder",
        input_shape=(4000,),
        latent_dim=2,
        hidden_units=(3,),
        noise_stddev=0.3,
        mask_rate=0.25,
    )
    x = np.full((2, 4000), 0.5, "float32")
    noise = keras.Model(
        ae.encoder.input, ae.encoder.get_layer("corruption_noise").output
    )
    mask = keras.Model(ae.encoder.input, ae.encoder.get_layer("corruption_mask").output)
    np.testing.assert_array_equal(to_np(noise(x, training=False)), x)
    np.testing.assert_array_equal(to_np(mask(x, training=False)), x)
    noisy = to_np(noise(x, training=True)) - x
    np.testing.assert_allclose(noisy.mean(), 0.0, atol=0.02)
    np.testing.assert_allclose(noisy.std(), 0.3, rtol=0.05)
    masked = to_np(mask(x, training=True))
    np.testing.assert_allclose(np.mean(masked == 0.0), 0.25, atol=0.02)
    # Inference: the encoder computes on the clean input.
    w0, b0, wc, bc = ae.encoder.get_weights()
    clean = np.maximum(x @ w0 + b0, 0) @ wc + bc
    np.testing.assert_allclose(to_np(ae.encoder(x)), clean, rtol=1e-4, atol=1e-5)
    # A compiled 4000-term matmul: compared at the scale of the whole code.
    assert_close_to_scale(to_np(ae.encoder.predict(x, verbose=0)), clean, rel=1e-4)


@pytest.mark.parametrize("name", ["dense_autoencoder", "denoising_autoencoder"])
def test_fit_corrupts_and_evaluate_does_not(name):
    # With a zero learning rate, fit() reports the loss of the training-mode
    # pass and evaluate() that of the inference pass, at the same weights.
    keras.utils.set_random_seed(0)
    kwargs = {"noise_stddev": 1.0} if name == "denoising_autoencoder" else {}
    ae = create_model(
        name, input_shape=(16,), latent_dim=3, hidden_units=(8,), **kwargs
    )
    ae.compile(optimizer=keras.optimizers.SGD(0.0))
    x = np.random.default_rng(0).uniform(size=(32, 16)).astype("float32")
    clean = float(np.mean((to_np(ae.predict(x, verbose=0)) - x) ** 2))
    trained = ae.fit(x, batch_size=32, verbose=0).history["loss"][0]
    evaluated = ae.evaluate(x, batch_size=32, verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(evaluated, clean, rtol=1e-5)
    if name == "denoising_autoencoder":
        assert abs(trained - clean) > 1e-3 * clean, (trained, clean)
    else:
        np.testing.assert_allclose(trained, clean, rtol=1e-5)


# -- real data: Fashion-MNIST ------------------------------------------------------------


@pytest.fixture(scope="module")
def fashion():
    (x_train, _), (x_test, _) = load_fashion_mnist()
    x_train = x_train[:2000, ..., None].astype("float32") / 255.0
    x_test = x_test[:500, ..., None].astype("float32") / 255.0
    baseline = float(np.mean((x_train.mean(axis=0) - x_test) ** 2))
    return x_train, x_test, baseline


_SMALL = {"hidden_units": (128,), "latent_dim": 16}
REAL_DATA = {
    "dense": ("dense_autoencoder", _SMALL),
    "conv": ("conv_autoencoder", {"filters": (8, 16), "latent_dim": 16}),
    "denoising": ("denoising_autoencoder", _SMALL),
    "sparse_l1": ("sparse_autoencoder", {**_SMALL, "sparsity": "l1"}),
    "sparse_kl": ("sparse_autoencoder", {**_SMALL, "sparsity": "kl"}),
    "unpenalized_l1": (
        "sparse_autoencoder",
        {**_SMALL, "sparsity": "l1", "sparsity_weight": 0.0},
    ),
    "unpenalized_kl": (
        "sparse_autoencoder",
        {**_SMALL, "sparsity": "kl", "sparsity_weight": 0.0},
    ),
}
_TRAINED = {}


def trained(key, fashion):
    """Train once per module; return (codes, test MSE).

    2,000 images, 2 epochs of batches of 64 (63 steps), Adam(2e-3): a CI-sized
    run (torch's CPU steps are the slow ones).
    """
    if key not in _TRAINED:
        x_train, x_test, _ = fashion
        name, kwargs = REAL_DATA[key]
        keras.utils.set_random_seed(0)
        ae = create_model(name, input_shape=(28, 28, 1), **kwargs)
        ae.compile(optimizer=keras.optimizers.Adam(2e-3))
        ae.fit(x_train, batch_size=64, epochs=2, verbose=0)
        codes = to_np(ae.encoder.predict(x_test, verbose=0))
        mse = float(np.mean((ae.predict(x_test, verbose=0) - x_test) ** 2))
        _TRAINED[key] = (codes, mse)
    return _TRAINED[key]


@pytest.mark.parametrize(
    "key", ["dense", "conv", "denoising", "sparse_l1", "sparse_kl"]
)
def test_reconstruction_beats_the_mean_image(key, fashion):
    _, mse = trained(key, fashion)
    baseline = fashion[2]
    assert mse < 0.9 * baseline, (key, mse, baseline)


def test_l1_penalty_silences_code_units(fashion):
    codes, _ = trained("sparse_l1", fashion)
    free, _ = trained("unpenalized_l1", fashion)
    assert codes.mean() < 0.8 * free.mean(), (codes.mean(), free.mean())
    assert np.mean(codes > 0) < np.mean(free > 0)


def test_kl_penalty_pulls_mean_activation_toward_target(fashion):
    codes, _ = trained("sparse_kl", fashion)
    free, _ = trained("unpenalized_kl", fashion)
    assert np.all((codes >= 0) & (codes <= 1))
    assert codes.mean() < 0.6 * free.mean(), (codes.mean(), free.mean())
    assert abs(codes.mean() - 0.05) < abs(free.mean() - 0.05)
