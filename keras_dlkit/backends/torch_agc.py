"""Adaptive gradient clipping's arithmetic in torch calls (the torch backend).

:func:`keras_dlkit.optimizers.agc._math` picks :class:`TorchAGCMath` on
torch; it does what ``_KerasMath`` there does in ``keras.ops``.
"""

from __future__ import annotations

from typing import Any

import torch
from keras import ops


def _unit_axes(x: Any) -> tuple[int, ...] | None:
    """Every axis but the last (a kernel's units are last), or all for ndim <= 1."""
    return None if x.ndim <= 1 else tuple(range(x.ndim - 1))


def _unit_squares(x: Any) -> Any:
    """Sum of squares per unit of a torch tensor, in float32, as a vector."""
    if x.dtype != torch.float32:
        x = x.float()
    axes = _unit_axes(x)
    if axes is None:
        return x.square().reshape(-1).sum(dim=0, keepdim=True)
    return x.square().sum(dim=axes)


class TorchAGCMath:
    """The same arithmetic in torch calls, for the torch backend.

    Torch runs the step eagerly. There each call costs microseconds of
    Python dispatch whatever the tensor's size (tens of them for a
    ``keras.ops`` call), and a fresh full-size tensor costs the page
    faults of its memory: for the 784-512-512-10 MLP the two made AGC
    2.5-3.5 ms of an 11-15 ms step. So the calls here are torch's own and
    as few as the arithmetic allows: two per tensor for its units' sums of
    squares, one root for all of them, no ``detach`` (they run under
    ``no_grad``), and ``scale`` scales a float32 gradient in place when
    it is its variable's own ``.grad`` (see :meth:`scale`).
    """

    @staticmethod
    def joined_unit_norms(tensors: list[Any]) -> tuple[Any, list[int]]:
        # Not torch.linalg.vector_norm: over the leading axes it runs a
        # strided kernel, 3x slower here than the square and the sum.
        with torch.no_grad():
            squares = [_unit_squares(x) for x in tensors]
            return torch.cat(squares).sqrt_(), [int(n.shape[0]) for n in squares]

    @staticmethod
    def maximum(vector: Any, other: Any) -> Any:
        return vector.clamp(min=other)  # `other` a number or a tensor

    @staticmethod
    def split(vector: Any, sizes: list[int]) -> list[Any]:
        return list(vector.split(sizes))

    @staticmethod
    def sum_of_squares(x: Any) -> Any:
        with torch.no_grad():
            return x.float().square().sum()

    @staticmethod
    def norm_from_squares(squares: list[Any]) -> Any:
        if not squares:
            return ops.zeros((), dtype="float32")
        if len(squares) == 1:
            return squares[0].sqrt()
        return torch.stack(squares).sum().sqrt()

    @staticmethod
    def scale(grad: Any, factor: Any, owner: Any) -> Any:
        """``grad * factor``; in place if ``grad`` is ``owner``'s ``.grad``.

        Keras's torch ``train_step`` hands the optimizer the variables' own
        ``.grad`` tensors, which the next backward pass replaces; scaling
        those in place (as ``torch.nn.utils.clip_grad_norm_`` does) saves a
        model-sized tensor and a pass over it. Gradients a caller passes to
        ``apply`` itself, and non-float32 ones, get a new tensor instead.
        """
        if grad.ndim == 0:
            factor = factor.reshape(())
        with torch.no_grad():
            if grad.dtype != torch.float32:
                return (grad.float() * factor).to(grad.dtype)
            value = getattr(owner, "value", None)
            if value is not None and getattr(value, "grad", None) is grad:
                return grad.mul_(factor)
            return grad * factor
