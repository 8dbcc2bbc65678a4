"""The GAN ``train_step`` on TensorFlow: ``tf.GradientTape``, nested for the penalties."""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from keras import ops

from keras_dlkit.losses.gan import gradient_penalty, r1_penalty


class TensorFlowGANStep:
    """``discriminator_steps`` critic updates, then one generator update.

    The trainer's hooks ``_split_batch``, ``_generator_inputs`` and
    ``_discriminator_inputs`` say what the networks are called on (noise
    alone for :class:`~keras_dlkit.training.GAN`, noise and labels for
    :class:`~keras_dlkit.training.ConditionalGAN`).
    """

    def _tf_real_logits(self, real: Any, cond: Any) -> tuple[Any, Any]:
        """D's logits on the real batch and, with R1, the unweighted R1 penalty."""
        if not self._uses_r1_penalty:
            inputs = self._discriminator_inputs(real, cond)
            return self.discriminator(inputs, training=True), None
        with tf.GradientTape() as inner:
            inner.watch(real)
            logits = self.discriminator(
                self._discriminator_inputs(real, cond), training=True
            )
            score_sum = ops.sum(ops.cast(logits, "float32"))
        return logits, r1_penalty(inner.gradient(score_sum, real))

    def _tf_critic_step(self, real: Any, cond: Any) -> tuple[Any, Any, Any]:
        batch = ops.shape(real)[0]
        z, eps = self._draw_critic_noise(batch, len(real.shape))
        # Outside the tape: no gradient flows into the generator here.
        fake = self.generator(self._generator_inputs(z, cond), training=True)
        fake = ops.cast(fake, real.dtype)
        variables = self.discriminator.trainable_variables
        penalty = None
        with tf.GradientTape() as tape:
            real_logits, r1 = self._tf_real_logits(real, cond)
            fake_logits = self.discriminator(
                self._discriminator_inputs(fake, cond), training=True
            )
            loss = self._discriminator_objective(real_logits, fake_logits)
            if self._uses_gradient_penalty:
                mixed = self._interpolate(real, fake, eps)
                with tf.GradientTape() as inner:
                    inner.watch(mixed)
                    scores = self.discriminator(
                        self._discriminator_inputs(mixed, cond), training=True
                    )
                penalty = gradient_penalty(inner.gradient(scores, mixed))
                loss = loss + self.gradient_penalty_weight * penalty
            if r1 is not None:
                loss = loss + 0.5 * self.r1_penalty_weight * r1
        grads = tape.gradient(loss, variables)
        self.discriminator_optimizer.apply(grads, variables)
        return loss, penalty, r1

    def _tf_generator_step(self, real: Any, cond: Any) -> Any:
        z = self._draw_generator_noise(ops.shape(real)[0])
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(self._generator_inputs(z, cond), training=True)
            fake = ops.cast(fake, real.dtype)
            logits = self.discriminator(
                self._discriminator_inputs(fake, cond), training=True
            )
            loss = self._generator_objective(logits)
        grads = tape.gradient(loss, variables)
        self.generator_optimizer.apply(grads, variables)
        return loss

    def train_step(self, data: Any) -> dict[str, Any]:
        """One GAN step on a batch of real samples (``fit()`` calls it)."""
        real, cond = self._split_batch(data)
        d_losses, penalties, r1s = [], [], []
        for _ in range(self.discriminator_steps):
            d_loss, penalty, r1 = self._tf_critic_step(real, cond)
            d_losses.append(d_loss)
            penalties.append(penalty)
            r1s.append(r1)
        g_loss = self._tf_generator_step(real, cond)
        self.optimizer.iterations.assign_add(1)
        return self._record(d_losses, g_loss, penalties, ops.shape(real)[0], r1s)
