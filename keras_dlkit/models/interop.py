"""Weight interop with ``keras.applications``: its models as ours, weights copied.

Each builder family registers a converter for the ``keras.applications``
models it mirrors (by the source model's ``name``: ``"resnet50"``,
``"vgg16"``, ``"inception_v3"``, ``"efficientnetb0"``, ...).
:func:`from_keras_applications` builds our equivalent with the same
configuration and copies every weight, so transfer learning from ImageNet is
one call: ``our_builder(weights="imagenet")`` goes through it.
"""

from __future__ import annotations

from collections.abc import Callable

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
