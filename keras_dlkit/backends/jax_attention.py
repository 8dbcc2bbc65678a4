"""What ``TransformerAttention`` must know about JAX's fused attention kernel."""

from __future__ import annotations

import jax


def fused_float16_unsupported() -> bool:
    """Whether JAX's ``dot_product_attention`` cannot be differentiated in float16.

    JAX asks XLA for float16 products summed in float32 (``F16_F16_F32``),
    which the CPU backend's ``dot_general`` refuses in the backward pass
    ("The precision 'F16_F16_F32' is not supported by dot_general on CPU";
    the forward pass falls back by itself). GPUs support it.

    Returns:
        ``True`` on JAX's CPU backend.
    """
    return jax.default_backend() == "cpu"
