"""Transformers: BERT, GPT, T5, ViT.

This family fills in the next wave; its folder is here so the layout is final.
"""

from keras_dlkit.models.transformers import t5_interop  # noqa: F401 (registers)
from keras_dlkit.models.transformers.t5 import t5, t5_base, t5_small

__all__: list[str] = ["t5", "t5_base", "t5_small"]
