"""Library code imports no backend framework, anywhere but ``keras_dlkit/backends/``.

The AST walk visits every import at any depth (module level, inside
functions, classes, ``try`` blocks and conditionals) and every call
``importlib.import_module("torch")`` / ``__import__("jax")`` with a literal
name, in every file of ``keras_dlkit/`` outside ``keras_dlkit/backends/``.
The subprocess tests check that ``import keras_dlkit`` and its namespaces
load no framework Keras does not.
"""

import ast
import json
import os
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_dlkit"
ALLOWED = PACKAGE / "backends"
FRAMEWORKS = ("tensorflow", "jax", "torch")
_IMPORT_FUNCTIONS = ("import_module", "__import__")


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def framework_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) for each framework import anywhere in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in _IMPORT_FUNCTIONS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        else:
            names = []
        found += [(node.lineno, n) for n in names if n.split(".")[0] in FRAMEWORKS]
    return sorted(found)


def test_checker_catches_imports_at_any_depth():
    source = (
        "import os\n"
        "import tensorflow as tf\n"
        "from jax import numpy as jnp\n"
        "try:\n    import torch.nn\nexcept ImportError:\n    pass\n"
        "class A:\n    import jax\n"
        "def f():\n    import torch\n"
        "def g():\n    if True:\n        from tensorflow.summary import image\n"
        "class B:\n    def m(self):\n        with x:\n            import jax.numpy\n"
        "importlib.import_module('torch')\n"
        "def h():\n    return __import__('tensorflow.compat')\n"
        "lambda: importlib.import_module('jax.numpy')\n"
    )
    assert framework_imports(source) == [
        (2, "tensorflow"),
        (3, "jax"),
        (5, "torch.nn"),
        (9, "jax"),
        (11, "torch"),
        (14, "tensorflow.summary"),
        (18, "jax.numpy"),
        (19, "torch"),
        (21, "tensorflow.compat"),
        (22, "jax.numpy"),
    ]


def test_checker_ignores_what_is_not_a_framework():
    source = (
        "import torchvision_like_name_of_ours\n"
        "from keras_dlkit.backends import backend_module\n"
        "from . import torch\n"  # a relative import: a module of ours
        "importlib.import_module(name)\n"  # not a literal: checked at run time
        "import keras, numpy\n"
    )
    assert framework_imports(source) == []


def test_checker_finds_the_backends_own_imports():
    """The walk finds the imports the backend package does hold."""
    found = {
        path.name: framework_imports(path.read_text()) for path in ALLOWED.glob("*.py")
    }
    for framework in FRAMEWORKS:
        modules = [name for name in found if name.startswith(f"{framework}_")]
        assert modules, f"no {framework}_*.py module in keras_dlkit/backends/"
        for name in modules:
            roots = {module.split(".")[0] for _, module in found[name]}
            assert roots == {framework}, f"backends/{name} imports {roots}"
    neutral = [name for name in found if name.split("_")[0] not in FRAMEWORKS]
    assert "__init__.py" in neutral
    for name in neutral:
        assert found[name] == [], (
            f"backends/{name} is neutral but imports {found[name]}"
        )


def library_files():
    return sorted(p for p in PACKAGE.rglob("*.py") if ALLOWED not in p.parents)


def test_library_has_files_to_check():
    assert len(library_files()) > 5
    assert not any(ALLOWED in p.parents for p in library_files())


@pytest.mark.parametrize(
    "path", library_files(), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_framework_import_outside_backends(path):
    offences = framework_imports(path.read_text())
    assert not offences, (
        f"{path.relative_to(PACKAGE)} imports {offences}: move framework code "
        "to keras_dlkit/backends/<framework>_<concern>.py"
    )


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
