"""Public ``keras_dlkit.models`` namespace: the registry and the model builders."""

from keras_dlkit.models.features import feature_extractor, feature_info
from keras_dlkit.models.interop import from_keras_applications
from keras_dlkit.models.mlp import mlp
from keras_dlkit.models.registry import (
    ModelEntry,
    create_model,
    get_model_entry,
    list_models,
    register_model,
)

__all__ = [
    "ModelEntry",
    "create_model",
    "feature_extractor",
    "feature_info",
    "from_keras_applications",
    "get_model_entry",
    "list_models",
    "mlp",
    "register_model",
]
