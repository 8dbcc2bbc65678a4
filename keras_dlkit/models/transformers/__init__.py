"""Transformers: BERT, GPT, T5, ViT.

This family fills in the next wave; its folder is here so the layout is final.
"""

from keras_dlkit.models.transformers.bert import (
    bert,
    bert_base,
    bert_large,
    bert_small,
    bert_tiny,
)
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
    "vit",
    "vit_b16",
    "vit_l16",
    "vit_s16",
    "vit_ti16",
]
