"""Position-wise feed-forward network of a Transformer block, plain or gated (GLU)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.keras_compat import clone_initializer
from keras_dlkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    resolve_initializer,
)

#: The ``activation`` names FeedForward accepts.
FEED_FORWARD_ACTIVATIONS: tuple[str, ...] = (
    "relu",
    "gelu",
    "gelu_approximate",
    "silu",
    "swiglu",
    "geglu",
)

_GATED = ("swiglu", "geglu")


def _activate(name: str, x: Any) -> Any:
    if name == "relu":
        return ops.relu(x)
    if name in ("gelu", "geglu"):
        return ops.gelu(x, approximate=False)
    if name == "gelu_approximate":
        return ops.gelu(x, approximate=True)
    return ops.silu(x)  # "silu", "swiglu"


@keras_dlkit_export("keras_dlkit.blocks.FeedForward")
class FeedForward(keras.layers.Layer):
    """The two-layer MLP applied to each position of a Transformer block.

    Plain: ``output(dropout(act(intermediate(x))))``. Gated (Shazeer, 2020,
    *GLU Variants Improve Transformer*): ``output(dropout(act(gate(x)) *
    intermediate(x)))`` with ``act`` SiLU for ``"swiglu"`` (Llama) and exact
    GELU for ``"geglu"``. ``"gelu"`` is the exact (erf) GELU of BERT,
    ``"gelu_approximate"`` the tanh form of GPT-2.

    Sublayers: ``intermediate`` ``Dense(dim -> intermediate_dim)``, ``gate``
    ``Dense(dim -> intermediate_dim)`` (gated activations only), ``output``
    ``Dense(intermediate_dim -> output_dim)``, ``dropout``.

    Args:
        intermediate_dim: Width of the hidden layer (``>= 1``).
        activation: One of ``"relu"``, ``"gelu"``, ``"gelu_approximate"``,
            ``"silu"``, ``"swiglu"``, ``"geglu"``.
        use_bias: Whether the dense layers have biases.
        dropout: Dropout rate on the hidden layer, in ``[0, 1)``.
        output_dim: Output size; ``None`` means the input's size.
        kernel_initializer: Initializer of the kernels.
        bias_initializer: Initializer of the biases.
        **kwargs: Base ``keras.layers.Layer`` arguments (``name``,
            ``dtype``, ...).

    Call arguments:
        inputs: A ``(..., dim)`` tensor.
        training: Whether dropout is active.

    Returns:
        A ``(..., output_dim)`` tensor.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import FeedForward
    >>> ffn = FeedForward(intermediate_dim=64, activation="swiglu", use_bias=False)
    >>> tuple(ffn(np.ones((2, 5, 16), "float32")).shape)
    (2, 5, 16)
    >>> ffn.count_params()  # gate and intermediate 16 x 64, output 64 x 16
    3072
    """

    def __init__(
        self,
        intermediate_dim: int,
        activation: str = "gelu",
        use_bias: bool = True,
        dropout: float = 0.0,
        output_dim: int | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.intermediate_dim = check_int(
            "intermediate_dim", intermediate_dim, minimum=1
        )
        self.activation = check_choice(
            "activation", activation, FEED_FORWARD_ACTIVATIONS
        )
        self.use_bias = check_bool("use_bias", use_bias)
        self.dropout = check_float("dropout", dropout, minimum=0.0, maximum=1.0)
        if self.dropout >= 1.0:
            raise ValueError(f"`dropout` must be in [0, 1), got {dropout!r}.")
        if output_dim is not None:
            check_int("output_dim", output_dim, minimum=1)
        self.output_dim = output_dim
        self.kernel_initializer = resolve_initializer(
            "kernel_initializer", kernel_initializer
        )
        self.bias_initializer = resolve_initializer(
            "bias_initializer", bias_initializer
        )
        self.supports_masking = True
        self.intermediate = self.gate = self.output_dense = None
        self.dropout_layer = keras.layers.Dropout(
            self.dropout, dtype=self.dtype_policy, name="dropout"
        )

    def _dense(self, units: int, name: str) -> keras.layers.Dense:
        return keras.layers.Dense(
            units,
            use_bias=self.use_bias,
            kernel_initializer=clone_initializer(self.kernel_initializer),
            bias_initializer=clone_initializer(self.bias_initializer),
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, input_shape: tuple) -> None:
        if input_shape[-1] is None:
            raise ValueError(
                "`input_shape` of FeedForward must have a known last axis, got "
                f"{tuple(input_shape)}."
            )
        dim = int(input_shape[-1])
        self.intermediate = self._dense(self.intermediate_dim, "intermediate")
        self.intermediate.build(tuple(input_shape))
        if self.activation in _GATED:
            self.gate = self._dense(self.intermediate_dim, "gate")
            self.gate.build(tuple(input_shape))
        self.output_dense = self._dense(self.output_dim or dim, "output")
        hidden_shape = (*tuple(input_shape)[:-1], self.intermediate_dim)
        self.output_dense.build(hidden_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        hidden = self.intermediate(inputs)
        if self.gate is not None:
            hidden = _activate(self.activation, self.gate(inputs)) * hidden
        else:
            hidden = _activate(self.activation, hidden)
        hidden = self.dropout_layer(hidden, training=training)
        return self.output_dense(hidden)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*tuple(input_shape)[:-1], self.output_dim or input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "intermediate_dim": self.intermediate_dim,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "dropout": self.dropout,
            "output_dim": self.output_dim,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
