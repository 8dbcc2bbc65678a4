"""Neural style transfer losses (Gatys, Ecker and Bethge, CVPR 2016).

Feature maps are channels last, ``(batch, height, width, channels)``. The
Gram matrix is normalised by the number of positions ``M = height * width``,
so that a style image of another size gives comparable statistics; for
images of the same size :func:`style_loss` is then exactly the paper's
``E_l = 1 / (4 N^2 M^2) * sum (G - A)^2`` with unnormalised Gram matrices
``G``, ``A`` and ``N`` channels.
"""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.utils.validation import check_float


def _features(name: str, x: Any) -> Any:
    x = ops.convert_to_tensor(x)
    if len(x.shape) != 4:
        raise ValueError(
            f"`{name}` must be feature maps (batch, height, width, channels), "
            f"got shape {tuple(x.shape)}."
        )
    return ops.cast(x, "float32")


@keras_dlkit_export("keras_dlkit.losses.gram_matrix")
def gram_matrix(features: Any, normalize: bool = True) -> Any:
    """Channel-by-channel inner products of a feature map: its style.

    ``G[b, c, d] = sum_{i, j} F[b, i, j, c] * F[b, i, j, d]``, divided by
    ``height * width`` with ``normalize``.

    Args:
        features: ``(batch, height, width, channels)``.
        normalize: Divide by the number of positions.

    Returns:
        ``(batch, channels, channels)``, float32.

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from keras_dlkit.losses import gram_matrix
    >>> f = np.array([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # 2 positions, 2 channels
    >>> keras.ops.convert_to_numpy(gram_matrix(f, normalize=False)).tolist()
    [[[10.0, 14.0], [14.0, 20.0]]]
    """
    x = _features("features", features)
    gram = ops.einsum("bijc,bijd->bcd", x, x)
    if normalize:
        positions = ops.cast(ops.shape(x)[1] * ops.shape(x)[2], "float32")
        gram = gram / positions
    return gram


@keras_dlkit_export("keras_dlkit.losses.style_loss")
def style_loss(style_features: Any, combination_features: Any) -> Any:
    """Gatys et al.'s style loss of one layer.

    ``sum((gram(S) - gram(C))^2) / (4 N^2)`` with normalised Gram matrices
    of the style and the generated image's features and ``N`` channels (the
    paper's ``E_l``; see the module docstring). The two maps may differ in
    height and width, not in channels.

    Args:
        style_features: ``(batch, h, w, N)`` features of the style image
            (batch 1 broadcasts).
        combination_features: ``(batch, h', w', N)`` features of the image
            being optimised.

    Returns:
        ``(batch,)`` float32.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.losses import style_loss
    >>> a = np.ones((1, 2, 2, 1))
    >>> float(style_loss(a, 2 * a)[0])  # grams 1 and 4: (4 - 1)^2 / 4
    2.25
    """
    style = gram_matrix(style_features)
    combination = gram_matrix(combination_features)
    channels = ops.cast(ops.shape(combination)[-1], "float32")
    return ops.sum(ops.square(style - combination), axis=(1, 2)) / (4.0 * channels**2)


@keras_dlkit_export("keras_dlkit.losses.content_loss")
def content_loss(content_features: Any, combination_features: Any) -> Any:
    """Gatys et al.'s content loss: ``0.5 * sum((F - P)^2)`` over a layer.

    Args:
        content_features: ``(batch, h, w, c)`` features of the content image.
        combination_features: The same layer's features of the generated
            image, same shape.

    Returns:
        ``(batch,)`` float32.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.losses import content_loss
    >>> float(content_loss(np.zeros((1, 2, 2, 1)), np.ones((1, 2, 2, 1)))[0])
    2.0
    """
    content = _features("content_features", content_features)
    combination = _features("combination_features", combination_features)
    return 0.5 * ops.sum(ops.square(combination - content), axis=(1, 2, 3))


@keras_dlkit_export("keras_dlkit.losses.total_variation_loss")
def total_variation_loss(images: Any, beta: float = 2.0) -> Any:
    """Total variation ``sum_{i,j} ((x[i,j+1]-x[i,j])^2 + (x[i+1,j]-x[i,j])^2)^(beta/2)``.

    The regulariser of Mahendran and Vedaldi (2015), summed over channels
    inside the power; ``beta=2`` is the squared-gradient form, the keras.io
    style-transfer example uses ``beta=2.5``. It smooths the generated image.

    Args:
        images: ``(batch, height, width, channels)``.
        beta: Exponent (> 0).

    Returns:
        ``(batch,)`` float32.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.losses import total_variation_loss
    >>> ramp = np.arange(3.0).reshape(1, 1, 3, 1) * np.ones((1, 3, 1, 1))
    >>> float(total_variation_loss(ramp)[0])  # 2x2 positions, horizontal step 1
    4.0
    """
    beta = check_float("beta", beta, minimum=0.0, min_inclusive=False)
    x = _features("images", images)
    down = x[:, 1:, :-1, :] - x[:, :-1, :-1, :]
    right = x[:, :-1, 1:, :] - x[:, :-1, :-1, :]
    squared = ops.sum(ops.square(down) + ops.square(right), axis=-1)
    if beta != 2.0:
        squared = ops.power(ops.maximum(squared, 1e-12), beta / 2.0)
    return ops.sum(squared, axis=(1, 2))
