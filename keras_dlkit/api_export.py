"""The one decorator that makes a symbol public.

``keras_dlkit_export(path)`` records the public path of a class or function
(``keras_dlkit.layers.Foo``) and, for classes, registers it with Keras's
serialization framework under the package name ``keras_dlkit`` so that
``.keras`` files holding it load with ``safe_mode=True`` and no
``custom_objects``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import keras

PACKAGE = "keras_dlkit"

T = TypeVar("T")

#: Every exported symbol, keyed by its public path.
REGISTERED: dict[str, object] = {}


def keras_dlkit_export(path: str) -> Callable[[T], T]:
    """Give a symbol its public ``keras_dlkit`` path and register it.

    Args:
        path: Full public path, for example ``"keras_dlkit.layers.DropPath"``.
            It must start with ``"keras_dlkit."``.

    Returns:
        A decorator returning the symbol unchanged.

    Example:

    >>> import keras
    >>> from keras_dlkit.api_export import keras_dlkit_export
    >>> @keras_dlkit_export("keras_dlkit.layers.DocExampleIdentity")
    ... class DocExampleIdentity(keras.layers.Layer):
    ...     def call(self, x):
    ...         return x
    >>> keras.saving.get_registered_name(DocExampleIdentity)
    'keras_dlkit>DocExampleIdentity'
    """
    if not isinstance(path, str) or not path.startswith(PACKAGE + "."):
        raise ValueError(
            f"`path` must be a string starting with '{PACKAGE}.', got {path!r}."
        )
    public_name = path.rsplit(".", 1)[1]

    def decorator(symbol: T) -> T:
        if path in REGISTERED and REGISTERED[path] is not symbol:
            previous = REGISTERED[path]
            if getattr(previous, "__qualname__", None) != getattr(
                symbol, "__qualname__", None
            ):
                raise ValueError(
                    f"`path` {path!r} is already exported by {previous!r}."
                )
        REGISTERED[path] = symbol
        symbol._keras_dlkit_path = path  # type: ignore[attr-defined]
        if isinstance(symbol, type):
            keras.saving.register_keras_serializable(package=PACKAGE, name=public_name)(
                symbol
            )
        return symbol

    return decorator
