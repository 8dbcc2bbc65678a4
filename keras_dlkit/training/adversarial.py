"""The base of the adversarial trainers: networks trained against each other by ``fit()``.

:class:`AdversarialTrainer` holds what every two-optimizer trainer shares:
its networks, named by attribute (``_GENERATORS`` and ``_DISCRIMINATORS``);
the resolution of the two optimizers and the one
``keras.optimizers.MultiOptimizer`` holding both, routed by variable
identity (so JAX's ``fit()``, which threads only
``model.optimizer.variables``, carries both optimizers' slots); the guards
of ``fit``/``evaluate``; and the metric bookkeeping. Its ``train_step``
comes from ``keras_dlkit/backends/<backend>_adversarial.py`` (picked when
this module is imported) and calls only the hooks declared in
:class:`keras_dlkit.backends.adversarial.AdversarialHooks`.

A new adversarial trainer subclasses it and writes, in ``keras.ops``:
``_unpack_batch(data)`` (the batch's tensors), one
``objective(run, batch, carry) -> (loss, terms, carry)`` per update, and
``_updates()`` (which objective trains which networks with which
optimizer, how often). No backend code: :class:`~keras_dlkit.training.GAN`
and :class:`~keras_dlkit.training.CycleGAN` are two such subclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from keras_dlkit.backends.adversarial import Update, adversarial_step_class
from keras_dlkit.training._compile_config import CompileConfigMixin
from keras_dlkit.utils import keras_compat

__all__ = ["AdversarialTrainer", "Update"]


class _RouteByIdentity:
    """MultiOptimizer router: each variable goes to the optimizer that owns it."""

    def __init__(self, groups: list[tuple[list[Any], keras.optimizers.Optimizer]]):
        self._owner = {}
        for variables, optimizer in groups:
            for variable in variables:
                self._owner[id(variable)] = optimizer

    def __call__(self, variable: Any) -> keras.optimizers.Optimizer:
        try:
            return self._owner[id(variable)]
        except KeyError:
            raise ValueError(
                f"Variable {variable.path!r} belongs to neither the generator "
                "nor the discriminator."
            ) from None


def resolve_optimizer(
    name: str,
    optimizer: Any,
    default: Callable[[], keras.optimizers.Optimizer],
    variables: list[Any],
) -> keras.optimizers.Optimizer:
    """An optimizer from ``compile()``'s argument ``name``, checked.

    ``None`` gives ``default()``; a string is looked up with
    ``keras.optimizers.get``. A ``MultiOptimizer`` or ``LossScaleOptimizer``
    is refused, and so is an optimizer already built for other variables.
    """
    if optimizer is None:
        return default()
    if isinstance(optimizer, str):
        try:
            optimizer = keras.optimizers.get(optimizer)
        except ValueError:
            pass
    if not isinstance(optimizer, keras.optimizers.Optimizer) or isinstance(
        optimizer,
        (keras.optimizers.MultiOptimizer, keras.optimizers.LossScaleOptimizer),
    ):
        raise ValueError(
            f"`{name}` must be a keras.optimizers.Optimizer (not a "
            "MultiOptimizer or LossScaleOptimizer) or the name of one, got "
            f"{optimizer!r}."
        )
    if optimizer.built:
        built_on = keras_compat.optimizer_built_variables(optimizer)
        if [id(v) for v in built_on] != [id(v) for v in variables]:
            raise ValueError(
                f"`{name}` was already built for other variables; pass a "
                "fresh optimizer."
            )
    return optimizer


class AdversarialTrainer(CompileConfigMixin, adversarial_step_class(), keras.Model):
    """Base of trainers whose generators and discriminators take turns in ``fit()``.

    Subclass it for a new adversarial trainer (see the module docstring);
    it is not a trainer by itself. The generators share ``generator_optimizer`` and the
    discriminators ``discriminator_optimizer``; the trainer's ``optimizer``
    is the ``MultiOptimizer`` holding both (its ``iterations`` counts
    ``fit()`` steps).

    Example:

    >>> from keras_dlkit.training import CycleGAN, GAN
    >>> from keras_dlkit.training.adversarial import AdversarialTrainer
    >>> issubclass(GAN, AdversarialTrainer), issubclass(CycleGAN, AdversarialTrainer)
    (True, True)
    """

    #: Attribute names of the networks ``generator_optimizer`` trains.
    _GENERATORS: tuple[str, ...] = ("generator",)
    #: Attribute names of the networks ``discriminator_optimizer`` trains.
    _DISCRIMINATORS: tuple[str, ...] = ("discriminator",)
    #: Name in the error messages (``"GAN.fit() needs compile() first"``).
    _TRAINER_NAME = "AdversarialTrainer"
    #: The instance in the error messages (``"call gan.compile()"``).
    _INSTANCE_NAME = "trainer"
    #: Name of the MultiOptimizer holding both optimizers.
    _OPTIMIZER_NAME = "adversarial_optimizer"
    #: What to do instead of ``evaluate()``.
    _EVALUATE_HINT = "judge the generators' samples (for example with a FID)"

    compiled_optimizers = ("generator_optimizer", "discriminator_optimizer")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.generator_optimizer = None
        self.discriminator_optimizer = None
        self._layout = None

    @property
    def _NETWORKS(self) -> tuple[str, ...]:  # noqa: N802 - read like a constant
        return self._GENERATORS + self._DISCRIMINATORS

    def _variables_of(self, names: tuple[str, ...]) -> list[Any]:
        """Trainable variables of the named networks, in order."""
        return [v for key in names for v in getattr(self, key).trainable_variables]

    # -- compile ------------------------------------------------------------------

    def _compile_optimizers(
        self,
        generator_optimizer: Any,
        discriminator_optimizer: Any,
        default: Callable[[], keras.optimizers.Optimizer],
        compile_args: dict[str, Any],
        run_eagerly: bool = False,
        jit_compile: bool | str = "auto",
        steps_per_execution: int = 1,
        configure: Callable[[], None] | None = None,
    ) -> None:
        """Resolve and build both optimizers, hold them in one MultiOptimizer, compile.

        ``compile_args`` are the subclass's own ``compile()`` arguments (JSON),
        saved beside the optimizers in the compile config. ``configure()``
        runs once both optimizers are accepted, before Keras compiles: a
        subclass sets its own compile state there, so a refused optimizer
        leaves the trainer as it was.
        """
        g_vars = self._variables_of(self._GENERATORS)
        d_vars = self._variables_of(self._DISCRIMINATORS)
        g_opt = resolve_optimizer(
            "generator_optimizer", generator_optimizer, default, g_vars
        )
        d_opt = resolve_optimizer(
            "discriminator_optimizer", discriminator_optimizer, default, d_vars
        )
        if g_opt is d_opt:
            raise ValueError(
                "`generator_optimizer` and `discriminator_optimizer` must be two "
                "different optimizer instances (each keeps its own slots)."
            )
        if configure is not None:
            configure()
        # Built here, each on its networks' variables in `_GENERATORS` /
        # `_DISCRIMINATORS` order: JAX's `stateless_apply` relies on it.
        g_opt.build(g_vars)
        d_opt.build(d_vars)
        optimizer = keras.optimizers.MultiOptimizer(
            _RouteByIdentity([(g_vars, g_opt), (d_vars, d_opt)]),
            name=self._OPTIMIZER_NAME,
        )
        self.generator_optimizer = g_opt
        self.discriminator_optimizer = d_opt
        keras.Model.compile(
            self,
            optimizer=optimizer,
            run_eagerly=run_eagerly,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            auto_scale_loss=False,
        )
        # TensorFlow's fit needs the MultiOptimizer built before the first step.
        optimizer.build(self.trainable_variables)
        self._compile_args = {
            **compile_args,
            "run_eagerly": run_eagerly,
            "jit_compile": self.jit_compile,
            "steps_per_execution": steps_per_execution,
        }
        self._layout = None

    # -- fit ----------------------------------------------------------------------

    def _check_fit(self, kwargs: dict[str, Any], validation_hint: str) -> None:
        """Refuse ``fit()`` before ``compile()`` and with validation data."""
        name = self._TRAINER_NAME
        if not self.compiled or self.generator_optimizer is None:
            raise ValueError(
                f"{name}.fit() needs compile() first: call {self._INSTANCE_NAME}.compile() "
                "(every argument has a default) before fit()."
            )
        if kwargs.get("validation_data") is not None or kwargs.get("validation_split"):
            raise ValueError(
                f"{name}.fit() does not support `validation_data` or "
                f"`validation_split`{validation_hint}."
            )

    def fit(
        self, x: Any = None, y: Any = None, **kwargs: Any
    ) -> keras.callbacks.History:
        """``keras.Model.fit``, after :meth:`_check_fit` (compiled, no validation).

        Args:
            x: What the trainer's ``_unpack_batch`` takes apart.
            y: Likewise.
            **kwargs: Other ``keras.Model.fit`` arguments, except validation.

        Returns:
            The ``History``.
        """
        self._check_fit(kwargs, "")
        return super().fit(x, y, **kwargs)

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        """Not supported: held-out adversarial losses are not a score."""
        raise NotImplementedError(
            f"{self._TRAINER_NAME}.evaluate() is not supported; "
            f"{self._EVALUATE_HINT} instead."
        )

    # -- the hooks a backend train step calls -------------------------------------

    def _unpack_batch(self, data: Any) -> tuple[Any, ...]:
        """Tensors of one ``fit()`` batch, first the one whose rows count."""
        raise NotImplementedError

    def _updates(self) -> list[Update]:
        """The step's updates, in order."""
        raise NotImplementedError

    def _step_state(self) -> list[Any]:
        """The trainer's own variables that objectives change (none here)."""
        return []

    def _record(self, terms: dict[str, Any], batch: tuple[Any, ...]) -> dict[str, Any]:
        """Update each metric with the term of its name; return the logs."""
        weight = ops.cast(ops.shape(batch[0])[0], "float32")
        for tracker in self.metrics:
            tracker.update_state(terms[tracker.name], sample_weight=weight)
        return {m.name: m.result() for m in self.metrics}

    @staticmethod
    def _floats(x: Any) -> Any:
        """``x`` as a tensor, cast to float32 unless it is floating already."""
        x = ops.convert_to_tensor(x)
        if not keras.backend.is_float_dtype(x.dtype):
            x = ops.cast(x, "float32")
        return x
