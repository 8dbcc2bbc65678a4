"""The GAN trainer: a generator and a discriminator trained by plain ``fit()``.

The objective is written once, in ``keras.ops`` (:mod:`keras_dlkit.losses.gan`,
:meth:`GAN._critic_objective`, :meth:`GAN._generator_objective`); the
gradient bookkeeping of each backend is
:class:`~keras_dlkit.training.adversarial.AdversarialTrainer`'s (tensorflow:
``GradientTape``; jax: stateless ``value_and_grad`` on ``fit()``'s state;
torch: ``backward``), as are the two optimizers held by one
``keras.optimizers.MultiOptimizer`` and routed by variable identity.
"""

from __future__ import annotations

import copy
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.losses import gan as gan_losses
from keras_dlkit.training._gan_networks import (
    _check_sample_shapes,
    _check_separate,
    _latent_dim_of,
)
from keras_dlkit.training.adversarial import AdversarialTrainer, Update
from keras_dlkit.utils import keras_compat
from keras_dlkit.utils.validation import (
    check_choice,
    check_float,
    check_int,
    check_network,
)

LOSSES = ("non_saturating", "hinge", "wgan_gp")

_SEED_KEY = "noise_seed_state"
_NETWORK_SEED_KEY = "network_seed_state"

_OBJECTIVES = {
    "non_saturating": (
        gan_losses.non_saturating_discriminator_loss,
        gan_losses.non_saturating_generator_loss,
    ),
    "hinge": (
        gan_losses.hinge_discriminator_loss,
        gan_losses.hinge_generator_loss,
    ),
    "wgan_gp": (
        gan_losses.wasserstein_discriminator_loss,
        gan_losses.wasserstein_generator_loss,
    ),
}


def _default_optimizer(loss: str) -> keras.optimizers.Optimizer:
    if loss == "wgan_gp":  # Gulrajani et al. (2017), Algorithm 1.
        return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.0, beta_2=0.9)
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)  # DCGAN


@keras_dlkit_export("keras_dlkit.training.GAN")
class GAN(AdversarialTrainer):
    """A generator and a discriminator, trained adversarially by ``fit()``.

    ``fit()`` takes real samples only (a NumPy array, a ``tf.data.Dataset``
    or a ``keras.utils.PyDataset``; labels a dataset yields are ignored).
    Each step makes ``discriminator_steps`` discriminator (critic) updates,
    each on the step's real batch and fresh noise, then one generator update
    on fresh noise. Noise is ``N(0, 1)`` of shape ``(batch, latent_dim)`` from
    the trainer's ``seed_generator``, so runs repeat exactly under
    ``keras.utils.set_random_seed``. The logs hold ``d_loss`` (mean over the
    step's critic updates, penalties included), ``g_loss`` and, when a
    penalty is used, ``gradient_penalty`` (WGAN-GP) and ``r1_penalty`` (R1,
    on the real batch), both unweighted, averaged over the epoch.

    The two optimizers live in ``generator_optimizer`` and
    ``discriminator_optimizer`` (set learning rates there: the trainer's
    ``optimizer`` is the ``keras.optimizers.MultiOptimizer`` holding both,
    whose ``learning_rate`` raises; its ``iterations`` counts ``fit()``
    steps).

    The generator and the discriminator stay plain Keras models: save, load
    and call them on their own. The trainer serializes too: ``get_config``
    holds both networks, ``latent_dim`` and ``seed``; a ``.keras`` file also
    holds the compile arguments, both optimizers' states and the seed states
    (noise and the networks' dropout), so a reloaded GAN resumes exactly.

    The discriminator returns logits (no sigmoid) or critic scores, of any
    shape: losses average over every element. With ``"wgan_gp"`` avoid
    batch normalization in the critic (the penalty is per sample; the paper
    uses layer normalization), and note that the Wasserstein loss does not
    depend on the critic's output bias (its gradient is zero; build the last
    layer with ``use_bias=False``). Regularization losses of the two
    networks (``kernel_regularizer``, ``add_loss``) are not added.

    Args:
        generator: A functional or Sequential ``keras.Model`` mapping
            ``(batch, latent_dim)`` noise to samples.
        discriminator: A functional or Sequential ``keras.Model`` mapping
            samples (the generator's output shape) to logits.
        latent_dim: Size of the noise vector; ``None`` takes it from the
            generator's input shape, which must be ``(None, latent_dim)``.
        seed: Seed of the noise; ``None`` draws one from Python's global RNG
            (which ``keras.utils.set_random_seed`` seeds).
        **kwargs: Passed to ``keras.Model`` (for example ``name``).

    Raises:
        ValueError: If a network is not a single-input, single-output
            functional model, if ``latent_dim`` is not an integer >= 1 or does
            not match the generator's input, if the generator's output shape
            differs from the discriminator's input shape, or if the two
            networks share variables.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.training import GAN
    >>> generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    >>> discriminator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> gan = GAN(generator, discriminator, seed=0)
    >>> gan.compile(loss="hinge")
    >>> history = gan.fit(np.ones((8, 3), "float32"), batch_size=4, verbose=0)
    >>> sorted(history.history)
    ['d_loss', 'g_loss']
    >>> [int(gan.discriminator_optimizer.iterations), int(gan.generator_optimizer.iterations)]
    [2, 2]
    """

    _TRAINER_NAME = "GAN"
    _INSTANCE_NAME = "gan"
    _OPTIMIZER_NAME = "gan_optimizer"
    _EVALUATE_HINT = "judge samples from gan.generator (for example with a FID)"

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        latent_dim = type(self)._check_networks(generator, discriminator, latent_dim)
        if seed is not None:
            seed = check_int("seed", seed)
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="gan_noise_seed")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.gradient_penalty_tracker = keras.metrics.Mean(name="gradient_penalty")
        self.r1_penalty_tracker = keras.metrics.Mean(name="r1_penalty")
        self.adversarial_loss = None
        self.gradient_penalty_weight = 0.0
        self.r1_penalty_weight = 0.0
        self.discriminator_steps = 1
        self.built = True

    @classmethod
    def _check_networks(
        cls, generator: Any, discriminator: Any, latent_dim: int | None
    ) -> int:
        """Validate the two networks; return ``latent_dim`` (subclasses override)."""
        generator = check_network("generator", generator)
        discriminator = check_network("discriminator", discriminator)
        _check_separate(generator, discriminator)
        latent_dim = _latent_dim_of(generator.inputs[0], latent_dim)
        _check_sample_shapes(generator.outputs[0], discriminator.inputs[0])
        return latent_dim

    # -- configuration ------------------------------------------------------------

    def compile(
        self,
        generator_optimizer: keras.optimizers.Optimizer | str | None = None,
        discriminator_optimizer: keras.optimizers.Optimizer | str | None = None,
        loss: str = "non_saturating",
        gradient_penalty_weight: float | None = None,
        discriminator_steps: int | None = None,
        r1_penalty_weight: float = 0.0,
        run_eagerly: bool = False,
        jit_compile: bool | str = "auto",
        steps_per_execution: int = 1,
    ) -> None:
        """Choose the adversarial loss, the two optimizers and the schedule.

        Args:
            generator_optimizer: Optimizer of the generator. Default:
                ``Adam(2e-4, beta_1=0.5)`` (DCGAN), or for ``"wgan_gp"``
                ``Adam(1e-4, beta_1=0.0, beta_2=0.9)`` (WGAN-GP).
            discriminator_optimizer: Optimizer of the discriminator; same
                defaults. Must be a different instance from
                ``generator_optimizer``.
            loss: ``"non_saturating"`` (logits, binary cross-entropy with the
                ``-log D`` generator loss), ``"hinge"`` or ``"wgan_gp"``
                (Wasserstein loss with a gradient penalty).
            gradient_penalty_weight: Weight of the gradient penalty
                ``mean((||grad D(x_hat)|| - 1)^2)`` at random interpolates
                ``x_hat`` of real and generated samples, added to the
                discriminator loss. Default 10 for ``"wgan_gp"``, 0 (no
                penalty) otherwise; any loss may use one.
            discriminator_steps: Discriminator updates per generator update
                (``n_critic``). Default 5 for ``"wgan_gp"``, else 1.
            r1_penalty_weight: ``gamma`` of the R1 penalty (Mescheder et al.,
                2018): ``gamma / 2 * mean(||grad_x D(x)||^2)`` over the *real*
                samples ``x`` of the batch, added to the discriminator loss
                and logged (unweighted) as ``r1_penalty``. Default 0 (off);
                StyleGAN uses 10 (and the 2018 paper 10 on CelebA-HQ).
            run_eagerly: As in ``keras.Model.compile``.
            jit_compile: As in ``keras.Model.compile``. On torch it must stay
                off when a gradient or R1 penalty is used (torch.compile has
                no double backward).
            steps_per_execution: As in ``keras.Model.compile``.

        Raises:
            ValueError: On an unknown ``loss``, a negative penalty weight, a
                ``discriminator_steps`` < 1, an argument that is not an
                optimizer, the same optimizer for both networks, or an
                optimizer already built for other variables.
        """
        loss = check_choice("loss", loss, LOSSES)
        if gradient_penalty_weight is None:
            gradient_penalty_weight = 10.0 if loss == "wgan_gp" else 0.0
        gradient_penalty_weight = check_float(
            "gradient_penalty_weight", gradient_penalty_weight, minimum=0.0
        )
        if discriminator_steps is None:
            discriminator_steps = 5 if loss == "wgan_gp" else 1
        discriminator_steps = check_int(
            "discriminator_steps", discriminator_steps, minimum=1
        )
        r1_penalty_weight = check_float(
            "r1_penalty_weight", r1_penalty_weight, minimum=0.0
        )
        if (
            keras.backend.backend() == "torch"
            and jit_compile is True
            and (gradient_penalty_weight > 0.0 or r1_penalty_weight > 0.0)
        ):
            raise ValueError(
                "`jit_compile=True` on torch (torch.compile) cannot take the "
                "double backward of the gradient or R1 penalty; use "
                "jit_compile=False (the default on torch) or set "
                "gradient_penalty_weight=0 and r1_penalty_weight=0."
            )

        def configure() -> None:
            self.adversarial_loss = loss
            self.gradient_penalty_weight = gradient_penalty_weight
            self.r1_penalty_weight = r1_penalty_weight
            self.discriminator_steps = discriminator_steps
            self._objective_fns = _OBJECTIVES[loss]

        self._compile_optimizers(
            generator_optimizer,
            discriminator_optimizer,
            default=lambda: _default_optimizer(loss),
            compile_args={
                "loss": loss,
                "gradient_penalty_weight": gradient_penalty_weight,
                "discriminator_steps": discriminator_steps,
                "r1_penalty_weight": r1_penalty_weight,
            },
            run_eagerly=run_eagerly,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            configure=configure,
        )

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The loss trackers: ``d_loss``, ``g_loss`` (and the penalties in use).

        ``gradient_penalty`` when ``gradient_penalty_weight > 0``,
        ``r1_penalty`` when ``r1_penalty_weight > 0``.
        """
        trackers = [self.d_loss_tracker, self.g_loss_tracker]
        if self._uses_gradient_penalty:
            trackers.append(self.gradient_penalty_tracker)
        if self._uses_r1_penalty:
            trackers.append(self.r1_penalty_tracker)
        return trackers

    def call(self, inputs: Any, training: bool = False) -> Any:
        """Generate samples from noise of shape ``(batch, latent_dim)``."""
        return self.generator(inputs, training=training)

    def fit(
        self, x: Any = None, y: Any = None, **kwargs: Any
    ) -> keras.callbacks.History:
        """Train on real samples; ``keras.Model.fit``'s arguments otherwise.

        Args:
            x: Real samples: an array, a ``tf.data.Dataset`` or a
                ``keras.utils.PyDataset`` (labels it yields are ignored).
            y: Must be ``None``: a GAN learns from samples alone.
            **kwargs: Other ``keras.Model.fit`` arguments, except validation.

        Returns:
            The ``History``.
        """
        self._check_fit(kwargs, ": a GAN has no held-out loss to evaluate")
        if y is not None:
            raise ValueError("`y` must be None: GAN.fit() takes real samples only.")
        return super().fit(x, **kwargs)

    # -- the objective, written once ---------------------------------------------

    @property
    def _uses_gradient_penalty(self) -> bool:
        return self.gradient_penalty_weight > 0.0

    @property
    def _uses_r1_penalty(self) -> bool:
        return self.r1_penalty_weight > 0.0

    def _updates(self) -> list[Update]:
        """``discriminator_steps`` critic updates, then one generator update."""
        return [
            Update(
                "_critic_objective",
                self._DISCRIMINATORS,
                "discriminator_optimizer",
                self.discriminator_steps,
            ),
            Update("_generator_objective", self._GENERATORS, "generator_optimizer"),
        ]

    def _step_state(self) -> list[Any]:
        """The noise seed, which the objectives draw from."""
        return [self.seed_generator.state]

    def _unpack_batch(self, data: Any) -> tuple[Any, Any]:
        """``(real samples, condition)`` of a ``fit()`` batch; no condition here."""
        return self._real_batch(data), None

    def _generator_inputs(self, z: Any, condition: Any) -> Any:
        """What the generator is called on, from noise and the batch's condition."""
        return z

    def _discriminator_inputs(self, x: Any, condition: Any) -> Any:
        """What the discriminator is called on, from samples and the condition."""
        return x

    def _real_batch(self, data: Any) -> Any:
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, (list, tuple, dict)):
            raise ValueError(
                "GAN.fit() expects batches of real samples (one tensor), got "
                f"{type(x).__name__}."
            )
        return self._floats(x)

    def _draw_noise(self, batch: Any) -> Any:
        return keras.random.normal(
            (batch, self.latent_dim), dtype="float32", seed=self.seed_generator
        )

    def _draw_critic_noise(self, batch: Any, ndim: int) -> tuple[Any, Any]:
        """Noise for one critic update and, with a penalty, interpolation weights."""
        z = self._draw_noise(batch)
        eps = None
        if self._uses_gradient_penalty:
            eps = keras.random.uniform(
                (batch,) + (1,) * (ndim - 1), dtype="float32", seed=self.seed_generator
            )
        return z, eps

    @staticmethod
    def _interpolate(real: Any, fake: Any, eps: Any) -> Any:
        eps = ops.cast(eps, real.dtype)
        return eps * real + (1.0 - eps) * fake

    def _critic_objective(
        self, run: Any, batch: tuple[Any, Any], carry: None
    ) -> tuple[Any, dict[str, Any], None]:
        """One critic loss, penalties included, on fresh noise and a fixed fake batch.

        Terms: ``d_loss`` (the total) and the unweighted penalties in use.
        """
        real, cond = batch
        z, eps = self._draw_critic_noise(ops.shape(real)[0], len(real.shape))
        fake = run.frozen(self.generator, self._generator_inputs(z, cond))
        fake = ops.cast(fake, real.dtype)

        def inputs(x: Any) -> Any:
            return self._discriminator_inputs(x, cond)

        terms = {}
        if self._uses_r1_penalty:
            real_logits, grad = run.with_input_gradient(
                self.discriminator, real, inputs
            )
            terms["r1_penalty"] = gan_losses.r1_penalty(grad)
        else:
            real_logits = run(self.discriminator, inputs(real))
        fake_logits = run(self.discriminator, inputs(fake))
        loss = self._objective_fns[0](real_logits, fake_logits)
        if self._uses_gradient_penalty:
            mixed = self._interpolate(real, fake, eps)
            _, grad = run.with_input_gradient(self.discriminator, mixed, inputs)
            terms["gradient_penalty"] = gan_losses.gradient_penalty(grad)
            loss = loss + self.gradient_penalty_weight * terms["gradient_penalty"]
        if self._uses_r1_penalty:
            loss = loss + 0.5 * self.r1_penalty_weight * terms["r1_penalty"]
        terms["d_loss"] = loss
        return loss, terms, carry

    def _generator_objective(
        self, run: Any, batch: tuple[Any, Any], carry: None
    ) -> tuple[Any, dict[str, Any], None]:
        """The generator's loss on fresh noise; term ``g_loss``."""
        real, cond = batch
        z = self._draw_noise(ops.shape(real)[0])
        fake = ops.cast(
            run(self.generator, self._generator_inputs(z, cond)), real.dtype
        )
        logits = run(self.discriminator, self._discriminator_inputs(fake, cond))
        loss = self._objective_fns[1](logits)
        return loss, {"g_loss": loss}, carry

    # -- serialization ---------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Both networks (serialized), ``latent_dim``, ``seed`` and the name.

        Returns:
            A JSON-serializable dict.
        """
        return {
            "name": self.name,
            "trainable": self.trainable,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> GAN:
        """Rebuild the trainer from ``get_config()``.

        Args:
            config: A dict from ``get_config``.
            custom_objects: Optional custom objects for the two networks.

        Returns:
            A new, uncompiled ``GAN``.
        """
        config = copy.deepcopy(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(
                config[key], custom_objects=custom_objects
            )
        return cls(**config)

    def _network_seed_states(self) -> list[Any]:
        """The seed states of the networks' random layers (``Dropout``, ...).

        Keras does not save them with a model; the trainer does, so a reloaded
        GAN resumes with the same dropout masks too.
        """
        weights = {id(v) for v in self.generator.weights + self.discriminator.weights}
        return [
            v
            for v in self.generator.variables + self.discriminator.variables
            if id(v) not in weights
        ]

    def save_own_variables(self, store: Any) -> None:
        """Save the noise seed and the networks' seed states too.

        Args:
            store: The store ``model.save()`` writes this model's state to.
        """
        super().save_own_variables(store)
        store[_SEED_KEY] = self.seed_generator.state
        for i, variable in enumerate(self._network_seed_states()):
            store[f"{_NETWORK_SEED_KEY}_{i}"] = variable

    def load_own_variables(self, store: Any) -> None:
        """Load what :meth:`save_own_variables` saved.

        Args:
            store: The store ``keras.saving.load_model`` reads this model's
                state from.
        """
        for i, variable in enumerate(keras_compat.own_variables(self)):
            variable.assign(store[f"{i}"])
        if _SEED_KEY in store:
            self.seed_generator.state.assign(store[_SEED_KEY])
        for i, variable in enumerate(self._network_seed_states()):
            key = f"{_NETWORK_SEED_KEY}_{i}"
            if key in store:
                variable.assign(store[key])
