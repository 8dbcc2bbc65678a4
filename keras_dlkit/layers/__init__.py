"""Public `keras_dlkit.layers` namespace."""

from keras_dlkit.layers.adain import AdaIN
from keras_dlkit.layers.bias_add import BiasAdd
from keras_dlkit.layers.class_token import ClassToken
from keras_dlkit.layers.drop_path import DropPath
from keras_dlkit.layers.equalized_conv2d import EqualizedConv2D
from keras_dlkit.layers.equalized_dense import EqualizedDense
from keras_dlkit.layers.kl_sparsity import KLSparsityRegularization
from keras_dlkit.layers.minibatch_std_dev import MinibatchStdDev
from keras_dlkit.layers.mixing_latent import MixingLatent
from keras_dlkit.layers.modulated_conv2d import ModulatedConv2D
from keras_dlkit.layers.noise_injection import NoiseInjection
from keras_dlkit.layers.patch_embedding import PatchEmbedding
from keras_dlkit.layers.position_embedding import PositionEmbedding
from keras_dlkit.layers.reflection_padding import ReflectionPadding2D
from keras_dlkit.layers.relative_position_bias import RelativePositionBias
from keras_dlkit.layers.rotary_embedding import RotaryEmbedding
from keras_dlkit.layers.sampling import VAESampling
from keras_dlkit.layers.sinusoidal_position_encoding import SinusoidalPositionEncoding
from keras_dlkit.layers.squeeze_excite import SqueezeExcite
from keras_dlkit.layers.style_mixing import StyleMixing
from keras_dlkit.layers.transformer_attention import TransformerAttention

__all__: list[str] = [
    "AdaIN",
    "BiasAdd",
    "ClassToken",
    "DropPath",
    "EqualizedConv2D",
    "EqualizedDense",
    "KLSparsityRegularization",
    "MinibatchStdDev",
    "MixingLatent",
    "ModulatedConv2D",
    "NoiseInjection",
    "PatchEmbedding",
    "PositionEmbedding",
    "ReflectionPadding2D",
    "RelativePositionBias",
    "RotaryEmbedding",
    "SinusoidalPositionEncoding",
    "SqueezeExcite",
    "StyleMixing",
    "TransformerAttention",
    "VAESampling",
]
