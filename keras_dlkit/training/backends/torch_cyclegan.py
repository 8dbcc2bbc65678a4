"""The CycleGAN ``train_step`` on torch: ``zero_grad``, ``backward``, ``optimizer.apply``."""

from __future__ import annotations

from typing import Any

import torch
from keras import ops


def _run(network: Any, images: Any) -> Any:
    return network(images, training=True)


class TorchCycleGANStep:
    """Both generators, then both discriminators on the translations made before."""

    def _torch_update(self, loss: Any, optimizer: Any, variables: list[Any]) -> None:
        loss.backward()
        grads = [v.value.grad for v in variables]
        with torch.no_grad():
            optimizer.apply(grads, variables)

    def train_step(self, data: Any) -> dict[str, Any]:
        """One CycleGAN step on an ``(x_batch, y_batch)`` pair (``fit()`` calls it)."""
        real_x, real_y = self._domain_batches(data)
        self.zero_grad()
        g_total, terms, (fake_x, fake_y) = self._generator_objective(
            _run, real_x, real_y
        )
        self._torch_update(
            g_total, self.generator_optimizer, self._variables_of(self.generators)
        )
        # The generators' backward also reached the discriminators' weights.
        self.zero_grad()
        d_total, d_terms = self._discriminator_objective(
            _run, real_x, real_y, fake_x.detach(), fake_y.detach()
        )
        self._torch_update(
            d_total,
            self.discriminator_optimizer,
            self._variables_of(self.discriminators),
        )
        self.zero_grad()
        terms = {key: value.detach() for key, value in {**terms, **d_terms}.items()}
        with torch.no_grad():
            self.optimizer.iterations.assign_add(1)
            return self._record(terms, ops.shape(real_x)[0])
