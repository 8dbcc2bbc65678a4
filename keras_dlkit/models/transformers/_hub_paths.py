"""Copy a keras-hub backbone's weights into ours by renaming weight paths.

Our transformer builders keep keras-hub's layer names where the two agree
(``token_embedding``, ``transformer_layer_{i}/self_attention/query``, ...);
a converter lists the regular-expression renames for the rest, and every
weight of ours is looked up in the backbone under its renamed path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import keras

from keras_dlkit.models.transformers.hub_interop import WeightCopier


def copy_by_path(
    target: keras.Model, source: Any, renames: Iterable[tuple[str, str]]
) -> None:
    """Assign each weight of ``target`` from ``source``'s weight at the renamed path.

    Args:
        target: Our model.
        source: The keras-hub backbone.
        renames: ``(pattern, replacement)`` pairs applied with ``re.sub``, in
            order, to each of our weight paths to give the backbone's.

    Raises:
        ValueError: If a renamed path is not a weight of ``source``, a shape
            differs, or (from :class:`WeightCopier`) a weight of ``target``
            got nothing.

    Example:

    >>> import keras
    >>> from keras_dlkit.models.transformers._hub_paths import copy_by_path
    >>> source = keras.layers.Dense(2, name="a")
    >>> source.build((None, 3))
    >>> target = keras.layers.Dense(2, name="b")
    >>> target.build((None, 3))
    >>> copy_by_path(target, source, [("^b/", "a/")])
    >>> k = keras.ops.convert_to_numpy
    >>> bool((k(target.kernel) == k(source.kernel)).all())
    True
    """
    renames = tuple(renames)
    by_path = {weight.path: weight for weight in source.weights}
    copier = WeightCopier(target)
    for weight in target.weights:
        path = weight.path
        for pattern, replacement in renames:
            path = re.sub(pattern, replacement, path)
        found = by_path.get(path)
        if found is None:
            raise ValueError(
                f"Our weight {weight.path!r} maps to {path!r}, which the "
                f"source {source.name!r} does not have."
            )
        if tuple(found.shape) != tuple(weight.shape):
            raise ValueError(
                f"Our weight {weight.path!r} has shape {tuple(weight.shape)}, the "
                f"source's {path!r} {tuple(found.shape)}."
            )
        copier.set(weight, keras.ops.convert_to_numpy(found.value))
    copier.finish()
