"""Public `keras_dlkit.layers` namespace."""

__all__: list[str] = []
