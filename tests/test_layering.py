"""The packages import downwards only, and nobody borrows another package's privates.

The floors are the map of ``docs/user_guide/architecture.rst``: a package may
import the packages on lower floors (and itself), never one on its own floor
or above. Every import is read, at any depth (inside functions too), so a
lazy import cannot hide an arrow that runs back up.

A private module or name (one whose name starts with ``_``) may be imported
only from inside the package that holds it: ``keras_dlkit.models._common`` by
the model families, ``keras_dlkit.blocks._residual`` by the blocks, but not
``keras_dlkit.blocks._residual`` by a model.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_dlkit"

#: Floor of each top-level module or package of keras_dlkit (keep in step
#: with docs/user_guide/architecture.rst).
FLOORS = {
    "api_export": 0,
    "utils": 1,
    "backends": 2,
    "layers": 3,
    "losses": 3,
    "optimizers": 3,
    "schedules": 3,
    "boxes": 3,
    "datasets": 4,
    "blocks": 4,
    "callbacks": 4,
    "generation": 4,
    "training": 5,
    "models": 6,
    "testing": 7,
}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, imported name)`` for every import in ``source``, at any depth.

    ``from a.b import c`` gives ``a.b.c`` (``c`` may be a module or a name);
    relative imports are resolved against ``module``.
    """
    found = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return sorted(found)


def _is_module(parts: list[str]) -> bool:
    return PACKAGE.parent.joinpath(*parts).with_suffix(".py").is_file()


def offences(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every upward or sideways import and every borrowed private of ``module``."""
    problems = []
    own = module.split(".")
    for line, name in imports_of(source, module, is_package):
        parts = name.split(".")
        if parts[0] != "keras_dlkit" or len(parts) < 2:
            continue
        source_top, target_top = own[1] if len(own) > 1 else "", parts[1]
        if source_top in FLOORS and target_top in FLOORS and source_top != target_top:
            if FLOORS[target_top] >= FLOORS[source_top]:
                problems.append(
                    f"line {line}: {module} (floor {FLOORS[source_top]}) imports "
                    f"{name} (floor {FLOORS[target_top]})"
                )
        for depth, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                # The package that holds the private part: a private module
                # belongs to its package, a private name to its module's.
                holder = parts[:depth]
                if _is_module(holder):
                    holder = holder[:-1]
                if own[: len(holder)] != holder:
                    problems.append(
                        f"line {line}: {module} borrows {name}, private to "
                        f"{'.'.join(holder)}"
                    )
                break
    return problems


def test_checker_catches_upward_and_private_imports():
    source = (
        "from keras_dlkit.utils.validation import check_int\n"
        "from keras_dlkit.blocks._residual import ResidualBase\n"
        "def later():\n"
        "    from keras_dlkit.models import create_model\n"
        "from keras_dlkit.models._common import check_name\n"
        "from . import _private_helper\n"
        "from ..layers.sampling import Sampling\n"
    )
    assert offences(source, "keras_dlkit.layers.example") == [
        "line 2: keras_dlkit.layers.example (floor 3) imports "
        "keras_dlkit.blocks._residual.ResidualBase (floor 4)",
        "line 2: keras_dlkit.layers.example borrows "
        "keras_dlkit.blocks._residual.ResidualBase, private to keras_dlkit.blocks",
        "line 4: keras_dlkit.layers.example (floor 3) imports "
        "keras_dlkit.models.create_model (floor 6)",
        "line 5: keras_dlkit.layers.example (floor 3) imports "
        "keras_dlkit.models._common.check_name (floor 6)",
        "line 5: keras_dlkit.layers.example borrows "
        "keras_dlkit.models._common.check_name, private to keras_dlkit.models",
    ]
    # A family may use its own package's private modules, not another family's.
    assert offences(
        "from keras_dlkit.models._common import check_name\n"
        "from keras_dlkit.models.generative._gan_common import TINY_IMAGE\n",
        "keras_dlkit.models.classification.mlp",
    ) == [
        "line 2: keras_dlkit.models.classification.mlp borrows "
        "keras_dlkit.models.generative._gan_common.TINY_IMAGE, private to "
        "keras_dlkit.models.generative"
    ]


def _library_files() -> list[pathlib.Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_package_has_a_floor():
    tops = {
        path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for path in _library_files()
    }
    assert tops - {"__init__"} <= set(FLOORS), sorted(tops - set(FLOORS))


@pytest.mark.parametrize(
    "path", _library_files(), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_run_downwards_only(path):
    module = _module_name(path)
    problems = offences(path.read_text(), module, path.name == "__init__.py")
    assert not problems, "\n".join(problems)
