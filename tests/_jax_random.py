"""Eager random draws on JAX from NumPy, for the test suite only.

Keras on JAX draws every initial weight with ``jax.random``, and XLA
compiles a new threefry kernel for each new shape and dtype: about 0.3 to
0.5 CPU seconds each on our CI machines (52 distinct weight shapes of an
EfficientNet-B0 thumbnail: 25 s, against 4 s for as many ``jnp.zeros``).
Across the suite these compiles were the largest single cost of the JAX run.

Only Keras's random initializers are redirected (``RandomNormal``,
``GlorotUniform``, ``HeNormal``, ``Orthogonal``, ...: the module
``keras.src.initializers.random_initializers`` gets its own view of the
backend's random functions). Outside a trace (building a model) the key is
a concrete array: we draw from NumPy's PCG64 seeded by the key's words and
put the result on the device, which compiles nothing. Inside a trace the key
is a tracer and JAX's own kernels run. Every other draw (``keras.random.*``,
dropout, the noise of the trainers, eager or jitted) is JAX's, so a test
that compares an eager draw with a jitted one still sees the same numbers.
Initial weights stay a pure function of the seed, so seeded tests repeat;
only which numbers they are differs from ``jax.random``, as with the classic
threefry variant the suite already uses. No test compares against stored
draws.

Set ``DLKIT_TEST_JAX_RANDOM=native`` to run the suite on ``jax.random``.
"""

from __future__ import annotations

import numpy as np


def _generator(key):
    import jax

    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    words = np.asarray(key).astype(np.uint32).ravel().tolist()
    return np.random.default_rng(words)


def _truncated(rng, shape, lower, upper):
    shape = tuple(shape)
    out = rng.standard_normal(shape)
    bad = (out < lower) | (out > upper)
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = (out < lower) | (out > upper)
    return out


def install_for_tests() -> bool:
    """Install on the JAX backend unless ``DLKIT_TEST_JAX_RANDOM=native``.

    Called by ``conftest.py`` and by the scripts the tests run in
    subprocesses, so both draw the same initial weights.
    """
    import os

    if os.environ.get("KERAS_BACKEND") != "jax":
        return False
    if os.environ.get("DLKIT_TEST_JAX_RANDOM", "numpy") == "native":
        return False
    return install()


def install() -> bool:
    """Give Keras's random initializers NumPy draws when eager (see above).

    Returns whether the replacement was installed (False when Keras's JAX
    random module does not have the functions this expects).
    """
    import types

    import jax
    import jax.numpy as jnp
    from keras.src.backend.jax import random as keras_jax_random
    from keras.src.initializers import random_initializers

    names = ("normal", "uniform", "truncated_normal", "jax_draw_seed")
    if not all(hasattr(keras_jax_random, name) for name in names):
        return False
    native = {name: getattr(keras_jax_random, name) for name in names[:3]}
    draw_seed = keras_jax_random.jax_draw_seed
    floatx = keras_jax_random.floatx

    def draw(seed, *parameters):
        """The key (drawn once: a SeedGenerator advances) and whether all is concrete."""
        key = draw_seed(seed)
        eager = not any(isinstance(v, jax.core.Tracer) for v in (key, *parameters))
        return key, eager

    def put(sample, dtype):
        return jax.device_put(np.asarray(sample).astype(jnp.dtype(dtype)))

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        key, eager = draw(seed, mean, stddev)
        if not eager:
            return native["normal"](shape, mean, stddev, dtype, key)
        rng = _generator(key)
        sample = rng.standard_normal(tuple(shape)).astype(np.float32)
        sample = sample * np.float32(stddev) + np.float32(mean)
        return put(sample, dtype or floatx())

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        key, eager = draw(seed, minval, maxval)
        if not eager:
            return native["uniform"](shape, minval, maxval, dtype, key)
        dtype = dtype or floatx()
        rng = _generator(key)
        low, high = np.asarray(minval, np.float32), np.asarray(maxval, np.float32)
        sample = low + (high - low) * rng.random(tuple(shape), dtype=np.float32)
        if jnp.issubdtype(jnp.dtype(dtype), jnp.integer):
            return native["uniform"](shape, minval, maxval, dtype, key)
        return put(sample, dtype)

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        key, eager = draw(seed, mean, stddev)
        if not eager:
            return native["truncated_normal"](shape, mean, stddev, dtype, key)
        rng = _generator(key)
        sample = _truncated(rng, shape, -2.0, 2.0).astype(np.float32)
        sample = sample * np.float32(stddev) + np.float32(mean)
        return put(sample, dtype or floatx())

    if getattr(random_initializers, "random", None) is not keras_jax_random:
        return False
    view = types.ModuleType(keras_jax_random.__name__)
    view.__dict__.update(vars(keras_jax_random))
    view.normal = normal
    view.uniform = uniform
    view.truncated_normal = truncated_normal
    random_initializers.random = view
    return True
