"""Generative models: autoencoders, VAE, GAN, DCGAN, conditional GAN, CycleGAN, StyleGAN."""

from keras_dlkit.models.generative.autoencoder import (
    conv_autoencoder,
    denoising_autoencoder,
    dense_autoencoder,
    sparse_autoencoder,
)
from keras_dlkit.models.generative.conditional_gan import conditional_gan
from keras_dlkit.models.generative.cyclegan import (
    cyclegan,
    cyclegan_generator,
    patchgan_discriminator,
)
from keras_dlkit.models.generative.dcgan import (
    dcgan,
    dcgan_discriminator,
    dcgan_generator,
    dcgan_stages,
)
from keras_dlkit.models.generative.encoder_decoder import (
    conv_decoder,
    conv_encoder,
    dense_decoder,
    dense_encoder,
)
from keras_dlkit.models.generative.gan import (
    gan,
    gan_discriminator,
    gan_generator,
)
from keras_dlkit.models.generative.stylegan import (
    stylegan,
    stylegan_discriminator,
    stylegan_generator,
    stylegan_mapping_network,
    stylegan_synthesis_network,
)
from keras_dlkit.models.generative.vae import (
    conv_vae,
    vae,
)
from keras_dlkit.training.stylegan_sampling import (
    stylegan_generate,
    stylegan_styles,
    stylegan_synthesize,
)

__all__ = [
    "conditional_gan",
    "conv_autoencoder",
    "conv_decoder",
    "conv_encoder",
    "conv_vae",
    "cyclegan",
    "cyclegan_generator",
    "dcgan",
    "dcgan_discriminator",
    "dcgan_generator",
    "dcgan_stages",
    "denoising_autoencoder",
    "dense_autoencoder",
    "dense_decoder",
    "dense_encoder",
    "gan",
    "gan_discriminator",
    "gan_generator",
    "patchgan_discriminator",
    "sparse_autoencoder",
    "stylegan",
    "stylegan_discriminator",
    "stylegan_generate",
    "stylegan_generator",
    "stylegan_mapping_network",
    "stylegan_styles",
    "stylegan_synthesis_network",
    "stylegan_synthesize",
    "vae",
]
