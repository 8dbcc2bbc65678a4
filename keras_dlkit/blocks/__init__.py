"""Public `keras_dlkit.blocks` namespace."""

from keras_dlkit.blocks.basic_block import BasicBlock
from keras_dlkit.blocks.bottleneck_block import BottleneckBlock
from keras_dlkit.blocks.conv_norm_act import ConvNormAct
from keras_dlkit.blocks.cyclegan_resnet_block import CycleGANResidualBlock
from keras_dlkit.blocks.detection_head import DetectionHead
from keras_dlkit.blocks.feed_forward import FeedForward
from keras_dlkit.blocks.fused_mbconv import FusedMBConv
from keras_dlkit.blocks.inception_module import InceptionModule
from keras_dlkit.blocks.inception_v3 import (
    InceptionA,
    InceptionB,
    InceptionC,
    InceptionD,
    InceptionE,
)
from keras_dlkit.blocks.mbconv import MBConv
from keras_dlkit.blocks.stylegan_synthesis_block import StyleGANSynthesisBlock
from keras_dlkit.blocks.transformer_decoder_block import TransformerDecoderBlock
from keras_dlkit.blocks.transformer_encoder_block import TransformerEncoderBlock
from keras_dlkit.blocks.unet import UNetDown, UNetUp
from keras_dlkit.blocks.vgg_stage import VGGStage

__all__: list[str] = [
    "BasicBlock",
    "BottleneckBlock",
    "ConvNormAct",
    "CycleGANResidualBlock",
    "DetectionHead",
    "FeedForward",
    "FusedMBConv",
    "InceptionA",
    "InceptionB",
    "InceptionC",
    "InceptionD",
    "InceptionE",
    "InceptionModule",
    "MBConv",
    "StyleGANSynthesisBlock",
    "TransformerDecoderBlock",
    "TransformerEncoderBlock",
    "UNetDown",
    "UNetUp",
    "VGGStage",
]
