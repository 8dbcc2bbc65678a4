"""The contract between an adversarial trainer and its backend ``train_step``.

A trainer (:class:`~keras_dlkit.training.adversarial.AdversarialTrainer` and
its subclasses) writes its objectives once, in ``keras.ops``; each backend
module (``tensorflow_adversarial.py``, ``jax_adversarial.py``,
``torch_adversarial.py``) supplies the gradient bookkeeping. What a step
does with ``data``, on every backend::

    batch = trainer._unpack_batch(data)            # tensors, trainer-defined
    carry = None
    for update in trainer._updates():              # e.g. critic, then generator
        for _ in range(update.repeats):
            loss, terms, carry = getattr(trainer, update.objective)(run, batch, carry)
            # gradient of `loss` w.r.t. the trainable variables of
            # `update.networks`, applied by `getattr(trainer, update.optimizer)`;
            # `carry` is cut from the graph and handed to the next objective
    trainer.optimizer.iterations += 1              # the MultiOptimizer's step
    return trainer._record(mean of each term over repeats, batch)

``run`` (:class:`Run`) calls a network in training mode: on JAX it runs
``stateless_call`` on the values ``fit()`` threads and keeps the updated
non-trainable values (batch statistics, seed states); on TensorFlow and
torch it calls the network. The variables :meth:`AdversarialHooks._step_state`
names (the trainer's noise seed) are threaded by the JAX step too, so an
objective may draw from the trainer's ``SeedGenerator`` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, runtime_checkable

import keras
from keras import ops

from keras_dlkit.backends import backend_module


class Update(NamedTuple):
    """One optimizer update of a train step.

    Attributes:
        objective: Name of the trainer's method
            ``objective(run, batch, carry) -> (loss, terms, carry)``.
            ``terms`` is a dict of scalars whose names are the trainer's
            metrics; ``carry`` (``None`` or tensors) goes to the next
            objective, with no gradient.
        networks: Attribute names of the networks whose trainable
            variables ``loss`` is differentiated by (in the order the
            optimizer was built on).
        optimizer: Attribute name of the optimizer that applies the update.
        repeats: How many times the update runs per step (``n_critic``). A
            repeated objective returns a ``carry`` of the structure it takes.
    """

    objective: str
    networks: tuple[str, ...]
    optimizer: str
    repeats: int = 1


class Run(Protocol):
    """How an objective calls a network; each backend supplies one."""

    def __call__(self, network: keras.Model, inputs: Any) -> Any:
        """``network(inputs, training=True)``, differentiable."""

    def frozen(self, network: keras.Model, inputs: Any) -> Any:
        """The same call, passing no gradient back (into inputs or weights)."""

    def with_input_gradient(
        self, network: keras.Model, x: Any, to_inputs: Callable[[Any], Any]
    ) -> tuple[Any, Any]:
        """``(outputs, d sum(outputs) / d x)`` for ``network(to_inputs(x))``.

        The gradient stays differentiable (for penalties such as R1 and
        WGAN-GP's), and is summed over the outputs in float32.
        """


@runtime_checkable
class AdversarialHooks(Protocol):
    """What a backend ``train_step`` calls on its trainer, and nothing else."""

    #: Attribute names of every network the trainer trains.
    _NETWORKS: tuple[str, ...]
    #: The ``keras.optimizers.MultiOptimizer`` holding every inner optimizer.
    optimizer: keras.optimizers.Optimizer

    def _unpack_batch(self, data: Any) -> tuple[Any, ...]:
        """Tensors of one ``fit()`` batch, first the one whose rows count."""

    def _updates(self) -> list[Update]:
        """The step's updates, in order."""

    def _step_state(self) -> list[keras.Variable]:
        """Variables of the trainer itself that objectives change (seeds)."""

    def _record(self, terms: dict[str, Any], batch: tuple[Any, ...]) -> dict:
        """Update the metrics with the step's terms; return the logs."""

    def _variables_of(self, names: tuple[str, ...]) -> list[keras.Variable]:
        """Trainable variables of the named networks, in order."""


def stop_gradient(carry: Any) -> Any:
    """``carry`` (``None`` or a structure of tensors) cut from the graph."""
    if carry is None:
        return None
    return keras.tree.map_structure(ops.stop_gradient, carry)


def mean_terms(collected: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of each term over an update's repeats."""
    keys = collected[0].keys()
    return {key: ops.mean(ops.stack([t[key] for t in collected])) for key in keys}


class UnsupportedBackendStep:
    """Stand-in ``train_step`` for backends without one (numpy, openvino)."""

    def train_step(self, *args: Any, **kwargs: Any) -> Any:
        """Raise: adversarial training needs tensorflow, jax or torch."""
        raise NotImplementedError(
            "Adversarial training needs the tensorflow, jax or torch backend; "
            f"the active Keras backend is {keras.backend.backend()!r}."
        )


def adversarial_step_class() -> type:
    """The ``train_step`` mixin of the adversarial trainers for the active backend.

    Returns:
        ``AdversarialStep`` of ``<backend>_adversarial.py``, or
        :class:`UnsupportedBackendStep`.

    Example:

    >>> from keras_dlkit.backends.adversarial import adversarial_step_class
    >>> hasattr(adversarial_step_class(), "train_step")
    True
    """
    module = backend_module("adversarial")
    return UnsupportedBackendStep if module is None else module.AdversarialStep
