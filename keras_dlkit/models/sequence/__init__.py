"""Sequence models on recurrent layers: classifiers, forecasters, language models, seq2seq.

Each builder stacks the recurrent layers of ``_recurrent`` (one factory on
cuDNN-eligible settings) under stable names.
"""

from keras_dlkit.models.sequence.classifier import rnn_classifier
from keras_dlkit.models.sequence.forecaster import rnn_forecaster

__all__ = [
    "rnn_classifier",
    "rnn_forecaster",
]
