"""Transformers: BERT, GPT, T5, ViT.

This family fills in the next wave; its folder is here so the layout is final.
"""

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
from keras_dlkit.models.transformers.llama import llama_style

__all__: list[str] = [
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
]
