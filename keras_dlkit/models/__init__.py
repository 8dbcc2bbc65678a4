"""Public ``keras_dlkit.models`` namespace: the registry and the model builders."""

from keras_dlkit.models.alexnet import alexnet
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
    "ModelEntry",
    "alexnet",
    "create_model",
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
    "get_model_entry",
    "googlenet",
    "inception_v3",
    "lenet5",
    "list_models",
    "mlp",
    "register_model",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet50v2",
    "resnet101",
    "resnet101v2",
    "resnet152",
    "resnet152v2",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]
