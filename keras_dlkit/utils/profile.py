"""The one switch that sizes every gallery example."""

from __future__ import annotations

import os
import shutil
import subprocess

from keras_dlkit.api_export import keras_dlkit_export

PROFILES = ("quick", "full")


def _gpu_visible() -> bool:
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        out = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


@keras_dlkit_export("keras_dlkit.utils.gallery_profile")
def gallery_profile() -> str:
    """The gallery size profile: ``"quick"`` or ``"full"``.

    Read from the ``DLKIT_GALLERY_PROFILE`` environment variable. When it is
    unset, ``"full"`` if an NVIDIA GPU is visible, else ``"quick"``. Quick
    runs an example on a 2-core CPU in well under a minute; full trains for
    real.

    Returns:
        ``"quick"`` or ``"full"``.

    Raises:
        ValueError: If ``DLKIT_GALLERY_PROFILE`` holds another value.

    Example:

    >>> import os
    >>> from keras_dlkit.utils import gallery_profile
    >>> os.environ["DLKIT_GALLERY_PROFILE"] = "quick"
    >>> gallery_profile()
    'quick'
    >>> del os.environ["DLKIT_GALLERY_PROFILE"]
    """
    value = os.environ.get("DLKIT_GALLERY_PROFILE")
    if value is None or value == "":
        return "full" if _gpu_visible() else "quick"
    if value not in PROFILES:
        raise ValueError(
            f"`DLKIT_GALLERY_PROFILE` must be one of 'quick', 'full', got {value!r}."
        )
    return value
