"""Parts shared by the GAN-family builders (not public).

The DCGAN paper's initialization and batch normalization, the class-label
input of conditional networks, and the checks every GAN builder makes.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.utils.validation import check_int

#: The smallest image the registry test builds GAN-family models on.
TINY_IMAGE = (8, 8, 1)


def check_seed(seed):
    """``None`` or an integer seed."""
    return None if seed is None else check_int("seed", seed)


def normal_init() -> keras.initializers.Initializer:
    # A fresh object per layer: N(0, 0.02), as in the DCGAN paper.
    return keras.initializers.RandomNormal(0.0, 0.02)


def batch_norm(name: str) -> keras.layers.BatchNormalization:
    # The authors' code initializes the scale N(1, 0.02) and the offset 0.
    # Momentum 0.9 (PyTorch's 0.1, as in its DCGAN example) rather than
    # Keras's 0.99: the moving statistics used for sampling follow training
    # within tens of steps, not hundreds.
    return keras.layers.BatchNormalization(
        momentum=0.9,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
        name=name,
    )


def check_condition(num_classes: Any, embedding_dim: Any) -> tuple[Any, int]:
    if num_classes is not None:
        num_classes = check_int("num_classes", num_classes, minimum=2)
    embedding_dim = check_int("embedding_dim", embedding_dim, minimum=1)
    return num_classes, embedding_dim


def label_code(num_classes: int, embedding_dim: int) -> tuple[Any, Any]:
    """A labels input ``(None, 1)`` int32 and its embedding ``(None, embedding_dim)``."""
    labels = keras.Input((1,), dtype="int32", name="labels")
    code = keras.layers.Embedding(num_classes, embedding_dim, name="label_embedding")(
        labels
    )
    return labels, keras.layers.Flatten(name="label_code")(code)


def noise_input(latent_dim: int, num_classes: Any, embedding_dim: int):
    """Inputs of a generator and the vector its body starts from."""
    noise = keras.Input((latent_dim,), name="noise")
    if num_classes is None:
        return noise, noise
    labels, code = label_code(num_classes, embedding_dim)
    x = keras.layers.Concatenate(name="noise_and_label")([noise, code])
    return [noise, labels], x
