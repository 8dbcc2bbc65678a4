"""Momentum that follows a schedule, step by step, inside ``fit()``.

Keras optimizers keep their momentum (``SGD.momentum``, ``Adam.beta_1``) as a
Python float that is baked into the traced train function, and a callback
cannot change it between steps: on tensorflow and jax the traced function
never reads the attribute again, and on JAX the optimizer's variables live
outside the variables during ``fit()`` (a callback would have to sync the
whole state back every batch). :class:`ScheduledMomentum` is an optimizer
wrapper instead (the pattern of ``keras.optimizers.LossScaleOptimizer``): at
each update it computes the momentum from the inner optimizer's
``iterations`` with the schedule, inside the traced step, and the inner
optimizer's own update uses that tensor.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import keras
from keras import ops

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.optimizers._wrapper import OptimizerWrapper
from keras_dlkit.utils import keras_compat

_SUPPORTED = "keras.optimizers.SGD (momentum > 0), Adam or AdamW"


def _momentum_attribute(optimizer: Any) -> str:
    """Name of the inner optimizer's momentum hyperparameter, or raise."""
    if isinstance(optimizer, keras.optimizers.SGD):
        if optimizer.momentum == 0:
            raise ValueError(
                "`optimizer` must be an SGD with `momentum` > 0 (without it SGD "
                "keeps no velocity to apply a momentum to; the value itself is "
                "replaced by the schedule), got momentum=0.0."
            )
        return "momentum"
    if isinstance(optimizer, keras.optimizers.Adam):  # AdamW too
        return "beta_1"
    raise ValueError(
        f"`optimizer` must be a {_SUPPORTED} instance or the name of one, got "
        f"{optimizer!r}. Put other wrappers (clipping, loss scaling) around "
        "ScheduledMomentum, not inside it."
    )


def _sgd_update_step(
    optimizer: Any, momentum: Any, gradient: Any, variable: Any, learning_rate: Any
) -> None:
    """``keras.optimizers.SGD.update_step`` with ``momentum`` a tensor.

    The same operations in the same order as Keras's SGD; only its Python
    test ``if self.momentum != 0``, which a traced tensor cannot answer, is
    gone (the constructor made sure that the velocities exist), so a
    momentum of 0 from the schedule still updates the velocity.
    """
    learning_rate = ops.cast(learning_rate, variable.dtype)
    gradient = ops.cast(gradient, variable.dtype)
    m = optimizer.momentums[keras_compat.optimizer_variable_index(optimizer, variable)]
    momentum = ops.cast(momentum, variable.dtype)
    optimizer.assign(
        m,
        ops.subtract(ops.multiply(m, momentum), ops.multiply(gradient, learning_rate)),
    )
    if optimizer.nesterov:
        optimizer.assign_add(
            variable,
            ops.subtract(
                ops.multiply(m, momentum), ops.multiply(gradient, learning_rate)
            ),
        )
    else:
        optimizer.assign_add(variable, m)


def _sgd_parallel_update_step(
    update_step: Any, grads: list[Any], variables: list[Any], learning_rate: Any
) -> None:
    """torch's ``_parallel_update_step``, one variable at a time."""
    for gradient, variable in zip(grads, variables, strict=True):
        update_step(gradient, variable, learning_rate)


@keras_dlkit_export("keras_dlkit.optimizers.ScheduledMomentum")
class ScheduledMomentum(OptimizerWrapper):
    """Wrap SGD, Adam or AdamW so that its momentum follows a schedule.

    Before every update the momentum is computed from the inner optimizer's
    ``iterations`` (the same step the learning-rate schedule gets): with
    ``schedule.momentum_at(iterations)`` when the schedule has that method
    (:class:`keras_dlkit.schedules.OneCycle`: the 1cycle momentum, cycled
    inversely to the learning rate), else with ``schedule(iterations)``
    (any ``LearningRateSchedule`` whose values are momenta). It replaces
    ``momentum`` of an ``SGD`` (``velocity = momentum * velocity -
    learning_rate * g``, Nesterov too) or ``beta_1`` of an ``Adam`` /
    ``AdamW`` for that update; the inner optimizer's float is not used.
    The value is computed inside the traced train step, so it changes every
    step on tensorflow, jax and torch with no retracing and no state sync.
    The non-trainable float32 variable ``current_momentum`` holds the value
    used by the latest update.

    Adam's bias correction keeps Keras's formula with the current value:
    ``alpha = lr * sqrt(1 - beta_2 ** t) / (1 - beta_1(t) ** t)`` with ``t =
    iterations + 1`` and ``beta_1(t)`` this step's momentum, which is also
    what PyTorch's ``Adam`` computes under ``OneCycleLR(cycle_momentum=True)``.
    It is not the exact correction ``1 - prod(beta_1(i))`` of a varying
    ``beta_1``; the two differ only while these powers are not small (the
    first hundred steps or so for ``beta_1`` near 0.95).

    Why a wrapper and not a companion callback: a callback runs between
    traced steps, so it could only write a variable that the step reads,
    which Keras's SGD and Adam do not have (their momentum is a float
    constant of the trace), and on JAX every write would need the full
    state sync that :class:`keras_dlkit.callbacks.LRFinder` pays for.
    Step-based logic lives in schedules and optimizers here.

    Use it with the same ``OneCycle`` as the inner learning rate for the
    1cycle policy. Gradient transforms (``AutoClip``, ...) and
    ``LossScaleOptimizer`` go around this wrapper, not inside it.

    Args:
        optimizer: A ``keras.optimizers.SGD`` with ``momentum > 0``, an
            ``Adam`` or an ``AdamW`` (or its name: ``"adam"``, ``"adamw"``).
        schedule: A ``keras.optimizers.schedules.LearningRateSchedule``;
            its ``momentum_at`` method gives the momentum when it has one,
            else its values are the momentum. Values should lie in ``[0, 1]``.
        name: Optional name of the wrapper.
        **kwargs: Only for loading configs; base-optimizer arguments such as
            ``clipnorm`` belong to the inner optimizer and are refused.

    Example:

    >>> import keras
    >>> from keras_dlkit.optimizers import ScheduledMomentum
    >>> from keras_dlkit.schedules import OneCycle
    >>> schedule = OneCycle(0.1, total_steps=10, pct_start=0.5)
    >>> optimizer = ScheduledMomentum(
    ...     keras.optimizers.SGD(learning_rate=schedule, momentum=0.9), schedule
    ... )
    >>> w = keras.Variable([1.0])
    >>> for _ in range(5):
    ...     optimizer.apply([keras.ops.convert_to_tensor([1.0])], [w])
    >>> round(float(keras.ops.convert_to_numpy(optimizer.current_momentum)), 4)
    0.85
    """

    SERIALIZED = ("schedule",)

    def __init__(
        self,
        optimizer: keras.optimizers.Optimizer | str,
        schedule: keras.optimizers.schedules.LearningRateSchedule,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            raise ValueError(
                "`schedule` must be a keras.optimizers.schedules."
                "LearningRateSchedule (for example keras_dlkit.schedules.OneCycle), "
                f"got {schedule!r}."
            )
        super().__init__(optimizer, name=name, **kwargs)
        self.schedule = schedule
        self._momentum_attribute = _momentum_attribute(self.inner_optimizer)

    def resolve_inner(self, optimizer: Any) -> keras.optimizers.Optimizer:
        """SGD with momentum, Adam or AdamW, or the name of one."""
        if isinstance(optimizer, str):
            try:
                optimizer = keras.optimizers.get(optimizer)
            except ValueError as error:
                raise ValueError(
                    f"`optimizer` must be a {_SUPPORTED} instance or the name of "
                    f"one, got {optimizer!r}."
                ) from error
        _momentum_attribute(optimizer)
        return optimizer

    # -- the momentum -----------------------------------------------------------

    def momentum_at(self, step: Any) -> Any:
        """The momentum of the update at ``step`` (float32 scalar tensor).

        Args:
            step: The inner optimizer's ``iterations`` before the update.

        Returns:
            ``schedule.momentum_at(step)`` if the schedule has that method,
            else ``schedule(step)``, as float32.
        """
        if hasattr(self.schedule, "momentum_at"):
            value = self.schedule.momentum_at(step)
        else:
            value = self.schedule(step)
        return ops.cast(value, "float32")

    @contextlib.contextmanager
    def _momentum(self, value: Any) -> Iterator[None]:
        """Make the inner optimizer's update use ``value`` as its momentum."""
        inner = self.inner_optimizer
        saved = getattr(inner, self._momentum_attribute)
        setattr(inner, self._momentum_attribute, value)
        overrides = {}
        if self._momentum_attribute == "momentum":
            # Keras's SGD asks `if self.momentum != 0`, which a traced tensor
            # cannot answer (and which skips the velocity where the schedule
            # gives 0). tensorflow and jax call `update_step` per variable,
            # torch calls `_parallel_update_step`: both run ours for now.
            step = functools.partial(_sgd_update_step, inner, value)
            overrides["update_step"] = step
            overrides["_parallel_update_step"] = functools.partial(
                _sgd_parallel_update_step, step
            )
        for key, method in overrides.items():
            object.__setattr__(inner, key, method)
        try:
            yield
        finally:
            for key in overrides:
                object.__delattr__(inner, key)
            setattr(inner, self._momentum_attribute, saved)

    # -- state ------------------------------------------------------------------

    def build(self, var_list: list[Any]) -> None:
        """Create ``current_momentum`` and build the inner optimizer.

        Args:
            var_list: The trainable variables to optimize.
        """
        var_list = list(var_list)
        self.current_momentum = self.add_variable(
            shape=(),
            dtype="float32",
            initializer="zeros",
            aggregation="only_first_replica",
            name="current_momentum",
        )
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    # -- the update -------------------------------------------------------------

    def apply(self, grads: list[Any], trainable_variables: list[Any] | None = None):
        """Apply the gradients with the inner optimizer and the scheduled momentum.

        Args:
            grads: One gradient per trainable variable.
            trainable_variables: The variables; needed on the first call if
                the optimizer is not built yet.
        """
        if not self.build_on_first_apply(grads, trainable_variables):
            return
        value = self.momentum_at(ops.convert_to_tensor(self.iterations))
        self.current_momentum.assign(value)
        with self._momentum(value):
            self.inner_optimizer.apply(grads, trainable_variables=trainable_variables)

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
        inner_ids = [id(v) for v in self.inner_optimizer.variables]
        step = ops.convert_to_tensor(
            inner_values[inner_ids.index(id(self.inner_optimizer.iterations))]
        )
        value = self.momentum_at(step)
        new_own = [
            value if v is self.current_momentum else own
            for v, own in zip(
                keras_compat.optimizer_own_variables(self), own_values, strict=True
            )
        ]
        with self._momentum(value):
            new_trainable, new_inner = self.inner_optimizer.stateless_apply(
                inner_values, grads, trainable_variables
            )
        return new_trainable, new_own + list(new_inner)
