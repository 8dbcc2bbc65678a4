"""GoogLeNet's Inception module (Szegedy et al., 2014)."""

from __future__ import annotations

from typing import Any

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.inception_base import InceptionBase, check_filters


@keras_dlkit_export("keras_dlkit.blocks.InceptionModule")
class InceptionModule(InceptionBase):
    """The Inception module of GoogLeNet ("Going deeper with convolutions").

    Four branches on the same input, concatenated along the channels:
    a 1x1 convolution; a 1x1 reduction then a 3x3 convolution; a 1x1
    reduction then a 5x5 convolution; a 3x3 max pooling (stride 1) then a
    1x1 projection. The 1x1 reductions keep the cost of the larger kernels
    low. Every convolution is followed by a ReLU; with ``batch_norm`` (the
    Inception-v2 refinement that torchvision's GoogLeNet uses) each
    convolution has no bias and is followed by batch normalization, without
    it (the 2014 paper) each convolution has a bias.

    torchvision's GoogLeNet uses a 3x3 kernel in the "5x5" branch (a bug kept
    for its pretrained weights); ``kernel_size_5x5=3`` reproduces it.

    Sublayers: units ``branch1x1``, ``branch3x3_reduce``, ``branch3x3``,
    ``branch5x5_reduce``, ``branch5x5``, ``pool_proj`` (each ``<unit>_conv``
    and ``<unit>_bn``) and ``pool``.

    Args:
        filters_1x1: Filters of the 1x1 branch ("#1x1" in the paper's table).
        filters_3x3_reduce: Filters of the reduction before the 3x3.
        filters_3x3: Filters of the 3x3 convolution.
        filters_5x5_reduce: Filters of the reduction before the 5x5.
        filters_5x5: Filters of the 5x5 convolution.
        pool_proj: Filters of the projection after the max pooling.
        kernel_size_5x5: Kernel of the "5x5" branch (5, or 3 as in
            torchvision).
        batch_norm: Whether each convolution is followed by batch
            normalization (and has no bias).
        norm_scale: Whether the batch normalizations learn a scale.
        norm_epsilon: Epsilon of the batch normalizations.
        norm_momentum: Momentum of the batch normalizations.
        kernel_initializer: Initializer of the convolution kernels.
        **kwargs: Base ``keras.layers.Layer`` arguments.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import InceptionModule
    >>> block = InceptionModule(64, 96, 128, 16, 32, 32, batch_norm=False)  # 3a
    >>> tuple(block(np.ones((1, 28, 28, 192), "float32")).shape)
    (1, 28, 28, 256)
    >>> block.count_params()  # inception (3a) of the paper, biases included
    163696
    """

    def __init__(
        self,
        filters_1x1: int,
        filters_3x3_reduce: int,
        filters_3x3: int,
        filters_5x5_reduce: int,
        filters_5x5: int,
        pool_proj: int,
        kernel_size_5x5: int = 5,
        batch_norm: bool = True,
        norm_scale: bool = True,
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ):
        super().__init__(
            batch_norm=batch_norm,
            norm_scale=norm_scale,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            kernel_initializer=kernel_initializer,
            **kwargs,
        )
        self.filters_1x1 = check_filters("filters_1x1", filters_1x1)
        self.filters_3x3_reduce = check_filters(
            "filters_3x3_reduce", filters_3x3_reduce
        )
        self.filters_3x3 = check_filters("filters_3x3", filters_3x3)
        self.filters_5x5_reduce = check_filters(
            "filters_5x5_reduce", filters_5x5_reduce
        )
        self.filters_5x5 = check_filters("filters_5x5", filters_5x5)
        self.pool_proj = check_filters("pool_proj", pool_proj)
        self.kernel_size_5x5 = check_filters("kernel_size_5x5", kernel_size_5x5)
        u = self._unit
        self._branches = (
            (u("branch1x1", filters_1x1, 1),),
            (
                u("branch3x3_reduce", filters_3x3_reduce, 1),
                u("branch3x3", filters_3x3, 3),
            ),
            (
                u("branch5x5_reduce", filters_5x5_reduce, 1),
                u("branch5x5", filters_5x5, kernel_size_5x5),
            ),
            (self._pool("pool", "max", 3, 1, "same"), u("pool_proj", pool_proj, 1)),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters_1x1": self.filters_1x1,
            "filters_3x3_reduce": self.filters_3x3_reduce,
            "filters_3x3": self.filters_3x3,
            "filters_5x5_reduce": self.filters_5x5_reduce,
            "filters_5x5": self.filters_5x5,
            "pool_proj": self.pool_proj,
            "kernel_size_5x5": self.kernel_size_5x5,
        }
