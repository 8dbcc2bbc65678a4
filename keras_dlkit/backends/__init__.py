"""Every line of keras_dlkit that imports tensorflow, jax or torch lives here.

Library code elsewhere uses ``keras.ops``, ``keras.random`` and Keras
layers only (``tests/test_import_hygiene.py`` walks every import, at any
depth, of every other file). Where a framework's own calls are needed (a
trainer's gradient bookkeeping, a faster kernel, a random-number state),
they live in this package, named by one scheme:

``<framework>_<concern>.py``
    The code of one concern for one framework: ``jax_adversarial.py`` is the
    adversarial trainers' ``train_step`` on JAX, ``torch_agc.py`` the AGC
    arithmetic in torch calls, ``tensorflow_summary.py`` the TensorBoard
    image writer. Only these modules import a framework.
``<concern>.py``
    The framework-neutral side of a concern, when it has one: the contract
    the framework modules implement (``adversarial.py`` declares the hooks
    an adversarial train step calls on its trainer).

:func:`backend_module` imports the active backend's module of a concern on
first use, so ``import keras_dlkit`` loads no framework and a program on
JAX never imports torch or TensorFlow. ``tensorflow_summary`` is the one
module imported by name on any backend: TensorBoard files are written with
TensorFlow whatever Keras runs on, as Keras's own ``TensorBoard`` does.

Adding a backend-specific piece: write ``<framework>_<concern>.py`` for each
framework that needs one and call ``backend_module("<concern>")`` where it
is used (``None`` means the active backend has no module for it: use the
``keras.ops`` path).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Iterator
from types import ModuleType

#: The frameworks a module here may be written for.
FRAMEWORKS = ("tensorflow", "jax", "torch")


def backend_module(concern: str, backend: str | None = None) -> ModuleType | None:
    """The module of ``concern`` for the active Keras backend, or ``None``.

    Args:
        concern: The concern's name (``"adversarial"``, ``"agc"``, ...).
        backend: The framework; default the active Keras backend.

    Returns:
        ``keras_dlkit.backends.<backend>_<concern>``, imported on first use,
        or ``None`` when that backend has no module for the concern (then
        the caller's ``keras.ops`` path serves).

    Example:

    >>> from keras_dlkit.backends import backend_module
    >>> backend_module("adversarial", backend="numpy") is None
    True
    """
    if backend is None:
        import keras

        backend = keras.backend.backend()
    return _load(concern, backend)


@functools.cache
def _load(concern: str, backend: str) -> ModuleType | None:
    """The import behind :func:`backend_module`, remembered (misses too)."""
    if backend not in FRAMEWORKS:
        return None
    name = f"{__name__}.{backend}_{concern}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            return None
        raise


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Record no gradients inside the block: torch's ``no_grad``; a no-op elsewhere.

    For inference-only forward passes run eagerly (decoding loops, batch-norm
    statistics), where torch would otherwise chain a graph through every step.
    """
    autograd = backend_module("autograd")
    if autograd is None:
        yield
    else:
        with autograd.no_grad():
            yield
