"""The bottleneck residual block (1x1, 3x3, 1x1) of ResNet-50 and deeper."""

from __future__ import annotations

from typing import Any

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks._residual import RESNET_EPSILON, ResidualBlockBase
from keras_dlkit.utils.validation import check_int


@keras_dlkit_export("keras_dlkit.blocks.BottleneckBlock")
class BottleneckBlock(ResidualBlockBase):
    """Bottleneck residual block: 1x1 reduce, 3x3, 1x1 expand, and a shortcut.

    The output has ``filters * expansion`` channels (``expansion=4`` in
    ResNet-50/101/152); ``filters`` is the width of the 3x3 convolution.

    **Version 1** (post-activation, He et al., 2015), laid out as
    ``keras.applications.ResNet50`` (and the original Caffe model): the
    stride sits on the *first* 1x1 convolution::

        y = relu(bn(conv1x1(relu(bn(conv3x3(relu(bn(conv1x1_stride(x))))))))
                 + shortcut(x))

    **Version 2** (pre-activation, He et al., 2016), laid out as
    ``keras.applications.ResNet50V2``: the stride sits on the 3x3
    convolution (zero padded by 1 on every side), the last 1x1 convolution
    has a bias and no norm, and nothing follows the sum::

        p = relu(bn(x))
        y = conv1x1(relu(bn(conv3x3_stride(relu(bn(conv1x1(p))))))) + shortcut

    In ``keras.applications.ResNet50V2`` the strided block is the *last* of
    each stage, with an identity shortcut subsampled by a 1x1 max pool;
    :func:`keras_dlkit.models.resnet50v2` builds it that way.

    The shortcut is a projection (1x1 convolution with the block's stride;
    in version 1 followed by batch norm, in version 2 applied to the
    pre-activation ``p``, with a bias) or the identity, subsampled by a 1x1
    max pool when the block is strided. ``conv_shortcut=None`` projects only
    when it must: in version 1 when the channels or the resolution change,
    in version 2 when the channels change (both as ``keras.applications``).

    Sublayers: ``preact_norm``, ``preact_act`` (version 2), ``conv1``,
    ``conv2``, ``conv3`` (:class:`~keras_dlkit.blocks.ConvNormAct`),
    ``shortcut`` (ConvNormAct) or ``shortcut_pool`` (``MaxPooling2D``) when
    present, ``add``, ``out`` (version 1).

    Args:
        filters: Width of the bottleneck (>= 1).
        stride: Stride of the block (>= 1).
        conv_shortcut: ``None`` (project when needed), ``True`` (always
            project) or ``False`` (identity; the input must then have
            ``filters * expansion`` channels).
        version: ``1`` (post-activation) or ``2`` (pre-activation).
        expansion: Output channels over ``filters`` (>= 1).
        use_bias: Whether the convolutions followed by batch norm have a
            bias. ``keras.applications.ResNet50`` has them (``True``); the
            paper and torchvision do not. Convolutions not followed by a
            norm (version 2's last one and its projection) always have one.
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
    >>> from keras_dlkit.blocks import BottleneckBlock
    >>> block = BottleneckBlock(16, stride=2, version=2, name="block")
    >>> y = block(np.ones((2, 16, 16, 64), "float32"))
    >>> tuple(y.shape)
    (2, 8, 8, 64)
    >>> block.shortcut is None, block.shortcut_pool is not None
    (True, True)
    """

    def __init__(
        self,
        filters: int,
        stride: int = 1,
        conv_shortcut: bool | None = None,
        version: int = 1,
        expansion: int = 4,
        use_bias: bool = False,
        norm_epsilon: float = RESNET_EPSILON,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "he_uniform",
        kernel_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        expansion = check_int("expansion", expansion, minimum=1)
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
        self.expansion = expansion
        self._make_preact()
        stride_1x1, stride_3x3 = (
            (self.stride, 1) if self.version == 1 else (1, self.stride)
        )
        self.conv1 = self._unit(self.filters, 1, stride_1x1, "conv1")
        self.conv2 = self._unit(self.filters, 3, stride_3x3, "conv2")
        self.conv3 = self._output_unit(self.output_channels, 1, "conv3")
        self.branch = [self.conv1, self.conv2, self.conv3]

    def get_config(self) -> dict[str, Any]:
        """The block's configuration.

        Returns:
            A JSON-serializable dict.
        """
        return {**super().get_config(), "expansion": self.expansion}
