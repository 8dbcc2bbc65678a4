"""The variational autoencoder trainer (Kingma & Welling, 2014).

Like :class:`~keras_dlkit.training.Autoencoder`, it only overrides
``compute_loss`` (written once in ``keras.ops``): Keras's own ``train_step``
runs it on tensorflow, jax and torch (DESIGN section 9).
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.sampling import VAESampling
from keras_dlkit.losses.kl import gaussian_kl_divergence
from keras_dlkit.training.autoencoder import (
    Autoencoder,
    _float32,
    _reconstruction_target,
    _weighted_mean,
)
from keras_dlkit.utils.validation import (
    check_choice,
    check_float,
    check_int,
    check_network,
    shapes_match,
)

RECONSTRUCTIONS = ("bernoulli", "gaussian")

_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def _per_sample_sum(x: Any) -> Any:
    """Sum over every axis but the first."""
    return ops.sum(x, axis=tuple(range(1, len(x.shape)))) if len(x.shape) > 1 else x


@keras_dlkit_export("keras_dlkit.training.VAE")
class VAE(Autoencoder):
    """A variational autoencoder trained on the (beta-weighted) ELBO by ``fit()``.

    The encoder maps ``x`` to ``(z_mean, z_log_var)``, the mean and the
    log-variance of the diagonal Gaussian ``q(z|x)`` (or to
    ``(z_mean, z_log_var, z)`` if it samples ``z`` itself); the trainer
    otherwise draws ``z`` with its :class:`~keras_dlkit.layers.VAESampling`
    layer ``sampling`` (seeded by ``seed``). The decoder maps ``z`` to the
    parameters of ``p(x|z)``:

    - ``reconstruction="bernoulli"``: pixel probabilities in ``(0, 1)`` (end
      the decoder in a sigmoid); ``-log p(x|z)`` is the binary cross-entropy
      summed over the sample's elements, as Kingma & Welling use for MNIST.
      For grey levels in ``[0, 1]`` (not binary) it is not a normalized
      density: compare ELBOs between models on the same data only.
    - ``reconstruction="gaussian"``: the mean of a unit-variance Gaussian;
      ``-log p(x|z) = 0.5 * ||x - mean||^2 + 0.5 * d * log(2 pi)``. With
      data in ``[0, 1]`` unit variance weighs the reconstruction weakly
      against the KL term; a smaller ``beta`` compensates (``beta`` plays the
      part of ``2 * sigma^2`` for a Gaussian of variance ``sigma^2``, up to a
      constant).

    The loss per sample is ``-log p(x|z) + beta * KL(q(z|x) || N(0, I))``
    (:func:`keras_dlkit.losses.gaussian_kl_divergence`), one sample of ``z``
    per input, averaged over the batch, plus the networks' own
    regularization losses. With ``beta = 1`` it is the negative ELBO;
    ``beta > 1`` is the beta-VAE of Higgins et al. (2017). The logs hold
    ``loss``, ``reconstruction_loss`` and ``kl_loss`` (both unweighted, so
    ``-(reconstruction_loss + kl_loss)`` is the ELBO whatever ``beta``), and
    ``regularization_loss`` when the networks have regularizers.

    ``vae(x)`` (and ``predict``) returns a dict with ``"reconstruction"``
    (decoded from a sampled ``z``), ``"z_mean"``, ``"z_log_var"`` and
    ``"z"``: one pass gives codes and reconstructions. To decode the means,
    call ``vae.decoder(vae.encoder(x)[0])``; to generate, decode
    ``N(0, I)`` noise with ``vae.decoder``.

    ``fit(x)`` reconstructs ``x``; ``fit(x, y)`` reconstructs ``y``.
    Serialization is as for :class:`~keras_dlkit.training.Autoencoder`;
    ``get_config`` also holds ``beta``, ``reconstruction`` and ``seed``, and a
    ``.keras`` file the sampling seed's state.

    Args:
        encoder: A functional ``keras.Model`` with one input and two outputs
            ``(z_mean, z_log_var)`` of the same shape, or three
            ``(z_mean, z_log_var, z)``.
        decoder: A functional ``keras.Model`` mapping ``z`` to the encoder's
            input shape.
        beta: Weight of the KL term (>= 0); 1 gives the ELBO.
        reconstruction: ``"bernoulli"`` or ``"gaussian"`` likelihood.
        seed: Seed of the sampling noise; ``None`` draws one from Python's
            global RNG (which ``keras.utils.set_random_seed`` seeds).
        **kwargs: Passed to ``keras.Model`` (for example ``name``).

    Raises:
        ValueError: If the networks do not fit together (shapes, number of
            outputs), ``beta`` is negative or ``reconstruction`` unknown.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.training import VAE
    >>> x = keras.Input((4,))
    >>> encoder = keras.Model(x, [keras.layers.Dense(2)(x), keras.layers.Dense(2)(x)])
    >>> decoder = keras.Sequential(
    ...     [keras.Input((2,)), keras.layers.Dense(4, activation="sigmoid")])
    >>> vae = VAE(encoder, decoder, seed=0)
    >>> vae.compile()  # Adam(1e-3)
    >>> history = vae.fit(np.full((8, 4), 0.5, "float32"), batch_size=4, verbose=0)
    >>> sorted(history.history)
    ['kl_loss', 'loss', 'reconstruction_loss']
    >>> sorted(vae.predict(np.zeros((3, 4), "float32"), verbose=0))
    ['reconstruction', 'z', 'z_log_var', 'z_mean']
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        beta: float = 1.0,
        reconstruction: str = "bernoulli",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        beta = check_float("beta", beta, minimum=0.0)
        check_choice("reconstruction", reconstruction, RECONSTRUCTIONS)
        if seed is not None:
            seed = check_int("seed", seed)
        super().__init__(encoder, decoder, **kwargs)
        self.beta = beta
        self.reconstruction = reconstruction
        self.seed = seed
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.encoder_samples = len(self.encoder.outputs) == 3
        latent = tuple(self.encoder.outputs[0].shape)
        self.sampling = VAESampling(seed=seed, name="sampling")
        self.sampling.build([latent, latent])

    @classmethod
    def _check_networks(cls, encoder: Any, decoder: Any) -> tuple[Any, Any]:
        encoder = check_network("encoder", encoder, num_outputs=(2, 3))
        decoder = check_network("decoder", decoder)
        if encoder is decoder:
            raise ValueError("`encoder` and `decoder` must be two different models.")
        shapes = [tuple(out.shape)[1:] for out in encoder.outputs]
        if not all(shapes_match(shapes[0], s) for s in shapes[1:]):
            raise ValueError(
                "The encoder's outputs (z_mean, z_log_var[, z]) must have the same "
                f"shape, got {', '.join(str((None, *s)) for s in shapes)}."
            )
        cls._check_decoder(encoder, decoder, shapes[0])
        return encoder, decoder

    def compile(
        self,
        optimizer: keras.optimizers.Optimizer | str | None = None,
        run_eagerly: bool = False,
        jit_compile: bool | str = "auto",
        steps_per_execution: int = 1,
    ) -> None:
        """Choose the optimizer; the loss is the ELBO set by the constructor.

        Args:
            optimizer: An optimizer or its name. Default: ``Adam(1e-3)``
                (Kingma & Ba, 2015, whose defaults most VAE work since uses;
                e.g. the starting rate of Burda et al., 2016; Kingma & Welling
                themselves used Adagrad).
            run_eagerly: As in ``keras.Model.compile``.
            jit_compile: As in ``keras.Model.compile``.
            steps_per_execution: As in ``keras.Model.compile``.

        Raises:
            ValueError: If ``optimizer`` is not an optimizer.
        """
        self._compile_trainer(
            optimizer, run_eagerly, jit_compile, steps_per_execution, {}
        )

    def _loss_terms(self) -> list[keras.metrics.Metric]:
        return [self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def call(self, inputs: Any, training: bool | None = None) -> dict[str, Any]:
        """Encode, sample and decode.

        Args:
            inputs: A batch of samples.
            training: Whether in training mode.

        Returns:
            A dict with ``"reconstruction"``, ``"z_mean"``, ``"z_log_var"``
            and ``"z"``.
        """
        encoded = self.encoder(inputs, training=training)
        z_mean, z_log_var = encoded[0], encoded[1]
        if self.encoder_samples:
            z = encoded[2]
        else:
            z = self.sampling([z_mean, z_log_var], training=training)
        return {
            "reconstruction": self.decoder(z, training=training),
            "z_mean": z_mean,
            "z_log_var": z_log_var,
            "z": z,
        }

    def _negative_log_likelihood(self, target: Any, prediction: Any) -> Any:
        prediction = _float32(prediction)
        if self.reconstruction == "bernoulli":
            p = ops.clip(prediction, 1e-7, 1.0 - 1e-7)
            nll = -(target * ops.log(p) + (1.0 - target) * ops.log(1.0 - p))
        else:
            nll = 0.5 * ops.square(target - prediction) + _HALF_LOG_TWO_PI
        return _per_sample_sum(nll)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """``-log p(x|z) + beta * KL`` averaged over the batch, plus regularization.

        Args:
            x: The input batch.
            y: The target batch, or ``None`` to reconstruct ``x``.
            y_pred: The dict returned by :meth:`call`.
            sample_weight: Optional per-sample weights.
            training: Whether in training.

        Returns:
            The float32 scalar loss.
        """
        prediction = y_pred["reconstruction"]
        target = _reconstruction_target(x, y, prediction)
        batch = _float32(ops.shape(target)[0])
        nll = self._negative_log_likelihood(target, prediction)
        kl = gaussian_kl_divergence(y_pred["z_mean"], y_pred["z_log_var"])
        loss = _weighted_mean(nll + self.beta * kl, sample_weight)
        regularization = self._regularization()
        self._track(
            self.reconstruction_loss_tracker, _weighted_mean(nll, sample_weight), batch
        )
        self._track(self.kl_loss_tracker, _weighted_mean(kl, sample_weight), batch)
        if self.has_regularization:
            self._track(self.regularization_loss_tracker, regularization, batch)
        return loss + regularization

    def get_config(self) -> dict[str, Any]:
        """Both networks, ``beta``, ``reconstruction``, ``seed`` and the name.

        Returns:
            A JSON-serializable dict.
        """
        return {
            **super().get_config(),
            "beta": self.beta,
            "reconstruction": self.reconstruction,
            "seed": self.seed,
        }
