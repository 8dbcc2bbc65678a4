"""Public `keras_dlkit.blocks` namespace."""

__all__: list[str] = []
