"""Atomic file writes: a reader sees the old file or the new one, never half.

Every writer here writes a temporary file in the destination's own folder,
flushes it and syncs it to disk (``os.fsync``), moves it onto the destination
with ``os.replace`` and then syncs the folder, so that the rename itself
survives a power loss. A process killed at any point leaves the previous
file intact; at worst a stray temporary file remains, which
:func:`is_temporary_file` recognises and :func:`remove_temporary_files`
deletes.

Temporary files are hidden (their name starts with ``.``), contain
``.dlkit-tmp`` and end with the destination's extension (everything from the
first dot of its name, e.g. ``.keras``, ``.weights.h5``, ``.npz``), so that
writers which insist on an extension (``keras.Model.save``, ``numpy.savez``)
accept them.

This module imports only the standard library.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable

#: Marker in the name of every temporary file written here.
TEMP_MARKER = ".dlkit-tmp"

#: Mode of the files written here (like ``open()`` under the usual umask 022).
FILE_MODE = 0o644


def _split_extension(basename: str) -> str:
    """Everything from the first dot after the first character, or ``""``."""
    dot = basename.find(".", 1)
    return basename[dot:] if dot > 0 else ""


def is_temporary_file(name: str) -> bool:
    """Whether a file name (no folder) is one of our temporary files."""
    return name.startswith(".") and TEMP_MARKER in name


def fsync_directory(directory: str) -> None:
    """Flush a folder's entries (a rename into it) to disk.

    A no-op on Windows, which cannot open a folder; file systems that refuse
    to sync a folder (``EINVAL``, ``ENOTSUP``, ...) are ignored too.
    """
    if os.name == "nt":  # pragma: no cover - not exercised on POSIX CI
        return
    fd = os.open(directory or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EPERM):
            raise
    finally:
        os.close(fd)


def _fsync_file(path: str) -> None:
    # "r+b" (not "rb") so that os.fsync also works on Windows.
    with open(path, "r+b") as handle:
        handle.flush()
        os.fsync(handle.fileno())


def _temporary_path(path: str) -> tuple[int, str]:
    directory = os.path.dirname(path) or "."
    basename = os.path.basename(path)
    return tempfile.mkstemp(
        dir=directory,
        prefix=f".{basename}.",
        suffix=TEMP_MARKER + _split_extension(basename),
    )


def atomic_write(path: str, writer: Callable[[str], object]) -> None:
    """Create or replace ``path`` atomically with whatever ``writer`` writes.

    ``writer`` is called with the path of an empty temporary file in the same
    folder, whose name ends with the extension of ``path``; it must write the
    complete file there and close it (``lambda tmp: model.save(tmp)``,
    ``lambda tmp: numpy.savez(tmp, **arrays)``). The file is then synced to
    disk, renamed onto ``path`` with ``os.replace`` and the folder synced.
    The folder is created if needed.

    If ``writer`` raises, the temporary file is removed and ``path`` is left
    untouched; if the process dies, ``path`` is untouched too and a temporary
    file may remain (see :func:`remove_temporary_files`).

    Args:
        path: Destination file.
        writer: Callable writing the whole file to the path it is given.
    """
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = _temporary_path(path)
    os.close(fd)
    try:
        writer(tmp)
        _fsync_file(tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    fsync_directory(directory)


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Create or replace ``path`` atomically with ``data``.

    Args:
        path: Destination file; its folder is created if needed.
        data: The complete new content.
    """

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)

    atomic_write(path, write)


def atomic_write_text(path: str, text: str) -> None:
    """Create or replace ``path`` atomically with UTF-8 ``text``."""
    atomic_write_bytes(path, text.encode("utf-8"))


def remove_temporary_files(directory: str) -> list[str]:
    """Delete the temporary files a killed writer left in ``directory``.

    Only call it when no other process is writing into ``directory``.

    Returns:
        The names of the files removed (sorted); empty if the folder does not
        exist.
    """
    if not os.path.isdir(directory):
        return []
    removed = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if is_temporary_file(name) and os.path.isfile(path):
            try:
                os.remove(path)
            except FileNotFoundError:
                continue
            removed.append(name)
    return removed
