"""Multilayer perceptron builder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.utils.validation import (
    check_choice,
    check_float,
    check_int,
    check_shape,
    resolve_activation,
    resolve_initializer,
)

NORMALIZATIONS = (None, "batch", "layer")


@register_model(
    "mlp",
    family="fundamentals",
    test_config={"input_shape": (6,), "num_classes": 3, "hidden_units": (8,)},
    test_input_shape=(6,),
)
@keras_dlkit_export("keras_dlkit.models.mlp")
def mlp(
    input_shape: Sequence[int],
    num_classes: int | None,
    hidden_units: Sequence[int] = (256, 128),
    activation: Any = "relu",
    dropout: float = 0.0,
    normalization: str | None = None,
    weight_decay: float = 0.0,
    kernel_initializer: Any = "glorot_uniform",
    classifier_activation: Any = "softmax",
    name: str = "mlp",
) -> keras.Model:
    """A multilayer perceptron: ``Flatten`` then ``Dense`` stages and a head.

    Each hidden stage is ``Dense -> [BatchNormalization | LayerNormalization]
    -> activation -> [Dropout]``. With a normalization layer the ``Dense`` has
    no bias (the normalization's offset replaces it). Weight decay is an L2
    kernel regularizer of strength ``weight_decay`` on every ``Dense`` kernel.
    Stage outputs are named ``stage_{i}`` (the activation or dropout output),
    so features can be read with ``model.get_layer("stage_0").output``.

    Args:
        input_shape: Shape of one sample without the batch axis; flattened.
        num_classes: Number of output units (>= 1), or ``None`` for no head
            (the model then returns the last hidden stage).
        hidden_units: Width of each hidden layer; may be empty.
        activation: Hidden activation: any identifier of
            ``keras.activations.get`` (e.g. ``"relu"``, ``"tanh"``).
        dropout: Dropout rate in ``[0, 1)`` after each hidden stage.
        normalization: ``None``, ``"batch"`` or ``"layer"``.
        weight_decay: L2 penalty coefficient (>= 0) on the kernels.
        kernel_initializer: Any identifier of ``keras.initializers.get``
            (``"glorot_uniform"`` is Xavier, ``"he_normal"`` is He).
        classifier_activation: Activation of the head (``"softmax"``,
            ``None`` for logits, ...).
        name: Model name.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> from keras_dlkit.models import mlp
    >>> model = mlp((28, 28), num_classes=10, hidden_units=(64, 32),
    ...             normalization="batch", dropout=0.1)
    >>> model.output_shape
    (None, 10)
    >>> model.count_params()
    52938
    """
    input_shape = check_shape("input_shape", input_shape)
    if num_classes is not None:
        check_int("num_classes", num_classes, minimum=1)
    if isinstance(hidden_units, (str, bytes)) or not isinstance(hidden_units, Sequence):
        raise ValueError(
            "`hidden_units` must be a sequence of positive integers, "
            f"got {hidden_units!r}."
        )
    for units in hidden_units:
        try:
            check_int("hidden_units", units, minimum=1)
        except ValueError:
            raise ValueError(
                "`hidden_units` must be a sequence of positive integers, "
                f"got {hidden_units!r}."
            ) from None
    if num_classes is None and not hidden_units:
        raise ValueError(
            "`num_classes` is None and `hidden_units` is empty: the model would "
            "have no layers. Give a number of classes or at least one hidden layer."
        )
    hidden_act = resolve_activation("activation", activation)
    head_act = resolve_activation("classifier_activation", classifier_activation)
    dropout = check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    check_choice("normalization", normalization, NORMALIZATIONS)
    weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)
    resolve_initializer("kernel_initializer", kernel_initializer)
    name = check_name(name)

    def regularizer():
        return keras.regularizers.L2(weight_decay) if weight_decay > 0 else None

    def initializer():
        # A fresh initializer object per layer, so seeds are not shared.
        return keras.initializers.get(kernel_initializer)

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(
            units,
            use_bias=normalization is None,
            kernel_initializer=initializer(),
            kernel_regularizer=regularizer(),
            name=f"dense_{i}",
        )(x)
        if normalization == "batch":
            x = keras.layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        elif normalization == "layer":
            x = keras.layers.LayerNormalization(name=f"layer_norm_{i}")(x)
        stage_name = f"stage_{i}"
        x = keras.layers.Activation(
            hidden_act, name=stage_name if dropout == 0 else f"activation_{i}"
        )(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=stage_name)(x)
    if num_classes is not None:
        x = keras.layers.Dense(
            num_classes,
            activation=head_act,
            kernel_initializer=initializer(),
            kernel_regularizer=regularizer(),
            name="predictions",
        )(x)
    return keras.Model(inputs, x, name=name)
