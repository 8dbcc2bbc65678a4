"""NumPy references of the residual blocks, written from the papers' equations."""

import numpy as np
from _helpers import to_np64

EPS = 1.001e-5


def conv(x, unit, stride, pad):
    """A 2-D convolution (zero padding ``pad`` on every side, then valid)."""
    weights = [to_np64(w) for w in unit.conv.weights]
    kernel = weights[0]
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    kh, kw = kernel.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]
    out = np.einsum("nhwcij,ijco->nhwo", windows, kernel)
    return out + weights[1] if len(weights) == 2 else out


def bn(x, norm_layer, eps=EPS):
    """Batch norm in inference: moving statistics."""
    gamma, beta, mean, var = [to_np64(w) for w in norm_layer.weights]
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def relu(x):
    return np.maximum(x, 0.0)


def shortcut(block, x, pre):
    """Projection (on ``pre`` in version 2), subsampled identity, or identity."""
    s = block.stride
    if block.shortcut is not None:
        out = conv(pre, block.shortcut, s, 0)
        return bn(out, block.shortcut.norm_layer) if block.version == 1 else out
    return x[:, ::s, ::s]


def basic(block, x):
    s = block.stride
    if block.version == 1:
        h = relu(bn(conv(x, block.conv1, s, 1), block.conv1.norm_layer))
        h = bn(conv(h, block.conv2, 1, 1), block.conv2.norm_layer)
        return relu(h + shortcut(block, x, x))
    p = relu(bn(x, block.preact_norm))
    h = relu(bn(conv(p, block.conv1, s, 1), block.conv1.norm_layer))
    h = conv(h, block.conv2, 1, 1)
    return h + shortcut(block, x, p)


def bottleneck(block, x):
    s = block.stride
    if block.version == 1:  # keras.applications ResNet50: stride on the first 1x1
        h = relu(bn(conv(x, block.conv1, s, 0), block.conv1.norm_layer))
        h = relu(bn(conv(h, block.conv2, 1, 1), block.conv2.norm_layer))
        h = bn(conv(h, block.conv3, 1, 0), block.conv3.norm_layer)
        return relu(h + shortcut(block, x, x))
    p = relu(bn(x, block.preact_norm))  # ResNet50V2: stride on the 3x3
    h = relu(bn(conv(p, block.conv1, 1, 0), block.conv1.norm_layer))
    h = relu(bn(conv(h, block.conv2, s, 1), block.conv2.norm_layer))
    h = conv(h, block.conv3, 1, 0)
    return h + shortcut(block, x, p)


def randomize(block, seed=0):
    """Random weights everywhere, including BN statistics and biases."""
    rng = np.random.default_rng(seed)
    values = []
    for w in block.weights:
        shape = tuple(w.shape)
        if "variance" in w.path or "gamma" in w.path:
            values.append(rng.uniform(0.5, 1.5, shape))
        elif "kernel" in w.path:
            values.append(rng.normal(0, 0.3, shape))
        else:
            values.append(rng.normal(0, 0.2, shape))
    block.set_weights(values)
