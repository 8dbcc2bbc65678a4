"""Every ```python block in README.md runs, as a user would paste it.

Each block runs in a fresh interpreter with the current ``KERAS_BACKEND``,
this checkout first on ``PYTHONPATH``, in an empty working folder, under a
time limit. A block that raises (a non-zero exit) fails the test with its
output. Blocks that load a data set use the cache ``make seed`` fills; where
it is not seeded the block is skipped with the command that seeds it.
"""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
#: Seconds a block may take. The Quickstart trains two epochs of an MLP:
#: about half a minute on two idle cores with TensorFlow or JAX; on torch,
#: 7 minutes on two cores shared with ten other busy processes.
TIMEOUT = 600
#: The data sets a block may load, by the name a block uses, and the file of
#: the Keras cache (``$KERAS_HOME/datasets``) that shows they are seeded.
DATASETS = {
    "fashion_mnist": ("fashion-mnist", "fashion-mnist/train-images-idx3-ubyte.gz"),
}


def python_blocks(text):
    """``(line, code)`` of every fenced ```python block in ``text``."""
    blocks = []
    for match in re.finditer(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, re.S | re.M):
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((line, match.group(1)))
    return blocks


with open(README, encoding="utf-8") as handle:
    BLOCKS = python_blocks(handle.read())


def test_the_readme_has_python_blocks():
    # The extraction must find the Quickstart, or the test below runs nothing.
    assert len(BLOCKS) >= 2
    assert any("create_model" in code and ".fit(" in code for _, code in BLOCKS)


def test_block_extraction():
    text = "x\n```python\na = 1\n```\n```bash\nls\n```\n```python\nb = 2\nc = 3\n```\n"
    assert python_blocks(text) == [(2, "a = 1\n"), (8, "b = 2\nc = 3\n")]


def _keras_datasets_dir():
    home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return os.path.join(home, "datasets")


def run_block(code, cwd):
    """Run ``code`` in a fresh interpreter as the README's reader would.

    Returns the completed process; raises ``subprocess.TimeoutExpired``.
    """
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


@pytest.mark.subprocess
def test_a_block_that_raises_fails(tmp_path):
    process = run_block("import keras_dlkit\nraise ValueError('broken')", tmp_path)
    assert process.returncode != 0
    assert "ValueError: broken" in process.stderr
    # The checkout's package is the one imported, from the block's own folder.
    process = run_block("import keras_dlkit; print(keras_dlkit.__file__)", tmp_path)
    assert process.stdout.strip().startswith(os.path.join(ROOT, "keras_dlkit"))


@pytest.mark.subprocess
@pytest.mark.parametrize(
    "line, code", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS]
)
def test_readme_block_runs(line, code, tmp_path):
    for word, (name, marker) in DATASETS.items():
        if word in code and not os.path.exists(
            os.path.join(_keras_datasets_dir(), marker)
        ):
            pytest.skip(
                f"data set '{name}' is not seeded; run `make seed` or "
                f"`python -m keras_dlkit.datasets seed {name}`"
            )
    try:
        process = run_block(code, tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"README.md:{line}: the block ran past {TIMEOUT} s")
    assert process.returncode == 0, (
        f"README.md:{line}: the block exited with {process.returncode}\n"
        f"--- stdout (tail)\n{process.stdout[-3000:]}\n"
        f"--- stderr (tail)\n{process.stderr[-3000:]}"
    )
