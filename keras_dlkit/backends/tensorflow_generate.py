"""``generate``'s compiled loop on TensorFlow (keras-hub's ``make_generate_function``)."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


def compile_generate(model: keras.Model, generate_step: Any, sampler: Any) -> Any:
    """``generate_step`` under ``tf.function(jit_compile=True)``, one per stop set.

    Args:
        model: The Keras model whose layers ``generate_step`` calls (its
            variables are captured by the trace).
        generate_step: ``(inputs, sampler, stop_token_ids) -> outputs``.
        sampler: The keras-hub sampler.

    Returns:
        ``function(inputs, stop_token_ids) -> outputs``.
    """
    del model  # captured through generate_step
    traced = {}

    def function(inputs, stop_token_ids):
        if stop_token_ids not in traced:
            traced[stop_token_ids] = tf.function(
                lambda x: generate_step(x, sampler, stop_token_ids),
                jit_compile=True,
            )
        return traced[stop_token_ids](inputs)

    return function
