"""The adversarial trainer base: a new trainer is one class and no backend code.

The trainer below (a least-squares GAN on 2-D points, written for this test)
defines only ``_unpack_batch``, ``_updates`` and its two objectives; the
backend ``train_step`` of ``keras_dlkit/backends/`` trains it on every
backend. The first step is checked against a NumPy reference with SGD.
"""

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlkit.backends import adversarial as contract
from keras_dlkit.training import GAN, CycleGAN
from keras_dlkit.training.adversarial import AdversarialTrainer, Update

LR = 0.1


class _PointGAN(AdversarialTrainer):
    """Least-squares GAN whose generator maps a fixed code to points."""

    _TRAINER_NAME = "PointGAN"
    _INSTANCE_NAME = "trainer"

    def __init__(self, generator, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.d_tracker = keras.metrics.Mean(name="d_loss")
        self.g_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    @property
    def metrics(self):
        return [self.d_tracker, self.g_tracker]

    def compile(self, generator_optimizer=None, discriminator_optimizer=None):
        self._compile_optimizers(
            generator_optimizer,
            discriminator_optimizer,
            default=lambda: keras.optimizers.SGD(LR),
            compile_args={},
        )

    def _unpack_batch(self, data):
        real, code = data
        return self._floats(real), self._floats(code)

    def _updates(self):
        return [
            Update("_d_objective", ("discriminator",), "discriminator_optimizer"),
            Update("_g_objective", ("generator",), "generator_optimizer"),
        ]

    def _d_objective(self, run, batch, carry):
        real, code = batch
        fake = run.frozen(self.generator, code)
        loss = ops.mean(ops.square(run(self.discriminator, real) - 1.0)) + ops.mean(
            ops.square(run(self.discriminator, fake))
        )
        return loss, {"d_loss": loss}, carry

    def _g_objective(self, run, batch, carry):
        _, code = batch
        fake = run(self.generator, code)
        loss = ops.mean(ops.square(run(self.discriminator, fake) - 1.0))
        return loss, {"g_loss": loss}, carry


def _linear(units, inputs, name):
    x = keras.Input((inputs,))
    return keras.Model(x, keras.layers.Dense(units, name=f"{name}_dense")(x), name=name)


def test_trainers_provide_every_hook_the_backend_steps_call():
    gan = GAN(_linear(2, 3, "g"), _linear(1, 2, "d"), seed=0)
    gan.compile()

    def conv(name):
        x = keras.Input((4, 4, 1))
        return keras.Model(x, keras.layers.Conv2D(1, 1)(x), name=name)

    cyclegan = CycleGAN(conv("g"), conv("f"), conv("dx"), conv("dy"))
    cyclegan.compile()
    point = _PointGAN(_linear(2, 3, "pg"), _linear(1, 2, "pd"))
    point.compile()
    for trainer in (gan, cyclegan, point):
        assert isinstance(trainer, contract.AdversarialHooks), type(trainer)
    # The check can fail: a Keras model lacks the hooks.
    assert not isinstance(_linear(1, 2, "plain"), contract.AdversarialHooks)
    assert gan._NETWORKS == ("generator", "discriminator")
    assert cyclegan._NETWORKS == (
        "generator_g",
        "generator_f",
        "discriminator_x",
        "discriminator_y",
    )


def test_a_new_trainer_trains_with_no_backend_code_and_matches_numpy():
    generator = _linear(2, 3, "generator")
    discriminator = _linear(1, 2, "discriminator")
    trainer = _PointGAN(generator, discriminator)
    trainer.compile()
    rng = np.random.default_rng(0)
    real = rng.normal(size=(4, 2)).astype("float32")
    code = rng.normal(size=(4, 3)).astype("float32")
    gw, gb = (ops.convert_to_numpy(v).astype("float64") for v in generator.weights)
    dw, db = (ops.convert_to_numpy(v).astype("float64") for v in discriminator.weights)

    # NumPy reference of one step: D's update on a frozen fake, then G's on
    # the updated D.
    fake = code @ gw + gb
    d_real, d_fake = real @ dw + db, fake @ dw + db
    d_loss = np.mean((d_real - 1) ** 2) + np.mean(d_fake**2)
    n = len(real)
    grad_dw = real.T @ (2 * (d_real - 1) / n) + fake.T @ (2 * d_fake / n)
    grad_db = np.sum(2 * (d_real - 1) / n, 0) + np.sum(2 * d_fake / n, 0)
    dw, db = dw - LR * grad_dw, db - LR * grad_db
    d_fake = fake @ dw + db
    g_loss = np.mean((d_fake - 1) ** 2)
    upstream = (2 * (d_fake - 1) / n) @ dw.T
    gw, gb = gw - LR * code.T @ upstream, gb - LR * upstream.sum(0)

    history = trainer.fit(real, code, batch_size=4, epochs=1, verbose=0).history
    np.testing.assert_allclose(history["d_loss"][0], d_loss, rtol=1e-5)
    np.testing.assert_allclose(history["g_loss"][0], g_loss, rtol=1e-5)
    for variable, expected in zip(
        generator.weights + discriminator.weights, (gw, gb, dw, db), strict=True
    ):
        actual = ops.convert_to_numpy(variable)
        scale = np.max(np.abs(expected))
        np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5 * scale)
    assert int(trainer.generator_optimizer.iterations) == 1
    assert int(trainer.discriminator_optimizer.iterations) == 1
    assert int(trainer.optimizer.iterations) == 1


def test_base_guards_fit_and_evaluate():
    trainer = _PointGAN(_linear(2, 3, "g"), _linear(1, 2, "d"))
    x, y = np.zeros((4, 2), "float32"), np.zeros((4, 3), "float32")
    with pytest.raises(ValueError, match=r"call trainer\.compile\(\)"):
        trainer.fit(x, y, verbose=0)
    trainer.compile()
    with pytest.raises(ValueError, match="validation"):
        trainer.fit(x, y, validation_split=0.5, verbose=0)
    with pytest.raises(NotImplementedError, match=r"PointGAN\.evaluate"):
        trainer.evaluate(x, y)
