"""Adaptive instance normalization (Huang & Belongie, 2017; StyleGAN)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.layers.equalized_dense import EqualizedDense
from keras_dlkit.utils.validation import check_bool, check_float


@keras_dlkit_export("keras_dlkit.layers.AdaIN")
class AdaIN(keras.layers.Layer):
    """Adaptive instance normalization: per-sample style scale and bias.

    Inputs ``[x, style]`` with ``x`` of shape ``(batch, height, width,
    channels)``. Each channel of each sample is normalized over its pixels,
    ``x_hat = (x - mean) / sqrt(var + epsilon)`` (statistics in float32), then
    scaled and shifted by that sample's style:

    * ``project_style=True`` (StyleGAN 1): ``style`` is a latent ``w`` of any
      size; the layer's :class:`EqualizedDense` (``"style_projection"``) maps
      it to ``2 * channels`` values ``(y_s, y_b)`` and the output is
      ``(1 + y_s) * x_hat + y_b`` (the official code's ``+ 1``, so the scale
      starts around one);
    * ``project_style=False``: ``style`` of shape ``(batch, 2 * channels)`` is
      ``concat([scale, bias])``, used as given: ``scale * x_hat + bias``
      (Huang & Belongie's AdaIN when the two are another image's channel
      standard deviations and means).

    Args:
        epsilon: Added to the variance (> 0); StyleGAN uses 1e-8.
        project_style: Whether the style goes through the dense projection.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np, keras
    >>> from keras_dlkit.layers import AdaIN
    >>> x = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype("float32")
    >>> style = np.array([[2.0, 2.0, 2.0, 5.0, 5.0, 5.0]] * 2, "float32")
    >>> y = keras.ops.convert_to_numpy(AdaIN(project_style=False)([x, style]))
    >>> np.round(y.mean(axis=(1, 2)), 4).tolist()  # the bias
    [[5.0, 5.0, 5.0], [5.0, 5.0, 5.0]]
    >>> np.round(y.std(axis=(1, 2)), 3).tolist()  # the scale
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """

    def __init__(
        self, epsilon: float = 1e-8, project_style: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0, min_inclusive=False)
        check_bool("project_style", project_style)
        self.project_style = project_style
        self.style_projection = None

    @staticmethod
    def _split_shapes(input_shape: Any) -> tuple[tuple, tuple]:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(
                f"AdaIN expects inputs [x, style], got input shape {input_shape}."
            )
        x_shape, style_shape = (tuple(s) for s in input_shape)
        if len(x_shape) != 4 or x_shape[-1] is None:
            raise ValueError(
                "AdaIN expects x of shape (batch, height, width, channels) with "
                f"known channels, got {x_shape}."
            )
        if len(style_shape) != 2 or style_shape[-1] is None:
            raise ValueError(
                f"AdaIN expects a style of shape (batch, style_dim), got {style_shape}."
            )
        return x_shape, style_shape

    def build(self, input_shape: Any) -> None:
        x_shape, style_shape = self._split_shapes(input_shape)
        channels = x_shape[-1]
        if self.project_style:
            self.style_projection = EqualizedDense(
                2 * channels, dtype=self.dtype_policy, name="style_projection"
            )
            self.style_projection.build(style_shape)
        elif style_shape[-1] != 2 * channels:
            raise ValueError(
                "With `project_style`=False the style must be concat([scale, "
                f"bias]) of 2 * {channels} = {2 * channels} values, got style "
                f"shape {style_shape}."
            )

    def call(self, inputs: Any) -> Any:
        x, style = inputs
        if self.style_projection is not None:
            style = self.style_projection(style)
        scale, bias = ops.split(ops.cast(style, "float32"), 2, axis=-1)
        if self.project_style:
            scale = scale + 1.0
        h = ops.cast(x, "float32")
        mean, variance = ops.moments(h, axes=(1, 2), keepdims=True)
        h = (h - mean) * ops.rsqrt(variance + self.epsilon)
        h = h * scale[:, None, None, :] + bias[:, None, None, :]
        return ops.cast(h, x.dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return self._split_shapes(input_shape)[0]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "epsilon": self.epsilon,
            "project_style": self.project_style,
        }
