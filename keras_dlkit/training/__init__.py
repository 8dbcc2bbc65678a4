"""Public `keras_dlkit.training` namespace: trainer models whose ``fit()`` works on every backend."""

from keras_dlkit.training.autoencoder import Autoencoder
from keras_dlkit.training.conditional_gan import ConditionalGAN
from keras_dlkit.training.cyclegan import CycleGAN
from keras_dlkit.training.gan import GAN
from keras_dlkit.training.stylegan import StyleGAN
from keras_dlkit.training.stylegan_sampling import (
    stylegan_generate,
    stylegan_styles,
    stylegan_synthesize,
)
from keras_dlkit.training.vae import VAE

__all__: list[str] = [
    "Autoencoder",
    "ConditionalGAN",
    "CycleGAN",
    "GAN",
    "StyleGAN",
    "VAE",
    "stylegan_generate",
    "stylegan_styles",
    "stylegan_synthesize",
]
