"""Fashion-MNIST, through ``keras.datasets.fashion_mnist.load_data()``."""

from __future__ import annotations

import gzip
import os
import tempfile

import keras
import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.datasets import _cache, _sources
from keras_dlkit.utils import keras_compat

NAME = "fashion-mnist"
FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
# The address keras.datasets.fashion_mnist downloads from.
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = "usr/share/datasets/fashion-mnist"

#: The ten class names, indexed by label.
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def _download(directory: str) -> None:
    for fname in FILES:
        if not os.path.isfile(os.path.join(directory, fname)):
            _cache.download(ORIGIN + fname, directory, fname)


def seed_fashion_mnist(directory: str) -> str:
    """Put the four ``.gz`` files into ``directory``; say where from."""
    with tempfile.TemporaryDirectory(dir=directory) as workdir:
        try:
            members = [f"{DEBIAN_DIR}/{fname}" for fname in FILES]
            files, how = _sources.debian_members(DEBIAN_PACKAGE, members, workdir)
        except _sources.SourceUnavailable as error:
            return _sources.download_instead(error, _download, directory, ORIGIN)
    for member, data in files.items():
        _cache.atomic_write_bytes(
            os.path.join(directory, os.path.basename(member)), data
        )
    return how


def _keras_reads(directory: str) -> bool:
    """Whether ``keras.datasets.fashion_mnist`` reads this very folder.

    Keras fixes its home folder when it is imported; ``KERAS_HOME`` may have
    changed since.
    """
    try:
        home = keras_compat.keras_home()
    except ImportError:  # pragma: no cover - private path moved
        return False
    theirs = os.path.join(home, "datasets", NAME)
    return (
        os.access(home, os.W_OK)
        and os.path.isdir(theirs)
        and os.path.samefile(theirs, directory)
    )


def _read(directory: str):
    """Parse the four files exactly as ``keras.datasets`` does."""
    paths = [os.path.join(directory, fname) for fname in FILES]
    with gzip.open(paths[0], "rb") as handle:
        y_train = np.frombuffer(handle.read(), np.uint8, offset=8)
    with gzip.open(paths[1], "rb") as handle:
        x_train = np.frombuffer(handle.read(), np.uint8, offset=16).reshape(
            len(y_train), 28, 28
        )
    with gzip.open(paths[2], "rb") as handle:
        y_test = np.frombuffer(handle.read(), np.uint8, offset=8)
    with gzip.open(paths[3], "rb") as handle:
        x_test = np.frombuffer(handle.read(), np.uint8, offset=16).reshape(
            len(y_test), 28, 28
        )
    return (x_train, y_train), (x_test, y_test)


@keras_dlkit_export("keras_dlkit.datasets.load_fashion_mnist")
def load_fashion_mnist():
    """Load Fashion-MNIST, 60,000 training and 10,000 test images.

    This is ``keras.datasets.fashion_mnist.load_data()``: the same files, in
    the same cache folder (``$KERAS_HOME/datasets/fashion-mnist/``), read by
    Keras itself. When the files are missing they are downloaded from Keras's
    address; offline, ``python -m keras_dlkit.datasets seed fashion-mnist``
    copies them from the Debian package ``dataset-fashion-mnist``, after which
    ``keras.datasets.fashion_mnist.load_data()`` works unchanged too.

    Source and licence: Zalando Research, Fashion-MNIST; MIT licence.
    Class names by label: :data:`FASHION_MNIST_CLASSES`.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: ``x_train`` uint8 of shape
        ``(60000, 28, 28)``, ``y_train`` uint8 ``(60000,)`` in ``0..9``,
        ``x_test`` uint8 ``(10000, 28, 28)``, ``y_test`` uint8 ``(10000,)``.
        Pixels are in ``0..255``.

    Raises:
        DatasetNotFoundError: when the files are missing and cannot be
            downloaded; the message names the seed command.

    Example:

    >>> from keras_dlkit.datasets import load_fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_test.shape  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), (10000,))
    """
    directory = _cache.ensure(NAME, FILES, _download, ORIGIN)
    if _keras_reads(directory):
        return keras.datasets.fashion_mnist.load_data()
    return _read(directory)
