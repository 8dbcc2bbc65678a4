"""Settings for the whole test session (imported before any test module)."""

import os
import random
import sys
import tempfile
import zlib

import numpy as np
import pytest

# JAX compiles a new random-number kernel for every weight shape it
# initializes. With the partitionable threefry variant (JAX's default since
# 0.5) XLA on CPU took about 3 s per new shape on our CI machines, against
# 0.4 s for the classic variant, and a deep CNN has dozens of kernel shapes
# (GoogLeNet: 150 s to build, against 1.3 s on TensorFlow). The suite uses
# the classic variant. It changes only which random numbers JAX draws, and no
# test compares against stored draws. Set before Keras imports JAX; the
# subprocesses of the crash tests inherit it.
os.environ.setdefault("JAX_THREEFRY_PARTITIONABLE", "false")

# JAX: a persistent compilation cache shared by the pytest workers, their
# subprocesses and later runs. Each new weight shape, and each train step of
# the many small models the tests build again and again, is an XLA compile
# of about a second on two CPU cores; a cached executable is the one a
# recompile would produce. Compilations over 0.1 s are kept (JAX's default
# skips those under a second; keeping every tiny eager op as well wrote
# thousands of files for nothing). No size limit: with one, JAX rescans the
# whole directory on every write, which made the suite slower, not faster.
# `make test` points the directory into the checkout; set
# JAX_COMPILATION_CACHE_DIR to choose another.
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR",
    os.path.join(tempfile.gettempdir(), "keras-dlkit-jax-cache"),
)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")

# JAX: the tests' tensors are tiny, so XLA's compile time is nearly all of the
# cost of a jitted step and LLVM's optimization passes buy nothing back.
# Compiling at optimization level 0 without the expensive passes cut the CPU
# time of a compile-bound test file (the CycleGAN trainer's) by 13%. Only for
# the JAX backend: the flags are XLA's, and TensorFlow's XLA refuses flags it
# does not know. Flags already in XLA_FLAGS are kept; set
# DLKIT_TEST_XLA_OPT=default to compile as usual.
_FAST_COMPILE_FLAGS = (
    "--xla_backend_optimization_level=0",
    "--xla_llvm_disable_expensive_passes=true",
)
if (
    os.environ.get("KERAS_BACKEND") == "jax"
    and os.environ.get("DLKIT_TEST_XLA_OPT", "fast") != "default"
):
    _flags = os.environ.get("XLA_FLAGS", "").split()
    _known = {flag.split("=")[0] for flag in _flags}
    _flags += [f for f in _FAST_COMPILE_FLAGS if f.split("=")[0] not in _known]
    os.environ["XLA_FLAGS"] = " ".join(_flags)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")


# Every test draws from its own generators, seeded from its node id, so its
# inputs do not depend on the tests that ran before it in the same process
# (the suite runs in random order with pytest-randomly, split over xdist
# workers). zlib.crc32 is stable across processes; hash() of a str is not.
def _seed_from(node):
    return zlib.crc32(node.nodeid.encode()) % 2**31


def _seed_global_generators(seed):
    """`keras.utils.set_random_seed`, without its import of TensorFlow.

    Seeds Python's `random` (unseeded Keras initializers and `SeedGenerator()`
    draw their seeds from it), NumPy's global generator, Keras's global
    `SeedGenerator` (`keras.random.*` without a seed), TensorFlow's global
    seed where TensorFlow is loaded (the shuffles of `fit`) and torch's.
    """
    import keras

    from keras_dlkit.utils.keras_compat import reset_global_seed_generator

    random.seed(seed)
    np.random.seed(seed)
    # Keras recreates its global SeedGenerator from `random` on next use.
    reset_global_seed_generator()
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    if keras.backend.backend() == "torch":
        sys.modules["torch"].manual_seed(seed)


def pytest_configure(config):
    # JAX: initial weights drawn eagerly from NumPy instead of compiling a
    # threefry kernel per weight shape (see tests/_jax_random.py).
    import _jax_random

    _jax_random.install_for_tests()
    # pytest-randomly shuffles the order from the seed it prints ("Using
    # --randomly-seed=N"; pass it again to replay an order). It would also
    # reseed `random` and NumPy before each test from that seed, so a test's
    # draws would change from run to run; the fixtures below seed from the
    # node id instead, so a test draws the same numbers in every run and
    # every order, and only the order changes.
    if config.pluginmanager.hasplugin("randomly"):
        config.option.randomly_reset_seed = False


def _order_line(config):
    if not config.pluginmanager.hasplugin("randomly"):
        return None
    seed = config.getoption("randomly_seed")
    return f"random order: replay it with -p randomly --randomly-seed={seed}"


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    # pytest-randomly prints its seed in the report header, which -q (CI's
    # setting) hides: print it here as well, once, from the main process.
    config = session.config
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    line = _order_line(config)
    if line and reporter is not None and config.get_verbosity() < 0:
        reporter.write_line(line)


def pytest_terminal_summary(terminalreporter, config):
    line = _order_line(config)
    if line:
        terminalreporter.write_sep("-", line)


@pytest.fixture(autouse=True, scope="module")
def _seed_module(request):
    """Seeds the global generators before a module's module-scoped fixtures."""
    _seed_global_generators(_seed_from(request.node))


@pytest.fixture(autouse=True)
def _seed_test(request):
    """Seeds the global generators before each test (and its fixtures)."""
    _seed_global_generators(_seed_from(request.node))


@pytest.fixture
def rng(request):
    """A NumPy generator of the test's own, seeded from its node id."""
    return np.random.default_rng(_seed_from(request.node))
