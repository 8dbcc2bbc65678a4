"""Every public symbol is exported, documented with an example, and in the API reference."""

import doctest
import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import keras_dlkit

NAMESPACES = keras_dlkit._SUBPACKAGES


def _exported_paths() -> list[str]:
    # A fresh interpreter, so doctests run in this process cannot add entries.
    code = (
        "import json, keras_dlkit\n"
        "from keras_dlkit.api_export import REGISTERED\n"
        "for name in keras_dlkit._SUBPACKAGES: getattr(keras_dlkit, name)\n"
        "print(json.dumps(sorted(REGISTERED)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


EXPORTED = _exported_paths()


def test_namespaces_match_docs_api_reference():
    sys.path.insert(0, "docs")
    try:
        api_reference = importlib.import_module("api_reference")
    finally:
        sys.path.pop(0)
    assert tuple(api_reference.NAMESPACES) == tuple(NAMESPACES)


def test_something_is_exported():
    assert "keras_dlkit.models.mlp" in EXPORTED
    assert "keras_dlkit.models.create_model" in EXPORTED


@pytest.mark.parametrize("path", EXPORTED)
def test_exported_symbol_is_in_its_namespace_all(path):
    _, namespace, name = path.split(".")
    module = importlib.import_module(f"keras_dlkit.{namespace}")
    assert namespace in NAMESPACES
    assert name in module.__all__, (
        f"{name} missing from keras_dlkit.{namespace}.__all__"
    )
    assert getattr(module, name)._keras_dlkit_path == path


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_name_in_all_is_documented_with_an_example(namespace):
    module = importlib.import_module(f"keras_dlkit.{namespace}")
    for name in module.__all__:
        symbol = getattr(module, name)
        doc = getattr(symbol, "__doc__", None) or ""
        assert doc.strip(), f"keras_dlkit.{namespace}.{name} has no docstring"
        if callable(symbol):
            assert "Example" in doc, (
                f"keras_dlkit.{namespace}.{name}: no Example section"
            )


def _library_modules():
    names = []
    for info in pkgutil.walk_packages(keras_dlkit.__path__, "keras_dlkit."):
        # A framework's module loads that framework: only the active one's.
        leaf = info.name.rsplit(".", 1)[-1]
        if info.name.startswith("keras_dlkit.backends.") and leaf.split("_")[0] in (
            "tensorflow",
            "jax",
            "torch",
        ):
            continue
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("module_name", _library_modules())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    for test in finder.find(module, module_name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed"
