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
    "generation",
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
        # A name kept in an older namespace after its symbol moved (an alias)
        # is documented once, under its public path; the older page links it.
        symbols, aliases = [], []
        for symbol in sorted(module.__all__):
            path = getattr(getattr(module, symbol), "_keras_dlkit_path", None)
            home = f"keras_dlkit.{name}.{symbol}"
            (symbols if path in (None, home) else aliases).append((symbol, path))
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
            lines += [f"   {symbol}" for symbol, _ in symbols]
            if aliases:
                lines += [
                    "",
                    "Also importable from here, documented where they live:",
                    "",
                ]
                lines += [f"* ``{symbol}``: :obj:`{path}`" for symbol, path in aliases]
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
