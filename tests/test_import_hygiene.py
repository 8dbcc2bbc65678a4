"""Library code imports no backend framework at module level.

Only ``keras_dlkit/training/backends/`` may import tensorflow, jax or torch at
the top of a module; everything else goes through ``keras.ops``.
"""

import ast
import json
import os
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_dlkit"
ALLOWED = PACKAGE / "training" / "backends"
FRAMEWORKS = ("tensorflow", "jax", "torch")


def module_level_framework_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) for each framework import outside a def or class."""
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                names = [child.module or ""]
            else:
                names = []
            for name in names:
                if name.split(".")[0] in FRAMEWORKS:
                    found.append((child.lineno, name))
            visit(child)

    visit(ast.parse(source))
    return found


def test_checker_catches_forbidden_imports():
    source = (
        "import os\n"
        "import tensorflow as tf\n"
        "from jax import numpy as jnp\n"
        "try:\n    import torch.nn\nexcept ImportError:\n    pass\n"
        "class A:\n    import jax\n"
        "def f():\n    import torch\n"
    )
    assert module_level_framework_imports(source) == [
        (2, "tensorflow"),
        (3, "jax"),
        (5, "torch.nn"),
        (9, "jax"),
    ]


def library_files():
    return sorted(p for p in PACKAGE.rglob("*.py") if ALLOWED not in p.parents)


def test_library_has_files_to_check():
    assert len(library_files()) > 5


@pytest.mark.parametrize(
    "path", library_files(), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_module_level_framework_import(path):
    offences = module_level_framework_imports(path.read_text())
    assert not offences, f"{path.relative_to(PACKAGE)} imports {offences}"


def _imported_after(code: str) -> dict:
    script = (
        "import sys, json\n"
        f"{code}\n"
        "print(json.dumps({m: m in sys.modules for m in "
        f"{FRAMEWORKS + ('keras',)!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.subprocess
def test_import_keras_dlkit_is_lazy():
    loaded = _imported_after("import keras_dlkit")
    assert loaded == {name: False for name in FRAMEWORKS + ("keras",)}


@pytest.mark.subprocess
def test_subpackages_import_no_more_frameworks_than_keras():
    baseline = _imported_after("import keras")
    code = (
        "import keras_dlkit\n"
        "for name in keras_dlkit._SUBPACKAGES:\n"
        "    getattr(keras_dlkit, name)\n"
    )
    assert _imported_after(code) == baseline


@pytest.mark.subprocess
def test_building_blocks_imports_no_other_framework():
    """Blocks built on jax or torch import no framework a Keras layer does not.

    ``keras.initializers.serialize`` (any Keras serializer) imports TensorFlow
    when it is installed; a block that serialized its initializer to hand it
    to its sublayers cost jax and torch users about 10 s and 500 MB on the
    first model built.
    """
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "tensorflow":
        pytest.skip("TensorFlow is the backend here")
    code = (
        "import numpy as np\n"
        "from keras_dlkit import blocks\n"
        "x = np.ones((1, 8, 8, 4), 'float32')\n"
        "for block in (\n"
        "    blocks.BasicBlock(4, stride=2),\n"
        "    blocks.BottleneckBlock(2, version=2, conv_shortcut=True),\n"
        "    blocks.VGGStage(4, num_convs=1, norm='batch'),\n"
        "    blocks.CycleGANResidualBlock(),\n"
        "    blocks.MBConv(4, expand_ratio=2),\n"
        "    blocks.InceptionModule(2, 2, 2, 2, 2, 2),\n"
        "    blocks.InceptionA(2, 2, (2, 2), (2, 2, 2)),\n"
        "    blocks.UNetDown(4, pool=False),\n"
        "):\n"
        "    block(x)\n"
    )
    baseline = _imported_after(
        "import numpy as np, keras\n"
        "keras.layers.Conv2D(2, 1)(np.ones((1, 4, 4, 1), 'float32'))"
    )
    assert baseline["tensorflow"] is False
    assert _imported_after(code) == baseline
