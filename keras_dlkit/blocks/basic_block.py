"""The basic residual block (two 3x3 convolutions) of ResNet-18 and -34."""

from __future__ import annotations

from typing import Any

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks._residual import RESNET_EPSILON, ResidualBlockBase


@keras_dlkit_export("keras_dlkit.blocks.BasicBlock")
class BasicBlock(ResidualBlockBase):
    """Basic residual block: two 3x3 convolutions and a shortcut.

    **Version 1** (post-activation, He et al., 2015, "Deep Residual Learning
    for Image Recognition"; torchvision's ``BasicBlock``)::

        y = relu(bn(conv3x3(relu(bn(conv3x3_stride(x))))) + shortcut(x))

    **Version 2** (pre-activation, He et al., 2016, "Identity Mappings in
    Deep Residual Networks")::

        p = relu(bn(x))
        y = conv3x3(relu(bn(conv3x3_stride(p)))) + shortcut

    with no activation after the sum. The stride sits on the first 3x3
    convolution, which pads explicitly by 1 on every side when strided (the
    papers' and PyTorch's padding).

    The shortcut is a projection (1x1 convolution with the block's stride;
    in version 1 followed by batch norm, in version 2 applied to the
    pre-activation ``p``) or the identity, subsampled by a 1x1 max pool when
    the block is strided (the ``keras.applications`` ResNetV2 rule).
    ``conv_shortcut=None`` projects only when it must: in version 1 when the
    channels or the resolution change (the paper's option B), in version 2
    when the channels change.

    Sublayers: ``preact_norm``, ``preact_act`` (version 2), ``conv1``,
    ``conv2`` (:class:`~keras_dlkit.blocks.ConvNormAct`), ``shortcut``
    (ConvNormAct) or ``shortcut_pool`` (``MaxPooling2D``) when present,
    ``add``, ``out`` (version 1).

    Args:
        filters: Output channels of both convolutions (>= 1).
        stride: Stride of the block (>= 1).
        conv_shortcut: ``None`` (project when needed), ``True`` (always
            project) or ``False`` (identity; the input must then have
            ``filters`` channels).
        version: ``1`` (post-activation) or ``2`` (pre-activation).
        use_bias: Whether the convolutions followed by batch norm have a
            bias (redundant with the norm's offset: the paper and
            torchvision have none). Convolutions not followed by a norm
            (version 2's last one and its projection) always have one.
        norm_epsilon: Batch-norm epsilon (> 0); default ``1.001e-5`` as the
            ``keras.applications`` ResNets.
        norm_momentum: Batch-norm momentum, in ``[0, 1)``.
        kernel_initializer: Initializer of every kernel (default He
            uniform; see :class:`~keras_dlkit.blocks.ConvNormAct`).
        kernel_regularizer: Optional regularizer of every kernel.
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``).

    Raises:
        ValueError: If an argument is out of range (the message names it),
            or, when built, if the input is not 4-D with known channels or
            ``conv_shortcut=False`` meets a channel change.

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import BasicBlock
    >>> block = BasicBlock(32, stride=2, name="block")
    >>> y = block(np.ones((2, 16, 16, 16), "float32"))
    >>> tuple(y.shape)
    (2, 8, 8, 32)
    >>> block.shortcut is not None  # projection: channels and size change
    True
    >>> sum(int(np.prod(w.shape)) for w in block.trainable_weights)
    14528
    """

    def __init__(
        self,
        filters: int,
        stride: int = 1,
        conv_shortcut: bool | None = None,
        version: int = 1,
        use_bias: bool = False,
        norm_epsilon: float = RESNET_EPSILON,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "he_uniform",
        kernel_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            filters,
            stride=stride,
            conv_shortcut=conv_shortcut,
            version=version,
            use_bias=use_bias,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            **kwargs,
        )
        self._make_preact()
        self.conv1 = self._unit(self.filters, 3, self.stride, "conv1")
        self.conv2 = self._output_unit(self.filters, 3, "conv2")
        self.branch = [self.conv1, self.conv2]
