"""JAX: let the many small GANs of these tests share their compiled train steps.

Each GAN instance jit-compiles its own train step, the tests build the same
few architectures again and again, and XLA's CPU compile (seconds) is most of
their run time. A persistent compilation cache in a per-session temporary
directory turns the repeats into cache hits; a cached executable is the one a
recompile would produce. JAX reads the setting at its first compile, so it is
set here, at collection time.
"""

import atexit
import shutil
import tempfile

import keras

if keras.backend.backend() == "jax":
    import jax

    _CACHE_DIR = tempfile.mkdtemp(prefix="keras-dlkit-jax-cache-")
    atexit.register(shutil.rmtree, _CACHE_DIR, ignore_errors=True)
    jax.config.update("jax_compilation_cache_dir", _CACHE_DIR)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
