"""Public ``keras_dlkit.utils`` namespace: validation helpers and the gallery profile."""

from keras_dlkit.utils.detection_metrics import mean_average_precision
from keras_dlkit.utils.flops import count_flops
from keras_dlkit.utils.profile import gallery_profile
from keras_dlkit.utils.validation import (
    check_choice,
    check_float,
    check_int,
    check_shape,
)

__all__ = [
    "check_choice",
    "check_float",
    "check_int",
    "check_shape",
    "count_flops",
    "gallery_profile",
    "mean_average_precision",
]
