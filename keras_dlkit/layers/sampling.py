"""The reparameterization trick of variational autoencoders."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_bool, check_int


def _pair_of_shapes(input_shape: Any) -> tuple[tuple, tuple]:
    if (
        not isinstance(input_shape, (list, tuple))
        or len(input_shape) != 2
        or not all(isinstance(s, (list, tuple)) for s in input_shape)
    ):
        raise ValueError(
            "VAESampling takes two inputs, (z_mean, z_log_var), got input "
            f"shape {input_shape!r}."
        )
    mean_shape, log_var_shape = (tuple(s) for s in input_shape)
    compatible = len(mean_shape) == len(log_var_shape) and all(
        a is None or b is None or a == b
        for a, b in zip(mean_shape, log_var_shape, strict=True)
    )
    if not compatible:
        raise ValueError(
            "VAESampling's inputs z_mean and z_log_var must have the same shape, "
            f"got {mean_shape} and {log_var_shape}."
        )
    return mean_shape, log_var_shape


@keras_dlkit_export("keras_dlkit.layers.VAESampling")
class VAESampling(keras.layers.Layer):
    """Draw ``z ~ N(z_mean, exp(z_log_var))`` with the reparameterization trick.

    Kingma & Welling (2014), "Auto-Encoding Variational Bayes": a sample
    ``z = z_mean + exp(0.5 * z_log_var) * eps`` with ``eps ~ N(0, I)`` is a
    differentiable function of the encoder's outputs, so gradients reach the
    encoder through the sample. ``eps`` comes from the layer's own
    ``keras.random.SeedGenerator`` (``seed``), in the layer's compute dtype,
    so runs repeat exactly under ``keras.utils.set_random_seed`` and the
    layer works under mixed precision.

    In inference (``training=False``, e.g. ``predict``) the layer still
    samples by default, since the VAE defines a stochastic encoder and a
    decoded sample is what its ELBO scores. With
    ``sample_in_inference=False`` it returns ``z_mean`` in inference (a
    deterministic code, for plots of the latent space or reconstructions)
    and samples only in training. Keras does not save a seed generator's
    state in ``.keras`` files; the :class:`keras_dlkit.training.VAE` trainer
    does.

    Args:
        seed: Integer seed of the noise, or ``None`` for one drawn from
            Python's global RNG (which ``keras.utils.set_random_seed`` seeds).
        sample_in_inference: Whether to sample when ``training`` is false
            (``True``, the default) or return ``z_mean`` (``False``).
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: A pair ``(z_mean, z_log_var)`` of tensors of the same shape.
        training: Whether the call is in training mode.

    Returns:
        A tensor shaped like ``z_mean``.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.layers import VAESampling
    >>> z_mean = np.full((4, 2), 3.0, "float32")
    >>> z_log_var = np.full((4, 2), -1e4, "float32")  # variance ~ 0
    >>> z = VAESampling(seed=0)([z_mean, z_log_var])
    >>> keras.ops.convert_to_numpy(z)[0].tolist()
    [3.0, 3.0]
    >>> z = VAESampling(seed=0)([z_mean, np.zeros((4, 2), "float32")])
    >>> bool(np.all(keras.ops.convert_to_numpy(z) != 3.0))  # unit variance
    True
    """

    def __init__(
        self, seed: int | None = None, sample_in_inference: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if seed is not None:
            seed = check_int("seed", seed)
        check_bool("sample_in_inference", sample_in_inference)
        self.seed = seed
        self.sample_in_inference = sample_in_inference
        self.seed_generator = keras.random.SeedGenerator(seed, name="sampling_seed")

    def build(self, input_shape: Any) -> None:
        _pair_of_shapes(input_shape)
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        z_mean, z_log_var = inputs
        if not training and not self.sample_in_inference:
            return z_mean
        eps = keras.random.normal(
            ops.shape(z_mean), dtype=self.compute_dtype, seed=self.seed_generator
        )
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape: Any) -> tuple:
        mean_shape, _ = _pair_of_shapes(input_shape)
        return mean_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "seed": self.seed,
            "sample_in_inference": self.sample_in_inference,
        }
