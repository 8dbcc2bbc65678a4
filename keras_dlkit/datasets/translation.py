"""English-to-French message pairs from Django's and Sphinx's catalogs."""

from __future__ import annotations

import json
import os
import re
import struct
import tempfile

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.datasets import _cache, _sources

NAME = "translation-en-fr"
PAIRS_FILE = "pairs.json"
FILES = (PAIRS_FILE,)
ARCHIVES = (_sources.DJANGO, _sources.SPHINX)

_LETTER = re.compile(r"[^\W\d_]")


def _is_french_catalog(member: str) -> bool:
    return "/locale/fr/LC_MESSAGES/" in member and member.endswith(".mo")


def parse_mo(data: bytes) -> list[tuple[str, str]]:
    """Singular messages of a GNU gettext ``.mo`` catalog.

    Drops the metadata entry, plural entries and empty translations, and
    the context of contextual messages (``msgctxt``).

    Args:
        data: The bytes of a ``.mo`` file (UTF-8 encoded messages).

    Returns:
        ``(msgid, msgstr)`` pairs, in catalog order.

    Raises:
        ValueError: when ``data`` is not a ``.mo`` file.
    """
    if len(data) < 20:
        raise ValueError("`data` is too short to be a .mo catalog.")
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0x950412DE:
        order = "<"
    elif magic == 0xDE120495:
        order = ">"
    else:
        raise ValueError(f"`data` is not a .mo catalog (magic {magic:#x}).")
    _, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    pairs = []
    for index in range(count):
        length, offset = struct.unpack_from(order + "2I", data, originals + 8 * index)
        msgid = data[offset : offset + length]
        length, offset = struct.unpack_from(
            order + "2I", data, translations + 8 * index
        )
        msgstr = data[offset : offset + length]
        if not msgid or b"\x00" in msgid or not msgstr:
            continue
        english = msgid.split(b"\x04")[-1].decode("utf-8")
        pairs.append((english, msgstr.decode("utf-8")))
    return pairs


def _pairs_json(catalogs: dict[str, bytes]) -> str:
    seen = set()
    pairs = []
    for member in sorted(catalogs):
        for english, french in parse_mo(catalogs[member]):
            english, french = english.strip(), french.strip()
            if not french or not _LETTER.search(english) or english in seen:
                continue
            seen.add(english)
            pairs.append([english, french])
    return json.dumps(pairs, ensure_ascii=False, indent=0)


def _download(directory: str) -> None:
    catalogs = {}
    with tempfile.TemporaryDirectory(dir=directory) as workdir:
        for archive in ARCHIVES:
            catalogs.update(
                _sources.download_members(archive, _is_french_catalog, workdir)
            )
    _cache.atomic_write_text(os.path.join(directory, PAIRS_FILE), _pairs_json(catalogs))


def seed_translation(directory: str) -> str:
    """Write ``pairs.json`` into ``directory``; say where from."""
    catalogs = {}
    sources = []
    with tempfile.TemporaryDirectory(dir=directory) as workdir:
        for archive in ARCHIVES:
            members, how = _sources.archive_members(
                archive, _is_french_catalog, workdir
            )
            catalogs.update(members)
            sources.append(how)
    _cache.atomic_write_text(os.path.join(directory, PAIRS_FILE), _pairs_json(catalogs))
    return "; ".join(sources)


@keras_dlkit_export("keras_dlkit.datasets.load_translation_pairs")
def load_translation_pairs(max_words: int | None = None) -> list[tuple[str, str]]:
    """Load English-to-French message pairs, for sequence-to-sequence models.

    The singular messages of the French gettext catalogs (``.mo`` files) of
    Django 5.2.19 (core and contrib apps, ``django`` and ``djangojs``
    domains) and Sphinx 9.0.4, read from their wheels. Metadata, plural and
    untranslated entries are dropped, as are messages without a letter;
    whitespace is stripped; an English message keeps its first
    translation. Messages can hold format placeholders (``%(name)s``,
    ``{0}``) and line breaks. Cached in
    ``$KERAS_HOME/datasets/translation-en-fr/pairs.json``; downloaded from the
    wheels' PyPI addresses on first use, or seeded offline by
    ``python -m keras_dlkit.datasets seed translation-en-fr``.

    Source and licence: translations by the Django (BSD-3-Clause) and Sphinx
    (BSD-2-Clause) translation teams, under their projects' licences.

    Args:
        max_words: If given, keep only pairs whose English side has at most
            this many whitespace-separated words (a positive int).

    Returns:
        A list of ``(english, french)`` string tuples; 1,652 pairs in all.

    Raises:
        ValueError: for a ``max_words`` that is not a positive int.
        DatasetNotFoundError: when the cache is empty and the download
            fails; the message names the seed command.

    Example:

    >>> from keras_dlkit.datasets import load_translation_pairs
    >>> pairs = load_translation_pairs(max_words=8)  # doctest: +SKIP
    >>> ("Save", "Enregistrer") in pairs  # doctest: +SKIP
    True
    """
    if max_words is not None and (
        isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1
    ):
        raise ValueError(
            f"`max_words` must be None or a positive int, got {max_words!r}."
        )
    directory = _cache.ensure(NAME, FILES, _download, "PyPI (django, sphinx wheels)")
    with open(os.path.join(directory, PAIRS_FILE), encoding="utf-8") as handle:
        pairs = [(english, french) for english, french in json.load(handle)]
    if max_words is not None:
        pairs = [pair for pair in pairs if len(pair[0].split()) <= max_words]
    return pairs
