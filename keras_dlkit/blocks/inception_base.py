"""What every Inception module shares: parallel conv-BN-ReLU branches, concatenated.

A module is described by its *units* (a convolution, an optional batch
normalization and a ReLU, named ``<unit>_conv`` and ``<unit>_bn``), its
pooling layers, and its *branches*: sequences of steps, each the name of a
unit or pooling layer, or a pair of unit names applied side by side to the
same input and concatenated (Inception-v3's expanded filter bank). The
branches' outputs are concatenated along the channels in order.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.utils.keras_compat import clone_initializer
from keras_dlkit.utils.validation import check_bool, check_float, check_int

Step = str | tuple[str, str]


def check_filters(name: str, value: Any, length: int | None = None) -> Any:
    """A positive int, or a tuple of ``length`` positive ints."""
    if length is None:
        return check_int(name, value, minimum=1)
    if (
        not isinstance(value, (tuple, list))
        or len(value) != length
        or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value
        )
    ):
        raise ValueError(
            f"`{name}` must be a tuple of {length} positive integers, got {value!r}."
        )
    return tuple(int(v) for v in value)


class InceptionBase(keras.layers.Layer):
    """Base of the Inception modules (not public, not serializable itself).

    Subclasses call :meth:`_unit` and :meth:`_pool` in ``__init__`` in the
    order of the reference implementation's layers (the converters rely on
    it) and set ``self._branches``.
    """

    def __init__(
        self,
        batch_norm: bool = True,
        norm_scale: bool = False,
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        for name, value in (("batch_norm", batch_norm), ("norm_scale", norm_scale)):
            check_bool(name, value)
        self.batch_norm = batch_norm
        self.norm_scale = norm_scale
        self.norm_epsilon = check_float(
            "norm_epsilon", norm_epsilon, minimum=0.0, min_inclusive=False
        )
        self.norm_momentum = check_float(
            "norm_momentum", norm_momentum, minimum=0.0, maximum=1.0
        )
        try:
            self.kernel_initializer = keras.initializers.get(kernel_initializer)
        except (ValueError, TypeError):
            raise ValueError(
                "`kernel_initializer` must be a Keras initializer identifier, got "
                f"{kernel_initializer!r}."
            ) from None
        self.unit_names: list[str] = []
        self._branches: tuple[tuple[Step, ...], ...] = ()

    # ------------------------------------------------------------ definition

    def _unit(
        self,
        name: str,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int = 1,
        padding: str = "same",
    ) -> str:
        conv = keras.layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            use_bias=not self.batch_norm,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            name=f"{name}_conv",
            dtype=self.dtype_policy,
        )
        setattr(self, f"{name}_conv", conv)
        if self.batch_norm:
            bn = keras.layers.BatchNormalization(
                scale=self.norm_scale,
                epsilon=self.norm_epsilon,
                momentum=self.norm_momentum,
                name=f"{name}_bn",
                dtype=self.dtype_policy,
            )
            setattr(self, f"{name}_bn", bn)
        self.unit_names.append(name)
        return name

    def _pool(
        self, name: str, kind: str, pool_size: int, strides: int, padding: str
    ) -> str:
        cls = (
            keras.layers.AveragePooling2D
            if kind == "avg"
            else keras.layers.MaxPooling2D
        )
        layer = cls(
            pool_size,
            strides=strides,
            padding=padding,
            name=name,
            dtype=self.dtype_policy,
        )
        setattr(self, name, layer)
        return name

    def units(self) -> list[tuple[keras.layers.Layer, keras.layers.Layer | None]]:
        """``(conv, bn)`` of every unit, in the reference implementation's order."""
        return [
            (getattr(self, f"{n}_conv"), getattr(self, f"{n}_bn", None))
            for n in self.unit_names
        ]

    # ------------------------------------------------------------ layer API

    def _step_shape(self, step: Step, shape: tuple, build: bool) -> tuple:
        if isinstance(step, tuple):
            shapes = [self._step_shape(s, shape, build) for s in step]
            return (*shapes[0][:-1], sum(s[-1] for s in shapes))
        if step in self.unit_names:
            layers = [getattr(self, f"{step}_conv")]
            if self.batch_norm:
                layers.append(getattr(self, f"{step}_bn"))
        else:
            layers = [getattr(self, step)]
        for layer in layers:
            if build:
                layer.build(shape)
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def _output_shape(self, input_shape: tuple, build: bool) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                f"`input_shape` of {type(self).__name__} must be 4D channels-last "
                f"(batch, height, width, channels) with known channels, got "
                f"{input_shape}."
            )
        outputs = []
        for branch in self._branches:
            shape = input_shape
            for step in branch:
                shape = self._step_shape(step, shape, build)
            outputs.append(shape)
        return (*outputs[0][:-1], sum(s[-1] for s in outputs))

    def build(self, input_shape: tuple) -> None:
        self._output_shape(input_shape, build=True)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self._output_shape(input_shape, build=False)

    def _apply(self, step: Step, x: Any, training: bool | None) -> Any:
        if isinstance(step, tuple):
            return ops.concatenate([self._apply(s, x, training) for s in step], axis=-1)
        if step not in self.unit_names:
            return getattr(self, step)(x)
        x = getattr(self, f"{step}_conv")(x)
        if self.batch_norm:
            x = getattr(self, f"{step}_bn")(x, training=training)
        return ops.relu(x)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        outputs = []
        for branch in self._branches:
            x = inputs
            for step in branch:
                x = self._apply(step, x, training)
            outputs.append(x)
        return ops.concatenate(outputs, axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "batch_norm": self.batch_norm,
            "norm_scale": self.norm_scale,
            "norm_epsilon": self.norm_epsilon,
            "norm_momentum": self.norm_momentum,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
