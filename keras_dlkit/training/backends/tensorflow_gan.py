"""The GAN ``train_step`` on TensorFlow: ``tf.GradientTape``, nested for the penalty."""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from keras import ops

from keras_dlkit.losses.gan import gradient_penalty


class TensorFlowGANStep:
    """``discriminator_steps`` critic updates, then one generator update."""

    def _tf_critic_step(self, real: Any) -> tuple[Any, Any]:
        batch = ops.shape(real)[0]
        z, eps = self._draw_critic_noise(batch, len(real.shape))
        # Outside the tape: no gradient flows into the generator here.
        fake = ops.cast(self.generator(z, training=True), real.dtype)
        variables = self.discriminator.trainable_variables
        penalty = None
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            loss = self._discriminator_objective(real_logits, fake_logits)
            if self._uses_gradient_penalty:
                mixed = self._interpolate(real, fake, eps)
                with tf.GradientTape() as inner:
                    inner.watch(mixed)
                    scores = self.discriminator(mixed, training=True)
                penalty = gradient_penalty(inner.gradient(scores, mixed))
                loss = loss + self.gradient_penalty_weight * penalty
        grads = tape.gradient(loss, variables)
        self.discriminator_optimizer.apply(grads, variables)
        return loss, penalty

    def _tf_generator_step(self, real: Any) -> Any:
        z = self._draw_generator_noise(ops.shape(real)[0])
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = ops.cast(self.generator(z, training=True), real.dtype)
            loss = self._generator_objective(self.discriminator(fake, training=True))
        grads = tape.gradient(loss, variables)
        self.generator_optimizer.apply(grads, variables)
        return loss

    def train_step(self, data: Any) -> dict[str, Any]:
        """One GAN step on a batch of real samples (``fit()`` calls it)."""
        real = self._real_batch(data)
        d_losses, penalties = [], []
        for _ in range(self.discriminator_steps):
            d_loss, penalty = self._tf_critic_step(real)
            d_losses.append(d_loss)
            penalties.append(penalty)
        g_loss = self._tf_generator_step(real)
        self.optimizer.iterations.assign_add(1)
        return self._record(d_losses, g_loss, penalties, ops.shape(real)[0])
