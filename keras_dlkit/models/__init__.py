"""Public ``keras_dlkit.models`` namespace: the registry and the model builders."""

from keras_dlkit.models.alexnet import alexnet
from keras_dlkit.models.autoencoder_networks import (
    conv_decoder,
    conv_encoder,
    dense_decoder,
    dense_encoder,
)
from keras_dlkit.models.autoencoders import (
    conv_autoencoder,
    denoising_autoencoder,
    dense_autoencoder,
    sparse_autoencoder,
)
from keras_dlkit.models.box_coder import AnchorBoxCoder
from keras_dlkit.models.cyclegan import (
    cyclegan,
    cyclegan_generator,
    patchgan_discriminator,
)
from keras_dlkit.models.detector import detector
from keras_dlkit.models.efficientnet import (
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
    efficientnet_b4,
    efficientnet_b5,
    efficientnet_b6,
    efficientnet_b7,
)
from keras_dlkit.models.features import feature_extractor, feature_info
from keras_dlkit.models.gan_networks import (
    dcgan_discriminator,
    dcgan_generator,
    dcgan_stages,
    gan_discriminator,
    gan_generator,
)
from keras_dlkit.models.gans import conditional_gan, dcgan, gan
from keras_dlkit.models.googlenet import googlenet
from keras_dlkit.models.inception import inception_v3
from keras_dlkit.models.interop import from_keras_applications
from keras_dlkit.models.lenet import lenet5
from keras_dlkit.models.mlp import mlp
from keras_dlkit.models.registry import (
    ModelEntry,
    create_model,
    get_model_entry,
    list_models,
    register_model,
)
from keras_dlkit.models.resnet import (
    resnet18,
    resnet34,
    resnet50,
    resnet50v2,
    resnet101,
    resnet101v2,
    resnet152,
    resnet152v2,
)
from keras_dlkit.models.style_transfer import style_transfer
from keras_dlkit.models.stylegan import (
    stylegan,
    stylegan_discriminator,
    stylegan_generator,
    stylegan_mapping_network,
    stylegan_synthesis_network,
)
from keras_dlkit.models.stylegan_sampling import (
    stylegan_generate,
    stylegan_styles,
    stylegan_synthesize,
)
from keras_dlkit.models.unet import unet, unet_from_backbone
from keras_dlkit.models.vae import conv_vae, vae
from keras_dlkit.models.vgg import (
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

__all__ = [
    "AnchorBoxCoder",
    "ModelEntry",
    "alexnet",
    "conditional_gan",
    "conv_autoencoder",
    "conv_decoder",
    "conv_encoder",
    "conv_vae",
    "create_model",
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
    "detector",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "feature_extractor",
    "feature_info",
    "from_keras_applications",
    "gan",
    "gan_discriminator",
    "gan_generator",
    "get_model_entry",
    "googlenet",
    "inception_v3",
    "lenet5",
    "list_models",
    "mlp",
    "patchgan_discriminator",
    "register_model",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet50v2",
    "resnet101",
    "resnet101v2",
    "resnet152",
    "resnet152v2",
    "sparse_autoencoder",
    "style_transfer",
    "stylegan",
    "stylegan_discriminator",
    "stylegan_generate",
    "stylegan_generator",
    "stylegan_mapping_network",
    "stylegan_styles",
    "stylegan_synthesis_network",
    "stylegan_synthesize",
    "unet",
    "unet_from_backbone",
    "vae",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]
