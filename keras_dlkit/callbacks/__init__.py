"""Public `keras_dlkit.callbacks` namespace."""

__all__: list[str] = []
