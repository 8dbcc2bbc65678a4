"""Sequence models on recurrent layers: classifiers, forecasters, language models, seq2seq.

Each builder stacks the recurrent layers of ``_recurrent`` (one factory on
cuDNN-eligible settings) under stable names.
"""

from keras_dlkit.models.sequence.classifier import rnn_classifier
from keras_dlkit.models.sequence.forecaster import rnn_forecaster
from keras_dlkit.models.sequence.language_model import rnn_language_model
from keras_dlkit.models.sequence.rnn_generation import (
    rnn_generate,
    rnn_initial_state,
    rnn_step_function,
)
from keras_dlkit.models.sequence.seq2seq import seq2seq
from keras_dlkit.models.sequence.seq2seq_decoding import (
    seq2seq_attention_weights,
    seq2seq_inference_models,
    seq2seq_step_function,
    seq2seq_translate,
)

__all__ = [
    "rnn_classifier",
    "rnn_forecaster",
    "rnn_generate",
    "rnn_initial_state",
    "rnn_language_model",
    "rnn_step_function",
    "seq2seq",
    "seq2seq_attention_weights",
    "seq2seq_inference_models",
    "seq2seq_step_function",
    "seq2seq_translate",
]
