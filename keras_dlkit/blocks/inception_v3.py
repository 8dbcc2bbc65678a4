"""Inception-v3's factorized modules A-E (Szegedy et al., 2016).

"Rethinking the Inception Architecture for Computer Vision" factorizes large
convolutions: a 5x5 into two 3x3 (module A), an nxn into 1xn then nx1
(modules C and E), and shrinks the grid with parallel stride-2 branches
instead of a pooling bottleneck (modules B and D). The names follow
torchvision's ``InceptionA`` ... ``InceptionE``; the defaults and the branch
order are those of ``keras.applications.InceptionV3``'s ``mixed0`` ...
``mixed10``: every convolution without bias, then batch normalization
without scale (a ReLU follows) and a ReLU.
"""

from __future__ import annotations

from typing import Any

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.blocks.inception_base import InceptionBase, check_filters

_ARGS_DOC = """        norm_epsilon: Epsilon of the batch normalizations.
        norm_momentum: Momentum of the batch normalizations.
        kernel_initializer: Initializer of the convolution kernels.
        **kwargs: Base ``keras.layers.Layer`` arguments (and ``batch_norm``,
            ``norm_scale``: keep the defaults for Inception-v3)."""


def _v3_init(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Inception-v3's units: batch norm without scale, unless overridden."""
    kwargs.setdefault("batch_norm", True)
    kwargs.setdefault("norm_scale", False)
    return kwargs


@keras_dlkit_export("keras_dlkit.blocks.InceptionA")
class InceptionA(InceptionBase):
    __doc__ = (
        """Inception-v3 module A (35x35 grid; ``mixed0`` ... ``mixed2``).

    Branches: 1x1; 1x1 -> 5x5; 1x1 -> 3x3 -> 3x3 (the factorized 5x5);
    3x3 average pooling -> 1x1.

    Args:
        pool_filters: Filters of the pooling branch's 1x1 (32 in ``mixed0``,
            64 in ``mixed1`` and ``mixed2``).
        filters_1x1: Filters of the 1x1 branch.
        filters_5x5: ``(reduce, 5x5)`` filters.
        filters_3x3dbl: ``(reduce, 3x3, 3x3)`` filters.
"""
        + _ARGS_DOC
        + """

    Example:

    >>> import numpy as np
    >>> from keras_dlkit.blocks import InceptionA
    >>> InceptionA(pool_filters=32).compute_output_shape((None, 35, 35, 192))
    (None, 35, 35, 256)
    >>> block = InceptionA(pool_filters=4, filters_1x1=4, filters_5x5=(2, 4),
    ...                    filters_3x3dbl=(2, 4, 4), name="narrow")
    >>> tuple(block(np.ones((1, 9, 9, 8), "float32")).shape)
    (1, 9, 9, 16)
    """
    )

    def __init__(
        self,
        pool_filters: int,
        filters_1x1: int = 64,
        filters_5x5: tuple[int, int] = (48, 64),
        filters_3x3dbl: tuple[int, int, int] = (64, 96, 96),
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ):
        super().__init__(
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            kernel_initializer=kernel_initializer,
            **_v3_init(kwargs),
        )
        self.pool_filters = check_filters("pool_filters", pool_filters)
        self.filters_1x1 = check_filters("filters_1x1", filters_1x1)
        self.filters_5x5 = check_filters("filters_5x5", filters_5x5, 2)
        self.filters_3x3dbl = check_filters("filters_3x3dbl", filters_3x3dbl, 3)
        u, f5, f3 = self._unit, self.filters_5x5, self.filters_3x3dbl
        self._branches = (
            (u("branch1x1", filters_1x1, 1),),
            (u("branch5x5_1", f5[0], 1), u("branch5x5_2", f5[1], 5)),
            (
                u("branch3x3dbl_1", f3[0], 1),
                u("branch3x3dbl_2", f3[1], 3),
                u("branch3x3dbl_3", f3[2], 3),
            ),
            (
                self._pool("pool", "avg", 3, 1, "same"),
                u("branch_pool", pool_filters, 1),
            ),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_filters": self.pool_filters,
            "filters_1x1": self.filters_1x1,
            "filters_5x5": self.filters_5x5,
            "filters_3x3dbl": self.filters_3x3dbl,
        }


@keras_dlkit_export("keras_dlkit.blocks.InceptionB")
class InceptionB(InceptionBase):
    __doc__ = (
        """Inception-v3 module B: grid reduction 35x35 -> 17x17 (``mixed3``).

    Branches, all with stride 2 and "valid" padding at the end: 3x3;
    1x1 -> 3x3 -> 3x3; 3x3 max pooling. The output has ``filters_3x3 +
    filters_3x3dbl[2] + input`` channels.

    Args:
        filters_3x3: Filters of the strided 3x3 branch.
        filters_3x3dbl: ``(reduce, 3x3, strided 3x3)`` filters.
"""
        + _ARGS_DOC
        + """

    Example:

    >>> from keras_dlkit.blocks import InceptionB
    >>> InceptionB().compute_output_shape((None, 35, 35, 288))
    (None, 17, 17, 768)
    """
    )

    def __init__(
        self,
        filters_3x3: int = 384,
        filters_3x3dbl: tuple[int, int, int] = (64, 96, 96),
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ):
        super().__init__(
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            kernel_initializer=kernel_initializer,
            **_v3_init(kwargs),
        )
        self.filters_3x3 = check_filters("filters_3x3", filters_3x3)
        self.filters_3x3dbl = check_filters("filters_3x3dbl", filters_3x3dbl, 3)
        u, f3 = self._unit, self.filters_3x3dbl
        self._branches = (
            (u("branch3x3", filters_3x3, 3, 2, "valid"),),
            (
                u("branch3x3dbl_1", f3[0], 1),
                u("branch3x3dbl_2", f3[1], 3),
                u("branch3x3dbl_3", f3[2], 3, 2, "valid"),
            ),
            (self._pool("pool", "max", 3, 2, "valid"),),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters_3x3": self.filters_3x3,
            "filters_3x3dbl": self.filters_3x3dbl,
        }


@keras_dlkit_export("keras_dlkit.blocks.InceptionC")
class InceptionC(InceptionBase):
    __doc__ = (
        """Inception-v3 module C: 7x7 factorized into 1x7 and 7x1 (``mixed4``-``7``).

    Branches: 1x1; 1x1 -> 1x7 -> 7x1; 1x1 -> 7x1 -> 1x7 -> 7x1 -> 1x7;
    3x3 average pooling -> 1x1. Each branch ends with ``filters`` channels.

    Args:
        filters_7x7: Inner filters of the 7x7 branches (128 in ``mixed4``,
            160 in ``mixed5`` and ``mixed6``, 192 in ``mixed7``).
        filters: Output filters of each of the four branches.
"""
        + _ARGS_DOC
        + """

    Example:

    >>> from keras_dlkit.blocks import InceptionC
    >>> InceptionC(128).compute_output_shape((None, 17, 17, 768))
    (None, 17, 17, 768)
    """
    )

    def __init__(
        self,
        filters_7x7: int,
        filters: int = 192,
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ):
        super().__init__(
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            kernel_initializer=kernel_initializer,
            **_v3_init(kwargs),
        )
        self.filters_7x7 = c7 = check_filters("filters_7x7", filters_7x7)
        self.filters = check_filters("filters", filters)
        u = self._unit
        self._branches = (
            (u("branch1x1", filters, 1),),
            (
                u("branch7x7_1", c7, 1),
                u("branch7x7_2", c7, (1, 7)),
                u("branch7x7_3", filters, (7, 1)),
            ),
            (
                u("branch7x7dbl_1", c7, 1),
                u("branch7x7dbl_2", c7, (7, 1)),
                u("branch7x7dbl_3", c7, (1, 7)),
                u("branch7x7dbl_4", c7, (7, 1)),
                u("branch7x7dbl_5", filters, (1, 7)),
            ),
            (self._pool("pool", "avg", 3, 1, "same"), u("branch_pool", filters, 1)),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters_7x7": self.filters_7x7,
            "filters": self.filters,
        }


@keras_dlkit_export("keras_dlkit.blocks.InceptionD")
class InceptionD(InceptionBase):
    __doc__ = (
        """Inception-v3 module D: grid reduction 17x17 -> 8x8 (``mixed8``).

    Branches: 1x1 -> strided 3x3; 1x1 -> 1x7 -> 7x1 -> strided 3x3; 3x3 max
    pooling with stride 2 ("valid" padding).

    Args:
        filters_3x3: ``(reduce, strided 3x3)`` filters.
        filters_7x7x3: Filters of every convolution of the second branch.
"""
        + _ARGS_DOC
        + """

    Example:

    >>> from keras_dlkit.blocks import InceptionD
    >>> InceptionD().compute_output_shape((None, 17, 17, 768))
    (None, 8, 8, 1280)
    """
    )

    def __init__(
        self,
        filters_3x3: tuple[int, int] = (192, 320),
        filters_7x7x3: int = 192,
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ):
        super().__init__(
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            kernel_initializer=kernel_initializer,
            **_v3_init(kwargs),
        )
        self.filters_3x3 = f3 = check_filters("filters_3x3", filters_3x3, 2)
        self.filters_7x7x3 = f7 = check_filters("filters_7x7x3", filters_7x7x3)
        u = self._unit
        self._branches = (
            (u("branch3x3_1", f3[0], 1), u("branch3x3_2", f3[1], 3, 2, "valid")),
            (
                u("branch7x7x3_1", f7, 1),
                u("branch7x7x3_2", f7, (1, 7)),
                u("branch7x7x3_3", f7, (7, 1)),
                u("branch7x7x3_4", f7, 3, 2, "valid"),
            ),
            (self._pool("pool", "max", 3, 2, "valid"),),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters_3x3": self.filters_3x3,
            "filters_7x7x3": self.filters_7x7x3,
        }


@keras_dlkit_export("keras_dlkit.blocks.InceptionE")
class InceptionE(InceptionBase):
    __doc__ = (
        """Inception-v3 module E: the expanded filter bank (``mixed9``, ``mixed10``).

    Branches: 1x1; 1x1 -> [1x3, 3x1]; 1x1 -> 3x3 -> [1x3, 3x1]; 3x3 average
    pooling -> 1x1, where [1x3, 3x1] applies both to the same map and
    concatenates them, widening the output for the coarsest grid.

    Args:
        filters_1x1: Filters of the 1x1 branch.
        filters_3x3: Filters of the 1x1 reduction and of each of the 1x3 and
            3x1 convolutions of the second branch.
        filters_3x3dbl: ``(reduce, 3x3)`` filters of the third branch; its
            1x3 and 3x1 have ``filters_3x3`` filters.
        pool_filters: Filters of the pooling branch's 1x1.
"""
        + _ARGS_DOC
        + """

    Example:

    >>> from keras_dlkit.blocks import InceptionE
    >>> InceptionE().compute_output_shape((None, 8, 8, 1280))
    (None, 8, 8, 2048)
    """
    )

    def __init__(
        self,
        filters_1x1: int = 320,
        filters_3x3: int = 384,
        filters_3x3dbl: tuple[int, int] = (448, 384),
        pool_filters: int = 192,
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.99,
        kernel_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ):
        super().__init__(
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            kernel_initializer=kernel_initializer,
            **_v3_init(kwargs),
        )
        self.filters_1x1 = check_filters("filters_1x1", filters_1x1)
        self.filters_3x3 = f3 = check_filters("filters_3x3", filters_3x3)
        self.filters_3x3dbl = fd = check_filters("filters_3x3dbl", filters_3x3dbl, 2)
        self.pool_filters = check_filters("pool_filters", pool_filters)
        u = self._unit
        self._branches = (
            (u("branch1x1", filters_1x1, 1),),
            (
                u("branch3x3_1", f3, 1),
                (u("branch3x3_2a", f3, (1, 3)), u("branch3x3_2b", f3, (3, 1))),
            ),
            (
                u("branch3x3dbl_1", fd[0], 1),
                u("branch3x3dbl_2", fd[1], 3),
                (u("branch3x3dbl_3a", f3, (1, 3)), u("branch3x3dbl_3b", f3, (3, 1))),
            ),
            (
                self._pool("pool", "avg", 3, 1, "same"),
                u("branch_pool", pool_filters, 1),
            ),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters_1x1": self.filters_1x1,
            "filters_3x3": self.filters_3x3,
            "filters_3x3dbl": self.filters_3x3dbl,
            "pool_filters": self.pool_filters,
        }
