"""The compile config of trainers with a generator and a discriminator optimizer."""

from __future__ import annotations

import copy
from typing import Any

import keras


class TwoOptimizerCompileConfig:
    """``get_compile_config`` / ``compile_from_config`` for two-optimizer trainers.

    The trainer's ``compile()`` stores its other arguments in
    ``self._compile_args``; the two optimizers are serialized beside them, so
    a ``.keras`` file recompiles the trainer as it was.
    """

    def get_compile_config(self) -> dict[str, Any]:
        """The ``compile()`` arguments, both optimizers serialized.

        Returns:
            A JSON-serializable dict (empty before ``compile()``).
        """
        if not self.compiled or self.generator_optimizer is None:
            return {}
        return {
            "generator_optimizer": keras.optimizers.serialize(self.generator_optimizer),
            "discriminator_optimizer": keras.optimizers.serialize(
                self.discriminator_optimizer
            ),
            **self._compile_args,
        }

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile from ``get_compile_config()`` (used when a ``.keras`` file loads).

        Args:
            config: A dict from ``get_compile_config``.
        """
        if not config:
            return
        config = copy.deepcopy(config)
        for key in ("generator_optimizer", "discriminator_optimizer"):
            config[key] = keras.optimizers.deserialize(config[key])
        self.compile(**config)
