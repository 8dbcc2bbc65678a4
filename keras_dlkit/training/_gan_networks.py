"""Checks of an adversarial trainer's networks (private).

Shared by :class:`~keras_dlkit.training.GAN` and its subclasses
(:class:`~keras_dlkit.training.ConditionalGAN`, ...): each validates its
networks with these functions in its ``_check_networks``.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.utils.validation import check_int, shapes_match


def _check_separate(generator: keras.Model, discriminator: keras.Model) -> None:
    if generator is discriminator:
        raise ValueError(
            "`generator` and `discriminator` must be two different models."
        )
    shared = {id(v) for v in generator.variables} & {
        id(v) for v in discriminator.variables
    }
    if shared:
        raise ValueError(
            f"`generator` and `discriminator` share {len(shared)} variables; "
            "they must be separate networks."
        )


def _latent_dim_of(noise_input: Any, latent_dim: int | None) -> int:
    """Check the generator's noise input ``(None, latent_dim)``; return ``latent_dim``."""
    g_input = tuple(noise_input.shape)
    if latent_dim is not None:
        latent_dim = check_int("latent_dim", latent_dim, minimum=1)
    elif len(g_input) == 2 and g_input[1] is not None:
        latent_dim = int(g_input[1])
    if len(g_input) != 2 or latent_dim is None or g_input[1] != latent_dim:
        raise ValueError(
            "The generator's input shape must be (None, latent_dim) = "
            f"(None, {latent_dim}), got {g_input} (`latent_dim`={latent_dim})."
        )
    return latent_dim


def _check_sample_shapes(generator_output: Any, discriminator_input: Any) -> None:
    g_output = tuple(generator_output.shape)[1:]
    d_input = tuple(discriminator_input.shape)[1:]
    if not shapes_match(g_output, d_input):
        raise ValueError(
            f"The generator's output shape {(None, *g_output)} must match the "
            f"discriminator's input shape {(None, *d_input)}."
        )
