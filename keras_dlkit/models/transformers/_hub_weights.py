"""Copy a keras-hub backbone's weights into ours, matched by renamed weight path."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.models.transformers.hub_interop import WeightCopier


def rename_path(path: str, rules: Sequence[tuple[str, Any]]) -> str:
    """``path`` after each ``re.sub(pattern, replacement)`` of ``rules`` in turn."""
    for pattern, replacement in rules:
        path = re.sub(pattern, replacement, path)
    return path


def copy_weights(
    source: Any, target: keras.Model, rules: Sequence[tuple[str, Any]]
) -> None:
    """Copy every weight of ``source`` into the ``target`` weight of the renamed path.

    Args:
        source: The keras-hub backbone.
        target: Our model of the same configuration.
        rules: ``(pattern, replacement)`` pairs for ``re.sub`` that turn a
            source weight path into ours.

    Raises:
        ValueError: If a weight of ``target`` has no source, a source weight
            has no target, or a shape differs.
    """
    ours = {variable.path: variable for variable in target.weights}
    copier = WeightCopier(target)
    unmatched = []
    for variable in source.weights:
        path = rename_path(variable.path, rules)
        if path not in ours:
            unmatched.append(f"{variable.path} -> {path}")
            continue
        copier.set(ours[path], variable)
    if unmatched:
        raise ValueError(
            f"{len(unmatched)} weights of {source.name!r} match no weight of "
            f"{target.name!r}: {unmatched[:6]}; ours: {sorted(ours)[:12]}"
        )
    copier.finish()
