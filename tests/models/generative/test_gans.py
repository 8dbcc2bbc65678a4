"""GAN, DCGAN and conditional GAN builders: architecture, training and errors.

- DCGAN against the paper: output shapes for 28x28x1, 32x32x3, 64x64x3,
  stage widths, the parameter count of the 64x64x3 networks computed by hand
  from the published architecture, N(0, 0.02) initialization, no pooling;
- a few ``fit()`` steps of every builder's trainer change every trainable
  variable of both networks, keep the losses finite and repeat exactly under
  a seed (on each backend);
- ``.keras`` round trips of the networks under ``safe_mode=True``;
- bad arguments raise a ``ValueError`` that says what to do.
"""

import os

import keras
import numpy as np
import pytest
from _helpers import to_np64
from keras import ops

from keras_dlkit.models import (
    conditional_gan,
    create_model,
    dcgan_discriminator,
    dcgan_generator,
    dcgan_stages,
    gan_discriminator,
    gan_generator,
    get_model_entry,
)
from keras_dlkit.training import GAN, ConditionalGAN


def count(variables):
    return sum(int(np.prod(v.shape)) for v in variables)


# -- DCGAN architecture ------------------------------------------------------------------


@pytest.mark.parametrize(
    "image_shape, stages, base",
    [((28, 28, 1), 2, 7), ((32, 32, 3), 3, 4)],
)
def test_dcgan_output_shapes(image_shape, stages, base):
    # (64x64x3 is checked at full width with the parameter count below.)
    # Narrow networks (widths 8 and 4) keep the builds cheap; the widths
    # scale as in the paper: the generator's last hidden layer has 8 filters
    # and each earlier one twice as many (capped at 8 * 8), the
    # discriminator 4, 8, 16, ...
    trainer = create_model(
        "dcgan",
        image_shape=image_shape,
        latent_dim=100,
        generator_width=8,
        discriminator_width=4,
    )
    assert isinstance(trainer, GAN) and trainer.latent_dim == 100
    generator, discriminator = trainer.generator, trainer.discriminator
    assert dcgan_stages(image_shape) == stages
    assert generator.output_shape == (None, *image_shape)
    assert discriminator.input_shape == (None, *image_shape)
    assert discriminator.output_shape == (None, 1)
    assert generator.get_layer("reshape").output.shape == (
        None,
        base,
        base,
        min(8 * 2 ** (stages - 1), 64),
    )
    up = [
        layer
        for layer in generator.layers
        if isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    assert len(up) == stages and all(layer.strides == (2, 2) for layer in up)
    assert [layer.filters for layer in up] == [
        8 * 2**k for k in reversed(range(stages - 1))
    ] + [image_shape[-1]]
    down = [
        layer
        for layer in discriminator.layers
        if isinstance(layer, keras.layers.Conv2D)
    ]
    assert [layer.filters for layer in down] == [4 * 2**i for i in range(stages)]
    assert discriminator.get_layer(f"down_{stages - 1}").output.shape[1:3] == (
        base,
        base,
    )
    z = np.zeros((2, 100), "float32")
    assert tuple(generator(z).shape) == (2, *image_shape)


def test_dcgan_64x64_parameter_count_matches_the_paper():
    """Radford et al. (2015), figure 1 and the authors' code: no biases.

    Generator (z = 100, 5x5 kernels): Dense 100 -> 4*4*1024, then transposed
    convolutions 1024 -> 512 -> 256 -> 128 -> 3; batch norm (scale and offset,
    2 per channel) after all but the last. Discriminator: convolutions
    3 -> 64 -> 128 -> 256 -> 512 with batch norm on all but the first, then
    Dense 4*4*512 -> 1. Batch norm also keeps a moving mean and variance
    (2 non-trainable numbers per channel).
    """
    k = 5 * 5
    g_kernels = 100 * 4 * 4 * 1024 + k * (1024 * 512 + 512 * 256 + 256 * 128 + 128 * 3)
    g_norm = 1024 + 512 + 256 + 128
    d_kernels = k * (3 * 64 + 64 * 128 + 128 * 256 + 256 * 512) + 4 * 4 * 512
    d_norm = 128 + 256 + 512
    assert (g_kernels + 2 * g_norm, d_kernels + 2 * d_norm) == (18_855_040, 4_315_584)

    trainer = create_model("dcgan", image_shape=(64, 64, 3), latent_dim=100)
    generator, discriminator = trainer.generator, trainer.discriminator
    assert dcgan_stages((64, 64, 3)) == 4
    assert generator.output_shape == (None, 64, 64, 3)
    assert discriminator.output_shape == (None, 1)
    assert generator.get_layer("reshape").output.shape == (None, 4, 4, 1024)
    assert count(generator.trainable_weights) == g_kernels + 2 * g_norm
    assert count(discriminator.trainable_weights) == d_kernels + 2 * d_norm
    assert generator.count_params() == g_kernels + 4 * g_norm
    assert discriminator.count_params() == d_kernels + 4 * d_norm


def test_dcgan_layers_follow_the_paper():
    keras.utils.set_random_seed(0)
    generator = dcgan_generator(100, (32, 32, 3), width=32)
    discriminator = dcgan_discriminator((32, 32, 3), width=32)
    layers = generator.layers + discriminator.layers
    assert not any("Pooling" in type(layer).__name__ for layer in layers)
    # Every kernel starts from N(0, 0.02); every batch-norm scale from N(1, 0.02).
    for model in (generator, discriminator):
        for variable in model.trainable_weights:
            values = to_np64(variable).ravel()
            if "kernel" in variable.path:
                assert abs(values.mean()) < 0.002 and 0.018 < values.std() < 0.022
            elif "gamma" in variable.path:
                assert abs(values.mean() - 1) < 0.01 and values.std() < 0.03
    assert generator.get_layer("images").activation.__name__ == "tanh"
    assert [type(layer).__name__ for layer in generator.layers[-2:]] == [
        "Conv2DTranspose",
        "Activation",
    ]
    # The discriminator's first convolution has no batch norm; the others do.
    names = {layer.name for layer in discriminator.layers}
    assert "down_0_bn" not in names and {"down_1_bn", "down_2_bn"} <= names
    for layer in discriminator.layers:
        if isinstance(layer, keras.layers.LeakyReLU):
            assert layer.negative_slope == pytest.approx(0.2)


def test_dcgan_compile_defaults_are_the_papers():
    trainer = create_model("dcgan", image_shape=(28, 28, 1), latent_dim=100)
    trainer.compile()
    for optimizer in (trainer.generator_optimizer, trainer.discriminator_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        np.testing.assert_allclose(to_np64(optimizer.learning_rate), 2e-4, rtol=1e-6)
        assert optimizer.beta_1 == 0.5
    assert trainer.adversarial_loss == "non_saturating"


def test_conditional_networks_take_labels():
    small_g = dcgan_generator(8, (8, 8, 1), width=2, num_classes=10)
    small_d = dcgan_discriminator((8, 8, 1), width=2, num_classes=10)
    assert [tuple(t.shape) for t in small_g.inputs] == [(None, 8), (None, 1)]
    assert [tuple(t.shape) for t in small_d.inputs] == [(None, 8, 8, 1), (None, 1)]
    # The label map is one extra image channel.
    assert small_d.get_layer("image_and_label").output.shape == (None, 8, 8, 2)
    z = np.zeros((3, 8), "float32")
    labels = np.array([[0], [5], [9]], "int32")
    fake = small_g([z, labels])
    assert tuple(fake.shape) == (3, 8, 8, 1)
    # Same noise, different labels: different images.
    fake = to_np64(fake)
    assert not np.allclose(fake[0], fake[1])
    assert tuple(small_d([fake, labels]).shape) == (3, 1)
    mlp_g = gan_generator(8, (6, 6), (8,), num_classes=4, embedding_dim=3)
    assert mlp_g.get_layer("noise_and_label").output.shape == (None, 11)
    mlp_d = gan_discriminator((6, 6), (8,), num_classes=4, embedding_dim=3)
    assert mlp_d.get_layer("sample_and_label").output.shape == (None, 39)


# -- training through the builders -----------------------------------------------------


BUILDS = {
    "gan": dict(get_model_entry("gan").test_config),
    "dcgan": dict(get_model_entry("dcgan").test_config),
    "conditional_gan": dict(get_model_entry("conditional_gan").test_config),
    "conditional_gan_mlp": {
        "image_shape": (4, 4, 1),
        "num_classes": 3,
        "latent_dim": 2,
        "embedding_dim": 2,
        "network": "mlp",
        "generator_units": (8,),
        "discriminator_units": (8,),
        "dropout": 0.0,
    },
}


def fit_builder(key, seed, epochs=2):
    config = dict(BUILDS[key])
    name = "conditional_gan" if key.startswith("conditional") else key
    keras.utils.set_random_seed(seed)
    trainer = create_model(name, **config)
    trainer.compile()
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, size=(16, *config["image_shape"])).astype("float32")
    before = [
        to_np64(v)
        for v in trainer.generator.trainable_variables
        + trainer.discriminator.trainable_variables
    ]
    if isinstance(trainer, ConditionalGAN):
        labels = np.arange(16) % config["num_classes"]
        history = trainer.fit(images, labels, batch_size=8, epochs=epochs, verbose=0)
    else:
        history = trainer.fit(images, batch_size=8, epochs=epochs, verbose=0)
    return trainer, before, history.history


@pytest.mark.parametrize("key", sorted(BUILDS))
def test_fit_changes_every_variable_and_repeats(key):
    trainer, before, history = fit_builder(key, seed=3)
    variables = (
        trainer.generator.trainable_variables
        + trainer.discriminator.trainable_variables
    )
    for variable, old in zip(variables, before, strict=True):
        assert not np.array_equal(to_np64(variable), old), variable.path
    assert set(history) == {"d_loss", "g_loss"}
    assert all(np.all(np.isfinite(v)) for v in history.values())
    assert int(ops.convert_to_numpy(trainer.generator_optimizer.iterations)) == 4
    again, _, _ = fit_builder(key, seed=3)
    for a, b in zip(trainer.variables, again.variables, strict=True):
        np.testing.assert_array_equal(to_np64(a), to_np64(b))


@pytest.mark.parametrize("key", ["dcgan", "conditional_gan", "conditional_gan_mlp"])
def test_networks_save_and_load_under_safe_mode(key, tmp_path):
    config = dict(BUILDS[key])
    keras.utils.set_random_seed(0)
    trainer = create_model("dcgan" if key == "dcgan" else "conditional_gan", **config)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, config["latent_dim"])).astype("float32")
    images = rng.uniform(-1, 1, size=(3, *config["image_shape"])).astype("float32")
    labels = np.array([[0], [1], [2]], "int32")
    conditional = isinstance(trainer, ConditionalGAN)
    for model, inputs in (
        (trainer.generator, [z, labels] if conditional else z),
        (trainer.discriminator, [images, labels] if conditional else images),
    ):
        path = os.path.join(tmp_path, f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        np.testing.assert_allclose(
            to_np64(loaded(inputs)), to_np64(model(inputs)), rtol=1e-5, atol=1e-6
        )


# -- bad input -------------------------------------------------------------------------


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="`latent_dim` must be an integer >= 1, got 0"):
        create_model("dcgan", image_shape=(28, 28, 1), latent_dim=0)
    with pytest.raises(ValueError, match="`latent_dim` must be an integer >= 1"):
        create_model("gan", image_shape=(28, 28, 1), latent_dim=-3)
    for shape in [(25, 25, 1), (6, 6, 1), (28, 27, 3)]:
        with pytest.raises(
            ValueError,
            match=r"cannot produce images of `image_shape` .*Resize, pad or crop",
        ):
            create_model("dcgan", image_shape=shape)
    with pytest.raises(ValueError, match="`image_shape` must be a tuple of positive"):
        create_model("dcgan", image_shape=(28, 28))
    with pytest.raises(ValueError, match="`num_classes` must be an integer >= 2"):
        conditional_gan((28, 28, 1), num_classes=1)
    with pytest.raises(ValueError, match="`network` must be one of"):
        conditional_gan((28, 28, 1), num_classes=10, network="resnet")
    with pytest.raises(ValueError, match="`kernel_size` must be an integer >= 2"):
        dcgan_generator(10, (28, 28, 1), kernel_size=1)
    with pytest.raises(ValueError, match="`hidden_units` must be a sequence"):
        gan_generator(10, (28, 28, 1), hidden_units=())
    # Networks that do not fit together: the trainer says which shapes differ.
    with pytest.raises(ValueError, match=r"must match the discriminator's input"):
        GAN(dcgan_generator(4, (28, 28, 1), 2), dcgan_discriminator((32, 32, 1), 2))
    trainer = create_model("gan", **BUILDS["gan"])
    with pytest.raises(ValueError, match=r"call gan\.compile\(\)"):
        trainer.fit(np.zeros((4, 4, 4, 1), "float32"), verbose=0)
