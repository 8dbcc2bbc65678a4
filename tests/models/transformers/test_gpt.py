"""GPT builders: closed-form sizes, keras-hub GPT-2 interop, causality, bad input."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlkit.models import count_params, create_model, from_keras_hub, gpt
from keras_dlkit.models.transformers import gpt2, gpt3
from tests._tolerance import assert_close_to_scale

keras_hub = pytest.importorskip("keras_hub")

SMALL = dict(
    vocabulary_size=11,
    num_layers=1,
    num_heads=2,
    hidden_dim=8,
    intermediate_dim=12,
    max_sequence_length=6,
)
NAMED = ["gpt", *gpt2.CONFIGS, *gpt3.CONFIGS]


def numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def inputs(rng, batch=2, length=6, vocabulary_size=11, padded=2):
    """Token ids and a padding mask whose first row ends in ``padded`` pads."""
    ids = rng.integers(1, vocabulary_size, size=(batch, length)).astype("int32")
    mask = np.ones((batch, length), "int32")
    if padded:
        mask[0, -padded:] = 0
        ids[0, -padded:] = 0
    return {"token_ids": ids, "padding_mask": mask}


@pytest.mark.parametrize("head", ["causal_lm", None])
@pytest.mark.parametrize("name", NAMED)
def test_count_params_equals_the_built_model_for_every_builder(name, head):
    model = create_model(name, head=head, **SMALL)
    assert model.count_params() == count_params(name, head=head, **SMALL)


@pytest.mark.parametrize(
    "variant",
    [
        dict(tie_embeddings=False),
        dict(tie_embeddings=False, head=None),
        dict(norm="rms_norm", activation="swiglu", use_bias=False),
        dict(activation="geglu", num_key_value_heads=1),
        dict(position_encoding="rotary", max_sequence_length=None),
        dict(position_encoding="sinusoidal"),
        dict(position_encoding="none", activation="relu"),
    ],
)
def test_count_params_equals_the_built_model_for_every_switch(variant):
    config = {**SMALL, "num_layers": 2, **variant}
    model = gpt(**config)
    assert model.count_params() == count_params("gpt", **config)
    model(inputs(np.random.default_rng(0)))


# Brown et al. 2020, Table 2.1, "n_params".
GPT3_PAPER = {
    "gpt3_125m": 125e6,
    "gpt3_350m": 350e6,
    "gpt3_760m": 760e6,
    "gpt3_1_3b": 1.3e9,
    "gpt3_2_7b": 2.7e9,
    "gpt3_6_7b": 6.7e9,
    "gpt3_13b": 13e9,
    "gpt3_175b": 175e9,
}


@pytest.mark.parametrize("name", sorted(GPT3_PAPER))
def test_gpt3_sizes_are_within_two_percent_of_the_paper(name):
    count = count_params(name)
    assert abs(count - GPT3_PAPER[name]) <= 0.02 * GPT3_PAPER[name], count


def test_gpt2_sizes_equal_keras_hub_presets():
    from keras_hub.src.models.gpt2.gpt2_presets import backbone_presets

    published = {
        "gpt2_small": "gpt2_base_en",
        "gpt2_medium": "gpt2_medium_en",
        "gpt2_large": "gpt2_large_en",
        "gpt2_xl": "gpt2_extra_large_en",
    }
    counts = {name: count_params(name, head=None) for name in published}
    assert counts == {
        "gpt2_small": 124_439_808,
        "gpt2_medium": 354_823_168,
        "gpt2_large": 774_030_080,
        "gpt2_xl": 1_557_611_200,
    }
    for name, preset in published.items():
        assert counts[name] == backbone_presets[preset]["metadata"]["params"]
    # The tied head adds no weight.
    assert count_params("gpt2_small") == 124_439_808


@pytest.mark.large
def test_gpt2_small_backbone_has_keras_hubs_124m_weights():
    ours = create_model("gpt2_small", head=None)
    assert ours.count_params() == 124_439_808
    hub = keras_hub.models.GPT2Backbone(
        vocabulary_size=50257,
        num_layers=12,
        num_heads=12,
        hidden_dim=768,
        intermediate_dim=3072,
        max_sequence_length=1024,
    )
    assert hub.count_params() == 124_439_808


def _perturbed(model, rng, scale=0.05):
    """Moves every weight off its initial value (biases off zero, gammas off one)."""
    for weight in model.weights:
        value = numpy(weight)
        weight.assign(value + rng.normal(0.0, scale, value.shape).astype(value.dtype))
    return model


def test_from_keras_hub_gpt2_matches_the_backbone_and_its_lm_logits():
    rng = np.random.default_rng(20)
    hub = keras_hub.models.GPT2Backbone(
        vocabulary_size=50,
        num_layers=2,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=12,
    )
    _perturbed(hub, rng)
    ours = from_keras_hub(hub)
    assert ours.count_params() == hub.count_params()
    x = inputs(rng, batch=3, length=10, vocabulary_size=50, padded=3)
    expected = numpy(hub(x))
    assert_close_to_scale(numpy(ours(x)), expected, 1e-4)
    lm = from_keras_hub(hub, head="causal_lm")
    embeddings = numpy(hub.token_embedding.embeddings)
    assert_close_to_scale(numpy(lm(x)), expected @ embeddings.T, 1e-4)


def test_from_keras_hub_docstring_backbone_converts():
    source = keras_hub.models.GPT2Backbone(
        vocabulary_size=50,
        num_layers=1,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=12,
    )
    assert from_keras_hub(source).count_params() == source.count_params()


@pytest.mark.parametrize("position_encoding", ["learned", "rotary"])
def test_causal_a_later_token_does_not_change_earlier_logits(position_encoding):
    rng = np.random.default_rng(1)
    model = gpt(**{**SMALL, "num_layers": 2}, position_encoding=position_encoding)
    x = inputs(rng, batch=2, padded=0)
    before = numpy(model(x))
    changed = {**x, "token_ids": x["token_ids"].copy()}
    changed["token_ids"][:, 4] = (changed["token_ids"][:, 4] % 10) + 1
    after = numpy(model(changed))
    np.testing.assert_array_equal(after[:, :4], before[:, :4])
    assert np.abs(after[:, 4:] - before[:, 4:]).max() > 1e-6


def test_padded_tokens_are_not_attended_to():
    rng = np.random.default_rng(2)
    model = gpt(**{**SMALL, "num_layers": 2}, dropout=0.0)
    x = inputs(rng, batch=2, padded=0)
    x["padding_mask"][:, 1] = 0
    before = numpy(model(x))
    changed = {**x, "token_ids": x["token_ids"].copy()}
    changed["token_ids"][:, 1] = (changed["token_ids"][:, 1] % 10) + 1
    after = numpy(model(changed))
    others = [0, 2, 3, 4, 5]
    assert_close_to_scale(after[:, others], before[:, others], 1e-6)
    # Without the mask, the changed token reaches the later positions.
    x["padding_mask"][:] = 1
    changed["padding_mask"] = x["padding_mask"]
    assert np.abs(numpy(model(changed))[:, 2:] - numpy(model(x))[:, 2:]).max() > 1e-6


def test_backbone_and_lm_outputs():
    model = gpt(**SMALL, head=None)
    assert model.output_shape == (None, None, 8)
    lm = gpt(**SMALL)
    assert lm.output_shape == (None, None, 11)
    assert lm.get_layer("transformer_layer_0") is not None
    assert lm.get_layer("final_norm") is not None


@pytest.mark.parametrize(
    "override, argument",
    [
        (dict(hidden_dim=10, num_heads=3), "hidden_dim"),
        (dict(norm="batch_norm"), "norm"),
        (dict(activation="tanh"), "activation"),
        (dict(position_encoding="alibi"), "position_encoding"),
        (dict(head="classification"), "head"),
        (dict(num_heads=2, num_key_value_heads=3), "num_key_value_heads"),
        (dict(max_sequence_length=None), "max_sequence_length"),
        (dict(tie_embeddings=1), "tie_embeddings"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(override, argument):
    config = {**SMALL, **override}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        gpt(**config)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        count_params("gpt", **config)


def test_a_sequence_longer_than_max_sequence_length_raises():
    model = gpt(**SMALL)
    x = inputs(np.random.default_rng(3), length=SMALL["max_sequence_length"] + 1)
    with pytest.raises(
        ValueError, match="longer than sequence_length=.*`max_sequence_length`"
    ):
        model(x)


def test_unknown_builder_argument_is_a_type_error():
    with pytest.raises(TypeError):
        count_params("gpt2_small", not_an_argument=1)
    with pytest.raises(TypeError):
        create_model("gpt2_small", not_an_argument=1)


def test_llm_head_logits_are_the_tied_embedding_product():
    rng = np.random.default_rng(4)
    lm = gpt(**SMALL, dropout=0.0)
    backbone = keras.Model(lm.input, lm.get_layer("final_norm").output)
    x = inputs(rng)
    embeddings = numpy(lm.get_layer("token_embedding").embeddings)
    assert_close_to_scale(numpy(lm(x)), numpy(backbone(x)) @ embeddings.T, 1e-5)


def test_weights_of_the_same_shape_are_drawn_independently():
    config = dict(SMALL, hidden_dim=6, max_sequence_length=11, num_heads=2)
    model = gpt(**config, tie_embeddings=False)
    weights = {w.path: numpy(w) for w in model.weights}
    token = weights["token_embedding/embeddings"]
    assert not np.allclose(token, weights["position_embedding/embeddings"])
    assert not np.allclose(
        token.ravel(), weights["token_embedding/reverse_embeddings"].ravel()
    )
    attention = "transformer_layer_0/self_attention/"
    assert not np.allclose(
        weights[attention + "query/kernel"], weights[attention + "key/kernel"]
    )
