"""Public `keras_dlkit.losses` namespace."""

__all__: list[str] = []
