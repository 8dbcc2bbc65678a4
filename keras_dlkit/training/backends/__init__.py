"""Backend-specific training steps (the only place framework imports are allowed).

Each ``<backend>_<trainer>.py`` module holds the ``train_step`` of one
trainer for one backend (``tensorflow_gan.py`` is the GAN's step on
TensorFlow). Only the module of the active backend is imported (by
:func:`train_step_class`, when the trainer's module is imported), so no
framework is loaded beyond the one Keras itself already runs on.
"""

from __future__ import annotations

import importlib

import keras

#: ``trainer -> backend -> (module, class)``. A trainer with a backend step
#: adds one row here and one module per backend.
_STEP_CLASSES = {
    "gan": {
        "tensorflow": ("tensorflow_gan", "TensorFlowGANStep"),
        "jax": ("jax_gan", "JaxGANStep"),
        "torch": ("torch_gan", "TorchGANStep"),
    },
    "cyclegan": {
        "tensorflow": ("tensorflow_cyclegan", "TensorFlowCycleGANStep"),
        "jax": ("jax_cyclegan", "JaxCycleGANStep"),
        "torch": ("torch_cyclegan", "TorchCycleGANStep"),
    },
}


class UnsupportedBackendStep:
    """Stand-in ``train_step`` for backends without a trainer step (numpy, openvino)."""

    def train_step(self, *args, **kwargs):
        raise NotImplementedError(
            "GAN training needs the tensorflow, jax or torch backend; the "
            f"active Keras backend is {keras.backend.backend()!r}."
        )


def train_step_class(trainer: str) -> type:
    """The ``train_step`` mixin of ``trainer`` (``"gan"``, ...) for the active backend."""
    entry = _STEP_CLASSES[trainer].get(keras.backend.backend())
    if entry is None:
        return UnsupportedBackendStep
    module_name, class_name = entry
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, class_name)


def gan_train_step_class() -> type:
    """The ``train_step`` mixin of the GAN trainer for the active backend."""
    return train_step_class("gan")
