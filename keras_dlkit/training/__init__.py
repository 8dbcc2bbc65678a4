"""Public `keras_dlkit.training` namespace: trainer models whose ``fit()`` works on every backend."""

from keras_dlkit.training.gan import GAN

__all__: list[str] = ["GAN"]
