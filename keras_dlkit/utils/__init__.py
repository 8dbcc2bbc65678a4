"""Public ``keras_dlkit.utils`` namespace: validation helpers and the gallery profile.

``mean_average_precision`` lives in :mod:`keras_dlkit.boxes` since 0.2; the
name here is an alias kept for 0.1.0 code, resolved on first use so that the
ground floor imports nothing above it at import time.
"""

from keras_dlkit.utils.flops import count_flops
from keras_dlkit.utils.profile import gallery_profile
from keras_dlkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_shape,
)

__all__ = [
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_shape",
    "count_flops",
    "gallery_profile",
    "mean_average_precision",
]


# Names kept for 0.1.0 code that moved to a higher floor: resolved lazily.
_MOVED = {"mean_average_precision": "keras_dlkit.boxes"}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
