"""GPT-2 at its four published sizes (Radford et al. 2019, Table 2).

Thin builders over :func:`~keras_dlkit.models.gpt`: each is GPT-2's
architecture (the generic builder's defaults) at one size of the paper's
Table 2, the sizes of keras-hub's ``GPT2Backbone`` presets.
"""

from __future__ import annotations

import functools
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.transformers.gpt import TINY, count_rule, gpt, token_inputs

#: GPT-2 sizes (Radford et al. 2019, Table 2; keras-hub's GPT2Backbone presets).
CONFIGS: dict[str, dict[str, Any]] = {
    "gpt2_small": dict(
        num_layers=12, num_heads=12, hidden_dim=768, intermediate_dim=3072
    ),
    "gpt2_medium": dict(
        num_layers=24, num_heads=16, hidden_dim=1024, intermediate_dim=4096
    ),
    "gpt2_large": dict(
        num_layers=36, num_heads=20, hidden_dim=1280, intermediate_dim=5120
    ),
    "gpt2_xl": dict(
        num_layers=48, num_heads=25, hidden_dim=1600, intermediate_dim=6400
    ),
}


# Full depth and width, a 64-token vocabulary and 16 positions: ~85M weights,
# built once on TensorFlow by the registry test's `large` set.
_REDUCED = dict(vocabulary_size=64, max_sequence_length=16)
_REDUCED_INPUTS = functools.partial(token_inputs, length=16, vocabulary_size=64)


def _named(config_name: str, kwargs: dict[str, Any]) -> keras.Model:
    return gpt(**{**CONFIGS[config_name], "name": config_name, **kwargs})


@register_model(
    family="transformers",
    test_config=_REDUCED,
    test_input_shape=(16,),
    test_inputs=_REDUCED_INPUTS,
    large=True,
    count_params=count_rule(CONFIGS["gpt2_small"]),
)
@keras_dlkit_export("keras_dlkit.models.gpt2_small")
def gpt2_small(**kwargs: Any) -> keras.Model:
    """GPT-2 small (124M): 12 layers, width 768, 12 heads, 1024 positions.

    Radford et al. 2019, "Language Models are Unsupervised Multitask
    Learners": learned positions, pre-norm blocks with LayerNorm, a
    tanh-approximate GELU feed-forward of width 3072, tied causal-LM head,
    vocabulary 50257 (byte-level BPE). Without the head it has exactly the
    124,439,808 weights of keras-hub's ``GPT2Backbone`` preset
    ``"gpt2_base_en"``; ``from_keras_hub("gpt2_base_en")`` loads those
    weights (downloads them once).

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding GPT-2 small's
            (``head=None`` for the backbone, ``dropout``, ``dtype``, ...).

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params, gpt2_small
    >>> count_params("gpt2_small", head=None)
    124439808
    >>> gpt2_small(num_layers=1, vocabulary_size=100, head=None).output_shape
    (None, None, 768)
    """
    return _named("gpt2_small", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=count_rule(CONFIGS["gpt2_medium"]),
)
@keras_dlkit_export("keras_dlkit.models.gpt2_medium")
def gpt2_medium(**kwargs: Any) -> keras.Model:
    """GPT-2 medium (355M): 24 layers, width 1024, 16 heads, 1024 positions.

    GPT-2 small's architecture (see :func:`gpt2_small`) at the second size
    of Radford et al. 2019, Table 2; feed-forward width 4096. Without the
    head: 354,823,168 weights, keras-hub's ``"gpt2_medium_en"``.

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding GPT-2 medium's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt2_medium", head=None)
    354823168
    """
    return _named("gpt2_medium", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=count_rule(CONFIGS["gpt2_large"]),
)
@keras_dlkit_export("keras_dlkit.models.gpt2_large")
def gpt2_large(**kwargs: Any) -> keras.Model:
    """GPT-2 large (774M): 36 layers, width 1280, 20 heads, 1024 positions.

    GPT-2 small's architecture (see :func:`gpt2_small`) at the third size of
    Radford et al. 2019, Table 2; feed-forward width 5120. Without the head:
    774,030,080 weights, keras-hub's ``"gpt2_large_en"``.

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding GPT-2 large's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt2_large", head=None)
    774030080
    """
    return _named("gpt2_large", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=count_rule(CONFIGS["gpt2_xl"]),
)
@keras_dlkit_export("keras_dlkit.models.gpt2_xl")
def gpt2_xl(**kwargs: Any) -> keras.Model:
    """GPT-2 XL (1.5B): 48 layers, width 1600, 25 heads, 1024 positions.

    GPT-2 small's architecture (see :func:`gpt2_small`) at the largest size
    of Radford et al. 2019, Table 2 (heads of 64 features); feed-forward
    width 6400. Without the head: 1,557,611,200 weights, keras-hub's
    ``"gpt2_extra_large_en"``.

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding GPT-2 XL's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt2_xl", head=None)
    1557611200
    """
    return _named("gpt2_xl", kwargs)
