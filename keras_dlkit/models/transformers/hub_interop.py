"""Weight interop with keras-hub: its backbones as our transformer models.

Each transformer builder file registers a converter for the keras-hub
backbone classes it mirrors (by class name: ``"BertBackbone"``,
``"GPT2Backbone"``, ``"T5Backbone"``, ``"ViTBackbone"``, ...).
:func:`from_keras_hub` reads the backbone's configuration, builds our
equivalent with the same sizes and copies every weight through a
:class:`WeightCopier`, which checks each shape and that no weight of ours
was left out.

keras-hub is imported only here, and only when a preset name is given: the
family's builders do not need it (install it with the ``hub`` extra).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from keras_dlkit.api_export import keras_dlkit_export

HubConverter = Callable[..., keras.Model]

_HUB_CONVERTERS: dict[str, HubConverter] = {}


def register_hub_converter(*class_names: str) -> Callable[[HubConverter], HubConverter]:
    """Register ``converter(backbone, **kwargs) -> our model`` for keras-hub classes.

    Args:
        *class_names: keras-hub backbone class names, e.g. ``"GPT2Backbone"``.

    Returns:
        A decorator that registers and returns the converter unchanged.
    """

    def decorator(converter: HubConverter) -> HubConverter:
        for class_name in class_names:
            _HUB_CONVERTERS[class_name] = converter
        return converter

    return decorator


def hub_convertible_classes() -> list[str]:
    """The keras-hub backbone class names with a registered converter.

    Example:

    >>> from keras_dlkit.models.transformers.hub_interop import hub_convertible_classes
    >>> isinstance(hub_convertible_classes(), list)
    True
    """
    return sorted(_HUB_CONVERTERS)


class WeightCopier:
    """Copies arrays into a model's weights, checking shapes and completeness.

    Args:
        target: The model (or layer) that receives the weights.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.models.transformers.hub_interop import WeightCopier
    >>> dense = keras.layers.Dense(2)
    >>> dense.build((None, 3))
    >>> copier = WeightCopier(dense)
    >>> copier.set(dense.kernel, np.ones((3, 2)))
    >>> copier.set(dense.bias, np.zeros(2))
    >>> copier.finish()
    """

    def __init__(self, target: keras.layers.Layer) -> None:
        self.target = target
        self._assigned: set[int] = set()

    def set(self, variable: Any, value: Any) -> None:
        """Assign ``value`` (any array, reshaped only if sizes agree) to ``variable``.

        Raises:
            ValueError: If the sizes differ, or the variable was set before.
        """
        array = np.asarray(keras.ops.convert_to_numpy(value))
        shape = tuple(variable.shape)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(
                f"Cannot copy an array of shape {array.shape} into "
                f"{variable.path!r} of shape {shape}."
            )
        if id(variable) in self._assigned:
            raise ValueError(f"{variable.path!r} was assigned twice.")
        variable.assign(array.reshape(shape).astype(variable.dtype))
        self._assigned.add(id(variable))

    def finish(self) -> None:
        """Check that every weight of the target was assigned.

        Raises:
            ValueError: Naming the weights that received nothing.
        """
        missing = [w.path for w in self.target.weights if id(w) not in self._assigned]
        if missing:
            raise ValueError(
                f"{len(missing)} weights of {self.target.name!r} received "
                f"nothing from the source: {missing[:8]}"
                + (" ..." if len(missing) > 8 else "")
            )


def copy_weights_by_path(
    source: Any,
    target: keras.Model,
    renames: Sequence[tuple[str, str]],
    unused_source: Sequence[str] = (),
) -> None:
    """Copy every weight of ``source`` into the weight of ``target`` at the renamed path.

    Our builders keep keras-hub's layer names where the two agree
    (``token_embedding``, ``transformer_layer_{i}/self_attention/query``,
    ...); a converter lists the renames for the rest.

    Args:
        source: The keras-hub backbone.
        target: Our model of the same configuration.
        renames: ``(pattern, replacement)`` pairs applied in turn with
            ``re.sub`` to each source weight path to give ours.
        unused_source: Patterns (``re.fullmatch``) of source weight paths
            that may have no counterpart (a head our model leaves out).

    Raises:
        ValueError: If a source weight has no target (and is not in
            ``unused_source``), a size differs, or a weight of ``target``
            received nothing.

    Example:

    >>> import keras
    >>> from keras_dlkit.models.transformers.hub_interop import copy_weights_by_path
    >>> source = keras.layers.Dense(2, name="a")
    >>> source.build((None, 3))
    >>> target = keras.layers.Dense(2, name="b")
    >>> target.build((None, 3))
    >>> copy_weights_by_path(source, target, [("^a/", "b/")])
    >>> k = keras.ops.convert_to_numpy
    >>> bool((k(target.kernel) == k(source.kernel)).all())
    True
    """
    ours = {variable.path: variable for variable in target.weights}
    copier = WeightCopier(target)
    unmatched = []
    for variable in source.weights:
        path = variable.path
        for pattern, replacement in renames:
            path = re.sub(pattern, replacement, path)
        if path in ours:
            copier.set(ours[path], variable)
        elif not any(re.fullmatch(p, variable.path) for p in unused_source):
            unmatched.append(f"{variable.path} -> {path}")
    if unmatched:
        raise ValueError(
            f"{len(unmatched)} weights of {source.name!r} match no weight of "
            f"{target.name!r}: {unmatched[:6]}; ours: {sorted(ours)[:12]}"
        )
    copier.finish()


@keras_dlkit_export("keras_dlkit.models.from_keras_hub")
def from_keras_hub(backbone: Any, /, **kwargs: Any) -> keras.Model:
    """Our equivalent of a keras-hub backbone, with its weights copied.

    Supported backbones: see
    ``keras_dlkit.models.transformers.hub_interop.hub_convertible_classes()``
    (BERT, GPT-2, T5 and ViT). The returned model has the backbone's sizes
    and no task head; its outputs equal the backbone's within float
    rounding on the same inputs.

    On a machine with internet, a keras-hub preset name loads the preset's
    backbone first (downloading its weights once into the Keras cache)::

        gpt2 = from_keras_hub("gpt2_base_en")

    Args:
        backbone: A ``keras_hub.models.Backbone`` instance, or a keras-hub
            preset name (a string), which needs ``keras-hub`` installed
            (``pip install keras-dlkit[hub]``).
        **kwargs: Passed to the family's converter (e.g. ``dtype``).

    Returns:
        A ``keras.Model`` built by this library's builder for that family.

    Raises:
        ValueError: If ``backbone`` is neither a supported backbone nor a
            string.

    Example:

    >>> import keras_hub
    >>> from keras_dlkit.models import from_keras_hub
    >>> source = keras_hub.models.GPT2Backbone(
    ...     vocabulary_size=50, num_layers=1, num_heads=2, hidden_dim=8,
    ...     intermediate_dim=16, max_sequence_length=12)
    >>> ours = from_keras_hub(source)
    >>> ours.count_params() == source.count_params()
    True
    """
    if isinstance(backbone, str):
        try:
            import keras_hub
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ValueError(
                f"`backbone` {backbone!r} is a preset name, which needs keras-hub: "
                "pip install keras-dlkit[hub]."
            ) from error
        backbone = keras_hub.models.Backbone.from_preset(backbone)
    class_name = type(backbone).__name__
    converter = _HUB_CONVERTERS.get(class_name)
    if converter is None:
        raise ValueError(
            f"`backbone` must be a keras-hub backbone of a supported class "
            f"{hub_convertible_classes()}, got {class_name} ({backbone!r})."
        )
    return converter(backbone, **kwargs)
