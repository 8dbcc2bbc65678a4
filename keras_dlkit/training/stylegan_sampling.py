"""Sampling a StyleGAN generator: the truncation trick, styles, noise modes.

The generator of :func:`~keras_dlkit.models.stylegan_generator` is a plain
``z -> image`` model (truncation ``psi = 1``, random noise). These helpers
run its parts, ``"mapping"``, ``"style_mixing"`` (which holds ``w_avg``) and
``"synthesis"``, with a truncation ``psi`` and a noise mode; they work on a
generator loaded from a ``.keras`` file too (``safe_mode=True``).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.noise_injection import NOISE_MODES, NoiseInjection
from keras_dlkit.layers.style_mixing import StyleMixing
from keras_dlkit.utils.keras_compat import flatten_layers
from keras_dlkit.utils.validation import check_choice, check_float, check_int


def _parts(generator: Any) -> tuple[keras.Model, StyleMixing, keras.Model]:
    try:
        mapping = generator.get_layer("mapping")
        mixing = generator.get_layer("style_mixing")
        synthesis = generator.get_layer("synthesis")
    except (AttributeError, ValueError):
        mapping = mixing = synthesis = None
    if not isinstance(mixing, StyleMixing) or not isinstance(synthesis, keras.Model):
        raise ValueError(
            "`generator` must be a generator from "
            "keras_dlkit.models.stylegan_generator (with layers 'mapping', "
            f"'style_mixing' and 'synthesis'), got {generator!r}."
        )
    return mapping, mixing, synthesis


@keras_dlkit_export("keras_dlkit.training.stylegan_styles")
def stylegan_styles(
    generator: keras.Model,
    z: Any,
    truncation_psi: float = 1.0,
    truncation_cutoff: int | None = None,
) -> Any:
    """The styles ``ws`` of latents ``z``, with the truncation trick.

    ``w = mapping(z)`` broadcast to every synthesis layer, then
    ``w_avg + psi * (w - w_avg)`` on the first ``truncation_cutoff`` styles
    (all when ``None``), ``w_avg`` being the average ``w`` tracked in
    training. ``psi=1`` gives the generator's own styles, ``psi=0`` the
    average style for every ``z``; ``0 < psi < 1`` trades variety for
    typicality (Karras et al., 2019, section 5.1).

    Args:
        generator: A model from :func:`~keras_dlkit.models.stylegan_generator`.
        z: Latents of shape ``(batch, latent_dim)``.
        truncation_psi: ``psi`` (a finite number).
        truncation_cutoff: Number of leading styles to truncate, or ``None``.

    Returns:
        ``ws`` of shape ``(batch, num_ws, w_dim)``.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import stylegan_generator, stylegan_styles
    >>> generator = stylegan_generator((8, 8, 1), latent_dim=4, mapping_layers=1)
    >>> ws = stylegan_styles(generator, np.ones((2, 4), "float32"), 0.5)
    >>> tuple(ws.shape)
    (2, 4, 4)
    """
    mapping, mixing, _ = _parts(generator)
    psi = check_float("truncation_psi", truncation_psi)
    if truncation_cutoff is not None:
        truncation_cutoff = check_int("truncation_cutoff", truncation_cutoff, minimum=0)
    w = mapping(z, training=False)
    ws = ops.repeat(w[:, None, :], mixing.num_ws, axis=1)
    if psi == 1.0:
        return ws
    return mixing.truncate(ws, psi, truncation_cutoff)


@keras_dlkit_export("keras_dlkit.training.stylegan_synthesize")
def stylegan_synthesize(
    generator: keras.Model, ws: Any, noise_mode: str = "random"
) -> Any:
    """Images from styles ``ws`` with a noise mode, at inference.

    Runs the generator's ``"synthesis"`` network with every
    :class:`~keras_dlkit.layers.NoiseInjection` set to ``noise_mode`` for
    this call: ``"random"`` (fresh noise, as the generator does), ``"const"``
    (each layer's fixed noise map: the same ``ws`` give the same image) or
    ``"none"``. Mixing styles, e.g. ``ws[:, :k]`` of one latent and
    ``ws[:, k:]`` of another, gives the paper's style-mixing images.

    Args:
        generator: A model from :func:`~keras_dlkit.models.stylegan_generator`.
        ws: Styles of shape ``(batch, num_ws, w_dim)``.
        noise_mode: ``"random"``, ``"const"`` or ``"none"``.

    Returns:
        Images of shape ``(batch, *image_shape)``.

    Example:

    >>> import numpy as np, keras
    >>> from keras_dlkit.models import stylegan_generator, stylegan_synthesize
    >>> generator = stylegan_generator((8, 8, 1), latent_dim=4, mapping_layers=1)
    >>> ws = np.zeros((2, 4, 4), "float32")
    >>> a = stylegan_synthesize(generator, ws, noise_mode="const")
    >>> b = stylegan_synthesize(generator, ws, noise_mode="const")
    >>> bool(np.all(keras.ops.convert_to_numpy(a) == keras.ops.convert_to_numpy(b)))
    True
    """
    _, _, synthesis = _parts(generator)
    noise_mode = check_choice("noise_mode", noise_mode, NOISE_MODES)
    noise_layers = [
        layer
        for layer in flatten_layers(synthesis, include_self=False)
        if isinstance(layer, NoiseInjection)
    ]
    saved = [layer.noise_mode for layer in noise_layers]
    try:
        for layer in noise_layers:
            layer.noise_mode = noise_mode
        return synthesis(ws, training=False)
    finally:
        for layer, mode in zip(noise_layers, saved, strict=True):
            layer.noise_mode = mode


@keras_dlkit_export("keras_dlkit.training.stylegan_generate")
def stylegan_generate(
    generator: keras.Model,
    z: Any,
    truncation_psi: float = 1.0,
    truncation_cutoff: int | None = None,
    noise_mode: str = "random",
) -> Any:
    """Images from latents ``z`` with the truncation trick and a noise mode.

    :func:`stylegan_styles` then :func:`stylegan_synthesize`. With
    ``truncation_psi=1`` and ``noise_mode="random"`` this is
    ``generator(z)``; ``truncation_psi=0`` gives the image of the average
    ``w`` for every ``z``.

    Args:
        generator: A model from :func:`~keras_dlkit.models.stylegan_generator`.
        z: Latents of shape ``(batch, latent_dim)``.
        truncation_psi: ``psi`` (a finite number; 1 means no truncation).
        truncation_cutoff: Number of leading styles to truncate, or ``None``
            for all.
        noise_mode: ``"random"``, ``"const"`` or ``"none"``.

    Returns:
        Images of shape ``(batch, *image_shape)``.

    Example:

    >>> import numpy as np, keras
    >>> from keras_dlkit.models import stylegan_generator, stylegan_generate
    >>> generator = stylegan_generator((8, 8, 1), latent_dim=4, mapping_layers=1)
    >>> z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    >>> images = keras.ops.convert_to_numpy(
    ...     stylegan_generate(generator, z, truncation_psi=0.0, noise_mode="const"))
    >>> images.shape, bool(np.allclose(images[0], images[1]))
    ((3, 8, 8, 1), True)
    """
    ws = stylegan_styles(generator, z, truncation_psi, truncation_cutoff)
    return stylegan_synthesize(generator, ws, noise_mode)
