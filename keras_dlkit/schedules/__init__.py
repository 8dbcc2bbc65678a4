"""Public `keras_dlkit.schedules` namespace."""

__all__: list[str] = []
