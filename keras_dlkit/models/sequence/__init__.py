"""Sequence models on recurrent layers: classifiers, forecasters, language models, seq2seq."""

from keras_dlkit.models.sequence.seq2seq import seq2seq
from keras_dlkit.models.sequence.seq2seq_decoding import (
    seq2seq_attention_weights,
    seq2seq_inference_models,
    seq2seq_step_function,
    seq2seq_translate,
)

__all__: list[str] = [
    "seq2seq",
    "seq2seq_attention_weights",
    "seq2seq_inference_models",
    "seq2seq_step_function",
    "seq2seq_translate",
]
