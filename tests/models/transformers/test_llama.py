"""llama_style: closed-form size, keras-hub Llama interop, causality, bad input."""

import numpy as np
import pytest
from keras import ops

from keras_dlkit.models import count_params, from_keras_hub, llama_style
from tests._tolerance import assert_close_to_scale

keras_hub = pytest.importorskip("keras_hub")

SMALL = dict(
    vocabulary_size=11,
    num_layers=2,
    num_heads=4,
    num_key_value_heads=2,
    hidden_dim=16,
    intermediate_dim=24,
)


def numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def inputs(rng, batch=2, length=7, vocabulary_size=11, padded=2):
    ids = rng.integers(1, vocabulary_size, size=(batch, length)).astype("int32")
    mask = np.ones((batch, length), "int32")
    if padded:
        mask[0, -padded:] = 0
        ids[0, -padded:] = 0
    return {"token_ids": ids, "padding_mask": mask}


@pytest.mark.parametrize(
    "variant",
    [
        dict(),
        dict(head=None),
        dict(tie_embeddings=True),
        dict(num_key_value_heads=None),
        dict(num_key_value_heads=1, head=None),
    ],
)
def test_count_params_equals_the_built_model(variant):
    config = {**SMALL, **variant}
    model = llama_style(**config)
    assert model.count_params() == count_params("llama_style", **config)


def test_published_sizes():
    # Meta-Llama-3-8B (the defaults) and Llama-2-7B, as published with the
    # checkpoints: 8,030,261,248 and 6,738,415,616 weights.
    assert count_params("llama_style") == 8_030_261_248
    llama2_7b = dict(
        vocabulary_size=32000,
        num_key_value_heads=32,
        intermediate_dim=11008,
        rotary_max_wavelength=10000.0,
    )
    assert count_params("llama_style", **llama2_7b) == 6_738_415_616


def _perturbed(model, rng, scale=0.05):
    for weight in model.weights:
        value = numpy(weight)
        weight.assign(value + rng.normal(0.0, scale, value.shape).astype(value.dtype))
    return model


@pytest.mark.parametrize("tie", [False, True])
def test_from_keras_hub_llama_matches_the_backbone_and_its_lm_logits(tie):
    rng = np.random.default_rng(21)
    hub = keras_hub.models.LlamaBackbone(
        vocabulary_size=40,
        num_layers=2,
        num_query_heads=4,
        num_key_value_heads=2,
        hidden_dim=16,
        intermediate_dim=24,
        rope_max_wavelength=500.0,
        layer_norm_epsilon=1e-5,
        tie_word_embeddings=tie,
    )
    _perturbed(hub, rng, 0.1)
    ours = from_keras_hub(hub)
    x = inputs(rng, batch=3, length=9, vocabulary_size=40, padded=3)
    expected = numpy(hub(x))
    assert_close_to_scale(numpy(ours(x)), expected, 1e-4)
    lm = from_keras_hub(hub, head="causal_lm")
    assert lm.count_params() == hub.count_params()
    expected_logits = numpy(
        hub.token_embedding(ops.convert_to_tensor(expected), reverse=True)
    )
    assert_close_to_scale(numpy(lm(x)), expected_logits, 1e-4)


def test_from_keras_hub_refuses_llama31_rope_scaling():
    hub = keras_hub.models.LlamaBackbone(
        vocabulary_size=20,
        num_layers=1,
        num_query_heads=2,
        num_key_value_heads=1,
        hidden_dim=8,
        intermediate_dim=8,
        rope_frequency_adjustment_factor=8.0,
        rope_low_freq_factor=1.0,
        rope_high_freq_factor=4.0,
        rope_pretraining_sequence_length=16,
    )
    with pytest.raises(ValueError, match="rope_frequency_adjustment_factor"):
        from_keras_hub(hub)


def test_causal_a_later_token_does_not_change_earlier_logits():
    rng = np.random.default_rng(5)
    model = llama_style(**SMALL)
    x = inputs(rng, padded=0)
    before = numpy(model(x))
    changed = {**x, "token_ids": x["token_ids"].copy()}
    changed["token_ids"][:, 5] = (changed["token_ids"][:, 5] % 10) + 1
    after = numpy(model(changed))
    np.testing.assert_array_equal(after[:, :5], before[:, :5])
    assert np.abs(after[:, 5:] - before[:, 5:]).max() > 1e-6


def test_no_biases_rms_norms_and_a_gated_feed_forward():
    model = llama_style(**SMALL)
    paths = [w.path for w in model.weights]
    assert not [p for p in paths if p.endswith("/bias") or p.endswith("/beta")]
    assert any("/feed_forward/gate/" in p for p in paths)
    assert "token_embedding/reverse_embeddings" in paths
    assert not [p for p in paths if "position" in p]


@pytest.mark.parametrize(
    "override, argument",
    [
        (dict(hidden_dim=18), "hidden_dim"),
        (dict(num_key_value_heads=3), "num_key_value_heads"),
        (dict(head="masked_lm"), "head"),
        (dict(rotary_max_wavelength=0), "rotary_max_wavelength"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(override, argument):
    config = {**SMALL, **override}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        llama_style(**config)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        count_params("llama_style", **config)


def test_any_length_is_accepted():
    model = llama_style(**SMALL)
    x = inputs(np.random.default_rng(6), length=40, padded=0)
    assert numpy(model(x)).shape == (2, 40, 11)
