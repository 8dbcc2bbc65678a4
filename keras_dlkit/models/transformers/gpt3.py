"""GPT-3 at the eight sizes of Brown et al. 2020, Table 2.1.

Thin builders over :func:`~keras_dlkit.models.gpt`: GPT-2's architecture
(pre-norm LayerNorm blocks, tanh-approximate GELU, learned positions, tied
causal-LM head, vocabulary 50257) with a context of 2048 tokens and a
feed-forward of 4 x ``d_model``. GPT-3 alternated dense and locally banded
sparse attention in its layers; the banding changes no weight, and these
builders attend densely everywhere. ``keras_dlkit.models.count_params``
sizes every one without creating a weight; all but ``gpt3_125m`` are too
large for the test suite to build.
"""

from __future__ import annotations

import functools
from typing import Any

import keras

from keras_dlkit.api_export import keras_dlkit_export
from keras_dlkit.models._registry import register_model
from keras_dlkit.models.transformers.gpt import TINY, count_rule, gpt, token_inputs

#: Brown et al. 2020, Table 2.1: n_layers, d_model, n_heads (d_ff = 4 d_model,
#: context 2048). Two entries differ from the table; see their builders.
CONFIGS: dict[str, dict[str, Any]] = {
    "gpt3_125m": dict(
        num_layers=12, hidden_dim=768, num_heads=12, intermediate_dim=3072
    ),
    "gpt3_350m": dict(
        num_layers=24, hidden_dim=1024, num_heads=16, intermediate_dim=4096
    ),
    "gpt3_760m": dict(
        num_layers=24, hidden_dim=1536, num_heads=16, intermediate_dim=6144
    ),
    "gpt3_1_3b": dict(
        num_layers=24, hidden_dim=2048, num_heads=16, intermediate_dim=8192
    ),
    "gpt3_2_7b": dict(
        num_layers=32, hidden_dim=2560, num_heads=32, intermediate_dim=10240
    ),
    "gpt3_6_7b": dict(
        num_layers=32, hidden_dim=4096, num_heads=32, intermediate_dim=16384
    ),
    "gpt3_13b": dict(
        num_layers=40, hidden_dim=5120, num_heads=40, intermediate_dim=20480
    ),
    "gpt3_175b": dict(
        num_layers=96, hidden_dim=12288, num_heads=96, intermediate_dim=49152
    ),
}

# Full depth and width, a 64-token vocabulary and 16 positions.
_REDUCED = dict(vocabulary_size=64, max_sequence_length=16)
_REDUCED_INPUTS = functools.partial(token_inputs, length=16, vocabulary_size=64)


def _named(config_name: str, kwargs: dict[str, Any]) -> keras.Model:
    config = {**CONFIGS[config_name], "max_sequence_length": 2048, "name": config_name}
    return gpt(**{**config, **kwargs})


def _rule(config_name: str):
    return count_rule({**CONFIGS[config_name], "max_sequence_length": 2048})


@register_model(
    family="transformers",
    test_config=_REDUCED,
    test_input_shape=(16,),
    test_inputs=_REDUCED_INPUTS,
    count_params=_rule("gpt3_125m"),
    # GPT-2 small's code path with 2048 positions: gpt2_small is built in
    # the large set; this one is sized (65 s of CI saved).
    size_only=True,
)
@keras_dlkit_export("keras_dlkit.models.gpt3_125m")
def gpt3_125m(**kwargs: Any) -> keras.Model:
    """GPT-3 Small (125M): 12 layers, width 768, 12 heads of 64, 2048 positions.

    Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1;
    feed-forward width 3072. This configuration has 125,226,240 weights with
    the causal-LM head (tied to the token embedding), +0.2% from the
    paper's 125M.

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding this size's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params, gpt3_125m
    >>> count_params("gpt3_125m")
    125226240
    >>> gpt3_125m(num_layers=1, vocabulary_size=100).output_shape
    (None, None, 100)
    """
    return _named("gpt3_125m", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=_rule("gpt3_350m"),
)
@keras_dlkit_export("keras_dlkit.models.gpt3_350m")
def gpt3_350m(**kwargs: Any) -> keras.Model:
    """GPT-3 Medium (350M): 24 layers, width 1024, 16 heads of 64, 2048 positions.

    Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1;
    feed-forward width 4096. This configuration has 355,871,744 weights with
    the causal-LM head (tied to the token embedding), +1.7% from the
    paper's 350M.

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding this size's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt3_350m")
    355871744
    """
    return _named("gpt3_350m", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=_rule("gpt3_760m"),
)
@keras_dlkit_export("keras_dlkit.models.gpt3_760m")
def gpt3_760m(**kwargs: Any) -> keras.Model:
    """GPT-3 Large (760M): 24 layers, width 1536, 16 heads of 96, 2048 positions.

    Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1;
    feed-forward width 6144. This configuration has 760,300,032 weights with
    the causal-LM head (tied to the token embedding), +0.04% from the
    paper's 760M.

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding this size's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt3_760m")
    760300032
    """
    return _named("gpt3_760m", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=_rule("gpt3_1_3b"),
)
@keras_dlkit_export("keras_dlkit.models.gpt3_1_3b")
def gpt3_1_3b(**kwargs: Any) -> keras.Model:
    """GPT-3 XL (1.3B): 24 layers, width 2048, 16 heads of 128, 2048 positions.

    Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1;
    feed-forward width 8192. This configuration has 1,315,723,264 weights with
    the causal-LM head (tied to the token embedding), +1.2% from the
    paper's 1.3B.

    Table 2.1 lists 24 heads of 128 features, which do not make
    its width of 2048 (24 x 128 = 3072); this builder keeps the heads of 128
    features and takes 16 of them (the count does not depend on the split).

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding this size's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt3_1_3b")
    1315723264
    """
    return _named("gpt3_1_3b", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=_rule("gpt3_2_7b"),
)
@keras_dlkit_export("keras_dlkit.models.gpt3_2_7b")
def gpt3_2_7b(**kwargs: Any) -> keras.Model:
    """GPT-3 2.7B (2.7B): 32 layers, width 2560, 32 heads of 80, 2048 positions.

    Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1;
    feed-forward width 10240. This configuration has 2,651,553,280 weights with
    the causal-LM head (tied to the token embedding), -1.8% from the
    paper's 2.7B.

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding this size's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt3_2_7b")
    2651553280
    """
    return _named("gpt3_2_7b", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=_rule("gpt3_6_7b"),
)
@keras_dlkit_export("keras_dlkit.models.gpt3_6_7b")
def gpt3_6_7b(**kwargs: Any) -> keras.Model:
    """GPT-3 6.7B (6.7B): 32 layers, width 4096, 32 heads of 128, 2048 positions.

    Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1;
    feed-forward width 16384. This configuration has 6,658,404,352 weights with
    the causal-LM head (tied to the token embedding), -0.6% from the
    paper's 6.7B.

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding this size's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt3_6_7b")
    6658404352
    """
    return _named("gpt3_6_7b", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=_rule("gpt3_13b"),
)
@keras_dlkit_export("keras_dlkit.models.gpt3_13b")
def gpt3_13b(**kwargs: Any) -> keras.Model:
    """GPT-3 13B (13B): 40 layers, width 5120, 40 heads of 128, 2048 positions.

    Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1;
    feed-forward width 20480. This configuration has 12,853,386,240 weights with
    the causal-LM head (tied to the token embedding), -1.1% from the
    paper's 13B.

    Table 2.1 lists a width of 5140, which 40 heads do not divide;
    this builder takes 5120 = 40 heads x 128 features (the paper's head size).

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding this size's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt3_13b")
    12853386240
    """
    return _named("gpt3_13b", kwargs)


@register_model(
    family="transformers",
    test_config=TINY,
    test_input_shape=(8,),
    test_inputs=token_inputs,
    size_only=True,
    count_params=_rule("gpt3_175b"),
)
@keras_dlkit_export("keras_dlkit.models.gpt3_175b")
def gpt3_175b(**kwargs: Any) -> keras.Model:
    """GPT-3 175B (175B): 96 layers, width 12288, 96 heads of 128, 2048 positions.

    Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1;
    feed-forward width 49152. This configuration has 174,604,259,328 weights with
    the causal-LM head (tied to the token embedding), -0.2% from the
    paper's 175B.

    Args:
        **kwargs: Any argument of :func:`gpt`, overriding this size's.

    Returns:
        A functional ``keras.Model`` on ``{"token_ids", "padding_mask"}``.

    Example:

    >>> from keras_dlkit.models import count_params
    >>> count_params("gpt3_175b")
    174604259328
    """
    return _named("gpt3_175b", kwargs)
