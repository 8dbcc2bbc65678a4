"""``generate``'s compiled loop on JAX (keras-hub's ``make_generate_function``)."""

from __future__ import annotations

import functools
import itertools
from typing import Any

import jax
import keras


def compile_generate(model: keras.Model, generate_step: Any, sampler: Any) -> Any:
    """``generate_step`` under ``jax.jit``, the variables passed as state.

    The model's and the sampler's variables (its seed state) go in as
    arguments through a ``keras.StatelessScope``, so one compiled function
    serves every call with the same shapes; the sampler's new seed state is
    written back after each call.

    Args:
        model: The Keras model whose layers ``generate_step`` calls.
        generate_step: ``(inputs, sampler, stop_token_ids) -> outputs``.
        sampler: The keras-hub sampler.

    Returns:
        ``function(inputs, stop_token_ids) -> outputs``.
    """

    @functools.partial(jax.jit, static_argnames=["stop_token_ids"])
    def compiled(inputs, stop_token_ids, state):
        sampler_values, trainable, non_trainable = state
        mapping = itertools.chain(
            zip(sampler.variables, sampler_values, strict=True),
            zip(model.trainable_variables, trainable, strict=True),
            zip(model.non_trainable_variables, non_trainable, strict=True),
        )
        with keras.StatelessScope(state_mapping=mapping) as scope:
            outputs = generate_step(inputs, sampler, stop_token_ids)
        new_values = []
        for variable in sampler.variables:
            value = scope.get_current_value(variable)
            new_values.append(variable.value if value is None else value)
        return outputs, new_values

    def function(inputs, stop_token_ids):
        state = (
            [v.value for v in sampler.variables],
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
        )
        outputs, values = compiled(inputs, stop_token_ids, state)
        for variable, value in zip(sampler.variables, values, strict=True):
            variable.assign(value)
        return outputs

    return function
