"""Faces and photographs: scikit-image, scikit-learn and OpenCV's samples."""

from __future__ import annotations

import io
import os
import tempfile

import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.datasets import _cache, _sources

NAME = "photos"
STARRY_NIGHT = "starry_night.jpg"
FILES = (STARRY_NIGHT,)
# OpenCV's sample image, at the release Debian's opencv-doc 4.6.0 ships.
STARRY_NIGHT_URL = (
    "https://raw.githubusercontent.com/opencv/opencv/4.6.0/samples/data/" + STARRY_NIGHT
)
DEBIAN_PACKAGE = "opencv-doc"
DEBIAN_MEMBER = "usr/share/doc/opencv-doc/examples/data/" + STARRY_NIGHT

#: Names accepted by :func:`load_photo`.
PHOTO_NAMES = ("astronaut", "chelsea", "coffee", "china", "flower", "starry_night")

_SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee")
_SKLEARN_PHOTOS = ("china", "flower")


def _download(directory: str) -> None:
    _cache.download(STARRY_NIGHT_URL, directory, STARRY_NIGHT)


def seed_photos(directory: str) -> str:
    """Put ``starry_night.jpg`` into ``directory`` and check the others."""
    with tempfile.TemporaryDirectory(dir=directory) as workdir:
        try:
            files, how = _sources.debian_members(
                DEBIAN_PACKAGE, [DEBIAN_MEMBER], workdir
            )
            _cache.atomic_write_bytes(
                os.path.join(directory, STARRY_NIGHT), files[DEBIAN_MEMBER]
            )
        except _sources.SourceUnavailable as error:
            how = _sources.download_instead(
                error, _download, directory, STARRY_NIGHT_URL
            )
    return f"starry_night {how}; the others bundled with scikit-image/scikit-learn"


@keras_dlkit_export("keras_dlkit.datasets.load_lfw_faces")
def load_lfw_faces(include_non_faces: bool = False) -> np.ndarray:
    """Load scikit-image's 25x25 grey crops from Labeled Faces in the Wild.

    Read from scikit-image's bundled copy (``pip install
    'keras-dlkit[data]'``); nothing is cached or downloaded.

    Source and licence: a subset of LFW (University of Massachusetts
    Amherst, free for research use), as bundled with scikit-image
    (BSD-3-Clause). The non-faces are background crops from the same photos.

    Args:
        include_non_faces: Also return the 100 non-face crops, after the
            faces.

    Returns:
        float32 array in ``[0, 1]`` of shape ``(100, 25, 25)``, or
        ``(200, 25, 25)`` with ``include_non_faces=True`` (faces first, so
        ``labels = np.arange(200) < 100`` marks the faces).

    Example:

    >>> from keras_dlkit.datasets import load_lfw_faces
    >>> faces = load_lfw_faces()
    >>> faces.shape, faces.dtype
    ((100, 25, 25), dtype('float32'))
    """
    if not isinstance(include_non_faces, bool):
        raise ValueError(
            "`include_non_faces` must be a bool, got "
            f"{include_non_faces!r} of type {type(include_non_faces).__name__}."
        )
    data = _cache.import_optional("skimage.data", "scikit-image")
    images = np.asarray(data.lfw_subset())
    if images.dtype == np.uint8:  # the documented dtype of some versions
        images = images / 255.0
    images = images.astype(np.float32)
    return images if include_non_faces else images[:100]


@keras_dlkit_export("keras_dlkit.datasets.load_photo")
def load_photo(name: str) -> np.ndarray:
    """Load one colour photograph, for style transfer and image examples.

    ``"astronaut"``, ``"chelsea"`` and ``"coffee"`` come from scikit-image,
    ``"china"`` and ``"flower"`` from scikit-learn (both bundled with those
    packages), ``"starry_night"`` (van Gogh's painting, OpenCV's sample) from
    ``$KERAS_HOME/datasets/photos/``, downloaded from OpenCV's GitHub on
    first use, or seeded offline from the Debian package ``opencv-doc`` by
    ``python -m keras_dlkit.datasets seed photos``.

    Licences: astronaut (NASA), public domain; chelsea and coffee, CC0;
    china and flower, CC BY 2.0 (Flickr users danielbuechele and vultilion);
    The Starry Night (1889), public domain, image file from OpenCV's samples
    (Apache-2.0).

    Args:
        name: One of :data:`PHOTO_NAMES`.

    Returns:
        uint8 array of shape ``(height, width, 3)``, RGB in ``0..255``:
        astronaut ``(512, 512, 3)``, chelsea ``(300, 451, 3)``, coffee
        ``(400, 600, 3)``, china and flower ``(427, 640, 3)``,
        starry_night ``(600, 752, 3)``.

    Raises:
        ValueError: for a name not in :data:`PHOTO_NAMES`.
        DatasetNotFoundError: when ``"starry_night"`` is missing and cannot
            be downloaded; the message names the seed command.

    Example:

    >>> from keras_dlkit.datasets import load_photo
    >>> load_photo("chelsea").shape
    (300, 451, 3)
    >>> load_photo("starry_night").shape  # doctest: +SKIP
    (600, 752, 3)
    """
    if name not in PHOTO_NAMES:
        raise ValueError(f"`name` must be one of {PHOTO_NAMES}, got {name!r}.")
    if name in _SKIMAGE_PHOTOS:
        data = _cache.import_optional("skimage.data", "scikit-image")
        return np.asarray(getattr(data, name)(), dtype=np.uint8)
    if name in _SKLEARN_PHOTOS:
        datasets = _cache.import_optional("sklearn.datasets", "scikit-learn")
        return np.asarray(datasets.load_sample_image(name + ".jpg"), dtype=np.uint8)
    directory = _cache.ensure(NAME, FILES, _download, STARRY_NIGHT_URL)
    image_module = _cache.import_optional("PIL.Image", "pillow")
    with open(os.path.join(directory, STARRY_NIGHT), "rb") as handle:
        data = handle.read()
    with image_module.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
