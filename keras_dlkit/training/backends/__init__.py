"""Backend-specific training steps (the only place framework imports are allowed).

Each ``*_gan.py`` module holds the ``train_step`` of
:class:`keras_dlkit.training.GAN` for one backend. Only the module of the
active backend is imported (by :func:`gan_train_step_class`, when
``keras_dlkit.training`` is imported), so no framework is loaded beyond the
one Keras itself already runs on.
"""

from __future__ import annotations

import importlib

import keras

_GAN_MODULES = {
    "tensorflow": ("keras_dlkit.training.backends.tensorflow_gan", "TensorFlowGANStep"),
    "jax": ("keras_dlkit.training.backends.jax_gan", "JaxGANStep"),
    "torch": ("keras_dlkit.training.backends.torch_gan", "TorchGANStep"),
}


class UnsupportedBackendGANStep:
    """Stand-in ``train_step`` for backends without a GAN step (numpy, openvino)."""

    def train_step(self, *args, **kwargs):
        raise NotImplementedError(
            "GAN training needs the tensorflow, jax or torch backend; the "
            f"active Keras backend is {keras.backend.backend()!r}."
        )


def gan_train_step_class() -> type:
    """The ``train_step`` mixin of the GAN trainer for the active backend."""
    entry = _GAN_MODULES.get(keras.backend.backend())
    if entry is None:
        return UnsupportedBackendGANStep
    module_name, class_name = entry
    return getattr(importlib.import_module(module_name), class_name)
