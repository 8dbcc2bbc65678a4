"""Recurrent time-series forecaster: a window of past steps -> the next steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._common import check_name
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.sequence._stacks import check_stack_arguments, recurrent_stack
from keras_dlkit.utils.validation import check_int, is_int


def _check_sequence_shape(input_shape: Any) -> tuple[int | None, int]:
    """``(timesteps, features)``: timesteps a positive int or None, features an int."""
    if (
        not isinstance(input_shape, (tuple, list))
        or len(input_shape) != 2
        or not (
            input_shape[0] is None or (is_int(input_shape[0]) and input_shape[0] >= 1)
        )
        or not (is_int(input_shape[1]) and input_shape[1] >= 1)
    ):
        raise ValueError(
            "`input_shape` must be (timesteps, features) for sequences of rank 3 "
            "(batch, timesteps, features), timesteps a positive integer or None "
            f"and features a positive integer, got {input_shape!r}."
        )
    timesteps = None if input_shape[0] is None else int(input_shape[0])
    return timesteps, int(input_shape[1])


@register_model(
    "rnn_forecaster",
    family="sequence",
    test_config={
        "input_shape": (8, 2),
        "horizon": 3,
        "units": 4,
        "output_features": 2,
    },
    test_input_shape=(8, 2),
)
@keras_dlkit_export("keras_dlkit.models.rnn_forecaster")
def rnn_forecaster(
    input_shape: Sequence[int | None],
    horizon: int = 1,
    cell: str = "lstm",
    units: int = 64,
    depth: int = 1,
    bidirectional: bool = False,
    dropout: float = 0.0,
    output_features: int | None = None,
    name: str = "rnn_forecaster",
) -> keras.Model:
    """A recurrent forecaster: a window of a (multivariate) series -> the next steps.

    ``depth x [Bidirectional](SimpleRNN | LSTM | GRU) -> Dense``: the stack
    reads a window of ``timesteps`` past steps of ``features`` variables and
    its final state goes through one linear ``Dense`` layer that predicts all
    ``horizon`` future steps at once (the direct, multi-output strategy: no
    prediction is fed back as an input). ``horizon=1`` is the
    sequence-to-one forecaster of the next step.

    Output shape convention:

    - ``output_features=None`` (one target series): ``(batch, horizon)``;
      ``out[:, h]`` is the forecast ``h + 1`` steps after the window.
    - ``output_features=k`` (``k`` target series): ``(batch, horizon, k)``.

    Which series are the targets is the training data's choice: the model
    learns whatever ``y`` it is fitted on (a univariate series is
    ``features=1`` and ``output_features=None``). Inputs are not scaled
    here; standardize the series first (recurrent layers train best on
    values of order 1).

    Horizon rule: when ``timesteps`` is known, ``horizon`` may not exceed it.
    A direct forecaster extrapolates the window it reads, and a window
    shorter than the horizon asks it to predict further ahead than it can
    look back; take a longer window instead. With ``timesteps=None`` (windows
    of any length) the rule is the caller's to keep.

    Stages are named ``stage_0``, ``stage_1``, ... as in
    :func:`~keras_dlkit.models.rnn_classifier`. cuDNN: the defaults keep
    Keras's fused cuDNN kernel on a GPU (LSTM and GRU); ``cell="simple"``
    has no fused kernel; ``dropout`` and ``bidirectional`` keep it.

    Args:
        input_shape: ``(timesteps, features)`` of one window; ``timesteps``
            may be ``None``.
        horizon: Number of future steps predicted, >= 1 (and <= timesteps
            when known).
        cell: ``"simple"`` (Elman RNN), ``"lstm"`` or ``"gru"``.
        units: State width of each recurrent layer, >= 1.
        depth: Number of stacked recurrent layers, >= 1.
        bidirectional: Read each stage forwards and backwards.
        dropout: Rate in ``[0, 1)`` of dropout on the inputs of every stage.
        output_features: ``None`` for one target series, or the number of
            target series (>= 1), which adds the last output axis.
        name: Model name.

    Returns:
        A functional ``keras.Model`` from float ``(batch, timesteps,
        features)`` to ``(batch, horizon)`` or ``(batch, horizon,
        output_features)``. Called on data of another rank it raises a
        ``ValueError`` (Keras adds a missing last axis of size 1, so a
        univariate ``(batch, timesteps)`` array is accepted).

    Raises:
        ValueError: For an argument out of range; the message names it.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.models import rnn_forecaster
    >>> model = rnn_forecaster((24, 3), horizon=6, units=16, output_features=2)
    >>> model.output_shape
    (None, 6, 2)
    >>> rnn_forecaster((None, 1), units=8).output_shape
    (None, 1)
    >>> x = np.zeros((4, 24, 3), "float32")
    >>> model.predict(x, verbose=0).shape
    (4, 6, 2)
    """
    timesteps, features = _check_sequence_shape(input_shape)
    check_int("horizon", horizon, minimum=1)
    if timesteps is not None and horizon > timesteps:
        raise ValueError(
            f"`horizon` must be <= the window's timesteps ({timesteps}): a "
            "direct forecaster predicts no further ahead than it looks back; "
            f"give a longer window. Got horizon={horizon!r}."
        )
    dropout = check_stack_arguments(cell, units, depth, bidirectional, dropout)
    if output_features is not None:
        check_int("output_features", output_features, minimum=1)
    name = check_name(name)

    inputs = keras.Input(shape=(timesteps, features), name="inputs")
    x = recurrent_stack(
        inputs,
        cell=cell,
        units=units,
        depth=depth,
        bidirectional=bidirectional,
        dropout=dropout,
    )
    if output_features is None:
        outputs = keras.layers.Dense(horizon, name="predictions")(x)
    else:
        x = keras.layers.Dense(horizon * output_features, name="dense")(x)
        outputs = keras.layers.Reshape((horizon, output_features), name="predictions")(
            x
        )
    return keras.Model(inputs, outputs, name=name)
