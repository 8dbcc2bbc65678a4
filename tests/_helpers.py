"""Helpers the test modules share (import them as ``from _helpers import ...``).

``tests/conftest.py`` sits in this folder, so pytest puts the folder on
``sys.path`` and every test module can import these by name.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


def to_np(x: Any) -> np.ndarray:
    """A tensor or variable of any backend as a NumPy array of its own dtype."""
    return np.asarray(keras.ops.convert_to_numpy(x))


def to_np64(x: Any) -> np.ndarray:
    """A tensor or variable as float64 NumPy, for comparison with a float64 reference."""
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)
