"""Tensors of any backend as NumPy arrays."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


def to_numpy(x: Any, copy: bool = False) -> np.ndarray:
    """``x`` (a tensor, variable, NumPy array or Python number) as a NumPy array.

    A ``keras.Variable`` is read through its ``value``. With ``copy=True`` the
    result never shares memory with ``x`` (a snapshot that later updates of
    the variable leave alone).

    Args:
        x: A tensor of the active backend, a ``keras.Variable``, a NumPy array,
            or a Python number or list.
        copy: Whether to return a fresh copy.

    Returns:
        A NumPy array of ``x``'s dtype.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.arrays import to_numpy
    >>> v = keras.Variable([1.0, 2.0])
    >>> snapshot = to_numpy(v, copy=True)
    >>> _ = v.assign([3.0, 4.0])
    >>> snapshot.tolist(), to_numpy(v).tolist()
    ([1.0, 2.0], [3.0, 4.0])
    """
    if isinstance(x, keras.Variable):
        x = x.value
    if isinstance(x, np.ndarray):
        array = x
    else:
        try:
            array = np.asarray(keras.ops.convert_to_numpy(x))
        except Exception:  # Python scalars and lists.
            array = np.asarray(x)
    return np.array(array, copy=True) if copy else array
