"""Classification networks: MLP, LeNet, AlexNet, VGG, ResNet, GoogLeNet, Inception-v3, EfficientNet."""

from keras_dlkit.models.classification.alexnet import alexnet
from keras_dlkit.models.classification.efficientnet import (
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
    efficientnet_b4,
    efficientnet_b5,
    efficientnet_b6,
    efficientnet_b7,
)
from keras_dlkit.models.classification.googlenet import googlenet
from keras_dlkit.models.classification.inception_v3 import inception_v3
from keras_dlkit.models.classification.lenet import lenet5
from keras_dlkit.models.classification.mlp import mlp
from keras_dlkit.models.classification.resnet import (
    resnet18,
    resnet34,
    resnet50,
    resnet50v2,
    resnet101,
    resnet101v2,
    resnet152,
    resnet152v2,
)
from keras_dlkit.models.classification.vgg import (
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
    "alexnet",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "googlenet",
    "inception_v3",
    "lenet5",
    "mlp",
    "resnet101",
    "resnet101v2",
    "resnet152",
    "resnet152v2",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet50v2",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]
