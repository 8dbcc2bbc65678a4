"""CycleGAN's networks against the published architecture.

- parameter counts by hand, layer by layer, against the official
  implementation's printed totals (11.378 M and 2.765 M);
- the PatchGAN's 70x70 receptive field, from its layer list;
- outputs against the official PyTorch definitions (re-typed from
  ``junyanz/pytorch-CycleGAN-and-pix2pix/models/networks.py``) with the same
  weights, which pins every padding and alignment;
- saving, the registered trainer builder, bad input.
"""

import os

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.blocks import CycleGANResidualBlock
from keras_dlkit.models import (
    create_model,
    cyclegan_generator,
    get_model_entry,
    patchgan_discriminator,
)
from keras_dlkit.testing import TestCase
from keras_dlkit.training import CycleGAN


def forward(model, x):
    # JAX compiles each eager op for its shapes; one compiled predict is faster.
    if keras.backend.backend() == "jax":
        return model.predict(x, verbose=0)
    return model(x)


# -- parameter counts -----------------------------------------------------------


def conv(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def hand_count_generator(channels, blocks, f, bias=True):
    norm = 0 if bias else 2  # affine norms: scale and offset per channel
    total = conv(7, channels, f, bias) + norm * f  # c7s1-64
    total += conv(3, f, 2 * f, bias) + norm * 2 * f  # d128
    total += conv(3, 2 * f, 4 * f, bias) + norm * 4 * f  # d256
    total += blocks * 2 * (conv(3, 4 * f, 4 * f, bias) + norm * 4 * f)  # R256
    total += conv(3, 4 * f, 2 * f, bias) + norm * 2 * f  # u128 (transposed)
    total += conv(3, 2 * f, f, bias) + norm * f  # u64 (transposed)
    total += conv(7, f, channels)  # c7s1-3, always with bias
    return total


def hand_count_patchgan(channels, f, bias=True):
    norm = 0 if bias else 2
    total = conv(4, channels, f)  # C64: bias, no norm
    total += conv(4, f, 2 * f, bias) + norm * 2 * f  # C128
    total += conv(4, 2 * f, 4 * f, bias) + norm * 4 * f  # C256
    total += conv(4, 4 * f, 8 * f, bias) + norm * 8 * f  # C512
    total += conv(4, 8 * f, 1)  # 1-channel score map
    return total


def test_hand_counts_give_the_published_totals():
    # The official implementation prints 11.378 M and 2.765 M.
    assert hand_count_generator(3, 9, 64) == 11_378_179
    assert hand_count_generator(3, 6, 64) == 7_837_699
    assert hand_count_patchgan(3, 64) == 2_764_737


@pytest.mark.parametrize("affine", [False, True])
def test_parameter_counts_follow_the_hand_count(affine):
    generator = cyclegan_generator(
        (16, 16, 3), num_residual_blocks=3, filters=4, affine_norm=affine
    )
    assert generator.count_params() == hand_count_generator(3, 3, 4, bias=not affine)
    assert len(generator.non_trainable_weights) == 0
    discriminator = patchgan_discriminator((24, 24, 2), filters=4, affine_norm=affine)
    assert discriminator.count_params() == hand_count_patchgan(2, 4, bias=not affine)


@pytest.mark.large
def test_full_size_parameter_counts_match_the_official_implementation():
    # Fully convolutional: the count does not depend on the image size.
    assert cyclegan_generator((32, 32, 3)).count_params() == 11_378_179
    assert (
        cyclegan_generator((32, 32, 3), num_residual_blocks=6).count_params()
        == 7_837_699
    )
    assert patchgan_discriminator((32, 32, 3)).count_params() == 2_764_737


def test_full_size_shapes():
    # 256x256 images, narrow networks (the shapes do not depend on the width).
    generator = cyclegan_generator((256, 256, 3), filters=4)
    assert generator.output_shape == (None, 256, 256, 3)
    assert generator.get_layer("encoder").output.shape == (None, 64, 64, 16)
    assert generator.get_layer("res_block_8").output.shape == (None, 64, 64, 16)
    assert generator.get_layer("decoder").output.shape == (None, 256, 256, 4)
    # The official 70x70 PatchGAN gives a 30x30 map on 256x256 images.
    discriminator = patchgan_discriminator((256, 256, 3), filters=2)
    assert discriminator.output_shape == (None, 30, 30, 1)
    assert patchgan_discriminator((128, 128, 3), filters=2).output_shape == (
        None,
        14,
        14,
        1,
    )


def test_generator_layers_follow_the_paper():
    model = cyclegan_generator((16, 16, 3), num_residual_blocks=6, filters=8)
    convs = [
        layer
        for layer in model.layers
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))
    ]
    described = [
        (type(c).__name__, c.kernel_size[0], c.strides[0], c.filters) for c in convs
    ]
    assert described == [
        ("Conv2D", 7, 1, 8),  # c7s1-64
        ("Conv2D", 3, 2, 16),  # d128
        ("Conv2D", 3, 2, 32),  # d256
        ("Conv2DTranspose", 3, 2, 16),  # u128
        ("Conv2DTranspose", 3, 2, 8),  # u64
        ("Conv2D", 7, 1, 3),  # c7s1-3
    ]
    blocks = [
        layer for layer in model.layers if isinstance(layer, CycleGANResidualBlock)
    ]
    assert [b.name for b in blocks] == [f"res_block_{i}" for i in range(6)]
    assert model.get_layer("c7s1_pad").padding == ((3, 3), (3, 3))
    assert model.get_layer("output_tanh").activation is keras.activations.tanh
    norms = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.GroupNormalization)
    ]
    assert len(norms) == 5 and all(n.groups == n.input.shape[-1] for n in norms)


# -- receptive field -------------------------------------------------------------


def receptive_field(model):
    """1 + sum((k - 1) * jump), jump the product of the strides before each conv."""
    field, jump = 1, 1
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            assert layer.kernel_size[0] == layer.kernel_size[1]
            assert layer.dilation_rate == (1, 1)
            field += (layer.kernel_size[0] - 1) * jump
            jump *= layer.strides[0]
    return field


@pytest.mark.parametrize("num_layers, field", [(3, 70), (2, 34), (1, 16)])
def test_patchgan_receptive_field(num_layers, field):
    model = patchgan_discriminator((64, 64, 1), filters=2, num_layers=num_layers)
    assert receptive_field(model) == field
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.kernel_size for c in convs] == [(4, 4)] * (num_layers + 2)
    assert [c.strides[0] for c in convs] == [2] * num_layers + [1, 1]
    assert [c.filters for c in convs][-1] == 1
    leaky = [
        layer for layer in model.layers if isinstance(layer, keras.layers.LeakyReLU)
    ]
    assert len(leaky) == num_layers + 1
    assert all(np.isclose(layer.negative_slope, 0.2) for layer in leaky)
    norms = [
        layer.name
        for layer in model.layers
        if isinstance(layer, keras.layers.GroupNormalization)
    ]
    assert norms == [f"conv_{i}_norm" for i in range(1, num_layers + 1)]  # not C64


# -- against the official PyTorch definitions -----------------------------------------


def torch_reference(kind, channels, filters, blocks_or_layers):
    """The official ResnetGenerator / NLayerDiscriminator with instance norm."""
    nn = pytest.importorskip("torch.nn")

    def norm(c):
        return nn.InstanceNorm2d(c, affine=False, track_running_stats=False)

    if kind == "generator":
        f = filters

        class ResnetBlock(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.conv_block = nn.Sequential(
                    nn.ReflectionPad2d(1),
                    nn.Conv2d(dim, dim, 3, padding=0, bias=True),
                    norm(dim),
                    nn.ReLU(True),
                    nn.ReflectionPad2d(1),
                    nn.Conv2d(dim, dim, 3, padding=0, bias=True),
                    norm(dim),
                )

            def forward(self, x):
                return x + self.conv_block(x)

        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, f, 7), norm(f), nn.ReLU()]
        for i in range(2):
            m = 2**i
            layers += [
                nn.Conv2d(f * m, f * m * 2, 3, stride=2, padding=1),
                norm(f * m * 2),
                nn.ReLU(),
            ]
        layers += [ResnetBlock(4 * f) for _ in range(blocks_or_layers)]
        for i in range(2):
            m = 2 ** (2 - i)
            layers += [
                nn.ConvTranspose2d(
                    f * m, f * m // 2, 3, stride=2, padding=1, output_padding=1
                ),
                norm(f * m // 2),
                nn.ReLU(),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(f, channels, 7), nn.Tanh()]
        return nn.Sequential(*layers)
    n_layers, ndf = blocks_or_layers, filters
    layers = [nn.Conv2d(channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
    mult = 1
    for n in range(1, n_layers):
        prev, mult = mult, min(2**n, 8)
        layers += [
            nn.Conv2d(ndf * prev, ndf * mult, 4, stride=2, padding=1),
            norm(ndf * mult),
            nn.LeakyReLU(0.2),
        ]
    prev, mult = mult, min(2**n_layers, 8)
    layers += [
        nn.Conv2d(ndf * prev, ndf * mult, 4, stride=1, padding=1),
        norm(ndf * mult),
        nn.LeakyReLU(0.2),
        nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1),
    ]
    return nn.Sequential(*layers)


def keras_convs(model):
    convs = []
    for layer in model.layers:
        if isinstance(layer, CycleGANResidualBlock):
            convs += [layer.conv_1, layer.conv_2]
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            convs.append(layer)
    return convs


def copy_into_torch(model, reference):
    torch = pytest.importorskip("torch")
    targets = [
        m
        for m in reference.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))
    ]
    sources = keras_convs(model)
    assert len(sources) == len(targets)
    with torch.no_grad():
        for source, target in zip(sources, targets, strict=True):
            kernel, bias = (to_np64(w) for w in source.weights)
            # Conv2D (kh, kw, in, out) -> (out, in, kh, kw); Conv2DTranspose
            # (kh, kw, out, in) -> (in, out, kh, kw): the same permutation.
            target.weight.copy_(torch.tensor(kernel.transpose(3, 2, 0, 1)))
            target.bias.copy_(torch.tensor(bias))


@pytest.mark.parametrize(
    "kind, shape, size_arg",
    [
        ("generator", (8, 12, 3), 1),
        ("discriminator", (32, 40, 2), 3),
        ("discriminator", (24, 24, 1), 2),
    ],
)
def test_outputs_match_the_official_pytorch_networks(kind, shape, size_arg):
    torch = pytest.importorskip("torch")
    keras.utils.set_random_seed(0)
    filters = 4
    if kind == "generator":
        model = cyclegan_generator(shape, num_residual_blocks=size_arg, filters=filters)
    else:
        model = patchgan_discriminator(shape, filters=filters, num_layers=size_arg)
    # Larger random weights than N(0, 0.02), so every layer matters.
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(0, 0.3, w.shape) for w in model.get_weights()])
    reference = torch_reference(kind, shape[-1], filters, size_arg).double()
    copy_into_torch(model, reference)
    x = rng.uniform(-1, 1, size=(2, *shape)).astype("float32")
    with torch.no_grad():
        expected = reference(torch.tensor(x.transpose(0, 3, 1, 2), dtype=torch.float64))
    expected = expected.numpy().transpose(0, 2, 3, 1)
    actual = to_np64(forward(model, x))
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


# -- saving, builder, bad input ------------------------------------------------------


class CycleGANNetworksTest(TestCase):
    def test_networks_save_and_load_under_safe_mode(self):
        x = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 1)).astype("float32")
        generator = cyclegan_generator((8, 8, 1), num_residual_blocks=1, filters=2)
        self.assertNoLambdaLayers(generator)
        self.run_saving_test(generator, x)
        y = np.random.default_rng(1).uniform(-1, 1, (2, 24, 24, 2)).astype("float32")
        discriminator = patchgan_discriminator((24, 24, 2), filters=2, affine_norm=True)
        self.run_saving_test(discriminator, y)

    def test_loaded_generator_keeps_its_blocks(self):
        generator = cyclegan_generator((8, 8, 1), num_residual_blocks=2, filters=2)
        path = os.path.join(self.get_temp_dir(), "g.keras")
        generator.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        assert isinstance(loaded.get_layer("res_block_1"), CycleGANResidualBlock)
        assert loaded.count_params() == generator.count_params()


def test_generator_output_is_an_image_in_tanh_range():
    model = cyclegan_generator(
        (8, 12, 1), num_residual_blocks=1, filters=2, output_channels=3
    )
    y = to_np64(forward(model, np.random.default_rng(0).normal(size=(2, 8, 12, 1)) * 5))
    assert y.shape == (2, 8, 12, 3)
    assert np.all(np.abs(y) <= 1.0)


def test_registered_builder_returns_an_uncompiled_trainer():
    entry = get_model_entry("cyclegan")
    assert entry.family == "generative"
    trainer = create_model("cyclegan", **entry.test_config)
    assert isinstance(trainer, CycleGAN) and not trainer.compiled
    names = ("generator_g", "generator_f", "discriminator_x", "discriminator_y")
    for name in names:
        network = getattr(trainer, name)
        assert network.name == name
        assert network.input_shape == (None, *entry.test_input_shape)
    assert trainer.generator_g.output_shape == (None, *entry.test_input_shape)
    assert (trainer.cycle_weight, trainer.identity_weight) == (10.0, 0.5)
    trainer.compile()
    for optimizer in (trainer.generator_optimizer, trainer.discriminator_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert np.isclose(float(to_np64(optimizer.learning_rate)), 2e-4)
        assert optimizer.beta_1 == 0.5


@pytest.mark.parametrize("shape", [(30, 32, 3), (32, 30, 3), (4, 4, 3), (18, 16, 1)])
def test_generator_rejects_sizes_it_cannot_produce(shape):
    with pytest.raises(
        ValueError, match=r"`image_shape` must have a height and a width"
    ):
        cyclegan_generator(shape)
    with pytest.raises(ValueError, match="`image_shape`"):
        create_model("cyclegan", image_shape=shape)


@pytest.mark.parametrize(
    "builder, kwargs, argument",
    [
        (cyclegan_generator, {"image_shape": (32, 32)}, "image_shape"),
        (cyclegan_generator, {"image_shape": (32, 32, 0)}, "image_shape"),
        (
            cyclegan_generator,
            {"image_shape": (32, 32, 3), "num_residual_blocks": -1},
            "num_residual_blocks",
        ),
        (cyclegan_generator, {"image_shape": (32, 32, 3), "filters": 0}, "filters"),
        (
            cyclegan_generator,
            {"image_shape": (32, 32, 3), "output_channels": 0},
            "output_channels",
        ),
        (
            cyclegan_generator,
            {"image_shape": (32, 32, 3), "affine_norm": "yes"},
            "affine_norm",
        ),
        (
            patchgan_discriminator,
            {"image_shape": (32, 32, 3), "num_layers": 0},
            "num_layers",
        ),
        (
            patchgan_discriminator,
            {"image_shape": (32, 32, 3), "filters": 1.5},
            "filters",
        ),
        (create_model, {"image_shape": (8, 8, 1), "cycle_weight": 0.0}, "cycle_weight"),
    ],
)
def test_builders_reject_bad_arguments(builder, kwargs, argument):
    if builder is create_model:
        builder = lambda **kw: create_model("cyclegan", **kw)  # noqa: E731
    with pytest.raises(ValueError, match=f"`{argument}`"):
        builder(**kwargs)


def test_patchgan_rejects_images_too_small_for_a_score_map():
    with pytest.raises(ValueError, match="must be at least 24 pixels"):
        patchgan_discriminator((23, 64, 3))
    with pytest.raises(ValueError, match="must be at least 6 pixels"):
        patchgan_discriminator((5, 5, 3), num_layers=1)
    assert patchgan_discriminator((24, 24, 3), filters=1).output_shape == (
        None,
        1,
        1,
        1,
    )
