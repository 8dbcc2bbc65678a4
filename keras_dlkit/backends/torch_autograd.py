"""Torch's gradient recording, turned off where Keras code runs eagerly."""

from __future__ import annotations

import torch

#: ``with no_grad(): ...`` records no graph (inference-only forward passes).
no_grad = torch.no_grad
