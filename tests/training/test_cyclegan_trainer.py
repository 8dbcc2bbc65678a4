"""The CycleGAN trainer under plain ``fit()`` on every backend.

(Named ``test_cyclegan_trainer.py``: ``tests/models/test_cyclegan.py`` has the
networks, and pytest's default import mode needs distinct basenames.)

- one step of the whole update (generators, then discriminators on the
  translations made before) against a NumPy float64 reference, on 1x1
  convolution "networks" whose objective NumPy computes exactly;
- the six logged losses against NumPy on the real networks' outputs;
- every variable of the four networks and both optimizers advance, the run
  repeats exactly under a fixed seed;
- inputs (unequal set sizes, datasets of pairs), saving and bad input.
"""

import os

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.models import create_model
from keras_dlkit.training import CycleGAN

IMAGE = (8, 8, 1)
N = 4
NETWORKS = ("generator_g", "generator_f", "discriminator_x", "discriminator_y")
LOSSES = ("g_loss", "f_loss", "dx_loss", "dy_loss", "cycle_loss", "identity_loss")


def snapshot(variables):
    return [to_np64(v) for v in variables]


def forward(model, x):
    if keras.backend.backend() == "jax":  # one compile instead of one per op
        return to_np64(model.predict(x, verbose=0))
    return to_np64(model(x))


def domains(n=N, seed=0):
    """Two unaligned sets: smooth gradients (X) and sparse blobs (Y), in [-1, 1]."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(-1, 1, IMAGE[0])
    x = rng.uniform(0.3, 1.0, (n, 1, 1, 1)) * ramp[None, :, None, None]
    x = np.broadcast_to(x, (n, *IMAGE)).astype("float32")
    y = np.where(rng.uniform(size=(n, *IMAGE)) > 0.8, 1.0, -1.0).astype("float32")
    return x, y


def small_cyclegan(**kwargs):
    # affine_norm=True: every weight has a gradient (with the official
    # affine-free norms the biases before them have none; see the block).
    return create_model(
        "cyclegan",
        image_shape=IMAGE,
        num_residual_blocks=1,
        generator_filters=2,
        discriminator_filters=2,
        discriminator_layers=1,
        affine_norm=True,
        **kwargs,
    )


EPOCHS = 3


def train(seed=3):
    keras.utils.set_random_seed(seed)
    trainer = small_cyclegan(name="small_cyclegan")
    trainer.compile()
    x, y = domains()
    before = {
        key: snapshot(getattr(trainer, key).trainable_variables) for key in NETWORKS
    }
    outputs = reference_outputs(trainer, x, y)
    # One step an epoch (batch = the whole set): epoch 0's logs are the
    # losses at the initial weights.
    history = trainer.fit(
        (x, y), batch_size=N, epochs=EPOCHS, shuffle=False, verbose=0
    ).history
    return trainer, before, outputs, history


@pytest.fixture(scope="module")
def trained():
    return train()


def reference_outputs(trainer, x, y):
    g, f = trainer.generator_g, trainer.generator_f
    dx, dy = trainer.discriminator_x, trainer.discriminator_y
    fake_y, fake_x = forward(g, x), forward(f, y)
    return {
        "x": x.astype(np.float64),
        "y": y.astype(np.float64),
        "fake_y": fake_y,
        "fake_x": fake_x,
        "rec_x": forward(f, fake_y.astype("float32")),
        "rec_y": forward(g, fake_x.astype("float32")),
        "same_y": forward(g, y),
        "same_x": forward(f, x),
        "dy_fake": forward(dy, fake_y.astype("float32")),
        "dx_fake": forward(dx, fake_x.astype("float32")),
        "dx_real": forward(dx, x),
        "dy_real": forward(dy, y),
    }


def np_losses(o):
    def l1(a, b):
        return np.mean(np.abs(a - b))

    return {
        "g_loss": np.mean((o["dy_fake"] - 1) ** 2),
        "f_loss": np.mean((o["dx_fake"] - 1) ** 2),
        "cycle_loss": l1(o["rec_x"], o["x"]) + l1(o["rec_y"], o["y"]),
        "identity_loss": l1(o["same_y"], o["y"]) + l1(o["same_x"], o["x"]),
        "dx_loss": 0.5
        * (np.mean((o["dx_real"] - 1) ** 2) + np.mean(o["dx_fake"] ** 2)),
        "dy_loss": 0.5
        * (np.mean((o["dy_real"] - 1) ** 2) + np.mean(o["dy_fake"] ** 2)),
    }


# -- training through fit() ----------------------------------------------------------


def test_fit_moves_every_variable_and_both_optimizers(trained):
    trainer, before, _, history = trained
    for key in NETWORKS:
        network = getattr(trainer, key)
        assert len(network.trainable_variables) > 0
        for variable, old in zip(network.trainable_variables, before[key], strict=True):
            assert not np.array_equal(to_np64(variable), old), (key, variable.path)
    # JAX's fit threads only `trainer.optimizer.variables`: both optimizers'
    # state must be in there, and advance.
    ids = {id(v) for v in trainer.optimizer.variables}
    for optimizer in (trainer.generator_optimizer, trainer.discriminator_optimizer):
        assert {id(v) for v in optimizer.variables} <= ids
        assert int(to_np64(optimizer.iterations)) == EPOCHS
        slots = [v for v in optimizer.variables if "momentum" in v.path]
        assert slots and all(np.any(to_np64(v) != 0) for v in slots)
    assert int(to_np64(trainer.optimizer.iterations)) == EPOCHS
    assert set(history) == set(LOSSES)
    for values in history.values():
        assert len(values) == EPOCHS and np.all(np.isfinite(values))


def test_logged_losses_match_numpy_on_the_networks_outputs(trained):
    _, _, outputs, history = trained
    for key, expected in np_losses(outputs).items():
        np.testing.assert_allclose(history[key][0], expected, rtol=1e-5, atol=1e-6)


def test_same_seed_gives_the_same_run(trained):
    trainer, _, _, history = trained
    again, _, _, history_again = train()
    for a, b in zip(
        snapshot(trainer.variables), snapshot(again.variables), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    assert history == history_again


# -- one step against NumPy, on 1x1 convolutions -----------------------------------------

SHAPE = (3, 2, 1)
CYCLE, IDENTITY, LR_G, LR_D = 3.0, 0.25, 0.1, 0.05


def pointwise(name, channels=1, in_channels=1):
    inputs = keras.Input((*SHAPE[:2], in_channels))
    outputs = keras.layers.Conv2D(channels, 1, name="conv")(inputs)
    return keras.Model(inputs, outputs, name=name)


def toy_cyclegan(seed=7, **kwargs):
    rng = np.random.default_rng(seed)
    networks = [pointwise(name) for name in NETWORKS]
    for network in networks:
        network.set_weights([rng.normal(size=(1, 1, 1, 1)), rng.normal(size=1)])
    kwargs.setdefault("cycle_weight", CYCLE)
    kwargs.setdefault("identity_weight", IDENTITY)
    trainer = CycleGAN(*networks, **kwargs)
    trainer.compile(
        generator_optimizer=keras.optimizers.SGD(LR_G),
        discriminator_optimizer=keras.optimizers.SGD(LR_D),
    )
    return trainer


def numerical_gradient(fn, params, eps=1e-6):
    grad = np.zeros_like(params)
    for i in range(params.size):
        step = np.zeros_like(params)
        step[i] = eps
        grad[i] = (fn(params + step) - fn(params - step)) / (2 * eps)
    return grad


def test_one_step_matches_numpy_reference():
    trainer = toy_cyclegan()
    rng = np.random.default_rng(8)
    x = rng.normal(size=(5, *SHAPE)).astype("float32")
    y = rng.normal(1.0, 0.5, size=(5, *SHAPE)).astype("float32")
    # (kernel, bias) of G, F, D_X, D_Y as scalars.
    a, b, c, d, ex, fx, ey, fy = np.concatenate(
        [to_np64(w).ravel() for w in trainer.weights]
    )
    xx, yy = x.astype(np.float64), y.astype(np.float64)

    def generator_terms(p):
        a, b, c, d = p
        fake_y, fake_x = a * xx + b, c * yy + d
        return {
            "g_loss": np.mean((ey * fake_y + fy - 1) ** 2),
            "f_loss": np.mean((ex * fake_x + fx - 1) ** 2),
            "cycle_loss": np.mean(np.abs(c * fake_y + d - xx))
            + np.mean(np.abs(a * fake_x + b - yy)),
            "identity_loss": np.mean(np.abs(a * yy + b - yy))
            + np.mean(np.abs(c * xx + d - xx)),
        }

    def generator_total(p):
        t = generator_terms(p)
        return (
            t["g_loss"]
            + t["f_loss"]
            + CYCLE * t["cycle_loss"]
            + IDENTITY * CYCLE * t["identity_loss"]
        )

    fake_y, fake_x = a * xx + b, c * yy + d  # before the generators' update

    def discriminator_terms(q):
        ex, fx, ey, fy = q
        return {
            "dx_loss": 0.5
            * (np.mean((ex * xx + fx - 1) ** 2) + np.mean((ex * fake_x + fx) ** 2)),
            "dy_loss": 0.5
            * (np.mean((ey * yy + fy - 1) ** 2) + np.mean((ey * fake_y + fy) ** 2)),
        }

    def discriminator_total(q):
        return sum(discriminator_terms(q).values())

    p, q = np.array([a, b, c, d]), np.array([ex, fx, ey, fy])
    expected_losses = {**generator_terms(p), **discriminator_terms(q)}
    new_p = p - LR_G * numerical_gradient(generator_total, p)
    new_q = q - LR_D * numerical_gradient(discriminator_total, q)

    history = trainer.fit((x, y), batch_size=5, shuffle=False, verbose=0).history

    actual = np.concatenate([to_np64(w).ravel() for w in trainer.weights])
    np.testing.assert_allclose(
        actual, np.concatenate([new_p, new_q]), rtol=1e-5, atol=1e-6
    )
    for key, value in expected_losses.items():
        np.testing.assert_allclose(history[key][0], value, rtol=1e-5, atol=1e-7)


# -- inputs -------------------------------------------------------------------------------


class Pairs(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, index):
        s = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[s], self.y[s]


def test_unequal_sets_and_datasets_of_pairs_train_alike():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(6, *SHAPE)).astype("float32")
    y = rng.normal(size=(4, *SHAPE)).astype("float32")
    # The shorter set is repeated: pair i is (x[i], y[i mod 4]).
    y_tiled = y[np.arange(6) % 4]

    def run(*args, **kwargs):
        trainer = toy_cyclegan()
        trainer.fit(*args, shuffle=False, verbose=0, **kwargs)
        assert int(to_np64(trainer.optimizer.iterations)) == 3
        return snapshot(trainer.weights)

    unequal = run((x, y), batch_size=2)
    for other in (
        run(x, y_tiled, batch_size=2),
        run(Pairs(x, y_tiled, 2)),
    ):
        for a, b in zip(unequal, other, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_identity_weight_zero_allows_different_domains():
    networks = [
        pointwise("generator_g", channels=3),
        pointwise("generator_f", in_channels=3),
        pointwise("discriminator_x"),
        pointwise("discriminator_y", in_channels=3),
    ]
    with pytest.raises(ValueError, match=r"`identity_weight`=0.5 needs X and Y images"):
        CycleGAN(*networks)
    trainer = CycleGAN(*networks, identity_weight=0.0)
    trainer.compile()
    x = np.zeros((2, *SHAPE), "float32")
    y = np.ones((2, 3, 2, 3), "float32")
    history = trainer.fit((x, y), batch_size=2, verbose=0).history
    assert set(history) == set(LOSSES) - {"identity_loss"}
    assert [m.name for m in trainer.metrics] == [
        "g_loss",
        "f_loss",
        "dx_loss",
        "dy_loss",
        "cycle_loss",
    ]


def test_batches_must_be_pairs():
    trainer = toy_cyclegan()
    x = np.zeros((4, *SHAPE), "float32")

    class Singles(Pairs):
        def __getitem__(self, index):
            return super().__getitem__(index)[0]

    with pytest.raises(ValueError, match=r"expects batches of \(x_batch, y_batch\)"):
        trainer.fit(Singles(x, x, 2), verbose=0)


# -- saving -----------------------------------------------------------------------------


def test_networks_save_and_load_under_safe_mode(trained, tmp_path):
    trainer = trained[0]
    x, y = domains(2, seed=1)
    for key in NETWORKS:
        network = getattr(trainer, key)
        path = os.path.join(tmp_path, f"{key}.keras")
        network.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        assert type(loaded) is type(network)
        images = x if key in ("generator_g", "discriminator_x") else y
        np.testing.assert_allclose(
            forward(loaded, images), forward(network, images), rtol=1e-6, atol=1e-6
        )


def test_trainer_round_trip(trained, tmp_path):
    trainer = trained[0]
    path = os.path.join(tmp_path, "cyclegan.keras")
    trainer.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, CycleGAN) and loaded.name == "small_cyclegan"
    assert (loaded.cycle_weight, loaded.identity_weight) == (10.0, 0.5)
    assert loaded.compiled
    for a, b in zip(
        snapshot(trainer.variables), snapshot(loaded.variables), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    for name in ("generator_optimizer", "discriminator_optimizer"):
        original, revived = getattr(trainer, name), getattr(loaded, name)
        assert int(to_np64(revived.iterations)) == EPOCHS
        for a, b in zip(
            snapshot(original.variables), snapshot(revived.variables), strict=True
        ):
            np.testing.assert_array_equal(a, b)


def test_get_config_round_trip_without_a_file():
    trainer = toy_cyclegan(cycle_weight=5.0, identity_weight=0.0, name="toy")
    config = trainer.get_config()
    assert (config["cycle_weight"], config["identity_weight"]) == (5.0, 0.0)
    clone = CycleGAN.from_config(config)
    assert clone.name == "toy" and not clone.compiled
    for key in NETWORKS:
        assert getattr(clone, key).input_shape == getattr(trainer, key).input_shape
    assert trainer.get_compile_config()["generator_optimizer"]["class_name"] == "SGD"


# -- bad input ------------------------------------------------------------------------------


def test_fit_without_compile_raises():
    trainer = small_cyclegan()
    x, y = domains()
    with pytest.raises(ValueError, match=r"call cyclegan\.compile\(\)"):
        trainer.fit((x, y), verbose=0)


def test_constructor_rejects_networks_that_do_not_chain():
    g, f, dx, dy = (pointwise(name) for name in NETWORKS)
    wide_f = pointwise("wide_f", in_channels=2)
    with pytest.raises(
        ValueError,
        match=r"`generator_f`'s input shape \(None, 3, 2, 2\) must match domain Y",
    ):
        CycleGAN(g, wide_f, dx, dy)
    f_out = pointwise("f_out", channels=2)
    with pytest.raises(ValueError, match="`generator_f`'s output shape"):
        CycleGAN(g, f_out, dx, dy)
    with pytest.raises(ValueError, match="`discriminator_x`'s input shape"):
        CycleGAN(g, f, pointwise("dx2", in_channels=2), dy)
    with pytest.raises(ValueError, match="`discriminator_y`'s input shape"):
        CycleGAN(g, f, dx, pointwise("dy2", in_channels=2))
    with pytest.raises(
        ValueError, match="`generator_g` and `generator_f` are the same"
    ):
        CycleGAN(g, g, dx, dy)
    shared = keras.layers.Conv2D(1, 1)
    inputs = keras.Input(SHAPE)
    d1 = keras.Model(inputs, shared(inputs))
    inputs = keras.Input(SHAPE)
    d2 = keras.Model(inputs, shared(inputs))
    with pytest.raises(ValueError, match="share 2 variables"):
        CycleGAN(g, f, d1, d2)
    with pytest.raises(ValueError, match="`discriminator_y` must be a keras.Model"):
        CycleGAN(g, f, dx, keras.layers.Dense(1))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cycle_weight": 0.0}, r"`cycle_weight` must be a finite number in \(0.0"),
        ({"cycle_weight": -10.0}, "`cycle_weight`"),
        ({"cycle_weight": float("nan")}, "`cycle_weight`"),
        (
            {"identity_weight": -0.5},
            r"`identity_weight` must be a finite number in \[0.0",
        ),
        ({"identity_weight": True}, "`identity_weight`"),
    ],
)
def test_constructor_rejects_bad_weights(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CycleGAN(*(pointwise(name) for name in NETWORKS), **kwargs)


def test_fit_and_compile_reject_what_they_cannot_use():
    trainer = toy_cyclegan()
    x = np.zeros((4, *SHAPE), "float32")
    with pytest.raises(ValueError, match="takes two image sets"):
        trainer.fit(x, verbose=0)
    with pytest.raises(ValueError, match="got a tuple of 3"):
        trainer.fit((x, x, x), verbose=0)
    with pytest.raises(ValueError, match="validation"):
        trainer.fit((x, x), validation_split=0.5, verbose=0)
    with pytest.raises(NotImplementedError, match="evaluate"):
        trainer.evaluate(x)
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two different optimizer instances"):
        trainer.compile(generator_optimizer=shared, discriminator_optimizer=shared)
    with pytest.raises(ValueError, match="not a MultiOptimizer"):
        trainer.compile(
            generator_optimizer=keras.optimizers.MultiOptimizer(
                lambda v: keras.optimizers.SGD()
            )
        )
    elsewhere = keras.optimizers.Adam()
    elsewhere.build([keras.Variable(np.zeros(2))])
    with pytest.raises(ValueError, match="already built for other variables"):
        trainer.compile(discriminator_optimizer=elsewhere)
