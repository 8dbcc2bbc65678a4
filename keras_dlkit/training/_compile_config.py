"""The compile config of our trainers: their optimizers serialized beside their other arguments."""

from __future__ import annotations

import copy
from typing import Any

import keras


class CompileConfigMixin:
    """``get_compile_config`` / ``compile_from_config`` for our trainers.

    A trainer's ``compile()`` stores its arguments other than the optimizers
    in ``self._compile_args`` (a JSON-serializable dict); the optimizers,
    named by the class attribute ``compiled_optimizers``, are serialized
    beside them, so a ``.keras`` file recompiles the trainer as it was.
    ``after_compile_from_config`` runs once the trainer is compiled again,
    before Keras loads the saved optimizer variables.
    """

    #: Attributes holding the optimizers that ``compile()`` takes by the same
    #: names.
    compiled_optimizers: tuple[str, ...] = ("optimizer",)

    def get_compile_config(self) -> dict[str, Any]:
        """The ``compile()`` arguments, the optimizers serialized.

        Returns:
            A JSON-serializable dict (empty before ``compile()``).
        """
        if not self.compiled or getattr(self, "_compile_args", None) is None:
            return {}
        optimizers = {
            name: keras.optimizers.serialize(getattr(self, name))
            for name in self.compiled_optimizers
        }
        return {**optimizers, **self._compile_args}

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile from ``get_compile_config()`` (used when a ``.keras`` file loads).

        Args:
            config: A dict from ``get_compile_config``.
        """
        if not config:
            return
        config = copy.deepcopy(config)
        for name in self.compiled_optimizers:
            config[name] = keras.optimizers.deserialize(config[name])
        self.compile(**config)
        self.after_compile_from_config()

    def after_compile_from_config(self) -> None:
        """Hook after ``compile_from_config`` compiled the trainer; no-op here."""
