"""Gradient-norm tracking: the base optimizer wrapper and its logging callback.

Gradients are not visible to callbacks, so the global gradient norm is
recorded by an optimizer wrapper (the pattern of
``keras.optimizers.LossScaleOptimizer``) in a non-trainable variable, and
:class:`GradientNormLogger` copies that variable into the ``fit()`` logs,
from where ``History``, the progress bar and ``keras.callbacks.TensorBoard``
pick it up.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.optimizers._wrapper import OptimizerWrapper
from keras_dlkit.utils import keras_compat


def _get_inner_optimizer(optimizer: Any) -> keras.optimizers.Optimizer:
    """Resolve and check the ``optimizer`` argument of a wrapper."""
    if isinstance(optimizer, str):
        try:
            optimizer = keras.optimizers.get(optimizer)
        except ValueError as error:
            raise ValueError(
                "`optimizer` must be a keras.optimizers.Optimizer instance or "
                f"the name of one, got {optimizer!r}."
            ) from error
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(
            "`optimizer` must be a keras.optimizers.Optimizer instance or the "
            f"name of one, got {optimizer!r}."
        )
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        raise ValueError(
            "`optimizer` must not be a LossScaleOptimizer: it would hand "
            "scaled gradients to the clipping. Wrap the plain optimizer; "
            "under a 'mixed_float16' policy `compile()` puts the "
            f"LossScaleOptimizer outside this wrapper by itself. Got {optimizer!r}."
        )
    if optimizer.loss_scale_factor is not None:
        raise ValueError(
            "`optimizer` must have `loss_scale_factor=None` (the clipping needs "
            f"unscaled gradients), got loss_scale_factor={optimizer.loss_scale_factor!r}."
        )
    return optimizer


def sum_of_squares(x: Any) -> Any:
    """Sum of the squares of every entry of ``x``, in float32."""
    return ops.sum(ops.square(ops.cast(ops.convert_to_tensor(x), "float32")))


def norm_from_squares(squares: list[Any]) -> Any:
    """The L2 norm whose parts' sums of squares are ``squares`` (0 if none)."""
    if not squares:
        return ops.zeros((), dtype="float32")
    return ops.sqrt(ops.sum(ops.stack(squares)))


def global_norm(grads: list[Any]) -> Any:
    """Global L2 norm of a list of gradients, in float32 (``None`` skipped)."""
    return norm_from_squares([sum_of_squares(g) for g in grads if g is not None])


@keras_dlkit_export("keras_dlkit.optimizers.GradientNormTracker")
class GradientNormTracker(OptimizerWrapper):
    """Wrap an optimizer and record the global norm of the gradients it gets.

    The gradients reach the inner optimizer unchanged. After each step the
    non-trainable float32 variable ``gradient_norm`` holds the global L2 norm
    of that step's raw gradients (the square root of the sum of the squares
    of every gradient entry). Add :class:`GradientNormLogger` to ``fit()``'s
    callbacks to see it in the logs, the ``History`` and TensorBoard.

    This is also the base class of the clipping wrappers
    (:class:`AdaptiveGradientClipping`, :class:`AutoClip`): a subclass
    creates its own state in ``build_state`` and changes the gradients in
    ``transform_gradients``, a pure function of tensors, so the same code
    runs in ``apply`` (tensorflow, torch, eager JAX) and in
    ``stateless_apply`` (JAX's ``fit``). Learning rate, ``iterations``,
    slots, EMA and gradient accumulation stay with the inner optimizer.

    Args:
        optimizer: The ``keras.optimizers.Optimizer`` to wrap, or its name
            (``"adam"``). Not a ``LossScaleOptimizer``: under a
            ``"mixed_float16"`` policy ``compile()`` wraps this wrapper in one.
        name: Optional name of the wrapper.
        **kwargs: Only for loading configs; base-optimizer arguments such as
            ``clipnorm`` belong to the inner optimizer and are refused.

    Example:

    >>> import keras
    >>> from keras_dlkit.optimizers import GradientNormTracker
    >>> optimizer = GradientNormTracker(keras.optimizers.SGD(learning_rate=0.1))
    >>> w = keras.Variable([3.0, 4.0])
    >>> optimizer.apply([keras.ops.convert_to_tensor([3.0, 4.0])], [w])
    >>> float(keras.ops.convert_to_numpy(optimizer.gradient_norm))
    5.0
    >>> [round(float(v), 4) for v in keras.ops.convert_to_numpy(w)]
    [2.7, 3.6]
    >>> int(keras.ops.convert_to_numpy(optimizer.iterations))
    1
    """

    def resolve_inner(self, optimizer: Any) -> keras.optimizers.Optimizer:
        """Any Keras optimizer but a ``LossScaleOptimizer`` or a loss-scaled one."""
        return _get_inner_optimizer(optimizer)

    # -- state ----------------------------------------------------------------

    def build_state(self, var_list: list[Any]) -> dict[str, Any]:
        """Create the subclass's own state variables.

        Args:
            var_list: The trainable variables the optimizer is built on.

        Returns:
            A dict mapping state names to variables made with
            ``self.add_variable``; the base class has none.
        """
        del var_list
        return {}

    def transform_gradients(
        self,
        grads: list[Any],
        trainable_values: list[Any],
        trainable_variables: list[Any],
        norm: Any,
        state: dict[str, Any],
    ) -> tuple[list[Any], dict[str, Any]]:
        """Change the gradients; a pure function of tensors.

        Args:
            grads: The raw gradients, one per trainable variable (or ``None``).
            trainable_values: Current values of the trainable variables.
            trainable_variables: The ``keras.Variable`` objects (for their
                ``path``; do not read their values here).
            norm: The global L2 norm of ``grads`` (float32 scalar).
            state: Current values of the variables from ``build_state``.

        Returns:
            The new gradients and the new values of ``state`` (same keys).
        """
        del trainable_values, trainable_variables, norm
        return list(grads), dict(state)

    def build(self, var_list: list[Any]) -> None:
        """Create the wrapper's variables and build the inner optimizer.

        Args:
            var_list: The trainable variables to optimize.
        """
        var_list = list(var_list)
        self.gradient_norm = self.add_variable(
            shape=(),
            dtype="float32",
            initializer="zeros",
            aggregation="only_first_replica",
            name="gradient_norm",
        )
        self._state_variables = {"gradient_norm": self.gradient_norm}
        extra = self.build_state(var_list)
        for key in extra:
            if key in self._state_variables:
                raise ValueError(f"State name {key!r} is reserved.")
        self._state_variables.update(extra)
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    # -- the update -------------------------------------------------------------

    def _transform(self, grads, trainable_values, trainable_variables, state):
        norm = global_norm(grads)
        extra = {k: v for k, v in state.items() if k != "gradient_norm"}
        new_grads, new_extra = self.transform_gradients(
            list(grads), list(trainable_values), list(trainable_variables), norm, extra
        )
        new_state = dict(new_extra)
        new_state["gradient_norm"] = norm
        return new_grads, new_state

    def apply(self, grads: list[Any], trainable_variables: list[Any] | None = None):
        """Transform the gradients, record their norm, and apply them.

        Args:
            grads: One gradient per trainable variable.
            trainable_variables: The variables; needed on the first call if
                the optimizer is not built yet.
        """
        if not self.build_on_first_apply(grads, trainable_variables):
            return
        variables = list(
            self._trainable_variables
            if trainable_variables is None
            else trainable_variables
        )
        state = {
            key: ops.convert_to_tensor(var)
            for key, var in self._state_variables.items()
        }
        values = [ops.convert_to_tensor(v) for v in variables]
        new_grads, new_state = self._transform(grads, values, variables, state)
        for key, value in new_state.items():
            var = self._state_variables[key]
            var.assign(ops.cast(value, var.dtype))
        self.inner_optimizer.apply(new_grads, trainable_variables=trainable_variables)

    def stateless_apply(
        self,
        optimizer_variables: list[Any],
        grads: list[Any],
        trainable_variables: list[Any],
    ) -> tuple[list[Any], list[Any]]:
        """Stateless ``apply`` for JAX: returns new trainable and optimizer values.

        Args:
            optimizer_variables: Values of ``self.variables``, in order.
            grads: One gradient per trainable variable.
            trainable_variables: Values of the trainable variables.

        Returns:
            The updated trainable values and the updated ``self.variables``
            values.
        """
        own_values, inner_values = self.split_values(optimizer_variables)
        by_id = {
            id(v): value
            for v, value in zip(
                keras_compat.optimizer_own_variables(self), own_values, strict=True
            )
        }
        state = {key: by_id[id(var)] for key, var in self._state_variables.items()}
        new_grads, new_state = self._transform(
            grads, trainable_variables, self._trainable_variables, state
        )
        new_by_id = {
            id(self._state_variables[key]): ops.cast(
                value, self._state_variables[key].dtype
            )
            for key, value in new_state.items()
        }
        new_own = [
            new_by_id.get(id(v), value)
            for v, value in zip(
                keras_compat.optimizer_own_variables(self), own_values, strict=True
            )
        ]
        new_trainable, new_inner = self.inner_optimizer.stateless_apply(
            inner_values, new_grads, trainable_variables
        )
        return new_trainable, new_own + list(new_inner)
