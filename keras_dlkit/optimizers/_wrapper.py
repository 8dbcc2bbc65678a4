"""The optimizer-wrapper base that GradientNormTracker and ScheduledMomentum share.

A wrapper holds an inner ``keras.optimizers.Optimizer`` (the pattern of
``keras.optimizers.LossScaleOptimizer``): its own few variables come first in
``variables``, the inner optimizer's follow, and the learning rate,
``iterations`` and the config's ``"optimizer"`` are the inner optimizer's.
Subclasses write ``apply`` and ``stateless_apply``; this class gives them the
argument checks, the build-on-first-apply preamble, the split of
``stateless_apply``'s values and the config round trip.
"""

from __future__ import annotations

import copy
from typing import Any

import keras
from keras import ops

from keras_dlkit.utils import keras_compat

# Base-optimizer arguments a wrapper does not take: they belong to the inner
# optimizer. ``from_config`` of older files may still pass their defaults.
BASE_OPTIMIZER_DEFAULTS = {
    "learning_rate": None,
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class OptimizerWrapper(keras.optimizers.Optimizer):
    """An optimizer that delegates the update to ``inner_optimizer``.

    Subclasses resolve and check the ``optimizer`` argument in
    ``resolve_inner`` and name in ``SERIALIZED`` the constructor arguments
    that ``get_config`` serializes as Keras objects (besides ``optimizer``).
    """

    #: Constructor arguments stored as attributes of the same name and
    #: serialized with ``keras.saving.serialize_keras_object``.
    SERIALIZED: tuple[str, ...] = ()

    def __init__(
        self,
        optimizer: keras.optimizers.Optimizer | str,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        for arg_name, default in BASE_OPTIMIZER_DEFAULTS.items():
            if arg_name not in kwargs:
                continue
            value = kwargs.pop(arg_name)
            if value != default:
                raise ValueError(
                    f"`{arg_name}` is not an argument of {type(self).__name__}; "
                    f"set it on the inner `optimizer` instead, got {value!r}."
                )
        if kwargs:
            raise ValueError(
                f"{type(self).__name__} got unexpected arguments "
                f"`{'`, `'.join(kwargs)}`."
            )
        inner = self.resolve_inner(optimizer)
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner

    def resolve_inner(self, optimizer: Any) -> keras.optimizers.Optimizer:
        """The inner optimizer from the ``optimizer`` argument, or a ValueError."""
        raise NotImplementedError

    # -- state ----------------------------------------------------------------

    @property
    def variables(self) -> list[Any]:
        """The wrapper's variables followed by the inner optimizer's."""
        return (
            keras_compat.optimizer_own_variables(self) + self.inner_optimizer.variables
        )

    def build_on_first_apply(
        self, grads: list[Any], trainable_variables: list[Any] | None
    ) -> bool:
        """``apply``'s preamble: whether there is anything to apply.

        Builds the wrapper on the first call with variables, and refuses a
        call without them before it is built.
        """
        if len(grads) == 0:
            return False
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `trainable_variables`, the "
                    "optimizer must be built: call `optimizer.build(vars)`."
                )
        elif not self.built:
            with keras.name_scope(self.name, caller=self):
                self.build(list(trainable_variables))
            self.built = True
        return True

    def split_values(self, optimizer_variables: list[Any]) -> tuple[list, list]:
        """``stateless_apply``'s values: the wrapper's (as tensors), the inner's.

        Tensors, not variables: ``LossScaleOptimizer`` passes its inner
        optimizer's variables here, inside a ``StatelessScope``.
        """
        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {type(self).__name__} must be "
                "built: call `optimizer.build(trainable_variables)` first."
            )
        optimizer_variables = list(optimizer_variables)
        if len(optimizer_variables) != len(self.variables):
            raise ValueError(
                "`optimizer_variables` must match `optimizer.variables` one to "
                f"one: got {len(optimizer_variables)} values for "
                f"{len(self.variables)} variables."
            )
        n_own = len(keras_compat.optimizer_own_variables(self))
        own = [ops.convert_to_tensor(v) for v in optimizer_variables[:n_own]]
        return own, optimizer_variables[n_own:]

    # -- delegation -------------------------------------------------------------

    @property
    def learning_rate(self) -> Any:
        """The inner optimizer's learning rate (settable)."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self) -> Any:
        """The inner optimizer's step counter."""
        return self.inner_optimizer.iterations

    def finalize_variable_values(self, var_list: list[Any]) -> None:
        """Let the inner optimizer finalize (for example swap in EMA weights)."""
        self.inner_optimizer.finalize_variable_values(var_list)

    # -- config -----------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Config with the inner optimizer (and ``SERIALIZED``) serialized.

        Returns:
            A JSON-serializable dict.
        """
        return {
            "name": self.name,
            "optimizer": keras.optimizers.serialize(self.inner_optimizer),
            **{
                key: keras.saving.serialize_keras_object(getattr(self, key))
                for key in self.SERIALIZED
            },
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None):
        """Rebuild the wrapper, deserializing the inner optimizer (and the rest).

        Args:
            config: A dict from ``get_config``.
            custom_objects: Optional custom objects for the deserialized parts.

        Returns:
            A new wrapper.
        """
        config = dict(config)
        # `deserialize` edits the dict it is given; keep the caller's intact.
        optimizer = keras.optimizers.deserialize(
            copy.deepcopy(config.pop("optimizer")), custom_objects=custom_objects
        )
        for key in cls.SERIALIZED:
            config[key] = keras.saving.deserialize_keras_object(
                copy.deepcopy(config[key]), custom_objects=custom_objects
            )
        return cls(optimizer, **config)
