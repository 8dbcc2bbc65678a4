"""The adversarial ``train_step`` on torch: ``zero_grad``, ``backward``, ``optimizer.apply``.

See :mod:`keras_dlkit.backends.adversarial` for the contract.
"""

from __future__ import annotations

from typing import Any

import keras
import torch
from keras import ops

from keras_dlkit.backends.adversarial import mean_terms


def _detached(structure: Any) -> Any:
    if structure is None:
        return None
    return keras.tree.map_structure(lambda t: t.detach(), structure)


class Run:
    """Calls networks directly; input gradients by ``torch.autograd.grad``."""

    def __call__(self, network: Any, inputs: Any) -> Any:
        return network(inputs, training=True)

    def frozen(self, network: Any, inputs: Any) -> Any:
        with torch.no_grad():
            return network(inputs, training=True).detach()

    def with_input_gradient(self, network: Any, x: Any, to_inputs: Any) -> tuple:
        x = x.detach().requires_grad_(True)
        outputs = network(to_inputs(x), training=True)
        total = ops.sum(ops.cast(outputs, "float32"))
        (grad,) = torch.autograd.grad(total, x, create_graph=True)
        return outputs, grad


class AdversarialStep:
    """Each update of ``trainer._updates()``: ``backward`` on fresh gradients."""

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
                # An earlier backward also reached these variables' .grad.
                self.zero_grad()
                loss, step_terms, carry = objective(run, batch, carry)
                loss.backward()
                grads = [v.value.grad for v in variables]
                with torch.no_grad():
                    optimizer.apply(grads, variables)
                carry = _detached(carry)
                collected.append(_detached(step_terms))
            terms.update(mean_terms(collected))
        self.zero_grad()
        with torch.no_grad():
            self.optimizer.iterations.assign_add(1)
            return self._record(terms, batch)
