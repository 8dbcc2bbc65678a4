"""The GAN ``train_step`` on JAX: stateless, on the state ``fit()`` threads.

JAX's ``fit()`` hands ``train_step`` the values of the trainer's trainable,
non-trainable, optimizer and metric variables and expects them back updated;
any stateful variable access inside the jitted step fails. So each network
runs through ``stateless_call``, the noise comes from the trainer's
``SeedGenerator`` inside a ``keras.StatelessScope``, each inner optimizer
updates its own slice with ``stateless_apply``, and the loss trackers update
inside a ``StatelessScope`` on the metric values. Both inner optimizers'
slots reach ``fit()``'s state because they are held by the one
``keras.optimizers.MultiOptimizer`` that ``GAN.compile`` makes the trainer's
optimizer.
"""

from __future__ import annotations

from typing import Any

import jax
import keras
from keras import ops

from keras_dlkit.losses.gan import gradient_penalty, r1_penalty


def _take(values: list[Any], indices: list[int]) -> list[Any]:
    return [values[i] for i in indices]


def _put(values: list[Any], indices: list[int], new: list[Any]) -> None:
    for i, value in zip(indices, new, strict=True):
        values[i] = value


class JaxGANStep:
    """``discriminator_steps`` critic updates, then one generator update.

    The trainer's hooks ``_split_batch``, ``_generator_inputs`` and
    ``_discriminator_inputs`` say what the networks are called on (noise
    alone for :class:`~keras_dlkit.training.GAN`, noise and labels for
    :class:`~keras_dlkit.training.ConditionalGAN`).
    """

    def _jax_draw(self, seed_state: Any, draw) -> tuple[Any, Any]:
        """Run ``draw()`` with the seed generator's state bound to ``seed_state``."""
        state = self.seed_generator.state
        with keras.StatelessScope(state_mapping=[(state, seed_state)]) as scope:
            out = draw()
        return out, scope.get_current_value(state)

    def _jax_critic_loss(self, d_tv, d_ntv, g_tv, g_ntv, real, cond, z, eps):
        fake, g_ntv = self.generator.stateless_call(
            g_tv, g_ntv, self._generator_inputs(z, cond), training=True
        )
        fake = ops.cast(fake, real.dtype)

        def discriminate(x, d_ntv):
            """D's logits on ``x``, their float32 sum (for input gradients), state."""
            logits, d_ntv = self.discriminator.stateless_call(
                d_tv, d_ntv, self._discriminator_inputs(x, cond), training=True
            )
            return ops.sum(ops.cast(logits, "float32")), (logits, d_ntv)

        r1 = None
        if self._uses_r1_penalty:
            # The input gradient on the real batch, from the same forward pass
            # that gives the real logits; differentiated again by the outer grad.
            grad, (real_logits, d_ntv) = jax.grad(discriminate, has_aux=True)(
                real, d_ntv
            )
            r1 = r1_penalty(grad)
        else:
            _, (real_logits, d_ntv) = discriminate(real, d_ntv)
        _, (fake_logits, d_ntv) = discriminate(fake, d_ntv)
        loss = self._discriminator_objective(real_logits, fake_logits)
        penalty = None
        if self._uses_gradient_penalty:
            mixed = self._interpolate(real, fake, eps)
            grad, (_, d_ntv) = jax.grad(discriminate, has_aux=True)(mixed, d_ntv)
            penalty = gradient_penalty(grad)
            loss = loss + self.gradient_penalty_weight * penalty
        if r1 is not None:
            loss = loss + 0.5 * self.r1_penalty_weight * r1
        return loss, (d_ntv, g_ntv, penalty, r1)

    def _jax_generator_loss(self, g_tv, g_ntv, d_tv, d_ntv, z, cond, dtype):
        fake, g_ntv = self.generator.stateless_call(
            g_tv, g_ntv, self._generator_inputs(z, cond), training=True
        )
        fake = ops.cast(fake, dtype)
        fake_logits, d_ntv = self.discriminator.stateless_call(
            d_tv, d_ntv, self._discriminator_inputs(fake, cond), training=True
        )
        return self._generator_objective(fake_logits), (g_ntv, d_ntv)

    def train_step(self, state: tuple, data: Any) -> tuple[dict[str, Any], tuple]:
        """One GAN step on a batch of real samples, on ``fit()``'s state."""
        trainable, non_trainable, optimizer_values, metric_values = state
        trainable = list(trainable)
        non_trainable = list(non_trainable)
        optimizer_values = list(optimizer_values)
        layout = self._state_layout()

        real, cond = self._split_batch(data)
        batch = real.shape[0]
        g_tv = _take(trainable, layout["generator_trainable"])
        d_tv = _take(trainable, layout["discriminator_trainable"])
        g_ntv = _take(non_trainable, layout["generator_non_trainable"])
        d_ntv = _take(non_trainable, layout["discriminator_non_trainable"])
        g_ov = _take(optimizer_values, layout["generator_optimizer"])
        d_ov = _take(optimizer_values, layout["discriminator_optimizer"])
        seed = non_trainable[layout["seed"]]

        critic_grad = jax.value_and_grad(self._jax_critic_loss, has_aux=True)

        def critic_step(carry, _):
            d_tv, d_ov, d_ntv, g_ntv, seed = carry
            (z, eps), seed = self._jax_draw(
                seed, lambda: self._draw_critic_noise(batch, real.ndim)
            )
            (d_loss, (d_ntv, g_ntv, penalty, r1)), grads = critic_grad(
                d_tv, d_ntv, g_tv, g_ntv, real, cond, z, eps
            )
            d_tv, d_ov = self.discriminator_optimizer.stateless_apply(d_ov, grads, d_tv)
            if penalty is None:
                penalty = ops.zeros((), "float32")
            if r1 is None:
                r1 = ops.zeros((), "float32")
            return (d_tv, d_ov, d_ntv, g_ntv, seed), (d_loss, penalty, r1)

        carry = (d_tv, d_ov, d_ntv, g_ntv, seed)
        if self.discriminator_steps == 1:
            carry, (d_loss, penalty, r1) = critic_step(carry, None)
            d_losses, penalties, r1s = [d_loss], [penalty], [r1]
        else:
            # One traced critic step, looped: compile time does not grow
            # with `discriminator_steps`.
            carry, (d_losses, penalties, r1s) = jax.lax.scan(
                critic_step, carry, length=self.discriminator_steps
            )
            d_losses = [ops.mean(d_losses)]
            penalties, r1s = [ops.mean(penalties)], [ops.mean(r1s)]
        d_tv, d_ov, d_ntv, g_ntv, seed = carry

        z, seed = self._jax_draw(seed, lambda: self._draw_generator_noise(batch))
        generator_grad = jax.value_and_grad(self._jax_generator_loss, has_aux=True)
        (g_loss, (g_ntv, d_ntv)), grads = generator_grad(
            g_tv, g_ntv, d_tv, d_ntv, z, cond, real.dtype
        )
        g_tv, g_ov = self.generator_optimizer.stateless_apply(g_ov, grads, g_tv)

        _put(trainable, layout["generator_trainable"], g_tv)
        _put(trainable, layout["discriminator_trainable"], d_tv)
        _put(non_trainable, layout["generator_non_trainable"], g_ntv)
        _put(non_trainable, layout["discriminator_non_trainable"], d_ntv)
        non_trainable[layout["seed"]] = seed
        _put(optimizer_values, layout["generator_optimizer"], g_ov)
        _put(optimizer_values, layout["discriminator_optimizer"], d_ov)
        step = layout["step"]
        optimizer_values[step] = optimizer_values[step] + 1

        metric_variables = self.metrics_variables
        with keras.StatelessScope(
            state_mapping=list(zip(metric_variables, metric_values, strict=True))
        ) as scope:
            logs = self._record(d_losses, g_loss, penalties, batch, r1s)
        new_metric_values = []
        for variable, old in zip(metric_variables, metric_values, strict=True):
            new = scope.get_current_value(variable)
            new_metric_values.append(old if new is None else new)
        return logs, (trainable, non_trainable, optimizer_values, new_metric_values)
