"""NumPy references of the Transformer layers and blocks, in float64, from a layer's weights."""

import math

import numpy as np
from _helpers import to_np64


def weights_by_path(layer):
    """``{"query/kernel": array, ...}``: each weight by its path below ``layer``."""
    prefix = layer.name + "/"
    return {v.path.split(prefix, 1)[1]: to_np64(v) for v in layer.weights}


def numpy_rope(x, max_wavelength=10000.0, start_index=0):
    """Rotate-half RoPE on (batch, seq, heads, dim), float64."""
    dim = x.shape[-1]
    inverse_freq = max_wavelength ** (-np.arange(0, dim, 2) / dim)
    angles = np.outer(np.arange(x.shape[1]) + start_index, inverse_freq)
    angles = np.concatenate([angles, angles], axis=-1)[None, :, None, :]
    x1, x2 = x[..., : dim // 2], x[..., dim // 2 :]
    rotated = np.concatenate([-x2, x1], axis=-1)
    return x * np.cos(angles) + rotated * np.sin(angles)


def numpy_attention(
    layer, query, value, mask=None, bias=None, causal=False, scale=None, rope=False
):
    """softmax(scale Q K^T + bias) V with the layer's projections, in float64.

    Returns the output and the (batch, heads, T, S) attention weights.
    """
    w = weights_by_path(layer)
    q = np.einsum("btd,dnh->btnh", query, w["query/kernel"])
    k = np.einsum("bsd,dnh->bsnh", value, w["key/kernel"])
    v = np.einsum("bsd,dnh->bsnh", value, w["value/kernel"])
    if "query/bias" in w:
        q, k, v = q + w["query/bias"], k + w["key/bias"], v + w["value/bias"]
    if rope:  # True, or the rotary max_wavelength
        wavelength = 10000.0 if rope is True else rope
        q, k = numpy_rope(q, wavelength), numpy_rope(k, wavelength)
    groups = q.shape[2] // k.shape[2]
    k, v = np.repeat(k, groups, axis=2), np.repeat(v, groups, axis=2)
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    logits = np.einsum("btnh,bsnh->bnts", q, k) * scale
    if bias is not None:
        logits = logits + bias
    allowed = np.ones(logits.shape, bool)
    if mask is not None:
        allowed &= mask[:, None] if mask.ndim == 3 else mask
    if causal:
        allowed &= np.tril(np.ones(logits.shape[-2:], bool))
    # A query with nothing to attend to attends to every key, as if unmasked.
    allowed |= ~allowed.any(axis=-1, keepdims=True)
    logits = np.where(allowed, logits, -np.inf)
    weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    out = np.einsum("bnts,bsnh->btnh", weights, v)
    out = np.einsum("btnh,nhe->bte", out, w["attention_output/kernel"])
    if "attention_output/bias" in w:
        out = out + w["attention_output/bias"]
    return out, weights


_ERF = np.vectorize(math.erf)

ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "gelu": lambda x: 0.5 * x * (1.0 + _ERF(x / math.sqrt(2.0))),
    "gelu_approximate": lambda x: (
        0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    ),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
}
ACTIVATIONS["swiglu"] = ACTIVATIONS["silu"]
ACTIVATIONS["geglu"] = ACTIVATIONS["gelu"]


def numpy_feed_forward(layer, x):
    """FeedForward: output(act(gate(x)) * intermediate(x)) or output(act(intermediate(x)))."""
    w = weights_by_path(layer)

    def dense(name, h):
        return h @ w[f"{name}/kernel"] + w.get(f"{name}/bias", 0.0)

    act = ACTIVATIONS[layer.activation]
    hidden = dense("intermediate", x)
    if "gate/kernel" in w:
        hidden = act(dense("gate", x)) * hidden
    else:
        hidden = act(hidden)
    return dense("output", hidden)


def numpy_norm(layer, x):
    """keras LayerNormalization or RMSNormalization over the last axis."""
    w = weights_by_path(layer)
    if "scale" in w:  # RMSNormalization
        return x / np.sqrt((x**2).mean(-1, keepdims=True) + layer.epsilon) * w["scale"]
    centred = x - x.mean(-1, keepdims=True)
    normed = centred / np.sqrt((centred**2).mean(-1, keepdims=True) + layer.epsilon)
    return normed * w["gamma"] + w["beta"]


def numpy_block(block, x, mask=None, causal=False, encoder=None, encoder_mask=None):
    """An encoder/decoder block from its sublayers; masks are (batch, T, S) bools."""
    pre = block.norm_position == "pre"

    def residual(h, f, norm):
        if pre:
            return h + f(numpy_norm(norm, h))
        return numpy_norm(norm, h + f(h))

    rope = block.rotary_max_wavelength or False
    x = residual(
        x,
        lambda h: numpy_attention(
            block.self_attention, h, h, mask=mask, causal=causal, rope=rope
        )[0],
        block.self_attention_norm,
    )
    if encoder is not None:
        x = residual(
            x,
            lambda h: numpy_attention(
                block.cross_attention_layer, h, encoder, mask=encoder_mask
            )[0],
            block.cross_attention_norm,
        )
    return residual(
        x, lambda h: numpy_feed_forward(block.feed_forward, h), block.feed_forward_norm
    )


# keras-hub TransformerEncoder/TransformerDecoder sublayer -> ours.
KERAS_HUB_NAMES = {
    "self_attention_layer": "self_attention",
    "self_attention_layer_norm": "self_attention_norm",
    "self_attention": "self_attention",
    "cross_attention": "cross_attention",
    "cross_attention_layer_norm": "cross_attention_norm",
    "feedforward_layer_norm": "feed_forward_norm",
    "feedforward_intermediate_dense": "feed_forward/intermediate",
    "feedforward_output_dense": "feed_forward/output",
}


def copy_from_keras_hub(hub_layer, block):
    """Copy a keras-hub TransformerEncoder/Decoder's weights into our block."""
    ours = {w.path.split("/", 1)[1]: w for w in block.weights}
    assert len(ours) == len(hub_layer.weights)
    for w in hub_layer.weights:
        sublayer, rest = w.path.split("/", 1)[1].split("/", 1)
        ours[f"{KERAS_HUB_NAMES[sublayer]}/{rest}"].assign(w)
