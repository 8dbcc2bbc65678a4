"""The GAN ``train_step`` on torch: ``zero_grad``, ``backward``, ``optimizer.apply``."""

from __future__ import annotations

from typing import Any

import torch
from keras import ops

from keras_dlkit.losses.gan import gradient_penalty, r1_penalty


def _detached(value: Any) -> Any:
    return None if value is None else value.detach()


class TorchGANStep:
    """``discriminator_steps`` critic updates, then one generator update.

    The trainer's hooks ``_split_batch``, ``_generator_inputs`` and
    ``_discriminator_inputs`` say what the networks are called on (noise
    alone for :class:`~keras_dlkit.training.GAN`, noise and labels for
    :class:`~keras_dlkit.training.ConditionalGAN`).
    """

    def _torch_input_gradient(self, x: Any, cond: Any) -> tuple[Any, Any]:
        """D's logits on ``x`` and their input gradient, kept differentiable."""
        x = x.detach().requires_grad_(True)
        logits = self.discriminator(self._discriminator_inputs(x, cond), training=True)
        score_sum = ops.sum(ops.cast(logits, "float32"))
        (grad,) = torch.autograd.grad(score_sum, x, create_graph=True)
        return logits, grad

    def _torch_critic_step(self, real: Any, cond: Any) -> tuple[Any, Any, Any]:
        batch = ops.shape(real)[0]
        z, eps = self._draw_critic_noise(batch, len(real.shape))
        with torch.no_grad():
            fake = self.generator(self._generator_inputs(z, cond), training=True)
            fake = ops.cast(fake, real.dtype)
        fake = fake.detach()
        variables = self.discriminator.trainable_variables
        self.zero_grad()
        r1 = None
        if self._uses_r1_penalty:
            real_logits, grad = self._torch_input_gradient(real, cond)
            r1 = r1_penalty(grad)
        else:
            real_logits = self.discriminator(
                self._discriminator_inputs(real, cond), training=True
            )
        fake_logits = self.discriminator(
            self._discriminator_inputs(fake, cond), training=True
        )
        loss = self._discriminator_objective(real_logits, fake_logits)
        penalty = None
        if self._uses_gradient_penalty:
            _, grad = self._torch_input_gradient(
                self._interpolate(real, fake, eps), cond
            )
            penalty = gradient_penalty(grad)
            loss = loss + self.gradient_penalty_weight * penalty
        if r1 is not None:
            loss = loss + 0.5 * self.r1_penalty_weight * r1
        loss.backward()
        grads = [v.value.grad for v in variables]
        with torch.no_grad():
            self.discriminator_optimizer.apply(grads, variables)
        return loss.detach(), _detached(penalty), _detached(r1)

    def _torch_generator_step(self, real: Any, cond: Any) -> Any:
        z = self._draw_generator_noise(ops.shape(real)[0])
        variables = self.generator.trainable_variables
        self.zero_grad()
        fake = self.generator(self._generator_inputs(z, cond), training=True)
        fake = ops.cast(fake, real.dtype)
        logits = self.discriminator(
            self._discriminator_inputs(fake, cond), training=True
        )
        loss = self._generator_objective(logits)
        loss.backward()
        grads = [v.value.grad for v in variables]
        with torch.no_grad():
            self.generator_optimizer.apply(grads, variables)
        return loss.detach()

    def train_step(self, data: Any) -> dict[str, Any]:
        """One GAN step on a batch of real samples (``fit()`` calls it)."""
        real, cond = self._split_batch(data)
        d_losses, penalties, r1s = [], [], []
        for _ in range(self.discriminator_steps):
            d_loss, penalty, r1 = self._torch_critic_step(real, cond)
            d_losses.append(d_loss)
            penalties.append(penalty)
            r1s.append(r1)
        g_loss = self._torch_generator_step(real, cond)
        self.zero_grad()
        with torch.no_grad():
            self.optimizer.iterations.assign_add(1)
            return self._record(d_losses, g_loss, penalties, ops.shape(real)[0], r1s)
