"""``generate``'s loop on torch: eager, without autograd's bookkeeping."""

from __future__ import annotations

from typing import Any

import keras
import torch


def compile_generate(model: keras.Model, generate_step: Any, sampler: Any) -> Any:
    """``generate_step`` under ``torch.no_grad()`` (keras-hub does the same).

    Args:
        model: The Keras model whose layers ``generate_step`` calls.
        generate_step: ``(inputs, sampler, stop_token_ids) -> outputs``.
        sampler: The keras-hub sampler.

    Returns:
        ``function(inputs, stop_token_ids) -> outputs``.
    """
    del model

    def function(inputs, stop_token_ids):
        with torch.no_grad():
            return generate_step(inputs, sampler, stop_token_ids)

    return function
