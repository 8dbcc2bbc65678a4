"""Torch's random-number states, saved and restored (for ``ResumeFromCrash``)."""

from __future__ import annotations

from typing import Any

import torch


def rng_state_arrays() -> dict[str, Any]:
    """Torch's CPU RNG state and each CUDA device's, as NumPy arrays.

    Returns:
        ``{"rng_torch_cpu": ..., "rng_torch_cuda_0": ..., ...}``.
    """
    arrays = {"rng_torch_cpu": torch.get_rng_state().numpy().copy()}
    if torch.cuda.is_available():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            arrays[f"rng_torch_cuda_{i}"] = state.numpy().copy()
    return arrays


def restore_rng_state(arrays: dict[str, Any], cuda_devices: int) -> None:
    """Set torch's RNG states from :func:`rng_state_arrays`'s arrays.

    The CUDA states are restored only when this machine has the same number
    of devices as the one that saved them.
    """
    torch.set_rng_state(torch.from_numpy(arrays["rng_torch_cpu"].copy()))
    if cuda_devices and torch.cuda.is_available():
        if torch.cuda.device_count() == cuda_devices:
            torch.cuda.set_rng_state_all(
                [
                    torch.from_numpy(arrays[f"rng_torch_cuda_{i}"].copy())
                    for i in range(cuda_devices)
                ]
            )
