"""Settings for the whole test session (imported before any test module)."""

import os
import tempfile

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
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
