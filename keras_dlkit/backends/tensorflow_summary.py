"""TensorBoard images through ``tf.summary``, on any Keras backend.

Imported by name (not through ``backend_module``): TensorBoard files are
written by TensorFlow whatever backend Keras runs on, as Keras's own
``TensorBoard`` callback does. Importing it raises ``ImportError`` when
TensorFlow is not installed.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


class ImageWriter:
    """Writes images to a TensorBoard log directory."""

    def __init__(self, log_dir: str) -> None:
        self._writer = tf.summary.create_file_writer(log_dir)

    def image(self, name: str, image: np.ndarray, step: int) -> None:
        """Log ``image`` (``(1, height, width, channels)``, values in [0, 1])."""
        with self._writer.as_default():
            tf.summary.image(name, image, step=step)
        self._writer.flush()

    def flush(self) -> None:
        """Write what is buffered."""
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the file."""
        self._writer.close()
