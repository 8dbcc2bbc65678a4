"""Reading a ``keras.applications`` model's configuration, and copying its weights.

The converters registered with
:func:`keras_dlkit.models.interop.register_converter` rebuild the source
with our builder: :func:`application_config` reads the builder arguments off
the source model, :func:`copy_mapped_weights` copies every weight layer
through an explicit name mapping and checks that nothing was left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from keras_dlkit.models.interop import copy_layer_weights


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
