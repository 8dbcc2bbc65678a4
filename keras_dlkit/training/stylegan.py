"""The StyleGAN trainer: :class:`~keras_dlkit.training.GAN` with StyleGAN2's settings.

Everything StyleGAN-specific in training lives inside the generator's layers
(style mixing, the ``w_avg`` moving average, noise: all drawn from
``SeedGenerator``\\s whose states the GAN train steps thread on JAX), so the
trainer only changes ``compile()``'s defaults and adds :meth:`generate`.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.training.gan import GAN
from keras_dlkit.training.stylegan_sampling import stylegan_generate

#: StyleGAN2's ``gamma`` of the R1 penalty (config F, FFHQ 1024x1024).
DEFAULT_R1_GAMMA = 10.0


def stylegan2_adam() -> keras.optimizers.Adam:
    """``Adam(0.002, beta_1=0, beta_2=0.99, epsilon=1e-8)``: StyleGAN2's optimizer."""
    return keras.optimizers.Adam(
        learning_rate=0.002, beta_1=0.0, beta_2=0.99, epsilon=1e-8
    )


@keras_dlkit_export("keras_dlkit.training.StyleGAN")
class StyleGAN(GAN):
    """A StyleGAN2 generator and discriminator, trained by ``fit()``.

    A :class:`~keras_dlkit.training.GAN` whose ``compile()`` defaults are the
    StyleGAN2 paper's (Karras et al., 2020): the non-saturating logistic
    loss, the R1 penalty on real images with ``gamma = 10`` (logged as
    ``r1_penalty``), and ``Adam(0.002, beta_1=0, beta_2=0.99,
    epsilon=1e-8)`` for both networks. Not reproduced: lazy regularization
    (the penalty is applied at every step here, so there is no 16-step
    schedule or its Adam correction), the path length regularizer, and the
    exponential moving average of the generator's weights. For small images
    ``gamma`` is usually much smaller (StyleGAN2-ADA's heuristic is
    ``0.0002 * size**2 / batch``: 0.01 for 32x32 images in batches of 64).

    Style mixing, the tracked average ``w`` and the noise inputs are inside
    the generator (see :func:`~keras_dlkit.models.stylegan_generator`), so
    any generator and discriminator a :class:`GAN` accepts work; use
    :meth:`generate` for the truncation trick. Build both networks and the
    trainer in one call with ``create_model("stylegan", ...)``.

    Args:
        generator: A ``z -> image`` model, usually from
            :func:`~keras_dlkit.models.stylegan_generator`.
        discriminator: An ``image -> logit`` model, usually from
            :func:`~keras_dlkit.models.stylegan_discriminator`.
        latent_dim: Size of ``z``; ``None`` reads it from the generator.
        seed: Seed of the trainer's latents, or ``None``.
        **kwargs: Passed to ``keras.Model`` (for example ``name``).

    Example:

    >>> from keras_dlkit.models import create_model
    >>> gan = create_model("stylegan", image_shape=(8, 8, 1), latent_dim=4,
    ...                    mapping_layers=1, channel_base=32, channel_max=4, seed=0)
    >>> gan.compile()
    >>> [m.name for m in gan.metrics]  # the logs of fit(images)
    ['d_loss', 'g_loss', 'r1_penalty']
    >>> opt = gan.generator_optimizer
    >>> round(float(opt.learning_rate), 6), opt.beta_1, opt.beta_2, gan.r1_penalty_weight
    (0.002, 0.0, 0.99, 10.0)
    """

    def compile(
        self,
        generator_optimizer: keras.optimizers.Optimizer | str | None = None,
        discriminator_optimizer: keras.optimizers.Optimizer | str | None = None,
        loss: str = "non_saturating",
        r1_penalty_weight: float = DEFAULT_R1_GAMMA,
        gradient_penalty_weight: float | None = None,
        discriminator_steps: int | None = None,
        run_eagerly: bool = False,
        jit_compile: bool | str = "auto",
        steps_per_execution: int = 1,
    ) -> None:
        """Choose the loss, the R1 weight and the optimizers (StyleGAN2 defaults).

        Args:
            generator_optimizer: Default ``Adam(0.002, beta_1=0,
                beta_2=0.99, epsilon=1e-8)``.
            discriminator_optimizer: Same default (a separate instance).
            loss: ``"non_saturating"`` (StyleGAN's), ``"hinge"`` or
                ``"wgan_gp"``.
            r1_penalty_weight: ``gamma`` of the R1 penalty
                ``gamma / 2 * E||grad_x D(x_real)||^2``; default 10.
            gradient_penalty_weight: WGAN-GP penalty weight (see
                :meth:`GAN.compile`); default 0 unless ``loss="wgan_gp"``.
            discriminator_steps: Discriminator updates per generator update;
                default 1 (5 for ``"wgan_gp"``).
            run_eagerly: As in ``keras.Model.compile``.
            jit_compile: As in ``keras.Model.compile`` (keep it off on
                torch with a penalty).
            steps_per_execution: As in ``keras.Model.compile``.

        Raises:
            ValueError: On the arguments :meth:`GAN.compile` rejects.
        """
        if generator_optimizer is None:
            generator_optimizer = stylegan2_adam()
        if discriminator_optimizer is None:
            discriminator_optimizer = stylegan2_adam()
        super().compile(
            generator_optimizer=generator_optimizer,
            discriminator_optimizer=discriminator_optimizer,
            loss=loss,
            gradient_penalty_weight=gradient_penalty_weight,
            discriminator_steps=discriminator_steps,
            r1_penalty_weight=r1_penalty_weight,
            run_eagerly=run_eagerly,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
        )

    def generate(
        self,
        z: Any,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        noise_mode: str = "random",
    ) -> Any:
        """Images from latents ``z``: :func:`~keras_dlkit.training.stylegan_generate`.

        Args:
            z: Latents of shape ``(batch, latent_dim)``.
            truncation_psi: ``psi`` of the truncation trick (1: none).
            truncation_cutoff: Number of leading styles truncated, or ``None``.
            noise_mode: ``"random"``, ``"const"`` or ``"none"``.

        Returns:
            Images of shape ``(batch, *image_shape)``.
        """
        return stylegan_generate(
            self.generator, z, truncation_psi, truncation_cutoff, noise_mode
        )
