"""The CycleGAN ``train_step`` on TensorFlow: one ``GradientTape`` per update."""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from keras import ops


def _run(network: Any, images: Any) -> Any:
    return network(images, training=True)


class TensorFlowCycleGANStep:
    """Both generators, then both discriminators on the translations made before."""

    def train_step(self, data: Any) -> dict[str, Any]:
        """One CycleGAN step on an ``(x_batch, y_batch)`` pair (``fit()`` calls it)."""
        real_x, real_y = self._domain_batches(data)
        g_vars = self._variables_of(self.generators)
        with tf.GradientTape() as tape:
            g_total, terms, (fake_x, fake_y) = self._generator_objective(
                _run, real_x, real_y
            )
        grads = tape.gradient(g_total, g_vars)
        self.generator_optimizer.apply(grads, g_vars)

        fake_x, fake_y = ops.stop_gradient(fake_x), ops.stop_gradient(fake_y)
        d_vars = self._variables_of(self.discriminators)
        with tf.GradientTape() as tape:
            d_total, d_terms = self._discriminator_objective(
                _run, real_x, real_y, fake_x, fake_y
            )
        grads = tape.gradient(d_total, d_vars)
        self.discriminator_optimizer.apply(grads, d_vars)

        self.optimizer.iterations.assign_add(1)
        return self._record({**terms, **d_terms}, ops.shape(real_x)[0])
