"""A callback that draws a grid of generated samples every few epochs.

The noise (and, for a conditional GAN, the labels) is drawn once, with NumPy,
when training begins, so successive grids show how the *same* latent points
evolve. The trainer's own noise stream is not touched: adding the callback
does not change training. Grids are kept in memory, written as PNG files
(atomically) and, when TensorFlow is importable, logged to TensorBoard.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.atomic import atomic_write_bytes
from keras_dlkit.utils.validation import check_int


@keras_dlkit_export("keras_dlkit.callbacks.make_image_grid")
def make_image_grid(
    images: Any,
    rows: int,
    cols: int,
    padding: int = 0,
    pad_value: float | int = 0.0,
) -> np.ndarray:
    """Tile images into one ``rows x cols`` grid, row by row (NumPy).

    Args:
        images: Array of shape ``(n, height, width)`` or
            ``(n, height, width, channels)`` with ``n <= rows * cols``;
            missing cells are filled with ``pad_value``.
        rows: Number of rows (>= 1).
        cols: Number of columns (>= 1).
        padding: Pixels between neighbouring cells and around the grid (>= 0).
        pad_value: Value of the padding and of empty cells.

    Returns:
        An array of shape ``(rows * (height + padding) + padding,
        cols * (width + padding) + padding[, channels])``, the input's
        dtype (or its promotion with ``pad_value``).

    Raises:
        ValueError: If ``images`` has the wrong rank or more than
            ``rows * cols`` images.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.callbacks import make_image_grid
    >>> images = np.arange(6 * 2 * 2).reshape(6, 2, 2)
    >>> grid = make_image_grid(images, rows=2, cols=3)
    >>> grid.shape
    (4, 6)
    >>> grid[:2, 2:4].tolist() == images[1].tolist()
    True
    >>> make_image_grid(images[:5], 2, 3, padding=1, pad_value=-1).shape
    (7, 10)
    """
    rows = check_int("rows", rows, minimum=1)
    cols = check_int("cols", cols, minimum=1)
    padding = check_int("padding", padding, minimum=0)
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(
            "`images` must have shape (n, height, width) or (n, height, width, "
            f"channels), got shape {images.shape}."
        )
    n, height, width = images.shape[:3]
    if n > rows * cols:
        raise ValueError(
            f"`images` holds {n} images, more than `rows` * `cols` = "
            f"{rows} * {cols} = {rows * cols} cells; raise rows or cols."
        )
    channels = images.shape[3:]
    dtype = np.result_type(images.dtype, pad_value)
    step_h, step_w = height + padding, width + padding
    grid = np.full(
        (rows * step_h + padding, cols * step_w + padding, *channels),
        pad_value,
        dtype=dtype,
    )
    for i in range(n):
        top = padding + (i // cols) * step_h
        left = padding + (i % cols) * step_w
        grid[top : top + height, left : left + width] = images[i]
    return grid


def _encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8 image ``(h, w)``, ``(h, w, 3)`` or ``(h, w, 4)``."""
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        return buffer.getvalue()
    try:
        from matplotlib import image as mpl_image
    except ImportError:
        raise ImportError(
            "SampleGrid needs Pillow or matplotlib to write PNG files: "
            "`pip install pillow` (or `pip install 'keras-dlkit[data]'`), or "
            "pass directory=None to keep the grids in memory only."
        ) from None
    buffer = io.BytesIO()
    cmap = "gray" if image.ndim == 2 else None
    mpl_image.imsave(buffer, image, format="png", cmap=cmap, vmin=0, vmax=255)
    return buffer.getvalue()


@keras_dlkit_export("keras_dlkit.callbacks.SampleGrid")
class SampleGrid(keras.callbacks.Callback):
    """Save a grid of samples from fixed noise every ``every_n_epochs`` epochs.

    Works with any trainer holding a ``generator`` whose first input is noise
    ``(batch, latent_dim)`` (:class:`~keras_dlkit.training.GAN`, DCGAN, ...)
    and with :class:`~keras_dlkit.training.ConditionalGAN`, whose generator
    also takes labels: by default row ``r`` of the grid shows class
    ``r % num_classes``, so ``rows=num_classes`` gives one row per class.
    The noise is ``N(0, 1)`` from ``numpy.random.default_rng(seed)``, drawn
    once at the first ``on_train_begin`` (and kept across ``fit()`` calls):
    with unchanged weights two grids are identical.

    Each grid (values mapped from ``value_range`` to ``[0, 1]``, clipped) is
    appended to :attr:`grids` as ``(epoch, image)`` with ``epoch`` counted
    from 1; written as ``directory/filename.format(epoch=epoch)``, atomically,
    when ``directory`` is given (needs Pillow or matplotlib); and logged as
    the image summary ``"samples"`` at step ``epoch`` when ``log_dir`` is
    given and TensorFlow is importable (on any Keras backend).

    Args:
        directory: Folder of the PNG files (created), or ``None``.
        rows: Rows of the grid.
        cols: Columns of the grid.
        every_n_epochs: Draw after every this many epochs (and after the
            last epoch of a fit).
        labels: Conditional GANs only: the ``rows * cols`` class labels, row
            by row; default row ``r`` is class ``r % num_classes``.
        seed: Seed of the fixed noise.
        value_range: ``(low, high)`` of the generator's output (``(-1, 1)``
            for tanh, ``(0, 1)`` for sigmoid).
        padding: Pixels between cells (white).
        log_dir: TensorBoard log folder, or ``None``.
        filename: File name pattern with an ``{epoch}`` field.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.callbacks import SampleGrid
    >>> from keras_dlkit.models import create_model
    >>> gan = create_model("gan", image_shape=(4, 4, 1), latent_dim=2,
    ...                    generator_units=(8,), discriminator_units=(8,))
    >>> gan.compile()
    >>> grid = SampleGrid(directory=None, rows=2, cols=3)
    >>> _ = gan.fit(np.zeros((8, 4, 4, 1), "float32"), batch_size=4, epochs=2,
    ...             verbose=0, callbacks=[grid])
    >>> [(epoch, image.shape) for epoch, image in grid.grids]
    [(1, (11, 16)), (2, (11, 16))]
    """

    def __init__(
        self,
        directory: str | os.PathLike | None,
        rows: int = 4,
        cols: int = 8,
        every_n_epochs: int = 1,
        labels: Sequence[int] | None = None,
        seed: int = 0,
        value_range: tuple[float, float] = (-1.0, 1.0),
        padding: int = 1,
        log_dir: str | os.PathLike | None = None,
        filename: str = "samples_epoch_{epoch:04d}.png",
    ) -> None:
        super().__init__()
        self.rows = check_int("rows", rows, minimum=1)
        self.cols = check_int("cols", cols, minimum=1)
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs, minimum=1)
        self.seed = check_int("seed", seed)
        self.padding = check_int("padding", padding, minimum=0)
        if (
            not isinstance(value_range, (tuple, list))
            or len(value_range) != 2
            or not float(value_range[0]) < float(value_range[1])
        ):
            raise ValueError(
                "`value_range` must be (low, high) with low < high, got "
                f"{value_range!r}."
            )
        self.value_range = (float(value_range[0]), float(value_range[1]))
        if labels is not None:
            labels = np.asarray(labels)
            if (
                labels.shape != (self.rows * self.cols,)
                or labels.dtype.kind not in "iu"
            ):
                raise ValueError(
                    f"`labels` must be {self.rows * self.cols} (rows * cols) "
                    f"integers, got shape {labels.shape} of dtype {labels.dtype}."
                )
        self.labels = labels
        if not isinstance(filename, str) or "{epoch" not in filename:
            raise ValueError(
                f"`filename` must be a string with an {{epoch}} field, got {filename!r}."
            )
        self.directory = None if directory is None else os.fspath(directory)
        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        self.filename = filename
        self.grids: list[tuple[int, np.ndarray]] = []
        self._inputs = None
        self._writer = None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments.

        Returns:
            A JSON-serializable dict.
        """
        return {
            "directory": self.directory,
            "rows": self.rows,
            "cols": self.cols,
            "every_n_epochs": self.every_n_epochs,
            "labels": None if self.labels is None else self.labels.tolist(),
            "seed": self.seed,
            "value_range": list(self.value_range),
            "padding": self.padding,
            "log_dir": self.log_dir,
            "filename": self.filename,
        }

    # -- what is drawn ------------------------------------------------------------------

    def _generator(self) -> keras.Model:
        generator = getattr(self.model, "generator", None)
        if not isinstance(generator, keras.Model):
            raise ValueError(
                "SampleGrid needs a trainer with a `generator` (a GAN from "
                f"keras_dlkit.training), got {type(self.model).__name__}."
            )
        return generator

    def _fixed_inputs(self) -> list[np.ndarray]:
        generator = self._generator()
        n = self.rows * self.cols
        latent_dim = int(generator.inputs[0].shape[-1])
        rng = np.random.default_rng(self.seed)
        z = rng.standard_normal((n, latent_dim)).astype("float32")
        if len(generator.inputs) == 1:
            return [z]
        num_classes = getattr(self.model, "num_classes", None)
        labels = self.labels
        if labels is None:
            if num_classes is None:
                raise ValueError(
                    "SampleGrid: the generator takes labels but the trainer has "
                    "no `num_classes`; pass `labels`."
                )
            labels = np.repeat(np.arange(self.rows) % num_classes, self.cols)
        label_shape = tuple(generator.inputs[1].shape[1:])
        return [z, labels.astype("int32").reshape((n, *label_shape))]

    def sample_images(self) -> np.ndarray:
        """The generator's samples on the fixed inputs, in ``[0, 1]``.

        Returns:
            A float32 array ``(rows * cols, height, width[, channels])``.
        """
        if self._inputs is None:
            self._inputs = self._fixed_inputs()
        generator = self._generator()
        inputs = self._inputs[0] if len(self._inputs) == 1 else self._inputs
        images = ops.convert_to_numpy(generator(inputs, training=False))
        low, high = self.value_range
        images = (np.asarray(images, dtype="float32") - low) / (high - low)
        return np.clip(images, 0.0, 1.0)

    def make_grid(self) -> np.ndarray:
        """The current samples tiled into the grid, in ``[0, 1]``.

        Returns:
            A float32 array ``(H, W)`` for one channel, ``(H, W, C)`` otherwise.
        """
        images = self.sample_images()
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        return make_image_grid(
            images, self.rows, self.cols, padding=self.padding, pad_value=1.0
        )

    # -- callback hooks -----------------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Draw the fixed noise (once) and check the trainer."""
        if self._inputs is None:
            self._inputs = self._fixed_inputs()
        self._last_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Draw, save and log a grid every ``every_n_epochs`` epochs."""
        if (epoch + 1) % self.every_n_epochs == 0:
            self._draw(epoch + 1)
        self._last_epoch = epoch + 1

    def on_train_end(self, logs: dict | None = None) -> None:
        """Draw the last epoch if it was skipped; flush TensorBoard."""
        last = getattr(self, "_last_epoch", None)
        if last is not None and (not self.grids or self.grids[-1][0] != last):
            self._draw(last)
        if self._writer is not None:
            self._writer.flush()

    def _draw(self, epoch: int) -> None:
        grid = self.make_grid()
        self.grids.append((epoch, grid))
        if self.directory is not None:
            pixels = np.round(grid * 255.0).astype(np.uint8)
            path = os.path.join(self.directory, self.filename.format(epoch=epoch))
            atomic_write_bytes(path, _encode_png(pixels))
        if self.log_dir is not None:
            self._log_to_tensorboard(grid, epoch)

    def _log_to_tensorboard(self, grid: np.ndarray, epoch: int) -> None:
        if self._writer is None:
            try:
                from keras_dlkit.backends.tensorflow_summary import ImageWriter
            except ImportError:
                warnings.warn(
                    "SampleGrid: `log_dir` is set but TensorFlow is not "
                    "importable; grids are not logged to TensorBoard.",
                    stacklevel=2,
                )
                self.log_dir = None
                return
            self._writer = ImageWriter(self.log_dir)
        image = grid[None, ..., None] if grid.ndim == 2 else grid[None]
        self._writer.image("samples", image, step=epoch)
