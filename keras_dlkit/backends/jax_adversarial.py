"""The adversarial ``train_step`` on JAX: stateless, on the state ``fit()`` threads.

JAX's ``fit()`` hands ``train_step`` the values of the trainer's trainable,
non-trainable, optimizer and metric variables and expects them back
updated; any stateful variable access inside the jitted step fails. So
each network runs through ``stateless_call`` on its slice of those values
(:class:`Run` carries each network's non-trainable values, batch
statistics and seed states, from one call to the next), the trainer's own
state (its noise seed) is bound in a ``keras.StatelessScope`` around each
objective, each update's optimizer updates its slice with
``stateless_apply``, and the metrics update in a ``StatelessScope`` on the
metric values. Every inner optimizer's slots reach ``fit()``'s state
because one ``keras.optimizers.MultiOptimizer`` holding them all is the
trainer's ``optimizer``. See :mod:`keras_dlkit.backends.adversarial` for the
contract.
"""

from __future__ import annotations

from typing import Any

import jax
import keras
from keras import ops

from keras_dlkit.backends.adversarial import stop_gradient


def take(values: list[Any], indices: list[int]) -> list[Any]:
    """``values`` at ``indices``."""
    return [values[i] for i in indices]


def put(values: list[Any], indices: list[int], new: list[Any]) -> None:
    """Write ``new`` into ``values`` at ``indices``."""
    for i, value in zip(indices, new, strict=True):
        values[i] = value


def state_layout(trainer: Any) -> dict[str, Any]:
    """Where each network's values sit in ``fit()``'s state lists (cached).

    ``trainable`` and ``non_trainable`` map each of ``trainer._NETWORKS`` to
    its positions (``non_trainable`` also ``"step_state"``, the trainer's own
    variables); ``optimizers`` maps each compiled optimizer's attribute name
    to its variables' positions; ``step`` is the MultiOptimizer's counter.
    """
    if trainer._layout is not None:
        return trainer._layout
    networks = {key: getattr(trainer, key) for key in trainer._NETWORKS}

    def positions(variables: list[Any], parts: dict[str, list[Any]], what: str):
        index = {id(v): i for i, v in enumerate(variables)}
        out = {key: [index[id(v)] for v in part] for key, part in parts.items()}
        covered = sorted(i for ids in out.values() for i in ids)
        if covered != list(range(len(variables))):
            raise RuntimeError(
                f"Unexpected {what} in {type(trainer).__name__}: every one must "
                "belong to a network or to the trainer's `_step_state()`."
            )
        return out

    trainable = positions(
        trainer.trainable_variables,
        {k: n.trainable_variables for k, n in networks.items()},
        "trainable variables",
    )
    non_trainable = positions(
        trainer.non_trainable_variables,
        {
            **{k: n.non_trainable_variables for k, n in networks.items()},
            "step_state": trainer._step_state(),
        },
        "non-trainable variables",
    )
    opt_index = {id(v): i for i, v in enumerate(trainer.optimizer.variables)}
    trainer._layout = {
        "trainable": trainable,
        "non_trainable": non_trainable,
        "optimizers": {
            name: [opt_index[id(v)] for v in getattr(trainer, name).variables]
            for name in trainer.compiled_optimizers
        },
        "step": opt_index[id(trainer.optimizer.iterations)],
    }
    return trainer._layout


class Run:
    """``run(network, inputs)`` on given values; keeps the updated non-trainables."""

    def __init__(self, trainer: Any, trainable: dict, non_trainable: dict) -> None:
        self._keys = {id(getattr(trainer, key)): key for key in trainer._NETWORKS}
        self.trainable = trainable
        self.non_trainable = dict(non_trainable)

    def __call__(self, network: Any, inputs: Any) -> Any:
        key = self._keys[id(network)]
        outputs, self.non_trainable[key] = network.stateless_call(
            self.trainable[key], self.non_trainable[key], inputs, training=True
        )
        return outputs

    def frozen(self, network: Any, inputs: Any) -> Any:
        return ops.stop_gradient(self(network, inputs))

    def with_input_gradient(self, network: Any, x: Any, to_inputs: Any) -> tuple:
        key = self._keys[id(network)]
        trainable = self.trainable[key]

        def score(x, non_trainable):
            outputs, non_trainable = network.stateless_call(
                trainable, non_trainable, to_inputs(x), training=True
            )
            return ops.sum(ops.cast(outputs, "float32")), (outputs, non_trainable)

        grad, (outputs, self.non_trainable[key]) = jax.grad(score, has_aux=True)(
            x, self.non_trainable[key]
        )
        return outputs, grad


def stateless_record(trainer: Any, metric_values: list, record: Any) -> tuple:
    """``record()``'s logs and the metric values it leaves, without state."""
    metric_variables = trainer.metrics_variables
    with keras.StatelessScope(
        state_mapping=list(zip(metric_variables, metric_values, strict=True))
    ) as scope:
        logs = record()
    new_values = []
    for variable, old in zip(metric_variables, metric_values, strict=True):
        new = scope.get_current_value(variable)
        new_values.append(old if new is None else new)
    return logs, new_values


class AdversarialStep:
    """Each update of ``trainer._updates()``, by ``jax.value_and_grad``."""

    def _jax_objective(self, update, trained, others, ntv, own, batch, carry):
        """``update``'s loss, differentiable in ``trained``; new state as aux."""
        run = Run(self, {**others, **trained}, ntv)
        step_state = self._step_state()
        with keras.StatelessScope(
            state_mapping=list(zip(step_state, own, strict=True))
        ) as scope:
            loss, terms, carry = getattr(self, update.objective)(run, batch, carry)
        own = [
            old if scope.get_current_value(v) is None else scope.get_current_value(v)
            for v, old in zip(step_state, own, strict=True)
        ]
        return loss, (terms, carry, run.non_trainable, own)

    def _jax_update(self, update, tv, ntv, own, opt_values, batch, carry):
        """One run of ``update``; the new values of everything it changed."""
        trained = {k: tv[k] for k in update.networks}
        others = {k: v for k, v in tv.items() if k not in trained}

        def objective(trained):
            return self._jax_objective(update, trained, others, ntv, own, batch, carry)

        (_, (terms, carry, ntv, own)), grads = jax.value_and_grad(
            objective, has_aux=True
        )(trained)
        new, opt_values = getattr(self, update.optimizer).stateless_apply(
            opt_values,
            [g for k in update.networks for g in grads[k]],
            [v for k in update.networks for v in trained[k]],
        )
        tv = dict(tv)
        for k in update.networks:
            n = len(tv[k])
            tv[k], new = list(new[:n]), new[n:]
        return tv, ntv, own, opt_values, stop_gradient(carry), terms

    def train_step(self, state: tuple, data: Any) -> tuple[dict[str, Any], tuple]:
        """One adversarial step on a ``fit()`` batch, on ``fit()``'s state."""
        trainable, non_trainable, optimizer_values, metric_values = state
        trainable = list(trainable)
        non_trainable = list(non_trainable)
        optimizer_values = list(optimizer_values)
        layout = state_layout(self)
        batch = self._unpack_batch(data)

        tv = {k: take(trainable, i) for k, i in layout["trainable"].items()}
        ntv = {
            k: take(non_trainable, i)
            for k, i in layout["non_trainable"].items()
            if k != "step_state"
        }
        own = take(non_trainable, layout["non_trainable"]["step_state"])
        carry, terms = None, {}
        for update in self._updates():
            opt_index = layout["optimizers"][update.optimizer]
            opt_values = take(optimizer_values, opt_index)
            if update.repeats == 1:
                tv, ntv, own, opt_values, carry, step_terms = self._jax_update(
                    update, tv, ntv, own, opt_values, batch, carry
                )
            else:
                # One traced update, looped: compile time does not grow with
                # the number of repeats.
                def body(loop, _, update=update):
                    *loop, step_terms = self._jax_update(
                        update, *loop[:4], batch, loop[4]
                    )
                    return tuple(loop), step_terms

                loop = (tv, ntv, own, opt_values, carry)
                (tv, ntv, own, opt_values, carry), stacked = jax.lax.scan(
                    body, loop, length=update.repeats
                )
                step_terms = {k: ops.mean(v) for k, v in stacked.items()}
            put(optimizer_values, opt_index, opt_values)
            terms.update(step_terms)

        for k in tv:
            put(trainable, layout["trainable"][k], tv[k])
            put(non_trainable, layout["non_trainable"][k], ntv[k])
        put(non_trainable, layout["non_trainable"]["step_state"], own)
        step = layout["step"]
        optimizer_values[step] = optimizer_values[step] + 1
        logs, metric_values = stateless_record(
            self, metric_values, lambda: self._record(terms, batch)
        )
        return logs, (trainable, non_trainable, optimizer_values, metric_values)
