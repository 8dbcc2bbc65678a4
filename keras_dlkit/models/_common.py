"""What the model builders share: argument checks, the classification head, weights.

The CNN part:
Every builder of the CNN family takes ``input_shape``, ``num_classes``,
``include_top``, ``pooling``, ``classifier_activation`` and ``weights`` with
the meaning they have in ``keras.applications``, validates them with
:func:`check_cnn_arguments`, and ends with :func:`finish_cnn`
(:func:`classification_head`, the model, then :func:`load_cnn_weights`).

Stage outputs are layers named ``"stem"`` and ``"stage_1"``, ``"stage_2"``,
... (see :mod:`keras_dlkit.models.features`), so
:func:`keras_dlkit.models.feature_extractor` finds them by name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_shape,
)

POOLINGS = (None, "avg", "max")


def check_cnn_arguments(
    input_shape: Sequence[int | None],
    num_classes: int,
    include_top: bool,
    pooling: str | None,
    classifier_activation: Any,
    weights: str | None,
    *,
    min_size: int,
    fixed_size: tuple[int, int] | None = None,
) -> tuple[int | None, ...]:
    """Validate the arguments every CNN builder shares.

    Args:
        input_shape: ``(height, width, channels)``; height and width may be
            ``None`` when ``include_top`` is False or the head is
            convolutional.
        num_classes: Classes of the head, >= 1 when ``include_top``.
        include_top: Whether the model ends with the classifier.
        pooling: ``None``, ``"avg"`` or ``"max"`` (used when not
            ``include_top``).
        classifier_activation: Activation of the head, any identifier of
            ``keras.activations.get`` or ``None``.
        weights: ``None``, ``"imagenet"`` or the path of a weights file.
        min_size: Smallest height and width the network accepts (its total
            stride, or more where valid convolutions shrink the map).
        fixed_size: A fixed ``(height, width)`` the top requires (a flatten
            head), checked when ``include_top``.

    Returns:
        ``input_shape`` as a tuple.

    Raises:
        ValueError: Naming the argument, its value and what is allowed.
    """
    input_shape = check_shape("input_shape", input_shape, ndim=3, allow_none=True)
    if input_shape[2] is None:
        raise ValueError(
            "`input_shape` must give the number of channels, got "
            f"{input_shape} (channels last)."
        )
    check_bool("include_top", include_top)
    if include_top:
        check_int("num_classes", num_classes, minimum=1)
    check_choice("pooling", pooling, POOLINGS)
    if classifier_activation is not None:
        try:
            keras.activations.get(classifier_activation)
        except (ValueError, TypeError):
            raise ValueError(
                "`classifier_activation` must be None or a Keras activation "
                f"identifier, got {classifier_activation!r}."
            ) from None
    for size in input_shape[:2]:
        if size is not None and size < min_size:
            raise ValueError(
                f"`input_shape` {input_shape} is too small: height and width must "
                f"be at least {min_size} for this network (its total stride)."
            )
    if include_top and fixed_size is not None and tuple(input_shape[:2]) != fixed_size:
        raise ValueError(
            f"`input_shape` must be {(*fixed_size, input_shape[2])} when "
            f"`include_top=True` (the head flattens a fixed-size map), got "
            f"{input_shape}. Use include_top=False for other sizes."
        )
    if weights is not None and not isinstance(weights, str | os.PathLike):
        raise ValueError(
            f"`weights` must be None, 'imagenet' or the path of a weights file, "
            f"got {weights!r}."
        )
    return input_shape


def classification_head(
    x: Any,
    *,
    include_top: bool,
    num_classes: int,
    pooling: str | None,
    classifier_activation: Any,
    dropout: float = 0.0,
) -> Any:
    """Global pooling and the dense classifier, as ``keras.applications`` ends.

    With ``include_top`` the map is average-pooled (layer ``"avg_pool"``),
    optionally dropped out (``"top_dropout"``) and classified by a ``Dense``
    named ``"predictions"``. Without it, ``pooling`` selects ``"avg_pool"``,
    ``"max_pool"`` or no pooling.
    """
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name="top_dropout")(x)
        return keras.layers.Dense(
            num_classes, activation=classifier_activation, name="predictions"
        )(x)
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def load_cnn_weights(
    model: keras.Model,
    weights: str | os.PathLike | None,
    application: str | None,
    application_kwargs: dict[str, Any] | None = None,
) -> keras.Model:
    """Load ``weights`` into ``model``: ``None``, ``"imagenet"`` or a file.

    ``"imagenet"`` builds ``keras.applications.<application>`` with ImageNet
    weights (downloaded by Keras, so it needs internet once), converts it with
    :func:`keras_dlkit.models.from_keras_applications` and copies the weights
    into ``model``. A path loads a ``.weights.h5`` file or the weights of a
    ``.keras`` file.
    """
    if weights is None:
        return model
    weights = os.fspath(weights)
    if weights == "imagenet":
        if application is None:
            raise ValueError(
                f"`weights`='imagenet' is not available for {model.name!r}: "
                "keras.applications has no such model. Use None or a file path."
            )
        from keras_dlkit.models.interop import from_keras_applications

        source = getattr(keras.applications, application)(
            weights="imagenet", **(application_kwargs or {})
        )
        converted = from_keras_applications(source)
        model.set_weights(converted.get_weights())
        return model
    if not os.path.exists(weights):
        raise ValueError(
            f"`weights` must be None, 'imagenet' or the path of an existing "
            f"weights file, got {weights!r} (no such file)."
        )
    if weights.endswith(".keras"):
        saved = keras.saving.load_model(weights, compile=False)
        model.set_weights(saved.get_weights())
    else:
        model.load_weights(weights)
    return model


def finish_cnn(
    inputs: Any,
    x: Any,
    *,
    name: str,
    input_shape: tuple[int | None, ...],
    include_top: bool,
    num_classes: int,
    pooling: str | None,
    classifier_activation: Any,
    weights: str | os.PathLike | None,
    application: str | None,
    dropout: float = 0.0,
    head: bool = True,
) -> keras.Model:
    """End a builder: :func:`classification_head`, the model, its weights.

    With ``head=False`` ``x`` already holds the network's outputs (a builder
    with its own top, such as VGG's fully connected layers). ``application``
    names the ``keras.applications`` twin that ``weights="imagenet"`` is
    converted from, built with the same top, input shape and classes.
    """
    if head:
        x = classification_head(
            x,
            include_top=include_top,
            num_classes=num_classes,
            pooling=pooling,
            classifier_activation=classifier_activation,
            dropout=dropout,
        )
    model = keras.Model(inputs, x, name=name)
    return load_cnn_weights(
        model,
        weights,
        application,
        {
            "include_top": include_top,
            "input_shape": input_shape,
            "pooling": pooling,
            "classes": num_classes,
            "classifier_activation": classifier_activation,
        },
    )


def scaled(filters: int, width_multiplier: float) -> int:
    """``filters * width_multiplier``, rounded, at least 1."""
    return max(1, int(round(filters * width_multiplier)))


def check_width(width_multiplier: float, weights: Any) -> float:
    """Validate ``width_multiplier``; pretrained weights need the full width."""
    width_multiplier = check_float(
        "width_multiplier", width_multiplier, minimum=0.0, min_inclusive=False
    )
    if weights is not None and str(weights) == "imagenet" and width_multiplier != 1:
        raise ValueError(
            "`width_multiplier` must be 1.0 with weights='imagenet' (the "
            f"pretrained networks have the full width), got {width_multiplier!r}."
        )
    return width_multiplier


def check_units(name: str, value: Any, allow_empty: bool) -> tuple[int, ...]:
    """A sequence of positive integers (layer widths) as a tuple."""
    message = f"`{name}` must be a sequence of positive integers" + (
        "" if allow_empty else " (at least one)"
    )
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{message}, got {value!r}.")
    for item in value:
        try:
            check_int(name, item, minimum=1)
        except ValueError:
            raise ValueError(f"{message}, got {value!r}.") from None
    if not value and not allow_empty:
        raise ValueError(f"{message}, got {value!r}.")
    return tuple(int(v) for v in value)


def check_name(name: Any) -> str:
    """A model or layer name: a non-empty string."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be a non-empty string, got {name!r}.")
    return name


def model_inputs(model: keras.Model) -> Any:
    """A one-input model's input tensor, else the list of its inputs.

    A model built on the one-element list ``model.inputs`` warns that the
    structure of its inputs does not match when called on a plain tensor.
    """
    inputs = model.inputs
    return inputs[0] if len(inputs) == 1 else inputs
