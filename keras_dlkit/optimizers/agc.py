"""Gradient clipping beyond ``clipnorm``: unit-wise AGC and AutoClip.

Both are optimizer wrappers (see :class:`GradientNormTracker`): they change
the gradients, then hand them to any Keras optimizer, and record the global
norm of the raw gradients in ``gradient_norm``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.backends import backend_module
from keras_dlkit.optimizers.gradient_norm import (
    GradientNormTracker,
    norm_from_squares,
    sum_of_squares,
)
from keras_dlkit.utils.validation import check_float, check_int


def _reduced_axes(x: Any) -> tuple[int, ...] | None:
    """The axes a unit spans: every axis but the last, or all for ndim <= 1.

    Keras kernels keep the output units last (Dense ``(in, out)``, Conv2D
    ``(h, w, in, out)``); a bias, scale or scalar is one unit (``None``).
    """
    return None if len(x.shape) <= 1 else tuple(range(len(x.shape) - 1))


class _KerasMath:
    """The clipping's arithmetic in ``keras.ops`` (JAX; TensorFlow's base).

    JAX and TensorFlow trace the step into a graph (XLA fuses it on JAX),
    so what costs there is the memory traffic, not the number of calls.
    """

    @staticmethod
    def unit_norms(x: Any) -> Any:
        """L2 norm per unit, in float32, as a vector (the NFNets ``unitwise_norm``)."""
        x = ops.cast(x, "float32")
        return ops.reshape(
            ops.sqrt(ops.sum(ops.square(x), axis=_reduced_axes(x))), (-1,)
        )

    @classmethod
    def joined_unit_norms(cls, tensors: list[Any]) -> tuple[Any, list[int]]:
        """Every tensor's unit norms in one vector, and how many each has."""
        norms = [cls.unit_norms(x) for x in tensors]
        return ops.concatenate(norms), [int(n.shape[0]) for n in norms]

    maximum = staticmethod(ops.maximum)

    @staticmethod
    def split(vector: Any, sizes: list[int]) -> list[Any]:
        offsets = list(itertools.accumulate(sizes))[:-1]
        return ops.split(vector, offsets) if offsets else [vector]

    sum_of_squares = staticmethod(sum_of_squares)
    norm_from_squares = staticmethod(norm_from_squares)

    @staticmethod
    def scale(grad: Any, factor: Any, owner: Any) -> Any:
        del owner
        if len(grad.shape) == 0:
            factor = ops.reshape(factor, ())
        return ops.cast(ops.cast(grad, "float32") * factor, grad.dtype)


class _TensorFlowMath(_KerasMath):
    """``keras.ops``, but each unit norm in one TensorFlow op.

    Keras runs TensorFlow without XLA on a machine with no GPU, so the
    square and the sum are two kernels with a full-size tensor between
    them; ``EuclideanNorm`` reads the tensor once and writes nothing big
    (0.6 instead of 1.3 ms for the MLP's weights and gradients here).
    """

    @staticmethod
    def unit_norms(x: Any) -> Any:
        return backend_module("agc").unit_norms(x)


def _math() -> type:
    """The arithmetic for the active backend.

    TensorFlow: :class:`_TensorFlowMath`. Torch: ``TorchAGCMath`` of
    ``keras_dlkit/backends/torch_agc.py``: torch runs the step eagerly,
    where each call costs microseconds of Python dispatch whatever the
    tensor's size and a fresh full-size tensor costs its page faults, so
    it makes as few torch calls as the arithmetic allows and scales a
    variable's own ``.grad`` in place. JAX: :class:`_KerasMath`.
    """
    backend = keras.backend.backend()
    if backend == "torch":
        return backend_module("agc").TorchAGCMath
    if backend == "tensorflow":
        return _TensorFlowMath
    return _KerasMath


def _check_exclude(exclude: Any) -> list[str]:
    if exclude is None:
        return []
    if isinstance(exclude, str):
        exclude = [exclude]
    if not isinstance(exclude, Sequence) or not all(
        isinstance(p, str) for p in exclude
    ):
        raise ValueError(
            "`exclude` must be None, a regular expression or a list of them "
            f"(strings), got {exclude!r}."
        )
    for pattern in exclude:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(
                f"`exclude` holds an invalid regular expression {pattern!r}: {error}."
            ) from error
    return list(exclude)


@keras_dlkit_export("keras_dlkit.optimizers.AdaptiveGradientClipping")
class AdaptiveGradientClipping(GradientNormTracker):
    """Unit-wise adaptive gradient clipping (AGC) around any Keras optimizer.

    From Brock et al. 2021, "High-Performance Large-Scale Image Recognition
    Without Normalization" (NFNets). For each parameter ``W`` with gradient
    ``G``, per output unit ``i``::

        max_norm_i = clip_factor * max(||W_i||, eps)
        G_i <- G_i * max_norm_i / ||G_i||   if ||G_i|| > max_norm_i

    so no unit's update can be large relative to that unit's weights. A
    unit is one slice along the last axis of a kernel (Keras keeps the
    output units last: Dense ``(in, out)``, Conv2D ``(h, w, in, out)``);
    a bias, scale or scalar is one unit as a whole. Norms are computed in
    float32 (safe under mixed precision). The global norm
    of the raw gradients is kept in ``gradient_norm`` for
    :class:`keras_dlkit.callbacks.GradientNormLogger`. NFNets does not clip the final classifier:
    pass its variable paths in ``exclude``.

    Args:
        optimizer: The ``keras.optimizers.Optimizer`` to wrap, or its name.
        clip_factor: The clipping ratio ``lambda`` (> 0). The paper uses
            0.01 to 0.16, smaller for larger batches.
        eps: Floor on the weight norm (> 0), so zero-initialised units can
            still move.
        exclude: Optional regular expression(s), matched with
            ``re.search`` against each variable's ``path``; matching
            variables are not clipped (e.g. ``["predictions/"]``).
        name: Optional name of the wrapper.
        **kwargs: Only for loading configs; see :class:`GradientNormTracker`.

    Example:

    >>> import keras
    >>> from keras_dlkit.optimizers import AdaptiveGradientClipping
    >>> optimizer = AdaptiveGradientClipping(
    ...     keras.optimizers.SGD(learning_rate=1.0), clip_factor=0.1
    ... )
    >>> w = keras.Variable([[3.0], [4.0]])  # one unit, norm 5: max_norm 0.5
    >>> optimizer.apply([keras.ops.convert_to_tensor([[30.0], [40.0]])], [w])
    >>> float(keras.ops.convert_to_numpy(optimizer.gradient_norm))
    50.0
    >>> [round(float(v), 4) for v in keras.ops.convert_to_numpy(w)[:, 0]]
    [2.7, 3.6]
    """

    def __init__(
        self,
        optimizer: keras.optimizers.Optimizer | str,
        clip_factor: float = 0.01,
        eps: float = 1e-3,
        exclude: str | Sequence[str] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        clip_factor = check_float(
            "clip_factor", clip_factor, minimum=0.0, min_inclusive=False
        )
        eps = check_float("eps", eps, minimum=0.0, min_inclusive=False)
        exclude = _check_exclude(exclude)
        super().__init__(optimizer, name=name, **kwargs)
        self.clip_factor = clip_factor
        self.eps = eps
        self.exclude = exclude

    def _is_excluded(self, variable: Any) -> bool:
        path = getattr(variable, "path", None) or getattr(variable, "name", "")
        return any(re.search(pattern, path) for pattern in self.exclude)

    def transform_gradients(
        self, grads, trainable_values, trainable_variables, norm, state
    ):
        """Clip each unit's gradient to ``clip_factor`` times its weight norm.

        Args:
            grads: Raw gradients.
            trainable_values: Current values of the trainable variables.
            trainable_variables: The variables (their ``path`` for ``exclude``).
            norm: Global gradient norm (unused).
            state: Empty.

        Returns:
            The clipped gradients and the unchanged state.
        """
        del norm
        return self._clip(grads, trainable_values, trainable_variables)[0], dict(state)

    def _clip(self, grads, values, variables, in_place=False) -> tuple[list[Any], Any]:
        """The clipped gradients and the global norm of the raw ones.

        The unit norms of every clipped variable are joined into one
        vector, so the threshold arithmetic runs once for all of them and
        each gradient is read twice (its norms, then the scaling). The
        arithmetic is ``keras.ops`` on JAX and a class per backend on
        TensorFlow and torch (:class:`_TensorFlowMath`, ``TorchAGCMath``).

        With ``in_place``, a torch gradient that is its variable's own
        ``.grad`` is scaled in place (see ``TorchAGCMath.scale`` in ``keras_dlkit/backends/torch_agc.py``): only
        for a caller that hands the result straight to the inner optimizer.
        """
        math = _math()
        new_grads = list(grads)
        clipped, clipped_values, totals = [], [], []
        for index, (grad, value, variable) in enumerate(
            zip(grads, values, variables, strict=True)
        ):
            if grad is None:
                continue
            grad = ops.convert_to_tensor(grad)
            if self._is_excluded(variable):
                totals.append(math.sum_of_squares(grad))
                continue
            clipped.append((index, grad, variable if in_place else None))
            clipped_values.append(value)
        if clipped:
            grad_norm, sizes = math.joined_unit_norms([c[1] for c in clipped])
            weight_norm, _ = math.joined_unit_norms(clipped_values)
            max_norm = self.clip_factor * math.maximum(weight_norm, self.eps)
            # The per-unit factor `max_norm / grad_norm` where the unit is
            # clipped, and exactly 1 where it is not (x / x is 1 in IEEE
            # arithmetic; `max_norm >= clip_factor * eps > 0`). One division
            # at the root: XLA then computes the factor once, instead of
            # fusing a compare and select into every element's update.
            scale = max_norm / math.maximum(grad_norm, max_norm)
            # The global norm from the units' norms, not from the per-unit
            # sums directly: XLA folds a sum of those sums into a second
            # reduction over each whole gradient and writes `g ** 2` out to
            # memory for the two of them, which tripled AGC's step cost on
            # the CPU. Through the root it cannot; the two differ by rounding.
            totals.append(math.sum_of_squares(grad_norm))
            pieces = math.split(scale, sizes)
            for (index, grad, owner), piece in zip(clipped, pieces, strict=True):
                new_grads[index] = math.scale(grad, piece, owner)
        return new_grads, math.norm_from_squares(totals)

    def _transform(self, grads, trainable_values, trainable_variables, state):
        # The global norm comes with the clipping (the units' norms it needs
        # anyway): one pass over the gradients fewer than the base class's
        # separate `global_norm`. The gradients go straight to the inner
        # optimizer, so on torch the variables' own `.grad` may be scaled
        # in place.
        new_grads, norm = self._clip(
            grads, trainable_values, trainable_variables, in_place=True
        )
        return new_grads, {**state, "gradient_norm": norm}

    def get_config(self) -> dict[str, Any]:
        """Config with the inner optimizer serialized.

        Returns:
            A JSON-serializable dict.
        """
        config = super().get_config()
        config.update(
            {
                "clip_factor": self.clip_factor,
                "eps": self.eps,
                "exclude": list(self.exclude) or None,
            }
        )
        return config


@keras_dlkit_export("keras_dlkit.optimizers.AutoClip")
class AutoClip(GradientNormTracker):
    """Clip the global gradient norm to a percentile of its own history.

    From Seetharaman et al. 2020, "AutoClip: Adaptive Gradient Clipping for
    Source Separation Networks". Each step appends the global L2 norm of the
    raw gradients to a history, then clips the gradients (all together, as
    ``global_clipnorm`` does) to the ``percentile``-th percentile of that
    history, current step included. The percentile interpolates linearly,
    as ``numpy.percentile(history, percentile)`` does by default.

    The history is a fixed-size circular buffer variable of the last
    ``history_size`` finite norms plus a counter, so it works in JAX's
    stateless ``fit`` and is saved with the model. Steps whose gradient norm
    is not finite are neither recorded nor clipped.

    Args:
        optimizer: The ``keras.optimizers.Optimizer`` to wrap, or its name.
        percentile: Percentile of the history to clip to, in ``(0, 100]``;
            the paper uses 10.
        history_size: How many recent norms to keep (>= 1). The paper keeps
            all of them; 10000 float32 values cost 40 kB and one sort a step.
        name: Optional name of the wrapper.
        **kwargs: Only for loading configs; see :class:`GradientNormTracker`.

    Example:

    >>> import keras
    >>> from keras_dlkit.optimizers import AutoClip
    >>> optimizer = AutoClip(keras.optimizers.SGD(learning_rate=1.0), percentile=50)
    >>> w = keras.Variable([0.0])
    >>> optimizer.apply([keras.ops.convert_to_tensor([1.0])], [w])  # history [1]
    >>> optimizer.apply([keras.ops.convert_to_tensor([3.0])], [w])  # median 2
    >>> float(keras.ops.convert_to_numpy(optimizer.gradient_norm))
    3.0
    >>> round(float(keras.ops.convert_to_numpy(w)[0]), 4)  # -1 - 2
    -3.0
    """

    def __init__(
        self,
        optimizer: keras.optimizers.Optimizer | str,
        percentile: float = 10.0,
        history_size: int = 10000,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        percentile = check_float(
            "percentile", percentile, minimum=0.0, maximum=100.0, min_inclusive=False
        )
        history_size = check_int("history_size", history_size, minimum=1)
        super().__init__(optimizer, name=name, **kwargs)
        self.percentile = percentile
        self.history_size = history_size

    def build_state(self, var_list: list[Any]) -> dict[str, Any]:
        """Create the norm history buffer and the count of recorded norms.

        Args:
            var_list: The trainable variables (unused).

        Returns:
            ``{"history": ..., "count": ...}``.
        """
        del var_list
        history = self.add_variable(
            shape=(self.history_size,),
            dtype="float32",
            initializer="zeros",
            aggregation="only_first_replica",
            name="gradient_norm_history",
        )
        count = self.add_variable(
            shape=(),
            dtype="int",
            initializer="zeros",
            aggregation="only_first_replica",
            name="gradient_norm_count",
        )
        return {"history": history, "count": count}

    def clip_threshold(self, history: Any, count: Any) -> Any:
        """Linear-interpolation percentile of the filled part of ``history``.

        Args:
            history: The circular buffer of norms (float32).
            count: How many norms were ever recorded.

        Returns:
            The threshold (float32 scalar); ``inf`` while the history is empty.
        """
        size = self.history_size
        n = ops.cast(ops.minimum(ops.cast(count, "int32"), size), "int32")
        slots = ops.arange(size, dtype="int32")
        inf = ops.full((size,), float("inf"), dtype="float32")
        ordered = ops.sort(ops.where(slots < n, history, inf))
        last = ops.maximum(n - 1, 0)
        rank = (self.percentile / 100.0) * ops.cast(last, "float32")
        low = ops.floor(rank)
        frac = rank - low
        low_i = ops.minimum(ops.cast(low, "int32"), last)
        high_i = ops.minimum(low_i + 1, last)
        v_low = ops.take(ordered, low_i)
        v_high = ops.take(ordered, high_i)
        threshold = v_low + frac * (v_high - v_low)
        return ops.where(n > 0, threshold, float("inf"))

    def transform_gradients(
        self, grads, trainable_values, trainable_variables, norm, state
    ):
        """Record ``norm`` and scale the gradients down to the percentile.

        Args:
            grads: Raw gradients.
            trainable_values: Unused.
            trainable_variables: Unused.
            norm: Global L2 norm of ``grads`` (float32).
            state: ``history`` and ``count``.

        Returns:
            The clipped gradients and the new ``history`` and ``count``.
        """
        del trainable_values, trainable_variables
        history, count = state["history"], state["count"]
        finite = ops.isfinite(norm)
        slot = ops.mod(ops.cast(count, "int32"), self.history_size)
        write = ops.logical_and(
            ops.equal(ops.arange(self.history_size, dtype="int32"), slot), finite
        )
        history = ops.where(write, norm, history)
        count = count + ops.cast(finite, count.dtype)
        threshold = self.clip_threshold(history, count)
        clip = ops.logical_and(finite, norm > threshold)
        scale = ops.where(clip, threshold / ops.maximum(norm, 1e-12), 1.0)
        new_grads = [
            None
            if g is None
            else ops.cast(
                ops.cast(ops.convert_to_tensor(g), "float32") * scale,
                ops.convert_to_tensor(g).dtype,
            )
            for g in grads
        ]
        return new_grads, {"history": history, "count": count}

    def get_config(self) -> dict[str, Any]:
        """Config with the inner optimizer serialized.

        Returns:
            A JSON-serializable dict.
        """
        config = super().get_config()
        config.update(
            {"percentile": self.percentile, "history_size": self.history_size}
        )
        return config
