"""The CycleGAN ``train_step`` on JAX: stateless, on the state ``fit()`` threads.

JAX's ``fit()`` hands ``train_step`` the values of the trainer's trainable,
non-trainable, optimizer and metric variables and expects them back
updated. Each network runs through ``stateless_call`` on its slice of those
values (a small runner carries each network's non-trainable values, batch
statistics for instance, from one call to the next), each inner optimizer
updates its slice with ``stateless_apply``, and the loss trackers update
inside a ``StatelessScope`` on the metric values.
"""

from __future__ import annotations

from typing import Any

import jax
import keras
from keras import ops


def _take(values: list[Any], indices: list[int]) -> list[Any]:
    return [values[i] for i in indices]


def _put(values: list[Any], indices: list[int], new: list[Any]) -> None:
    for i, value in zip(indices, new, strict=True):
        values[i] = value


class _StatelessRunner:
    """``run(network, images)`` on given values; keeps the updated non-trainables."""

    def __init__(self, trainer: Any, trainable: dict, non_trainable: dict) -> None:
        self._keys = {id(getattr(trainer, key)): key for key in trainer._NETWORKS}
        self.trainable = trainable
        self.non_trainable = dict(non_trainable)

    def __call__(self, network: Any, images: Any) -> Any:
        key = self._keys[id(network)]
        outputs, self.non_trainable[key] = network.stateless_call(
            self.trainable[key], self.non_trainable[key], images, training=True
        )
        return outputs


def _state_layout(trainer: Any) -> dict[str, Any]:
    """Where each network's values sit in ``fit()``'s state lists (cached)."""
    if trainer._layout is not None:
        return trainer._layout
    networks = trainer._NETWORKS

    def positions(variables, attribute, what):
        index = {id(v): i for i, v in enumerate(variables)}
        out = {
            key: [index[id(v)] for v in getattr(getattr(trainer, key), attribute)]
            for key in networks
        }
        covered = sorted(i for ids in out.values() for i in ids)
        if covered != list(range(len(variables))):
            raise RuntimeError(f"Unexpected {what} in the CycleGAN trainer.")
        return out

    opt_index = {id(v): i for i, v in enumerate(trainer.optimizer.variables)}
    trainer._layout = {
        "trainable": positions(
            trainer.trainable_variables, "trainable_variables", "trainable variables"
        ),
        "non_trainable": positions(
            trainer.non_trainable_variables,
            "non_trainable_variables",
            "non-trainable variables",
        ),
        "generator_optimizer": [
            opt_index[id(v)] for v in trainer.generator_optimizer.variables
        ],
        "discriminator_optimizer": [
            opt_index[id(v)] for v in trainer.discriminator_optimizer.variables
        ],
        "step": opt_index[id(trainer.optimizer.iterations)],
    }
    return trainer._layout


class JaxCycleGANStep:
    """Both generators, then both discriminators on the translations made before."""

    def _jax_generator_loss(self, g_tv, d_tv, ntv, real_x, real_y):
        run = _StatelessRunner(self, {**g_tv, **d_tv}, ntv)
        total, terms, fakes = self._generator_objective(run, real_x, real_y)
        return total, (terms, fakes, run.non_trainable)

    def _jax_discriminator_loss(self, d_tv, ntv, real_x, real_y, fake_x, fake_y):
        run = _StatelessRunner(self, d_tv, ntv)
        total, terms = self._discriminator_objective(
            run, real_x, real_y, fake_x, fake_y
        )
        return total, (terms, run.non_trainable)

    def train_step(self, state: tuple, data: Any) -> tuple[dict[str, Any], tuple]:
        """One CycleGAN step on an ``(x_batch, y_batch)`` pair, on ``fit()``'s state."""
        trainable, non_trainable, optimizer_values, metric_values = state
        trainable = list(trainable)
        non_trainable = list(non_trainable)
        optimizer_values = list(optimizer_values)
        layout = _state_layout(self)
        networks = self._NETWORKS
        real_x, real_y = self._domain_batches(data)

        tv = {k: _take(trainable, layout["trainable"][k]) for k in networks}
        ntv = {k: _take(non_trainable, layout["non_trainable"][k]) for k in networks}
        generators, discriminators = networks[:2], networks[2:]

        # Both generators: one gradient of the joint loss.
        g_tv = {k: tv[k] for k in generators}
        d_tv = {k: tv[k] for k in discriminators}
        (_, (terms, (fake_x, fake_y), ntv)), grads = jax.value_and_grad(
            self._jax_generator_loss, has_aux=True
        )(g_tv, d_tv, ntv, real_x, real_y)
        g_ov = _take(optimizer_values, layout["generator_optimizer"])
        new_g, g_ov = self.generator_optimizer.stateless_apply(
            g_ov,
            [g for k in generators for g in grads[k]],
            [v for k in generators for v in g_tv[k]],
        )
        _put(optimizer_values, layout["generator_optimizer"], g_ov)
        for k in generators:
            n = len(tv[k])
            tv[k], new_g = list(new_g[:n]), new_g[n:]

        # Both discriminators, on the translations made before the update.
        fake_x, fake_y = ops.stop_gradient(fake_x), ops.stop_gradient(fake_y)
        (_, (d_terms, ntv)), grads = jax.value_and_grad(
            self._jax_discriminator_loss, has_aux=True
        )(d_tv, ntv, real_x, real_y, fake_x, fake_y)
        d_ov = _take(optimizer_values, layout["discriminator_optimizer"])
        new_d, d_ov = self.discriminator_optimizer.stateless_apply(
            d_ov,
            [g for k in discriminators for g in grads[k]],
            [v for k in discriminators for v in d_tv[k]],
        )
        _put(optimizer_values, layout["discriminator_optimizer"], d_ov)
        for k in discriminators:
            n = len(tv[k])
            tv[k], new_d = list(new_d[:n]), new_d[n:]

        for k in networks:
            _put(trainable, layout["trainable"][k], tv[k])
            _put(non_trainable, layout["non_trainable"][k], ntv[k])
        step = layout["step"]
        optimizer_values[step] = optimizer_values[step] + 1

        metric_variables = self.metrics_variables
        with keras.StatelessScope(
            state_mapping=list(zip(metric_variables, metric_values, strict=True))
        ) as scope:
            logs = self._record({**terms, **d_terms}, real_x.shape[0])
        new_metric_values = []
        for variable, old in zip(metric_variables, metric_values, strict=True):
            new = scope.get_current_value(variable)
            new_metric_values.append(old if new is None else new)
        return logs, (trainable, non_trainable, optimizer_values, new_metric_values)
