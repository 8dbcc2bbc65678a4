"""Reflection padding of the two spatial axes of an image batch."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_choice, is_int

DATA_FORMATS = ("channels_last", "channels_first")


def _normalize_padding(padding: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """``p``, ``(h, w)`` or ``((top, bottom), (left, right))`` to the last form."""
    error = ValueError(
        "`padding` must be a non-negative integer, a tuple of 2 non-negative "
        "integers (height, width) or a tuple of 2 tuples of 2 non-negative "
        f"integers ((top, bottom), (left, right)), got {padding!r}."
    )
    if is_int(padding):
        pairs = ((padding, padding), (padding, padding))
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        if all(is_int(p) for p in padding):
            pairs = ((padding[0], padding[0]), (padding[1], padding[1]))
        elif all(
            isinstance(p, (tuple, list)) and len(p) == 2 and all(is_int(q) for q in p)
            for p in padding
        ):
            pairs = (tuple(padding[0]), tuple(padding[1]))
        else:
            raise error
    else:
        raise error
    if any(q < 0 for p in pairs for q in p):
        raise error
    return tuple((int(a), int(b)) for a, b in pairs)


@keras_dlkit_export("keras_dlkit.layers.ReflectionPadding2D")
class ReflectionPadding2D(keras.layers.Layer):
    """Pad the height and width of images by reflection (mirroring without the edge).

    Row ``-k`` of the output is row ``k`` of the input, exactly as
    ``numpy.pad(mode="reflect")`` and PyTorch's ``nn.ReflectionPad2d`` do:
    padding ``[1, 2, 3]`` by 2 gives ``[3, 2, 1, 2, 3, 2, 1]``. The image
    translation networks (Johnson et al., 2016; CycleGAN, Zhu et al., 2017)
    pad this way before their convolutions to avoid the dark borders that
    zero padding draws. Built on ``keras.ops.pad(mode="reflect")``.

    Each padding must be smaller than the padded axis (TensorFlow's and
    torch's kernels refuse more; NumPy would reflect again): a layer padding
    by 3 needs images of at least 4 pixels on that axis. Sizes known when
    the layer is built or called are checked then.

    Args:
        padding: An integer (the same on all four sides), a tuple
            ``(height, width)`` (symmetric on each axis), or a tuple of
            tuples ``((top, bottom), (left, right))``. Non-negative.
        data_format: ``"channels_last"`` (``(batch, height, width,
            channels)``) or ``"channels_first"``; ``None`` takes
            ``keras.config.image_data_format()``.
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``).

    Raises:
        ValueError: If ``padding`` is not one of the forms above or is
            negative, if ``data_format`` is unknown, or (when built or
            called) if the input is not 4-D or a padding is not smaller than
            the size of its axis.

    Example:

    >>> import numpy as np
    >>> from keras import ops
    >>> from keras_dlkit.layers import ReflectionPadding2D
    >>> x = np.arange(1, 4, dtype="float32").reshape(1, 1, 3, 1)
    >>> y = ReflectionPadding2D(padding=((0, 0), (2, 2)))(x)
    >>> ops.convert_to_numpy(y)[0, 0, :, 0].tolist()
    [3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]
    >>> ReflectionPadding2D(padding=(1, 2)).compute_output_shape((None, 8, 8, 3))
    (None, 10, 12, 3)
    """

    def __init__(
        self,
        padding: int | tuple = (1, 1),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.padding = _normalize_padding(padding)
        if data_format is None:
            data_format = keras.config.image_data_format()
        self.data_format = check_choice("data_format", data_format, DATA_FORMATS)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def _spatial_axes(self) -> tuple[int, int]:
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def _check_sizes(self, shape: tuple) -> None:
        if len(shape) != 4:
            raise ValueError(
                f"{type(self).__name__} expects 4-D inputs (batch, height, width, "
                f"channels) or (batch, channels, height, width), got shape {shape}."
            )
        for axis, name, (before, after) in zip(
            self._spatial_axes(), ("height", "width"), self.padding, strict=True
        ):
            size = shape[axis]
            if size is None:
                continue
            if max(before, after) >= size:
                raise ValueError(
                    f"`padding` {self.padding} reflects {max(before, after)} "
                    f"pixels of the {name}, which is {size}: each padding must "
                    f"be smaller than the size of its axis (at most {size - 1})."
                )

    def build(self, input_shape: tuple) -> None:
        self._check_sizes(tuple(input_shape))
        self.built = True

    def call(self, inputs: Any) -> Any:
        self._check_sizes(tuple(inputs.shape))
        pad_width = [(0, 0)] * 4
        for axis, pair in zip(self._spatial_axes(), self.padding, strict=True):
            pad_width[axis] = pair
        return ops.pad(inputs, pad_width, mode="reflect")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        self._check_sizes(input_shape)
        output_shape = list(input_shape)
        for axis, (before, after) in zip(
            self._spatial_axes(), self.padding, strict=True
        ):
            if output_shape[axis] is not None:
                output_shape[axis] = output_shape[axis] + before + after
        return tuple(output_shape)

    def get_config(self) -> dict[str, Any]:
        """The layer's configuration: ``padding`` (as tuple of tuples), ``data_format``.

        Returns:
            A JSON-serializable dict.
        """
        return {
            **super().get_config(),
            "padding": self.padding,
            "data_format": self.data_format,
        }
