"""Sequence models on recurrent layers: classifiers, forecasters, language models, seq2seq."""

from keras_dlkit.models.sequence.language_model import rnn_language_model
from keras_dlkit.models.sequence.rnn_generation import (
    rnn_generate,
    rnn_initial_state,
    rnn_step_function,
)

__all__: list[str] = [
    "rnn_generate",
    "rnn_initial_state",
    "rnn_language_model",
    "rnn_step_function",
]
