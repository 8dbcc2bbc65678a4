"""The recurrent layers every sequence builder stacks: one factory, one check.

Keras ships the cells (``SimpleRNN``, ``LSTM``, ``GRU``) and ``Bidirectional``;
this module only picks one by name and keeps its arguments on the settings
Keras's fused cuDNN kernel needs, so a GPU user gets the fast path by default.

cuDNN eligibility (Keras 3.15.1's source): ``activation="tanh"``,
``recurrent_activation="sigmoid"``, ``recurrent_dropout=0``, ``unroll=False``,
``use_bias=True`` and, for the GRU, ``reset_after=True``. On TensorFlow the
fused kernel also takes a right-padded mask (padding after the tokens, the
convention of this family). On JAX (LSTM only: no fused GRU) and torch it
runs only without a mask, so the masked classifier and seq2seq encoder get
cuDNN on TensorFlow alone, and the unmasked forecaster and language model on
every backend with a GPU. ``SimpleRNN`` has no fused kernel. Input
``dropout`` keeps eligibility; ``recurrent_dropout > 0`` forfeits it.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.utils.validation import check_choice, check_float, check_int

CELLS = ("simple", "lstm", "gru")

_LAYERS = {
    "simple": keras.layers.SimpleRNN,
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
}


def check_cell(cell: Any) -> str:
    """Return ``cell`` when it is one of :data:`CELLS`, else raise ``ValueError``."""
    return check_choice("cell", cell, CELLS)


def num_states(cell: str) -> int:
    """Number of state tensors the cell carries: 2 for the LSTM (h, c), else 1."""
    return 2 if check_cell(cell) == "lstm" else 1


def recurrent_layer(
    cell: str,
    units: int,
    *,
    name: str,
    return_sequences: bool = False,
    return_state: bool = False,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    stateful: bool = False,
    dtype: Any = None,
) -> keras.layers.Layer:
    """A Keras recurrent layer of kind ``cell`` on cuDNN-eligible settings.

    Args:
        cell: ``"simple"``, ``"lstm"`` or ``"gru"``.
        units: Width of the state (>= 1).
        name: Layer name (stable, for checkpoints and weight converters).
        return_sequences: Return every step's output, not only the last.
        return_state: Also return the final state tensor(s).
        dropout: Input dropout rate in ``[0, 1)`` (keeps cuDNN eligibility).
        recurrent_dropout: Dropout on the recurrent state in ``[0, 1)``; any
            value above 0 forfeits the cuDNN kernel.
        stateful: Keep the state across batches (``keras.layers.RNN``'s
            ``stateful``).
        dtype: Dtype policy passed to the layer.

    Returns:
        A ``keras.layers.SimpleRNN``, ``LSTM`` or ``GRU``.
    """
    check_cell(cell)
    check_int("units", units, minimum=1)
    check_float("dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False)
    check_float(
        "recurrent_dropout",
        recurrent_dropout,
        minimum=0.0,
        maximum=1.0,
        max_inclusive=False,
    )
    return _LAYERS[cell](
        units,
        return_sequences=return_sequences,
        return_state=return_state,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        stateful=stateful,
        name=name,
        dtype=dtype,
    )
