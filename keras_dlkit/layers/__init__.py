"""Public `keras_dlkit.layers` namespace."""

from keras_dlkit.layers.drop_path import DropPath
from keras_dlkit.layers.squeeze_excite import SqueezeExcite

__all__: list[str] = [
    "DropPath",
    "SqueezeExcite",
]
