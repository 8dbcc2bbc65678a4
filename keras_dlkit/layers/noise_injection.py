"""Per-pixel noise scaled by a learned per-channel strength (StyleGAN)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.stylegan_common import FlatNormal
from keras_dlkit.utils.validation import check_choice, check_int

NOISE_MODES = ("random", "const", "none")


@keras_dlkit_export("keras_dlkit.layers.NoiseInjection")
class NoiseInjection(keras.layers.Layer):
    """Add per-pixel Gaussian noise times a learned per-channel strength.

    ``y = x + strength * noise``, where ``noise`` has shape
    ``(batch, height, width, 1)`` (one value per pixel, shared by the
    channels, as in StyleGAN) and ``strength`` has one entry per channel,
    initialised to zero: the layer starts as the identity and learns how much
    stochastic variation each channel gets. Its gradient
    ``sum(dL/dy * noise)`` is non-zero from the start.

    The noise comes, in training and at inference alike (StyleGAN samples
    noise when generating too), from:

    * ``noise_mode="random"``: a fresh ``N(0, 1)`` draw from the layer's
      ``SeedGenerator``, in the compute dtype;
    * ``noise_mode="const"``: a fixed ``N(0, 1)`` map (the non-trainable
      weight ``noise_const``, drawn once when the layer is built), for
      repeatable images;
    * ``noise_mode="none"``: no noise (the output is ``x``);
    * an explicit noise input: call the layer on ``[x, noise]``, with
      ``noise`` of shape ``(batch, height, width, 1)``; ``noise_mode`` is then
      ignored.

    ``noise_mode`` is a plain attribute: helpers such as
    :func:`keras_dlkit.models.stylegan_synthesize` switch it for one call.

    Args:
        noise_mode: ``"random"``, ``"const"`` or ``"none"``.
        seed: Seed of the noise; ``None`` draws one from Python's global RNG
            (which ``keras.utils.set_random_seed`` seeds).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np, keras
    >>> from keras_dlkit.layers import NoiseInjection
    >>> layer = NoiseInjection(seed=0)
    >>> x = np.ones((2, 4, 4, 3), "float32")
    >>> bool(np.all(keras.ops.convert_to_numpy(layer(x)) == x))  # zero strength
    True
    >>> _ = layer.strength.assign(np.ones(3, "float32"))
    >>> bool(np.all(keras.ops.convert_to_numpy(layer(x)) == x))
    False
    """

    def __init__(
        self, noise_mode: str = "random", seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.noise_mode = check_choice("noise_mode", noise_mode, NOISE_MODES)
        if seed is not None:
            seed = check_int("seed", seed, minimum=0)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")

    @staticmethod
    def _split(input_shape: Any) -> tuple[tuple, tuple | None]:
        if (
            isinstance(input_shape, (list, tuple))
            and input_shape
            and (isinstance(input_shape[0], (list, tuple)))
        ):
            if len(input_shape) != 2:
                raise ValueError(
                    "NoiseInjection takes x or [x, noise], got input shape "
                    f"{input_shape}."
                )
            return tuple(input_shape[0]), tuple(input_shape[1])
        return tuple(input_shape), None

    def build(self, input_shape: Any) -> None:
        x_shape, noise_shape = self._split(input_shape)
        if len(x_shape) != 4 or x_shape[-1] is None:
            raise ValueError(
                "NoiseInjection expects x of shape (batch, height, width, "
                f"channels) with known channels, got {x_shape}."
            )
        if noise_shape is not None and (len(noise_shape) != 4 or noise_shape[-1] != 1):
            raise ValueError(
                "NoiseInjection expects noise of shape (batch, height, width, 1), "
                f"got {noise_shape}."
            )
        self.strength = self.add_weight(
            name="strength", shape=(x_shape[-1],), initializer="zeros"
        )
        self.noise_const = None
        if x_shape[1] is not None and x_shape[2] is not None:
            self.noise_const = self.add_weight(
                name="noise_const",
                shape=(1, x_shape[1], x_shape[2], 1),
                initializer=FlatNormal(1.0),
                trainable=False,
            )

    def call(self, inputs: Any) -> Any:
        if isinstance(inputs, (list, tuple)):
            x, noise = inputs
            noise = ops.cast(noise, x.dtype)
        else:
            x = inputs
            mode = self.noise_mode
            if mode == "none":
                return x
            if mode == "const":
                if self.noise_const is None:
                    raise ValueError(
                        "noise_mode='const' needs a static height and width."
                    )
                noise = ops.cast(self.noise_const, x.dtype)
            else:
                batch, height, width, _ = ops.shape(x)
                # Drawn flat, then reshaped: the same distribution, and JAX
                # (0.10, partitionable threefry) compiles a 1-D draw several
                # times faster than a 4-D one.
                noise = keras.random.normal(
                    (batch * height * width,), dtype=x.dtype, seed=self.seed_generator
                )
                noise = ops.reshape(noise, (batch, height, width, 1))
        return x + ops.cast(self.strength, x.dtype) * noise

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return self._split(input_shape)[0]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "noise_mode": self.noise_mode,
            "seed": self.seed,
        }
