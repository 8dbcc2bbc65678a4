"""The conditional GAN trainer: generator and discriminator both see the class label.

It is :class:`~keras_dlkit.training.GAN` with three hooks overridden: a batch
is ``(images, labels)``, the generator is called on ``[noise, labels]`` and
the discriminator on ``[images, labels]``. The backend train steps, the loss
choices, the penalties and the saving are the GAN's.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.training._gan_networks import (
    _check_sample_shapes,
    _check_separate,
    _latent_dim_of,
)
from keras_dlkit.training.gan import GAN
from keras_dlkit.utils.validation import check_int, check_network


def _check_label_input(name: str, tensor: Any) -> tuple:
    shape = tuple(tensor.shape)
    if shape not in ((None,), (None, 1)):
        raise ValueError(
            f"The {name}'s second input (the labels) must have shape (None,) or "
            f"(None, 1) (one integer class index per sample), got {shape}."
        )
    return shape[1:]


@keras_dlkit_export("keras_dlkit.training.ConditionalGAN")
class ConditionalGAN(GAN):
    """A GAN whose generator and discriminator are conditioned on class labels.

    Mirza & Osindero (2014): the generator maps ``[noise, labels]`` to
    samples of the given classes and the discriminator judges
    ``[samples, labels]`` pairs. Train with ``fit(images, labels)``
    (``x=images``, ``y=labels``; a ``tf.data.Dataset`` or
    ``keras.utils.PyDataset`` yields ``(images, labels)`` batches; a tuple
    ``fit((images, labels))`` works too). Labels are integer class indices in
    ``[0, num_classes)``, of shape ``(batch,)`` or ``(batch, 1)``; they are
    reshaped to each network's label input.

    The generated half of every update uses the *real batch's labels* (as
    Keras's conditional GAN example does), not labels drawn at random: the
    discriminator then sees the same classes, in the same proportions, among
    real and generated samples, so it cannot tell them apart by label
    frequency, and the noise stream is exactly the unconditional GAN's.
    Everything else (losses, ``discriminator_steps``, gradient and R1
    penalties, the two optimizers, logs, saving) is
    :class:`~keras_dlkit.training.GAN`'s; the penalties differentiate with
    respect to the images only.

    Args:
        generator: A functional ``keras.Model`` with inputs
            ``[noise (None, latent_dim), labels (None,) or (None, 1)]`` and
            one output: the samples.
        discriminator: A functional ``keras.Model`` with inputs
            ``[samples, labels]`` (the samples shaped as the generator's
            output) and one output: logits or critic scores.
        num_classes: Number of classes (>= 2); labels lie in
            ``[0, num_classes)``. Used by callers that sample per class
            (:class:`~keras_dlkit.callbacks.SampleGrid`).
        latent_dim: Size of the noise; ``None`` takes it from the
            generator's noise input.
        seed: Seed of the noise; ``None`` draws one from Python's global RNG.
        **kwargs: Passed to ``keras.Model`` (for example ``name``).

    Raises:
        ValueError: If a network does not have the two inputs and one output
            above, if a label input is not ``(None,)`` or ``(None, 1)``, if
            the generator's output does not match the discriminator's sample
            input, if ``num_classes < 2`` or ``latent_dim < 1``.

    Example:

    >>> import keras, numpy as np
    >>> from keras_dlkit.training import ConditionalGAN
    >>> z, label = keras.Input((2,)), keras.Input((1,), dtype="int32")
    >>> code = keras.layers.Flatten()(keras.layers.Embedding(3, 2)(label))
    >>> out = keras.layers.Dense(4)(keras.layers.Concatenate()([z, code]))
    >>> generator = keras.Model([z, label], out)
    >>> x, label = keras.Input((4,)), keras.Input((1,), dtype="int32")
    >>> code = keras.layers.Flatten()(keras.layers.Embedding(3, 2)(label))
    >>> logit = keras.layers.Dense(1)(keras.layers.Concatenate()([x, code]))
    >>> discriminator = keras.Model([x, label], logit)
    >>> cgan = ConditionalGAN(generator, discriminator, num_classes=3, seed=0)
    >>> cgan.compile()
    >>> images = np.ones((8, 4), "float32")
    >>> labels = np.arange(8) % 3
    >>> history = cgan.fit(images, labels, batch_size=4, verbose=0)
    >>> sorted(history.history)
    ['d_loss', 'g_loss']
    >>> tuple(cgan([np.zeros((3, 2), "float32"), np.arange(3)]).shape)
    (3, 4)
    """

    _TRAINER_NAME = "ConditionalGAN"
    _INSTANCE_NAME = "cgan"

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        num_classes: int,
        latent_dim: int | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        num_classes = check_int("num_classes", num_classes, minimum=2)
        super().__init__(
            generator, discriminator, latent_dim=latent_dim, seed=seed, **kwargs
        )
        self.num_classes = num_classes
        self._generator_label_shape = _check_label_input(
            "generator", generator.inputs[1]
        )
        self._discriminator_label_shape = _check_label_input(
            "discriminator", discriminator.inputs[1]
        )

    @classmethod
    def _check_networks(
        cls, generator: Any, discriminator: Any, latent_dim: int | None
    ) -> int:
        generator = check_network(
            "generator", generator, num_inputs=2, inputs_hint=" ([noise, labels])"
        )
        discriminator = check_network(
            "discriminator",
            discriminator,
            num_inputs=2,
            inputs_hint=" ([samples, labels])",
        )
        _check_separate(generator, discriminator)
        latent_dim = _latent_dim_of(generator.inputs[0], latent_dim)
        _check_label_input("generator", generator.inputs[1])
        _check_label_input("discriminator", discriminator.inputs[1])
        _check_sample_shapes(generator.outputs[0], discriminator.inputs[0])
        return latent_dim

    # -- the hooks the backend train steps call -------------------------------------

    def _unpack_batch(self, data: Any) -> tuple[Any, Any]:
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None and isinstance(x, (list, tuple)) and len(x) == 2:
            x, y = x
        if y is None or isinstance(x, (list, tuple, dict)):
            raise ValueError(
                "ConditionalGAN.fit() expects batches of (images, labels): call "
                "fit(images, labels) or pass a dataset yielding (images, labels)."
            )
        images = self._floats(x)
        labels = ops.reshape(ops.cast(ops.convert_to_tensor(y), "int32"), (-1,))
        return images, labels

    @staticmethod
    def _shaped(labels: Any, shape: tuple) -> Any:
        return ops.expand_dims(labels, -1) if shape == (1,) else labels

    def _generator_inputs(self, z: Any, condition: Any) -> Any:
        return [z, self._shaped(condition, self._generator_label_shape)]

    def _discriminator_inputs(self, x: Any, condition: Any) -> Any:
        return [x, self._shaped(condition, self._discriminator_label_shape)]

    # -- public API --------------------------------------------------------------------

    def call(self, inputs: Any, training: bool = False) -> Any:
        """Generate samples from ``[noise (batch, latent_dim), labels (batch,)]``."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                f"ConditionalGAN takes [noise, labels], got {type(inputs).__name__}."
            )
        z, labels = inputs
        labels = ops.reshape(ops.cast(ops.convert_to_tensor(labels), "int32"), (-1,))
        return self.generator(self._generator_inputs(z, labels), training=training)

    def fit(
        self, x: Any = None, y: Any = None, **kwargs: Any
    ) -> keras.callbacks.History:
        """Train on real samples and their labels.

        Args:
            x: Real samples (an array), or a ``tf.data.Dataset`` /
                ``keras.utils.PyDataset`` yielding ``(images, labels)``, or a
                tuple ``(images, labels)`` of arrays.
            y: Integer labels when ``x`` is an array of samples; else ``None``.
            **kwargs: Other ``keras.Model.fit`` arguments, except validation.

        Returns:
            The ``History``.
        """
        self._check_fit(kwargs, ": a GAN has no held-out loss to evaluate")
        return keras.Model.fit(self, x, y, **kwargs)

    def get_config(self) -> dict[str, Any]:
        """The GAN's config plus ``num_classes``.

        Returns:
            A JSON-serializable dict.
        """
        return {**super().get_config(), "num_classes": self.num_classes}
