"""Sequence models on recurrent layers: classifiers, forecasters, language models, seq2seq.

This family fills in the next wave; its folder is here so the layout is final.
"""

__all__: list[str] = []
