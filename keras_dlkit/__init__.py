"""keras_dlkit: the deep-learning curriculum as reusable Keras 3 parts.

Subpackages load lazily on first attribute access, so ``import keras_dlkit``
imports neither Keras nor a backend framework until a part is used.

Example:

>>> import keras_dlkit
>>> keras_dlkit.__version__
'0.1.0'
>>> model = keras_dlkit.models.create_model("mlp", input_shape=(4,), num_classes=3)
>>> model.output_shape
(None, 3)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = (
    "layers",
    "blocks",
    "models",
    "training",
    "schedules",
    "callbacks",
    "generation",
    "optimizers",
    "losses",
    "boxes",
    "datasets",
    "testing",
    "utils",
)

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBPACKAGES))
