"""Weight interop with ``keras.applications``: its models as ours, weights copied.

Each builder family registers a converter for the ``keras.applications``
models it mirrors (by the source model's ``name``: ``"resnet50"``,
``"vgg16"``, ``"inception_v3"``, ``"efficientnetb0"``, ...).
:func:`from_keras_applications` builds our equivalent with the same
configuration and copies every weight, so transfer learning from ImageNet is
one call: ``our_builder(weights="imagenet")`` goes through it.

The converters rebuild the source with our builder: :func:`application_config`
reads the builder arguments off the source model, :func:`copy_mapped_weights`
copies every weight layer through an explicit name mapping and checks that
nothing was left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export

Converter = Callable[[keras.Model], keras.Model]

_CONVERTERS: dict[str, Converter] = {}


def register_converter(*source_names: str) -> Callable[[Converter], Converter]:
    """Register ``converter(source_model) -> our model`` for source model names.

    The converter builds our model with the source's configuration (input
    shape, ``include_top``, classes, pooling, classifier activation) and
    copies the weights; it raises ``ValueError`` when a shape disagrees.
    """

    def decorator(converter: Converter) -> Converter:
        for source_name in source_names:
            _CONVERTERS[source_name] = converter
        return converter

    return decorator


def convertible_names() -> list[str]:
    """The ``keras.applications`` model names with a registered converter."""
    return sorted(_CONVERTERS)


def copy_layer_weights(source: keras.layers.Layer, target: keras.layers.Layer) -> None:
    """Copy one layer's weights, checking every shape.

    Raises:
        ValueError: If the two layers hold different numbers or shapes of
            weights.
    """
    src, dst = source.get_weights(), target.weights
    if len(src) != len(dst) or any(
        tuple(s.shape) != tuple(d.shape) for s, d in zip(src, dst, strict=False)
    ):
        raise ValueError(
            f"Cannot copy the weights of {source.name!r} "
            f"{[tuple(s.shape) for s in src]} into {target.name!r} "
            f"{[tuple(d.shape) for d in dst]}."
        )
    target.set_weights(src)


@keras_dlkit_export("keras_dlkit.models.from_keras_applications")
def from_keras_applications(source_model: keras.Model) -> keras.Model:
    """Our equivalent of a ``keras.applications`` model, with its weights.

    Supported sources (``keras.applications`` constructors, any
    ``include_top``/``pooling``/``input_shape``): see
    ``keras_dlkit.models.interop.convertible_names()``; at least ResNet50,
    ResNet50V2, VGG16, InceptionV3 and EfficientNetB0.

    Args:
        source_model: A model made by a ``keras.applications`` constructor.

    Returns:
        A keras_dlkit model whose outputs equal the source's (within float
        rounding) on the same input.

    Raises:
        ValueError: If the source is not a supported ``keras.applications``
            model.

    Example:

    >>> import keras
    >>> from keras_dlkit.models import from_keras_applications
    >>> source = keras.applications.VGG16(
    ...     weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> ours = from_keras_applications(source)
    >>> ours.count_params() == source.count_params()
    True
    """
    if not isinstance(source_model, keras.Model):
        raise ValueError(
            f"`source_model` must be a keras.Model from keras.applications, got "
            f"{source_model!r}."
        )
    converter = _CONVERTERS.get(source_model.name)
    if converter is None:
        raise ValueError(
            f"`source_model` {source_model.name!r} is not a supported "
            f"keras.applications model; supported: {convertible_names()}."
        )
    return converter(source_model)


# --- Reading a keras.applications model's configuration ------------------------


def application_config(source: keras.Model) -> dict[str, Any]:
    """The CNN builder arguments that rebuild ``source``'s configuration.

    Returns:
        ``input_shape``, ``include_top``, ``num_classes``, ``pooling`` and
        ``classifier_activation``, as every CNN builder takes them.
    """
    layer_names = {layer.name for layer in source.layers}
    include_top = "predictions" in layer_names
    config: dict[str, Any] = {
        "input_shape": tuple(source.inputs[0].shape[1:]),
        "include_top": include_top,
        "pooling": None,
    }
    if include_top:
        head = source.get_layer("predictions")
        config["num_classes"] = int(head.units)
        config["classifier_activation"] = keras.activations.serialize(head.activation)
    else:
        last = source.layers[-1]
        if isinstance(last, keras.layers.GlobalAveragePooling2D):
            config["pooling"] = "avg"
        elif isinstance(last, keras.layers.GlobalMaxPooling2D):
            config["pooling"] = "max"
    return config


def copy_mapped_weights(
    source: keras.Model,
    target: keras.Model,
    target_layer: Callable[[str], keras.layers.Layer],
) -> keras.Model:
    """Copy every weight layer of ``source`` into ``target_layer(source name)``.

    Raises:
        ValueError: If a source layer has no counterpart, a shape disagrees,
            or some weights of ``target`` received nothing.
    """
    copied = 0
    for layer in source.layers:
        if not layer.weights:
            continue
        try:
            destination = target_layer(layer.name)
        except (KeyError, ValueError, AttributeError) as error:
            raise ValueError(
                f"Layer {layer.name!r} of {source.name!r} has no counterpart in "
                f"{target.name!r} ({error})."
            ) from None
        copy_layer_weights(layer, destination)
        copied += len(layer.weights)
    if copied != len(target.weights):
        raise ValueError(
            f"Copied {copied} weights from {source.name!r} but {target.name!r} "
            f"has {len(target.weights)}: the architectures differ."
        )
    return target
