"""``run_trainer_test``: a trainer model's ``fit()`` step, saving and generation.

A trainer is a ``keras.Model`` subclass with its own training step that
holds networks as attributes (a GAN's ``generator`` and ``discriminator``,
an autoencoder's ``encoder`` and ``decoder``, a CycleGAN's four networks)
and, often, several optimizers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from keras_dlkit.testing._tensors import (
    _SEED,
    _describe,
    _flatten_shapes,
    _is_float_dtype,
    _shape_of,
    _shapes_match,
)
from keras_dlkit.utils.arrays import to_numpy

__all__ = ["GENERATOR_ATTRIBUTES", "TrainerChecks"]

#: Attributes ``run_trainer_test`` looks for, in order, for the network that
#: generates: a GAN's generator, an autoencoder's decoder, CycleGAN's G.
GENERATOR_ATTRIBUTES: tuple[str, ...] = ("generator", "decoder", "generator_g")


def _networks(trainer: keras.Model) -> list[tuple[str, keras.Model]]:
    """The ``keras.Model`` attributes of ``trainer``, by attribute name."""
    return sorted(
        (name, value)
        for name, value in vars(trainer).items()
        if isinstance(value, keras.Model) and value is not trainer
    )


def _optimizers(trainer: keras.Model) -> list[tuple[str, Any]]:
    """Every optimizer of ``trainer``: its ``optimizer``, the optimizers that
    one holds (a ``MultiOptimizer``'s), and optimizer attributes; each once."""
    found: list[tuple[str, Any]] = []
    seen: set[int] = set()

    def add(label: str, optimizer: Any) -> None:
        if isinstance(optimizer, keras.optimizers.Optimizer) and (
            id(optimizer) not in seen
        ):
            seen.add(id(optimizer))
            found.append((label, optimizer))

    for name, value in sorted(vars(trainer).items()):
        if not name.startswith("_"):
            add(name, value)
    main = getattr(trainer, "optimizer", None)
    inner = getattr(main, "optimizers", None)
    if isinstance(inner, (list, tuple)):
        for index, optimizer in enumerate(inner):
            add(f"optimizer.optimizers[{index}]", optimizer)
    if main is not None and not isinstance(inner, (list, tuple)):
        add("optimizer", main)
    return found


class TrainerChecks:
    """The trainer check of :class:`keras_dlkit.testing.TestCase`, as a mixin.

    Example:

    >>> from keras_dlkit.testing import TestCase
    >>> from keras_dlkit.testing.trainer_checks import TrainerChecks
    >>> issubclass(TestCase, TrainerChecks)
    True
    """

    def run_trainer_test(
        self,
        trainer: keras.Model,
        x: Any,
        y: Any = None,
        compile_kwargs: dict[str, Any] | None = None,
        generation_inputs: Any = None,
        generate: Callable[[keras.Model, Any], Any] | None = None,
        expected_generation_shape: Any = None,
        run_saving_check: bool = True,
        atol: float = 1e-6,
    ) -> keras.Model | None:
        """Check a trainer: one ``fit()`` step, a ``.keras`` round trip, generation.

        1. No ``Lambda`` layer anywhere inside.
        2. ``trainer.compile(**compile_kwargs)`` (skipped when the trainer is
           already compiled and ``compile_kwargs`` is ``None``).
        3. One ``fit()`` step on the whole batch ``x`` (and ``y``): every
           logged value is finite, every trainable weight changed, and the
           ``iterations`` of *every* optimizer advanced: the trainer's
           ``optimizer``, each optimizer a ``MultiOptimizer`` holds, and each
           public optimizer attribute (``generator_optimizer``, ...). On JAX
           an optimizer that ``fit()`` does not carry in its state moves the
           weights but keeps ``iterations`` at 0 and loses its slots.
        4. Generation: ``generate(trainer, inputs)``, by default
           ``trainer.generate(inputs)`` when the trainer has that method,
           else the first network among :data:`GENERATOR_ATTRIBUTES` called
           on ``inputs`` (``training=False``). ``inputs`` are
           ``generation_inputs`` or seeded random data shaped as that
           network's inputs (integer inputs, such as class labels, in
           ``[0, trainer.num_classes)``). The result has
           ``expected_generation_shape`` and is finite.
        5. Saving: every float weight gets a seeded random perturbation (so
           a weight that is not saved cannot hide behind its initial value);
           the trainer is saved to ``.keras`` and loaded with
           ``safe_mode=True`` and no ``custom_objects``. The loaded trainer
           is of the same class; each of its networks gives the same outputs
           on the same random inputs; it generates the same samples from the
           same inputs and global seed; each optimizer kept its
           ``iterations``.

        Args:
            trainer: The trainer model (built, compiled or not).
            x: The ``x`` of ``trainer.fit`` (a batch of samples, or what the
                trainer's ``fit`` takes, e.g. a tuple of two image sets).
            y: The ``y`` of ``trainer.fit`` (labels of a conditional GAN),
                or ``None``.
            compile_kwargs: Arguments of ``trainer.compile``; ``None``
                compiles with the defaults unless already compiled.
            generation_inputs: Inputs of the generating network or method;
                ``None`` makes seeded random ones (batch of 2).
            generate: ``generate(trainer, inputs) -> samples``, to override
                the default above.
            expected_generation_shape: Expected shape of the samples (batch
                included; ``None`` matches any size), or ``None`` to skip.
            run_saving_check: Whether to run the ``.keras`` round trip.
            atol: Absolute (and relative) tolerance of the comparisons
                after loading.

        Returns:
            The loaded trainer, or ``None`` without the saving check.

        Raises:
            AssertionError: When a check fails.

        Example:

        >>> import keras, numpy as np
        >>> from keras_dlkit.testing import TestCase
        >>> from keras_dlkit.training import Autoencoder
        >>> encoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        >>> decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
        >>> case = TestCase()
        >>> loaded = case.run_trainer_test(
        ...     Autoencoder(encoder, decoder), np.ones((4, 4), "float32"),
        ...     expected_generation_shape=(2, 4))
        >>> type(loaded).__name__
        'Autoencoder'
        >>> case.doCleanups()  # removes the temporary directory
        True
        """
        name = _describe(trainer)
        self.assertNoLambdaLayers(trainer)
        if compile_kwargs is not None or not trainer.compiled:
            with self._stage(f"Compiling {name}"):
                trainer.compile(**(compile_kwargs or {}))

        # One fit() step.
        optimizers = _optimizers(trainer)
        if not optimizers:
            self.fail(f"{name} has no optimizer after compile().")
        iterations = {label: int(to_numpy(o.iterations)) for label, o in optimizers}
        before = [np.array(to_numpy(w)) for w in trainer.trainable_weights]
        batch_size = int(_shape_of(keras.tree.flatten(x)[0])[0])
        with self._stage(f"One fit() step of {name}"):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Gradients do not exist")
                history = trainer.fit(
                    x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0
                )
        logs = {key: list(values) for key, values in history.history.items()}
        if not logs:
            self.fail(f"One fit() step of {name} logged nothing.")
        bad = {
            key: values
            for key, values in logs.items()
            if not np.all(np.isfinite(values))
        }
        if bad:
            self.fail(f"One fit() step of {name} logged non-finite values: {bad!r}.")
        unchanged = [
            weight.path
            for weight, old in zip(trainer.trainable_weights, before, strict=True)
            if np.array_equal(to_numpy(weight), old)
        ]
        if unchanged:
            self.fail(
                f"One fit() step of {name} did not change the trainable "
                f"weight(s) {unchanged}: they get no gradient, or no optimizer "
                "applies it."
            )
        stuck = [
            f"{label} ({type(optimizer).__name__}, iterations "
            f"{int(to_numpy(optimizer.iterations))})"
            for label, optimizer in optimizers
            if int(to_numpy(optimizer.iterations)) <= iterations[label]
        ]
        if stuck:
            self.fail(
                f"One fit() step of {name} did not advance the iterations of "
                f"optimizer(s) {', '.join(stuck)}: the train step does not "
                "apply them, or (on JAX) fit() does not carry their state; hold "
                "every inner optimizer in the trainer's `optimizer` (a "
                "keras.optimizers.MultiOptimizer) and apply each one."
            )

        # Generation.
        if generate is None:
            generate = self._default_generate(trainer, name)
        if generation_inputs is None:
            generation_inputs = self._generation_inputs(trainer, name)
        samples = self._generate(trainer, generate, generation_inputs, name)
        flat = keras.tree.flatten(samples)
        if expected_generation_shape is not None:
            expected_flat = _flatten_shapes(expected_generation_shape)
            actual = [_shape_of(item) for item in flat]
            if len(expected_flat) != len(actual) or not all(
                _shapes_match(e, a) for e, a in zip(expected_flat, actual, strict=False)
            ):
                self.fail(
                    f"{name} generates samples of shape "
                    f"{actual if len(actual) > 1 else actual[0]}, expected "
                    f"{expected_generation_shape}."
                )
        self._check_finite(samples, f"{name}'s generated samples")
        if not run_saving_check:
            return None

        # Saving: save first, then compare what the original and the loaded
        # trainer do from the same state (seed states included).
        self._randomize_weights(trainer)
        loaded = self._save_and_load(trainer)
        self.assertNoLambdaLayers(loaded)
        rng = np.random.default_rng(_SEED + 3)
        networks = _networks(trainer)
        for attribute, network in networks:
            revived = getattr(loaded, attribute, None)
            if not isinstance(revived, keras.Model):
                self.fail(
                    f"The loaded {name} has no network `{attribute}`: get_config() "
                    "must hold every network."
                )
            inputs = self._network_inputs(
                network, rng, getattr(trainer, "num_classes", 2)
            )
            with self._stage(f"Calling {name}.{attribute} before and after loading"):
                expected = keras.tree.map_structure(
                    to_numpy, network(inputs, training=False)
                )
                actual = keras.tree.map_structure(
                    to_numpy, revived(inputs, training=False)
                )
            self._check_finite(expected, f"{name}.{attribute} before saving")
            self.assertAllClose(
                actual,
                expected,
                atol=atol,
                rtol=atol,
                msg=(
                    f"{name}.{attribute} gives different outputs after the .keras "
                    "round trip"
                ),
            )
        keras.utils.set_random_seed(_SEED)
        expected = self._generate(trainer, generate, generation_inputs, name)
        keras.utils.set_random_seed(_SEED)
        actual = self._generate(loaded, generate, generation_inputs, f"loaded {name}")
        self._check_finite(expected, f"{name}'s generated samples")
        self.assertAllClose(
            keras.tree.map_structure(to_numpy, actual),
            keras.tree.map_structure(to_numpy, expected),
            atol=atol,
            rtol=atol,
            msg=(
                f"{name} generates different samples from the same inputs and "
                "seed after the .keras round trip"
            ),
        )
        revived_optimizers = dict(_optimizers(loaded))
        for label, optimizer in optimizers:
            revived = revived_optimizers.get(label)
            if revived is None:
                continue  # The loaded trainer is not compiled alike.
            saved_step = int(to_numpy(optimizer.iterations))
            loaded_step = int(to_numpy(revived.iterations))
            if saved_step != loaded_step:
                self.fail(
                    f"The loaded {name}'s optimizer {label} has iterations "
                    f"{loaded_step}, the saved one {saved_step}: its state was "
                    "not saved or not restored."
                )
        return loaded

    def _default_generate(self, trainer, name):
        if callable(getattr(trainer, "generate", None)):
            return lambda model, inputs: model.generate(inputs)
        for attribute in GENERATOR_ATTRIBUTES:
            if isinstance(getattr(trainer, attribute, None), keras.Model):
                return lambda model, inputs, a=attribute: getattr(model, a)(
                    inputs, training=False
                )
        self.fail(
            f"{name} has no generate() method and none of the networks "
            f"{list(GENERATOR_ATTRIBUTES)}: pass `generate=`."
        )

    def _generation_inputs(self, trainer, name):
        for attribute in GENERATOR_ATTRIBUTES:
            network = getattr(trainer, attribute, None)
            if isinstance(network, keras.Model):
                rng = np.random.default_rng(_SEED + 4)
                return self._network_inputs(
                    network, rng, getattr(trainer, "num_classes", 2)
                )
        self.fail(
            f"{name} has none of the networks {list(GENERATOR_ATTRIBUTES)}: pass "
            "`generation_inputs=`."
        )

    @staticmethod
    def _network_inputs(network, rng, num_classes, batch=2):
        """Seeded random inputs for ``network``, a batch of ``batch``."""
        arrays = []
        for tensor in network.inputs:
            shape = (batch, *(int(d) for d in tuple(tensor.shape)[1:]))
            if _is_float_dtype(tensor.dtype):
                arrays.append(rng.standard_normal(shape).astype(tensor.dtype))
            else:
                arrays.append(
                    rng.integers(0, int(num_classes), size=shape).astype(tensor.dtype)
                )
        return arrays[0] if len(arrays) == 1 else arrays

    def _generate(self, trainer, generate, inputs, name):
        with self._stage(f"Generating samples with {name}"):
            return generate(trainer, inputs)
