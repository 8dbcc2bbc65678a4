"""Small private helpers around Keras objects."""

from __future__ import annotations

from typing import Any


def clone_initializer(initializer: Any) -> Any:
    """A fresh copy of a Keras initializer object, from its config.

    Each layer gets its own object, so unseeded initializers do not share
    state. ``keras.initializers.serialize`` would do the same through the
    generic serializer, which imports TensorFlow on first use, about 10 s on
    the jax and torch backends; ``from_config`` does not.
    """
    return type(initializer).from_config(initializer.get_config())
