"""Writes one autosummary page per public namespace from its ``__all__``.

The API reference is generated, never hand-kept, so every public symbol
appears in it (a test checks that every exported symbol is in a namespace's
``__all__``).
"""

import importlib
import pathlib

NAMESPACES = (
    "layers",
    "blocks",
    "models",
    "training",
    "schedules",
    "callbacks",
    "optimizers",
    "losses",
    "boxes",
    "datasets",
    "testing",
    "utils",
)


def write_api_pages(directory: pathlib.Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    toc = []
    for name in NAMESPACES:
        module = importlib.import_module(f"keras_dlkit.{name}")
        symbols = sorted(module.__all__)
        title = f"keras_dlkit.{name}"
        lines = [
            title,
            "=" * len(title),
            "",
            f".. automodule:: keras_dlkit.{name}",
            "   :no-members:",
            "",
        ]
        if symbols:
            lines += [".. autosummary::", "   :toctree: generated", ""]
            lines += [f"   {symbol}" for symbol in symbols]
        else:
            lines += [
                "Nothing is public here yet: this namespace fills as its family lands."
            ]
        page = directory / f"{name}.rst"
        text = "\n".join(lines) + "\n"
        if not page.exists() or page.read_text() != text:
            page.write_text(text)
        toc.append(f"   {name}")
    index = (
        "\n".join(
            [
                "API reference",
                "=============",
                "",
                "Every public symbol of keras_dlkit, by namespace.",
                "",
                ".. toctree::",
                "   :maxdepth: 1",
                "",
                *toc,
            ]
        )
        + "\n"
    )
    page = directory / "index.rst"
    if not page.exists() or page.read_text() != index:
        page.write_text(index)
