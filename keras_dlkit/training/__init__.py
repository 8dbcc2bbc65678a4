"""Public `keras_dlkit.training` namespace."""

__all__: list[str] = []
