"""Stacks of recurrent layers, shared by the classifier and the forecaster.

One stage is a recurrent layer of :mod:`keras_dlkit.models.sequence._recurrent`
(cuDNN-eligible settings), optionally wrapped in ``keras.layers.Bidirectional``.
Every stage but the last returns the whole sequence, so the next stage reads
every step; the last returns its final output (the last unmasked step).
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.models.sequence._recurrent import check_cell, recurrent_layer
from keras_dlkit.utils.validation import check_float, check_int


def check_stack_arguments(
    cell: Any, units: Any, depth: Any, bidirectional: Any, dropout: Any
) -> float:
    """Validate the arguments of :func:`recurrent_stack`; return ``dropout``."""
    check_cell(cell)
    check_int("units", units, minimum=1)
    check_int("depth", depth, minimum=1)
    if not isinstance(bidirectional, bool):
        raise ValueError(
            f"`bidirectional` must be True or False, got {bidirectional!r}."
        )
    return check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )


def recurrent_stack(
    x: Any,
    *,
    cell: str,
    units: int,
    depth: int,
    bidirectional: bool,
    dropout: float,
) -> Any:
    """Apply ``depth`` recurrent stages named ``stage_0``, ``stage_1``, ... to ``x``.

    Args:
        x: A symbolic ``(batch, timesteps, features)`` tensor (it may carry a
            Keras mask, which every stage honours and passes on).
        cell: ``"simple"``, ``"lstm"`` or ``"gru"``.
        units: State width of each stage (each direction when bidirectional).
        depth: Number of stages (>= 1).
        bidirectional: Wrap each stage in ``keras.layers.Bidirectional``
            (outputs of both directions concatenated: ``2 * units`` features).
            The wrapped layer is named ``{cell}_{i}``, so its two copies are
            ``forward_{cell}_{i}`` and ``backward_{cell}_{i}``.
        dropout: Input dropout of every stage (keeps cuDNN eligibility).

    Returns:
        The last stage's final output, ``(batch, units)`` or
        ``(batch, 2 * units)``.
    """
    for i in range(depth):
        last = i == depth - 1
        stage = f"stage_{i}"
        layer = recurrent_layer(
            cell,
            units,
            name=f"{cell}_{i}" if bidirectional else stage,
            return_sequences=not last,
            dropout=dropout,
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=stage)
        x = layer(x)
    return x
