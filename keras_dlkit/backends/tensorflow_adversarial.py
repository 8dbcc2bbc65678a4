"""The adversarial ``train_step`` on TensorFlow: one ``GradientTape`` per update.

See :mod:`keras_dlkit.backends.adversarial` for the contract.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from keras import ops

from keras_dlkit.backends.adversarial import mean_terms, stop_gradient


class Run:
    """Calls networks directly; input gradients from a nested tape."""

    def __call__(self, network: Any, inputs: Any) -> Any:
        return network(inputs, training=True)

    def frozen(self, network: Any, inputs: Any) -> Any:
        return ops.stop_gradient(network(inputs, training=True))

    def with_input_gradient(self, network: Any, x: Any, to_inputs: Any) -> tuple:
        # Inside the update's tape, which records this gradient too.
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = network(to_inputs(x), training=True)
            total = ops.sum(ops.cast(outputs, "float32"))
        return outputs, tape.gradient(total, x)


class AdversarialStep:
    """Each update of ``trainer._updates()``, on a ``tf.GradientTape``."""

    def train_step(self, data: Any) -> dict[str, Any]:
        """One adversarial step on a ``fit()`` batch."""
        batch = self._unpack_batch(data)
        run, carry, terms = Run(), None, {}
        for update in self._updates():
            variables = self._variables_of(update.networks)
            optimizer = getattr(self, update.optimizer)
            objective = getattr(self, update.objective)
            collected = []
            for _ in range(update.repeats):
                with tf.GradientTape() as tape:
                    loss, step_terms, carry = objective(run, batch, carry)
                optimizer.apply(tape.gradient(loss, variables), variables)
                carry = stop_gradient(carry)
                collected.append(step_terms)
            terms.update(mean_terms(collected))
        self.optimizer.iterations.assign_add(1)
        return self._record(terms, batch)
