"""Fully connected layer with an equalized learning rate (ProGAN, StyleGAN)."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.stylegan_common import EqualizedBase
from keras_dlkit.utils.validation import check_int


@keras_dlkit_export("keras_dlkit.layers.EqualizedDense")
class EqualizedDense(EqualizedBase):
    """Dense layer with an equalized learning rate (Karras et al., 2018, 2019).

    The stored kernel is drawn from ``N(0, 1 / lr_multiplier**2)`` and scaled
    at run time by ``gain * lr_multiplier / sqrt(fan_in)``; the stored bias
    (initialised to ``bias_init``) is scaled by ``lr_multiplier``::

        y = activation(x @ (kernel * gain * lr_multiplier / sqrt(fan_in))
                       + bias * lr_multiplier)

    So the effective weights start as ``N(0, gain**2 / fan_in)`` (He-style)
    whatever ``lr_multiplier`` is, while an adaptive optimizer's steps on them
    are ``lr_multiplier * gain / sqrt(fan_in)`` times its step on the stored
    values: every layer learns at the same speed, and ``lr_multiplier=0.01``
    slows the StyleGAN mapping network 100-fold. With ``lr_multiplier=1`` the
    stored kernel is ``N(0, 1)``. This is the official StyleGAN/StyleGAN2
    parametrisation (``init_std = 1 / lr_multiplier``).

    ``activation="lrelu"`` is StyleGAN's leaky ReLU (slope 0.2) times
    ``sqrt(2)``; any ``keras.activations`` identifier works too (no gain).

    Args:
        units: Output size (>= 1).
        use_bias: Whether to add a bias.
        activation: ``None`` (or ``"linear"``), ``"lrelu"`` or a Keras
            activation identifier.
        lr_multiplier: Learning-rate multiplier (> 0) of this layer.
        gain: Gain (> 0) of the runtime weight scale.
        bias_init: Initial value of the stored bias (the effective bias
            starts at ``bias_init * lr_multiplier``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import EqualizedDense
    >>> layer = EqualizedDense(4, activation="lrelu", lr_multiplier=0.01)
    >>> tuple(layer(np.ones((2, 8), "float32")).shape)
    (2, 4)
    >>> [tuple(w.shape) for w in layer.weights]
    [(8, 4), (4,)]
    """

    def __init__(
        self,
        units: int,
        use_bias: bool = True,
        activation: Any = None,
        lr_multiplier: float = 1.0,
        gain: float = 1.0,
        bias_init: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(use_bias, activation, lr_multiplier, gain, bias_init, **kwargs)
        self.units = check_int("units", units, minimum=1)

    def build(self, input_shape: tuple) -> None:
        fan_in = input_shape[-1]
        if fan_in is None:
            raise ValueError(
                f"EqualizedDense needs a known last input dimension, got input "
                f"shape {input_shape}."
            )
        self.add_equalized_weights((fan_in, self.units), fan_in)

    def call(self, inputs: Any) -> Any:
        x = ops.matmul(inputs, self.kernel) * self.weight_scale
        return self.bias_and_activation(x)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
        }
