"""A second latent code, drawn inside the model, for StyleGAN's style mixing."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_int


@keras_dlkit_export("keras_dlkit.layers.MixingLatent")
class MixingLatent(keras.layers.Layer):
    """In training, a fresh ``N(0, 1)`` latent shaped like the input; else the input.

    StyleGAN's style mixing needs a second latent code per training batch.
    Drawing it inside the generator, from the layer's ``SeedGenerator``,
    keeps the generator a one-input functional model (usable by
    :class:`keras_dlkit.training.GAN` on every backend: the seed state is a
    non-trainable variable that JAX's stateless step threads). At inference
    the layer returns its input unchanged, so the second latent equals the
    first and :class:`StyleMixing` ignores it.

    Args:
        seed: Seed of the draws; ``None`` draws one from Python's global RNG
            (which ``keras.utils.set_random_seed`` seeds).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np, keras
    >>> from keras_dlkit.layers import MixingLatent
    >>> layer = MixingLatent(seed=0)
    >>> z = np.zeros((2, 4), "float32")
    >>> bool(np.all(keras.ops.convert_to_numpy(layer(z)) == 0.0))
    True
    >>> bool(np.all(keras.ops.convert_to_numpy(layer(z, training=True)) == 0.0))
    False
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if seed is not None:
            seed = check_int("seed", seed, minimum=0)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training:
            return inputs
        shape = ops.shape(inputs)
        size = shape[0]
        for dim in shape[1:]:
            size = size * dim
        # Drawn flat, then reshaped (JAX compiles a 1-D draw faster).
        z = keras.random.normal((size,), dtype=inputs.dtype, seed=self.seed_generator)
        return ops.reshape(z, shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}
