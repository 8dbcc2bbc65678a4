"""Every reach into Keras's private API, one small named function each.

Keras 3 keeps some things we need behind underscores (the layers nested in
a model, the epoch ``fit()`` starts at, a metric's direction, the
variables an optimizer was built on). Library code reaches them only
through this module, and ``tests/utils/test_keras_compat.py`` checks each
on real Keras objects, so a Keras release that renames or changes one fails
there, loudly, rather than somewhere downstream.
"""

from __future__ import annotations

from typing import Any

import keras


def clone_initializer(initializer: Any) -> Any:
    """A fresh copy of a Keras initializer object, from its config.

    Each layer gets its own object, so unseeded initializers do not share
    state. ``keras.initializers.serialize`` would do the same through the
    generic serializer, which imports TensorFlow on first use, about 10 s on
    the jax and torch backends; ``from_config`` does not.

    Args:
        initializer: A ``keras.initializers.Initializer``.

    Returns:
        A new initializer of the same class and config.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import clone_initializer
    >>> init = keras.initializers.HeNormal(seed=1)
    >>> copy = clone_initializer(init)
    >>> copy is not init, copy.get_config() == init.get_config()
    (True, True)
    """
    return type(initializer).from_config(initializer.get_config())


def flatten_layers(layer: keras.layers.Layer, include_self: bool = True) -> list:
    """Every layer nested in ``layer``, at any depth (Keras's ``_flatten_layers``).

    Args:
        layer: A layer or model.
        include_self: Whether ``layer`` itself comes first.

    Returns:
        The layers, depth first, each once.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import flatten_layers
    >>> inner = keras.Sequential([keras.layers.Dense(3)])
    >>> outer = keras.Sequential([inner, keras.layers.Dense(1)])
    >>> [type(x).__name__ for x in flatten_layers(outer, include_self=False)]
    ['Sequential', 'Dense', 'Dense']
    """
    return list(layer._flatten_layers(include_self=include_self, recursive=True))


def own_variables(layer: keras.layers.Layer) -> list:
    """The variables a layer tracks itself, not through sublayers, in save order.

    What Keras's ``Layer.save_own_variables`` writes under the keys
    ``"0"``, ``"1"``, ...; a layer that extends ``load_own_variables``
    reads them back in this order.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import own_variables
    >>> dense = keras.layers.Dense(2)
    >>> dense.build((None, 3))
    >>> [v.name for v in own_variables(dense)]
    ['kernel', 'bias']
    """
    return list(layer._trainable_variables) + list(layer._non_trainable_variables)


def optimizer_built_variables(optimizer: keras.optimizers.Optimizer) -> list:
    """The trainable variables ``optimizer.build`` was called on (empty if unbuilt).

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import optimizer_built_variables
    >>> v = keras.Variable([1.0, 2.0])
    >>> opt = keras.optimizers.SGD()
    >>> opt.build([v])
    >>> optimizer_built_variables(opt)[0] is v
    True
    """
    return list(getattr(optimizer, "_trainable_variables", None) or [])


def optimizer_own_variables(optimizer: keras.optimizers.Optimizer) -> list:
    """The variables an optimizer tracks itself (its counters and slots), as a list.

    For an optimizer that wraps another (the pattern of Keras's
    ``LossScaleOptimizer``), the wrapper's own, without the inner
    optimizer's; for a plain optimizer, its ``variables``.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import optimizer_own_variables
    >>> opt = keras.optimizers.SGD()
    >>> opt.build([keras.Variable([1.0])])
    >>> [v.name for v in optimizer_own_variables(opt)] == [v.name for v in opt.variables]
    True
    """
    return optimizer._variables


def optimizer_variable_index(
    optimizer: keras.optimizers.Optimizer, variable: Any
) -> int:
    """Position of ``variable`` among those ``optimizer`` was built on (its slots' index).

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import optimizer_variable_index
    >>> a, b = keras.Variable([1.0]), keras.Variable([2.0])
    >>> opt = keras.optimizers.SGD(momentum=0.9)
    >>> opt.build([a, b])
    >>> optimizer_variable_index(opt, b)
    1
    """
    return optimizer._get_variable_index(variable)


def metric_direction(metric: Any) -> str | None:
    """``"up"`` if larger is better for ``metric``, ``"down"`` if smaller, else ``None``.

    Keras's own metrics carry it (``_direction``); ``ModelCheckpoint`` and
    ``EarlyStopping`` read it for ``mode="auto"``.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import metric_direction
    >>> metric_direction(keras.metrics.AUC()), metric_direction(keras.metrics.MeanSquaredError())
    ('up', 'down')
    """
    return getattr(metric, "_direction", None)


def set_initial_epoch(model: keras.Model, epoch: int | None) -> None:
    """Make the running ``fit()`` start at ``epoch`` (``None``: clear it).

    ``fit()`` reads ``model._initial_epoch`` right after the callbacks'
    ``on_train_begin`` (``BackupAndRestore`` resumes this way); clear it
    once read, or a later ``fit()`` starts there too.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import set_initial_epoch
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> set_initial_epoch(model, None)
    """
    model._initial_epoch = epoch


def keras_home() -> str:
    """The folder Keras keeps its data sets under (``~/.keras`` or ``KERAS_HOME``).

    Fixed when Keras is imported; ``KERAS_HOME`` set later does not move it.

    Example:

    >>> import os
    >>> from keras_dlkit.utils.keras_compat import keras_home
    >>> os.path.isabs(keras_home())
    True
    """
    from keras.src.backend.config import keras_home as home

    return home()


def jax_trainer_state(model: keras.Model) -> dict | None:
    """The state JAX's ``fit()`` carries between batches, or ``None``.

    Keras's JAX trainer keeps the newest variable values in
    ``model._jax_state`` (keys such as ``"trainable_variables"`` and
    ``"optimizer_variables"``) until the epoch ends, and only then writes them
    back to the variables.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import jax_trainer_state
    >>> jax_trainer_state(keras.Sequential([keras.layers.Dense(1)])) is None
    True
    """
    state = getattr(model, "_jax_state", None)
    return state if isinstance(state, dict) else None


def jax_state_synced(model: keras.Model) -> bool:
    """Whether JAX's ``fit()`` has written its state back to the variables.

    ``True`` on other backends and outside ``fit()``.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import jax_state_synced
    >>> jax_state_synced(keras.Sequential([keras.layers.Dense(1)]))
    True
    """
    return bool(getattr(model, "_jax_state_synced", True))


def mark_jax_state_synced(model: keras.Model) -> None:
    """Tell JAX's ``fit()`` to read the variables again before the next step.

    A callback that assigns a variable during ``fit()`` on JAX (after writing
    the trainer's state back) calls this, or the trainer overwrites the new
    value with the one it carries.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import mark_jax_state_synced
    >>> mark_jax_state_synced(keras.Sequential([keras.layers.Dense(1)]))
    """
    model._jax_state_synced = True


def reset_global_seed_generator() -> None:
    """Drop Keras's global ``SeedGenerator`` so the next unseeded draw makes a new one.

    Keras creates it from Python's ``random`` on first use of
    ``keras.random.*`` without a seed; after ``random.seed(s)`` and this call,
    those draws repeat. ``keras.utils.set_random_seed`` does the same but
    imports TensorFlow whenever it is installed.

    Example:

    >>> import random
    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import reset_global_seed_generator
    >>> draws = []
    >>> for _ in range(2):
    ...     random.seed(3)
    ...     reset_global_seed_generator()
    ...     draws.append(float(keras.random.uniform(())))
    >>> draws[0] == draws[1]
    True
    """
    from keras.src.backend.common import global_state
    from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR

    global_state.set_global_attribute(GLOBAL_SEED_GENERATOR, None)


def get_keras_mask(x: Any) -> Any:
    """The implicit Keras mask a tensor carries (``Embedding(mask_zero=True)``), or None.

    Keras attaches it to tensors as a private attribute and reads it back
    with ``keras.src.backend.get_keras_mask``, which is not public.

    Args:
        x: A tensor (eager or ``KerasTensor``) or ``None``.

    Returns:
        The mask, or ``None`` when ``x`` carries none.

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import get_keras_mask
    >>> get_keras_mask(keras.ops.ones((2, 3))) is None
    True
    """
    if x is None:
        return None
    from keras.src.backend import get_keras_mask as _get_keras_mask

    return _get_keras_mask(x)


def set_keras_mask(x: Any, mask: Any) -> None:
    """Attach (or with ``None`` remove) the implicit Keras mask of a tensor, in place.

    ``keras.layers.MultiHeadAttention`` removes the masks of its inputs once
    it has folded them into the attention mask, so that its projections do
    not warn that they drop them; this is the same private call.

    Args:
        x: A tensor (eager or ``KerasTensor``).
        mask: The mask, or ``None``.

    Example:

    >>> import keras
    >>> from keras_dlkit.utils.keras_compat import get_keras_mask, set_keras_mask
    >>> x = keras.KerasTensor((2, 3, 4))
    >>> set_keras_mask(x, keras.KerasTensor((2, 3), dtype="bool"))
    >>> tuple(get_keras_mask(x).shape)
    (2, 3)
    >>> set_keras_mask(x, None)
    >>> get_keras_mask(x) is None
    True
    """
    from keras.src.backend import set_keras_mask as _set_keras_mask

    _set_keras_mask(x, mask)
