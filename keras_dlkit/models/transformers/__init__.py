"""Transformers: BERT, GPT, T5, ViT.

This family fills in the next wave; its folder is here so the layout is final.
"""

__all__: list[str] = []
