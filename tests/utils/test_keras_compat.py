"""Each reach into Keras's private API, checked on real Keras objects.

A Keras release that renames or changes one of these fails here, with a
message naming the private attribute, before anything downstream misbehaves.
"""

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlkit.utils import keras_compat


def test_clone_initializer_copies_class_and_config():
    init = keras.initializers.TruncatedNormal(stddev=0.3, seed=7)
    copy = keras_compat.clone_initializer(init)
    assert copy is not init and type(copy) is type(init)
    assert copy.get_config() == init.get_config()
    np.testing.assert_array_equal(
        ops.convert_to_numpy(copy((3, 2))), ops.convert_to_numpy(init((3, 2)))
    )


def test_flatten_layers_reaches_nested_layers_once_in_depth_first_order():
    assert hasattr(keras.layers.Layer, "_flatten_layers"), (
        "keras.layers.Layer._flatten_layers is gone"
    )
    inner = keras.Sequential([keras.layers.Dense(3, name="a")], name="inner")
    outer = keras.Sequential([inner, keras.layers.Dense(1, name="b")], name="outer")
    names = [x.name for x in keras_compat.flatten_layers(outer)]
    assert names == ["outer", "inner", "a", "b"]
    names = [x.name for x in keras_compat.flatten_layers(outer, include_self=False)]
    assert names == ["inner", "a", "b"]
    outer.build((None, 2))  # built: the input layers join, each layer once
    layers = keras_compat.flatten_layers(outer)
    assert len({id(x) for x in layers}) == len(layers)
    assert {"outer", "inner", "a", "b"} <= {x.name for x in layers}


def test_own_variables_are_what_save_own_variables_writes():
    layer = keras.layers.BatchNormalization()
    layer.build((None, 3))
    own = keras_compat.own_variables(layer)
    assert [v.name for v in own] == [
        "gamma",
        "beta",
        "moving_mean",
        "moving_variance",
    ]
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == [str(i) for i in range(len(own))]
    for i, variable in enumerate(own):
        np.testing.assert_array_equal(store[str(i)], ops.convert_to_numpy(variable))


def test_optimizer_built_variables_are_the_build_argument_in_order():
    a, b = keras.Variable(np.ones(2)), keras.Variable(np.zeros(3))
    optimizer = keras.optimizers.Adam()
    assert keras_compat.optimizer_built_variables(optimizer) == []
    optimizer.build([b, a])
    assert hasattr(optimizer, "_trainable_variables"), (
        "Optimizer._trainable_variables is gone"
    )
    built = keras_compat.optimizer_built_variables(optimizer)
    assert [id(v) for v in built] == [id(b), id(a)]


def test_optimizer_own_variables_are_its_variables_and_grow_with_it():
    optimizer = keras.optimizers.Adam()
    optimizer.build([keras.Variable(np.ones(2))])
    own = keras_compat.optimizer_own_variables(optimizer)
    assert [id(v) for v in own] == [id(v) for v in optimizer.variables], (
        "Optimizer._variables no longer lists the optimizer's variables"
    )
    count = len(own)
    optimizer.add_variable((3,), name="extra")
    assert len(keras_compat.optimizer_own_variables(optimizer)) == count + 1


def test_optimizer_variable_index_addresses_the_variables_slots():
    a, b = keras.Variable(np.ones(2)), keras.Variable(np.zeros(3))
    optimizer = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    optimizer.build([a, b])
    assert keras_compat.optimizer_variable_index(optimizer, a) == 0
    assert keras_compat.optimizer_variable_index(optimizer, b) == 1
    # The index picks the variable's own momentum slot.
    slot = optimizer.momentums[keras_compat.optimizer_variable_index(optimizer, b)]
    assert tuple(slot.shape) == (3,)


@pytest.mark.parametrize(
    "metric, direction",
    [
        (keras.metrics.AUC(), "up"),
        (keras.metrics.BinaryAccuracy(), "up"),
        (keras.metrics.MeanSquaredError(), "down"),
        (keras.metrics.MeanAbsoluteError(), "down"),
        (keras.metrics.Mean(), None),
    ],
)
def test_metric_direction_matches_what_larger_values_mean(metric, direction):
    assert keras_compat.metric_direction(metric) == direction


def test_metric_direction_attribute_still_exists():
    assert getattr(keras.metrics.AUC(), "_direction", None) == "up", (
        "keras.metrics.Metric._direction changed; resolve_mode('auto') relies on it"
    )


def test_set_initial_epoch_makes_fit_start_there():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    epochs = []

    class Start(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            keras_compat.set_initial_epoch(self.model, 2)

        def on_epoch_begin(self, epoch, logs=None):
            epochs.append(epoch)

    x = np.ones((4, 1), "float32")
    model.fit(x, x, epochs=4, verbose=0, callbacks=[Start()])
    assert epochs == [2, 3], "fit() no longer reads model._initial_epoch"
    keras_compat.set_initial_epoch(model, None)
    assert model._initial_epoch is None


def test_keras_home_is_keras_home_env_or_dot_keras():
    import os

    home = keras_compat.keras_home()
    default = os.path.join(os.path.expanduser("~"), ".keras")
    # Keras fixes it at import: $KERAS_HOME, else ~/.keras, else (not
    # writable) /tmp/.keras.
    assert home in (os.environ.get("KERAS_HOME"), default, "/tmp/.keras"), home


def _fit_and_watch(probe):
    """Fit a tiny model for two batches, calling ``probe(model)`` after each."""
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(probe(self.model))

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.ones((8, 2), "float32")
    model.fit(x, x[:, :1], batch_size=4, epochs=1, verbose=0, callbacks=[Watch()])
    return seen


def test_jax_trainer_state_is_what_fit_carries_between_batches():
    seen = _fit_and_watch(keras_compat.jax_trainer_state)
    if keras.backend.backend() == "jax":
        assert all(isinstance(s, dict) for s in seen), (
            "Keras's JAX trainer no longer keeps model._jax_state during fit()"
        )
        assert all("optimizer_variables" in s for s in seen)
        assert all("trainable_variables" in s for s in seen)
    else:
        assert seen == [None, None]


def test_jax_state_synced_is_kept_by_a_jax_fit_and_marking_it_works():
    seen = _fit_and_watch(
        lambda model: (
            hasattr(model, "_jax_state_synced"),
            keras_compat.jax_state_synced(model),
        )
    )
    if keras.backend.backend() == "jax":
        # Keras writes the state back before a callback with a batch hook
        # runs, so it reads True here; what matters is that the flag exists.
        assert all(has for has, _ in seen), (
            "Keras's JAX trainer no longer tracks model._jax_state_synced"
        )
    assert all(synced in (True, False) for _, synced in seen)
    model = keras.Sequential([keras.layers.Dense(1)])
    model._jax_state_synced = False
    assert keras_compat.jax_state_synced(model) is False
    keras_compat.mark_jax_state_synced(model)
    assert keras_compat.jax_state_synced(model) is True


def test_reset_global_seed_generator_makes_unseeded_draws_repeat():
    import random

    from keras.src.random import seed_generator

    assert hasattr(seed_generator, "GLOBAL_SEED_GENERATOR"), (
        "keras.src.random.seed_generator.GLOBAL_SEED_GENERATOR is gone"
    )
    draws = []
    for _ in range(2):
        random.seed(11)
        keras_compat.reset_global_seed_generator()
        draws.append(ops.convert_to_numpy(keras.random.normal((4,))))
    np.testing.assert_array_equal(draws[0], draws[1])
    random.seed(12)
    keras_compat.reset_global_seed_generator()
    assert not np.array_equal(draws[0], ops.convert_to_numpy(keras.random.normal((4,))))


def test_get_and_set_keras_mask_read_and_write_what_keras_propagates():
    tokens = np.array([[1, 2, 0]])
    embedded = keras.layers.Embedding(3, 2, mask_zero=True)(tokens)
    np.testing.assert_array_equal(
        ops.convert_to_numpy(keras_compat.get_keras_mask(embedded)),
        [[True, True, False]],
    )
    symbolic = keras.layers.Embedding(3, 2, mask_zero=True)(
        keras.Input((3,), dtype="int32")
    )
    assert keras_compat.get_keras_mask(symbolic) is not None
    keras_compat.set_keras_mask(symbolic, None)
    assert keras_compat.get_keras_mask(symbolic) is None
    assert keras_compat.get_keras_mask(None) is None
