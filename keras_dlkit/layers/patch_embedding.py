"""Patch embedding of the Vision Transformer: non-overlapping patches, linearly projected."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.keras_compat import clone_initializer
from keras_dlkit.utils.validation import check_int, is_int, resolve_initializer


def _patch_pair(value: Any) -> tuple[int, int]:
    if is_int(value):
        return (int(value), int(value))
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(is_int(v) for v in value)
    ):
        return (int(value[0]), int(value[1]))
    return (0, 0)


@keras_dlkit_export("keras_dlkit.layers.PatchEmbedding")
class PatchEmbedding(keras.layers.Layer):
    """Cut an image into patches and project each one (Dosovitskiy et al., 2021).

    A ``Conv2D`` sublayer ``projection`` with ``hidden_dim`` filters, kernel
    and stride ``patch_size`` and ``"valid"`` padding is the patch-wise
    linear map (kernel ``(patch, patch, channels, hidden_dim)``, as in
    keras-hub's ViT); its ``(h, w)`` grid of outputs is flattened row by row
    into ``(batch, h * w, hidden_dim)``.

    Args:
        patch_size: Patch side (an integer), or ``(patch_height,
            patch_width)``.
        hidden_dim: Size of each patch's embedding (``>= 1``).
        kernel_initializer: Initializer of the projection kernel.
        bias_initializer: Initializer of the projection bias.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Call arguments:
        inputs: Channels-last images ``(batch, height, width, channels)``;
            height and width must be multiples of the patch size.

    Returns:
        The ``(batch, num_patches, hidden_dim)`` patch embeddings.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.layers import PatchEmbedding
    >>> layer = PatchEmbedding(patch_size=4, hidden_dim=32)
    >>> tuple(layer(np.zeros((2, 16, 12, 3), "float32")).shape)  # 4 x 3 patches
    (2, 12, 32)
    """

    def __init__(
        self,
        patch_size: int | tuple[int, int],
        hidden_dim: int,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if min(_patch_pair(patch_size)) < 1:
            raise ValueError(
                "`patch_size` must be a positive integer or a pair of positive "
                f"integers, got {patch_size!r}."
            )
        self.patch_size = patch_size
        self.hidden_dim = check_int("hidden_dim", hidden_dim, minimum=1)
        self.kernel_initializer = resolve_initializer(
            "kernel_initializer", kernel_initializer
        )
        self.bias_initializer = resolve_initializer(
            "bias_initializer", bias_initializer
        )
        self.projection = None

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "`input_shape` of PatchEmbedding must be 4D channels-last "
                "(batch, height, width, channels) with known channels, got "
                f"{tuple(input_shape)}."
            )
        patch = _patch_pair(self.patch_size)
        for size, side, axis in zip(
            input_shape[1:3], patch, ("height", "width"), strict=True
        ):
            if size is not None and size % side:
                raise ValueError(
                    f"The image {axis} {size} is not a multiple of `patch_size`="
                    f"{self.patch_size!r} (input shape {tuple(input_shape)})."
                )
        self.projection = keras.layers.Conv2D(
            self.hidden_dim,
            kernel_size=patch,
            strides=patch,
            padding="valid",
            data_format="channels_last",
            kernel_initializer=clone_initializer(self.kernel_initializer),
            bias_initializer=clone_initializer(self.bias_initializer),
            dtype=self.dtype_policy,
            name="projection",
        )
        self.projection.build(tuple(input_shape))

    def call(self, inputs: Any) -> Any:
        x = self.projection(inputs)
        shape = ops.shape(x)
        return ops.reshape(x, (-1, shape[1] * shape[2], self.hidden_dim))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        patch = _patch_pair(self.patch_size)
        height, width = input_shape[1], input_shape[2]
        num = None
        if height is not None and width is not None:
            num = (height // patch[0]) * (width // patch[1])
        return (input_shape[0], num, self.hidden_dim)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "patch_size": self.patch_size,
            "hidden_dim": self.hidden_dim,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
