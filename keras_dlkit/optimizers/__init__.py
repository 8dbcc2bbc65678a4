"""Public `keras_dlkit.optimizers` namespace."""

__all__: list[str] = []
