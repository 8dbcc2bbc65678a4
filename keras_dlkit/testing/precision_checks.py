"""``run_precision_test``: a layer class under mixed precision dtype policies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_dlkit.testing._tensors import (
    _all_layers,
    _comparable,
    _describe,
    _dtype_of,
    _is_float_dtype,
)

__all__ = ["MIXED_PRECISION_POLICIES", "PrecisionChecks"]

#: The policies ``run_precision_test`` checks by default.
MIXED_PRECISION_POLICIES: tuple[str, ...] = ("mixed_float16", "mixed_bfloat16")


class PrecisionChecks:
    """The mixed precision check of :class:`keras_dlkit.testing.TestCase`.

    Example:

    >>> from keras_dlkit.testing import TestCase
    >>> from keras_dlkit.testing.precision_checks import PrecisionChecks
    >>> issubclass(TestCase, PrecisionChecks)
    True
    """

    def run_precision_test(
        self,
        layer_cls: type,
        init_kwargs: dict[str, Any] | None,
        input_shape: Any = None,
        input_data: Any = None,
        policies: Sequence[str] = MIXED_PRECISION_POLICIES,
        input_dtype: str = "float32",
    ) -> None:
        """Check a layer class under mixed precision dtype policies.

        For each policy (``mixed_float16`` and ``mixed_bfloat16`` by
        default) the layer is made with ``dtype=policy`` and called on float
        inputs cast to the compute dtype, both symbolically (except on
        torch, where Keras traces variables in float32) and eagerly.
        Every floating-point output must be in the compute dtype (a float32
        constant or float32 noise in ``call`` promotes it to float32) and
        finite, and every floating-point variable must be in the variable
        dtype (float32). Integer outputs and variables (a seed state, a
        step counter) are not checked.

        Args:
            layer_cls: The layer class to test; its constructor must accept
                ``dtype`` (pass ``**kwargs`` on to ``super().__init__``).
            init_kwargs: Keyword arguments for the constructor (without
                ``dtype``).
            input_shape: Input shape with the batch dimension, or a list/dict
                of them. Random data is made from it when ``input_data`` is
                not given.
            input_data: Input array(s).
            policies: The dtype policies to check.
            input_dtype: Dtype of the random inputs made from
                ``input_shape``.

        Raises:
            AssertionError: When a check fails.

        Example:

        >>> from keras_dlkit.testing import TestCase
        >>> import keras
        >>> class Half(keras.layers.Layer):
        ...     def call(self, x):
        ...         return x * keras.ops.cast(0.5, self.compute_dtype)
        >>> TestCase().run_precision_test(Half, {}, input_shape=(2, 3))
        """
        init_kwargs = dict(init_kwargs or {})
        if "dtype" in init_kwargs:
            self.fail(
                "run_precision_test sets `dtype` itself; remove it from `init_kwargs`."
            )
        if input_shape is None and input_data is None:
            self.fail("run_precision_test needs `input_shape` or `input_data`.")
        input_shape, input_data, input_dtypes = self._prepare_inputs(
            input_shape, input_data, input_dtype
        )
        cls_name = layer_cls.__name__
        for policy_name in policies:
            policy = keras.DTypePolicy(policy_name)
            compute_dtype = policy.compute_dtype
            variable_dtype = policy.variable_dtype
            where = f"{cls_name} under dtype policy {policy_name!r}"
            kwargs = {**init_kwargs, "dtype": policy_name}

            layer = self._construct(layer_cls, kwargs)
            if layer.dtype_policy.name != policy_name:
                self.fail(
                    f"{where}: the layer's dtype policy is "
                    f"{layer.dtype_policy.name!r}; pass **kwargs (with `dtype`) on "
                    "to super().__init__()."
                )

            # Symbolic call, float inputs in the compute dtype. On torch,
            # Keras traces variables in their float32 variable dtype during a
            # symbolic call, so only the eager call is checked there.
            symbolic_dtypes = keras.tree.map_structure(
                lambda d, to=compute_dtype: to if _is_float_dtype(d) else d,
                input_dtypes,
            )
            symbolic_inputs = self._keras_tensors(input_shape, symbolic_dtypes)
            with self._stage(f"{where}: symbolic call"):
                symbolic_outputs = layer(symbolic_inputs)
            if keras.backend.backend() != "torch":
                self._check_compute_dtype(
                    keras.tree.flatten(symbolic_outputs),
                    compute_dtype,
                    f"{where} (symbolic call)",
                    layer,
                )

            # Eager call.
            layer = self._construct(layer_cls, kwargs)
            with self._stage(f"{where}: casting the inputs to {compute_dtype}"):
                cast_inputs = keras.tree.map_structure(
                    lambda x, to=compute_dtype: (
                        ops.cast(x, to) if _is_float_dtype(_dtype_of(x)) else x
                    ),
                    input_data,
                )
            with self._stage(f"{where}: eager call"):
                outputs = layer(cast_inputs)
            flat_outputs = keras.tree.flatten(outputs)
            self._check_compute_dtype(
                flat_outputs, compute_dtype, f"{where} (eager call)", layer
            )
            for index, item in enumerate(flat_outputs):
                if _is_float_dtype(_dtype_of(item)):
                    values = _comparable(item)
                    if not np.all(np.isfinite(values)):
                        self.fail(
                            f"{where}: output {index} holds inf or nan; keep "
                            "overflow-prone reductions (softmax, variance, "
                            "sums) in float32."
                        )

            wrong = [
                f"{variable.path} ({_dtype_of(variable)})"
                for variable in layer.weights
                if _is_float_dtype(_dtype_of(variable))
                and _dtype_of(variable) != variable_dtype
            ]
            if wrong:
                self.fail(
                    f"{where}: variable dtype must be {variable_dtype!r}, but "
                    f"these variables are not: {', '.join(wrong)}. Create weights "
                    "with add_weight() without forcing their dtype."
                )

    def _check_compute_dtype(self, flat_outputs, compute_dtype, where, layer=None):
        for index, item in enumerate(flat_outputs):
            dtype = _dtype_of(item)
            if _is_float_dtype(dtype) and dtype != compute_dtype:
                others = []
                if layer is not None:
                    others = [
                        f"{_describe(sub)} ({sub.dtype_policy.name})"
                        for sub in _all_layers(layer)[1:]
                        if sub.dtype_policy.name != layer.dtype_policy.name
                    ]
                self.fail(
                    f"{where}: output {index} has dtype {dtype!r}, expected the "
                    f"compute dtype {compute_dtype!r}. A float32 constant or "
                    "float32 noise in call() promotes the output: create them "
                    "with dtype=self.compute_dtype, and pass "
                    "dtype=self.dtype_policy to every sublayer."
                    + (
                        f" Sublayer(s) with another dtype policy: {', '.join(others)}."
                        if others
                        else ""
                    )
                )
