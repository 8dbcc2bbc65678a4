"""Count the multiply-accumulates of a model's convolutions and dense layers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils import keras_compat
from keras_dlkit.utils.validation import check_shape

_CONV = (
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
)
_TRANSPOSED = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
_SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
_COUNTED = (*_CONV, *_TRANSPOSED, *_DEPTHWISE, *_SEPARABLE, keras.layers.Dense)


def _size(shape: Sequence[Any]) -> int:
    return int(math.prod(int(d) for d in shape))


def layer_macs(
    layer: keras.layers.Layer, input_shape: tuple, output_shape: tuple
) -> int:
    """Multiply-accumulates of one call of ``layer`` on one sample.

    ``input_shape`` and ``output_shape`` include the batch axis (ignored).
    """
    if isinstance(layer, _TRANSPOSED):
        # Every input position scatters kernel * out * in products.
        return _size(input_shape[1:-1]) * _size(layer.kernel.shape)
    if isinstance(layer, _SEPARABLE):
        positions = _size(output_shape[1:-1])
        depthwise = positions * _size(layer.depthwise_kernel.shape)
        return depthwise + positions * _size(layer.pointwise_kernel.shape)
    if isinstance(layer, _DEPTHWISE):
        return _size(output_shape[1:-1]) * _size(layer.kernel.shape)
    if isinstance(layer, _CONV):
        # kernel: (*window, in / groups, out): one MAC per kernel entry and
        # output position.
        return _size(output_shape[1:-1]) * _size(layer.kernel.shape)
    if isinstance(layer, keras.layers.Dense):
        return _size(input_shape[1:-1]) * _size(layer.kernel.shape)
    return 0


def _shape(x: Any) -> tuple:
    return tuple(keras.ops.shape(keras.tree.flatten(x)[0]))


def _recording(layer: keras.layers.Layer, calls: list) -> Any:
    original = layer.call

    def call(inputs, *args, **kwargs):
        outputs = original(inputs, *args, **kwargs)
        calls.append((layer, _shape(inputs), _shape(outputs)))
        return outputs

    return call


@keras_dlkit_export("keras_dlkit.utils.count_flops")
def count_flops(model: keras.layers.Layer, input_shape: Any = None) -> int:
    """Multiply-accumulates (MACs) of one forward pass on one sample.

    Counts the MACs of every ``Conv1D``/``Conv2D``/``Conv3D`` (grouped
    included), ``DepthwiseConv1D``/``DepthwiseConv2D``,
    ``SeparableConv1D``/``SeparableConv2D``, ``Conv*DTranspose`` and
    ``Dense`` layer, at any depth inside the model (nested models and
    composite layers such as :class:`keras_dlkit.blocks.MBConv` included),
    once per call. A convolution costs ``output positions x kernel size``
    MACs (``input positions x kernel size`` when transposed), a dense layer
    ``positions x inputs x units``.

    It ignores everything else: biases, batch normalization, activations,
    pooling, element-wise additions and multiplications (squeeze-excite's
    gate, residual additions), attention products (``MultiHeadAttention``,
    ``EinsumDense``) and recurrent layers. Papers quoting "FLOPs" for CNNs
    (ResNet-50's 3.8 or 4.1 G, EfficientNet-B0's 0.39 G) mostly mean these
    MACs; one MAC is two floating-point operations.

    The shapes come from a symbolic trace of the model's ``call`` (no
    computation, no data), so the count follows the actual padding and
    strides.

    Args:
        model: A built ``keras.Model`` or layer.
        input_shape: Shape of one sample without the batch axis (a list of
            shapes for a model with several inputs). Defaults to the model's
            input shape, which must then be fully known.

    Returns:
        The number of multiply-accumulates, an ``int``.

    Raises:
        ValueError: If ``input_shape`` is missing or invalid.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils import count_flops
    >>> inputs = keras.Input((32, 32, 3))
    >>> x = keras.layers.Conv2D(8, 3, padding="same")(inputs)  # 32*32*3*3*3*8
    >>> x = keras.layers.GlobalAveragePooling2D()(x)
    >>> model = keras.Model(inputs, keras.layers.Dense(10)(x))  # + 8*10
    >>> count_flops(model)
    221264
    """
    if not isinstance(model, keras.layers.Layer):
        raise ValueError(f"`model` must be a Keras model or layer, got {model!r}.")
    if input_shape is None:
        try:
            input_shape = model.input_shape
        except (AttributeError, ValueError):
            raise ValueError(
                f"`input_shape` must be given: {model.name!r} has no known input shape."
            ) from None
        input_shape = (
            [s[1:] for s in input_shape]
            if isinstance(input_shape, list)
            else input_shape[1:]
        )
    several = isinstance(input_shape, list) and all(
        isinstance(s, (tuple, list)) for s in input_shape
    )
    shapes = input_shape if several else [input_shape]
    if any(d is None for s in shapes for d in s):
        raise ValueError(
            f"`input_shape` must be fully known to count operations, got "
            f"{input_shape!r}: pass the size to count at, e.g. (224, 224, 3)."
        )
    shapes = [check_shape("input_shape", tuple(s)) for s in shapes]
    specs = [keras.KerasTensor((1, *s)) for s in shapes]
    if not model.built:
        model.build(specs[0].shape if not several else [s.shape for s in specs])

    layers = [
        layer
        for layer in keras_compat.flatten_layers(model)
        if isinstance(layer, _COUNTED)
    ]
    calls: list = []
    for layer in layers:
        layer.__dict__["call"] = _recording(layer, calls)
    try:
        keras.Operation.compute_output_spec(model, specs if several else specs[0])
    finally:
        for layer in layers:
            layer.__dict__.pop("call", None)
    return sum(layer_macs(layer, i, o) for layer, i, o in calls)
