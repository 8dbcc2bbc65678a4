"""The cache under ``$KERAS_HOME/datasets/``: where it is, how files get there.

Every cached data set lives in ``$KERAS_HOME/datasets/<name>/`` (the layout of
``keras.datasets``), is written atomically (a temporary file in the same
folder, synced, then ``os.replace``: ``keras_dlkit.utils.atomic``), and is
either seeded by
``python -m keras_dlkit.datasets seed <name>`` or downloaded on first use
from its canonical address with ``keras.utils.get_file``.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
from collections.abc import Callable, Iterable
from types import ModuleType

import keras

# The atomic writers live in keras_dlkit.utils.atomic; re-exported here (the
# redundant aliases mark a re-export) so that ``_cache.atomic_write_bytes`` and
# ``_cache.atomic_write_text`` keep working.
from keras_dlkit.utils.atomic import atomic_write_bytes as atomic_write_bytes
from keras_dlkit.utils.atomic import atomic_write_text as atomic_write_text

SEED_COMMAND = "python -m keras_dlkit.datasets seed"


class DatasetNotFoundError(FileNotFoundError):
    """A data set is neither in the cache nor downloadable right now.

    A ``FileNotFoundError``. The message names the seed command that fills
    the cache from the package registries.

    Example:

    >>> from keras_dlkit.datasets import DatasetNotFoundError, load_nuclei
    >>> issubclass(DatasetNotFoundError, FileNotFoundError)
    True
    >>> try:  # doctest: +SKIP
    ...     image, mask, boxes = load_nuclei()
    ... except DatasetNotFoundError as error:  # offline and not seeded
    ...     print(error)  # "... python -m keras_dlkit.datasets seed nuclei ..."
    """


def keras_home() -> str:
    """Keras's home folder: ``$KERAS_HOME``, else ``~/.keras``.

    Read on every call (Keras reads it once, at import), so changing
    ``KERAS_HOME`` later moves our cache too. Like Keras, falls back to the
    system temporary folder when the home folder is not writable.
    """
    home = os.environ.get("KERAS_HOME")
    if home:
        return home
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = tempfile.gettempdir()
    return os.path.join(base, ".keras")


def dataset_dir(name: str, create: bool = False) -> str:
    """``$KERAS_HOME/datasets/<name>``, created when ``create`` is true."""
    directory = os.path.join(keras_home(), "datasets", name)
    if create:
        os.makedirs(directory, exist_ok=True)
    return directory


def seed_command(name: str) -> str:
    """The shell command that seeds one data set."""
    return f"{SEED_COMMAND} {name}"


def is_cached(name: str, files: Iterable[str]) -> bool:
    """Whether every file of a data set is in the cache (and not empty)."""
    directory = dataset_dir(name)
    for fname in files:
        path = os.path.join(directory, fname)
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            return False
    return True


def import_optional(module: str, pip_name: str | None = None) -> ModuleType:
    """Import an optional dependency, or say which extra provides it.

    Raises:
        ImportError: naming the missing package and ``keras-dlkit[data]``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = pip_name or module.split(".")[0]
        raise ImportError(
            f"This data set needs the optional package `{package}`. Install "
            f"it with `pip install {package}` or with all data-set packages: "
            "`pip install 'keras-dlkit[data]'`."
        ) from error


def sha256_of(path: str) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, directory: str, fname: str, sha256: str | None = None) -> str:
    """Download ``url`` to ``directory/fname`` with ``keras.utils.get_file``.

    This is the one place that touches the network; tests patch it.

    Returns:
        The path of the downloaded file (its SHA-256 checked if given).
    """
    os.makedirs(directory, exist_ok=True)
    return keras.utils.get_file(
        fname=fname,
        origin=url,
        file_hash=sha256,
        hash_algorithm="sha256" if sha256 else "auto",
        cache_dir=directory,
        cache_subdir="",
    )


def ensure(
    name: str,
    files: Iterable[str],
    fetch: Callable[[str], object],
    source: str,
) -> str:
    """Return the cache folder of ``name``, downloading it first if needed.

    Args:
        name: Data-set name, which is also its folder under
            ``$KERAS_HOME/datasets``.
        files: File names that must all be in that folder.
        fetch: Called with the folder when a file is missing; downloads the
            canonical files into it (through :func:`download`).
        source: Where ``fetch`` downloads from, for the error message.

    Raises:
        DatasetNotFoundError: when the download fails; the message names
            the seed command.
    """
    files = tuple(files)
    directory = dataset_dir(name)
    if is_cached(name, files):
        return directory
    try:
        os.makedirs(directory, exist_ok=True)
        fetch(directory)
    except Exception as error:
        raise DatasetNotFoundError(
            f"The data set '{name}' is not in the cache ({directory}) and "
            f"downloading it from {source} failed ({type(error).__name__}: "
            f"{error}). On a machine without internet, fill the cache from "
            f"the package registries with: `{seed_command(name)}`."
        ) from error
    if not is_cached(name, files):
        raise DatasetNotFoundError(
            f"The data set '{name}' is incomplete in {directory} after "
            f"downloading from {source}. Fill the cache with: "
            f"`{seed_command(name)}`."
        )
    return directory
