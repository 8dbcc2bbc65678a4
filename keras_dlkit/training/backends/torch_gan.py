"""The GAN ``train_step`` on torch: ``zero_grad``, ``backward``, ``optimizer.apply``."""

from __future__ import annotations

from typing import Any

import torch
from keras import ops

from keras_dlkit.losses.gan import gradient_penalty


class TorchGANStep:
    """``discriminator_steps`` critic updates, then one generator update."""

    def _torch_critic_step(self, real: Any) -> tuple[Any, Any]:
        batch = ops.shape(real)[0]
        z, eps = self._draw_critic_noise(batch, len(real.shape))
        with torch.no_grad():
            fake = ops.cast(self.generator(z, training=True), real.dtype)
        fake = fake.detach()
        variables = self.discriminator.trainable_variables
        self.zero_grad()
        real_logits = self.discriminator(real, training=True)
        fake_logits = self.discriminator(fake, training=True)
        loss = self._discriminator_objective(real_logits, fake_logits)
        penalty = None
        if self._uses_gradient_penalty:
            mixed = self._interpolate(real, fake, eps).detach().requires_grad_(True)
            scores = self.discriminator(mixed, training=True)
            (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
            penalty = gradient_penalty(grad)
            loss = loss + self.gradient_penalty_weight * penalty
        loss.backward()
        grads = [v.value.grad for v in variables]
        with torch.no_grad():
            self.discriminator_optimizer.apply(grads, variables)
        return loss.detach(), None if penalty is None else penalty.detach()

    def _torch_generator_step(self, real: Any) -> Any:
        z = self._draw_generator_noise(ops.shape(real)[0])
        variables = self.generator.trainable_variables
        self.zero_grad()
        fake = ops.cast(self.generator(z, training=True), real.dtype)
        loss = self._generator_objective(self.discriminator(fake, training=True))
        loss.backward()
        grads = [v.value.grad for v in variables]
        with torch.no_grad():
            self.generator_optimizer.apply(grads, variables)
        return loss.detach()

    def train_step(self, data: Any) -> dict[str, Any]:
        """One GAN step on a batch of real samples (``fit()`` calls it)."""
        real = self._real_batch(data)
        d_losses, penalties = [], []
        for _ in range(self.discriminator_steps):
            d_loss, penalty = self._torch_critic_step(real)
            d_losses.append(d_loss)
            penalties.append(penalty)
        g_loss = self._torch_generator_step(real)
        self.zero_grad()
        with torch.no_grad():
            self.optimizer.iterations.assign_add(1)
            return self._record(d_losses, g_loss, penalties, ops.shape(real)[0])
