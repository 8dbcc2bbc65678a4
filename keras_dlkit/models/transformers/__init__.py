"""Transformers: BERT, GPT-2 and GPT-3, a Llama-style decoder, T5 and ViT.

One file per architecture, each with its configuration table, a generic
builder and thin named builders at the published sizes, a closed-form
parameter count (``keras_dlkit.models.count_params``) and a keras-hub
weight converter (``hub_interop.from_keras_hub``). Every builder offers
``get_layout_map(device_mesh)`` (``layout.transformer_layout_map``) for
``keras.distribution.ModelParallel``.
"""

from keras_dlkit.models.transformers import t5_interop  # noqa: F401 (registers)
from keras_dlkit.models.transformers.bert import (
    bert,
    bert_base,
    bert_large,
    bert_small,
    bert_tiny,
)
from keras_dlkit.models.transformers.gpt import gpt
from keras_dlkit.models.transformers.gpt2 import (
    gpt2_large,
    gpt2_medium,
    gpt2_small,
    gpt2_xl,
)
from keras_dlkit.models.transformers.gpt3 import (
    gpt3_1_3b,
    gpt3_2_7b,
    gpt3_6_7b,
    gpt3_13b,
    gpt3_125m,
    gpt3_175b,
    gpt3_350m,
    gpt3_760m,
)
from keras_dlkit.models.transformers.layout import transformer_layout_map
from keras_dlkit.models.transformers.llama import llama_style
from keras_dlkit.models.transformers.t5 import t5, t5_base, t5_small
from keras_dlkit.models.transformers.vit import (
    vit,
    vit_b16,
    vit_l16,
    vit_s16,
    vit_ti16,
)

__all__: list[str] = [
    "bert",
    "bert_base",
    "bert_large",
    "bert_small",
    "bert_tiny",
    "gpt",
    "gpt2_large",
    "gpt2_medium",
    "gpt2_small",
    "gpt2_xl",
    "gpt3_1_3b",
    "gpt3_2_7b",
    "gpt3_6_7b",
    "gpt3_13b",
    "gpt3_125m",
    "gpt3_175b",
    "gpt3_350m",
    "gpt3_760m",
    "llama_style",
    "t5",
    "t5_base",
    "t5_small",
    "vit",
    "vit_b16",
    "vit_l16",
    "vit_s16",
    "vit_ti16",
]

# Every builder of the family names its sublayers alike, so one sharding
# serves them all: `gpt2_small.get_layout_map(mesh)`, as keras-hub's
# backbones offer `Backbone.get_layout_map(mesh)`.
for _name in __all__:
    globals()[_name].get_layout_map = transformer_layout_map
del _name
