"""keras-hub interop for T5: a ``T5Backbone``'s weights in our :func:`t5` model.

Registered with :func:`keras_dlkit.models.transformers.hub_interop.register_hub_converter`,
so ``keras_dlkit.models.from_keras_hub(backbone)`` converts T5 backbones. keras-hub
is not imported here: the converter only reads the backbone it is given.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_dlkit.models.transformers.hub_interop import (
    WeightCopier,
    register_hub_converter,
)
from keras_dlkit.models.transformers.t5 import t5

#: keras-hub T5Backbone (activation, use_gated_activation) -> our ``activation``.
_HUB_ACTIVATIONS = {
    ("relu", False): "relu",
    ("gelu", False): "gelu",
    ("silu", False): "silu",
    ("gelu", True): "geglu",
    ("silu", True): "swiglu",
}


@register_hub_converter("T5Backbone")
def t5_from_keras_hub(backbone: Any, **kwargs: Any) -> keras.Model:
    """Our :func:`t5` backbone (``head=None``) with a keras-hub ``T5Backbone``'s weights.

    keras-hub's gated feed-forward is ``act(input_projector(x)) *
    gate_projector(x)``; ours is ``act(gate(x)) * intermediate(x)``, so its
    ``input_projector`` becomes our ``gate`` and its ``gate_projector`` our
    ``intermediate``. Supported: ReLU, GELU or SiLU, plain, and gated GELU
    (``"geglu"``, T5 v1.1) or SiLU (``"swiglu"``).

    Args:
        backbone: A ``keras_hub.models.T5Backbone``.
        **kwargs: Overrides for :func:`t5` (e.g. ``dtype``, ``name``).

    Returns:
        The :func:`t5` model with ``head=None``, outputs equal to the
        backbone's.

    Example:

    >>> import keras_hub
    >>> from keras_dlkit.models import from_keras_hub
    >>> source = keras_hub.models.T5Backbone(
    ...     vocabulary_size=40, num_layers=1, num_heads=2, hidden_dim=8,
    ...     intermediate_dim=16, use_gated_activation=False)
    >>> from_keras_hub(source).count_params() == source.count_params()
    True
    """
    config = backbone.get_config()
    activation = config["activation"]
    if isinstance(activation, dict):  # a serialized function
        activation = activation.get("config", activation)
    key = (str(activation).rsplit(">", 1)[-1], bool(config["use_gated_activation"]))
    if key not in _HUB_ACTIVATIONS:
        raise ValueError(
            f"`backbone` has activation={config['activation']!r} with "
            f"use_gated_activation={config['use_gated_activation']}, which t5() has "
            f"no equivalent for; supported: {sorted(_HUB_ACTIVATIONS)}."
        )
    arguments = {
        "vocabulary_size": config["vocabulary_size"],
        "num_layers": config["num_layers"],
        "num_heads": config["num_heads"],
        "hidden_dim": config["hidden_dim"],
        "intermediate_dim": config["intermediate_dim"],
        "key_dim": config["key_value_dim"],
        "activation": _HUB_ACTIVATIONS[key],
        "dropout": config["dropout"],
        "norm_epsilon": config["layer_norm_epsilon"],
        "tie_embeddings": config["tie_embedding_weights"],
        "head": None,
        "dtype": backbone.dtype_policy.name,
        "name": "t5_backbone",
        **kwargs,
    }
    model = t5(**arguments)
    copy = WeightCopier(model)
    embedding = model.get_layer("token_embedding")
    copy.set(embedding.embeddings, backbone.token_embedding.embeddings)
    if not arguments["tie_embeddings"]:
        copy.set(
            embedding.reverse_embeddings, backbone.token_embedding.reverse_embeddings
        )
    gated = key[1]
    for stack in ("encoder", "decoder"):
        hub_layers = getattr(backbone, f"{stack}_transformer_layers")
        copy.set(
            model.get_layer(f"{stack}_relative_position_bias").embeddings,
            hub_layers[0].self_attention.relative_attention_bias,
        )
        for i, hub in enumerate(hub_layers):
            ours = model.get_layer(f"{stack}_layer_{i}")
            pairs = [
                (ours.self_attention, hub.self_attention),
                (ours.self_attention_norm, hub.self_attention_layer_norm),
                (ours.feed_forward_norm, hub.layer_norm),
            ]
            if stack == "decoder":
                pairs += [
                    (ours.cross_attention_layer, hub.cross_attention),
                    (ours.cross_attention_norm, hub.cross_attention_layer_norm),
                ]
            for target, source in pairs:
                if isinstance(target, keras.layers.RMSNormalization):
                    copy.set(target.scale, source.weight)
                    continue
                copy.set(target.query.kernel, source.query_projector.kernel)
                copy.set(target.key.kernel, source.key_projector.kernel)
                copy.set(target.value.kernel, source.value_projector.kernel)
                copy.set(target.attention_output.kernel, source.output_projector.kernel)
            ffn = ours.feed_forward
            if gated:
                copy.set(ffn.gate.kernel, hub.input_projector.kernel)
                copy.set(ffn.intermediate.kernel, hub.gate_projector.kernel)
            else:
                copy.set(ffn.intermediate.kernel, hub.input_projector.kernel)
            copy.set(ffn.output_dense.kernel, hub.output_projector.kernel)
        copy.set(
            model.get_layer(f"{stack}_final_norm").scale,
            getattr(backbone, f"{stack}_layer_norm").weight,
        )
    copy.finish()
    return model
