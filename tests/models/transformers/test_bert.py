"""BERT: sizes, keras-hub equivalence, heads, padding, bad arguments."""

import keras
import keras_hub
import numpy as np
import pytest

from keras_dlkit.models import bert, count_params, create_model, from_keras_hub
from tests._tolerance import assert_close_to_scale

TINY = {
    "vocabulary_size": 23,
    "num_layers": 2,
    "num_heads": 2,
    "hidden_dim": 8,
    "intermediate_dim": 16,
    "max_sequence_length": 12,
}
HUB_TINY = {**TINY, "dropout": 0.0}


def _numpy(value):
    """Backend tensors (torch ones that require grad too) as NumPy arrays."""
    return keras.tree.map_structure(keras.ops.convert_to_numpy, value)


def _randomize(model, rng):
    """Random weights everywhere (layer-norm gammas around 1), so no weight is trivial."""
    for weight in model.weights:
        value = 0.3 * rng.standard_normal(weight.shape)
        if weight.path.endswith("gamma"):
            value += 1.0
        weight.assign(value.astype("float32"))


def _inputs(rng, batch=2, length=7, vocabulary_size=23, pad=(0, 2)):
    """Token ids with the sample's last ``pad[i]`` positions padding (id 0)."""
    padding_mask = np.ones((batch, length), "int32")
    for row, count in enumerate(pad):
        if count:
            padding_mask[row, length - count :] = 0
    token_ids = rng.integers(1, vocabulary_size, size=(batch, length))
    return {
        "token_ids": (token_ids * padding_mask).astype("int32"),
        "segment_ids": rng.integers(0, 2, size=(batch, length)).astype("int32"),
        "padding_mask": padding_mask,
    }


@pytest.mark.parametrize("head", ["masked_lm", "classification", None])
@pytest.mark.parametrize(
    "name", ["bert", "bert_tiny", "bert_small", "bert_base", "bert_large"]
)
def test_count_params_equals_the_built_model(name, head):
    # Small overrides: a short vocabulary and sequence, one layer at full width.
    overrides = {
        "vocabulary_size": 31,
        "max_sequence_length": 9,
        "num_layers": 1,
        "head": head,
        "num_classes": 3,
    }
    if name == "bert":
        overrides.update(hidden_dim=16, num_heads=4, intermediate_dim=24)
    model = create_model(name, **overrides)
    assert count_params(name, **overrides) == model.count_params()


def test_published_counts_without_building():
    # Devlin et al. / Turc et al. sizes; bert_base = keras-hub's BertBackbone.
    assert count_params("bert_tiny", head=None) == 4_385_920
    assert count_params("bert_small", head=None) == 28_763_648
    assert count_params("bert_base", head=None) == 109_482_240
    assert count_params("bert_large", head=None) == 335_141_888


@pytest.mark.large
def test_bert_base_backbone_has_keras_hub_size():
    ours = create_model("bert_base", head=None)
    hub = keras_hub.models.BertBackbone(
        vocabulary_size=30522,
        num_layers=12,
        num_heads=12,
        hidden_dim=768,
        intermediate_dim=3072,
        max_sequence_length=512,
    )
    assert ours.count_params() == hub.count_params() == 109_482_240


def test_from_keras_hub_matches_keras_hub_outputs_with_padding():
    rng = np.random.default_rng(0)
    hub = keras_hub.models.BertBackbone(**HUB_TINY)
    _randomize(hub, rng)
    ours = from_keras_hub(hub)
    assert ours.count_params() == hub.count_params()
    x = _inputs(rng, pad=(0, 3))
    expected, actual = _numpy(hub(x)), _numpy(ours(x))
    assert set(actual) == {"sequence_output", "pooled_output"}
    for key in ("sequence_output", "pooled_output"):
        assert_close_to_scale(actual[key], expected[key], rel=1e-4, err_msg=key)
    # The comparison can fail: one changed weight moves the outputs.
    ours.get_layer("transformer_layer_1").weights[0].assign(
        np.zeros(ours.get_layer("transformer_layer_1").weights[0].shape)
    )
    moved = _numpy(ours(x)["sequence_output"])
    assert np.abs(moved - _numpy(expected["sequence_output"])).max() > 1e-2


def test_masked_lm_head_matches_keras_hub_bert_masked_lm():
    rng = np.random.default_rng(1)
    hub_backbone = keras_hub.models.BertBackbone(**HUB_TINY)
    hub = keras_hub.models.BertMaskedLM(backbone=hub_backbone, preprocessor=None)
    _randomize(hub, rng)
    ours = bert(**TINY, dropout=0.0, head="masked_lm")
    source = {w.path: w for w in from_keras_hub(hub_backbone).weights}
    source.update(
        {
            "mlm_dense/kernel": hub.get_layer("mlm_head")._intermediate_dense.kernel,
            "mlm_dense/bias": hub.get_layer("mlm_head")._intermediate_dense.bias,
            "mlm_layer_norm/gamma": hub.get_layer(
                "mlm_head"
            )._intermediate_layer_norm.gamma,
            "mlm_layer_norm/beta": hub.get_layer(
                "mlm_head"
            )._intermediate_layer_norm.beta,
            "mlm_output_bias/bias": hub.get_layer("mlm_head")._bias,
        }
    )
    for weight in ours.weights:
        weight.assign(_numpy(source[weight.path]))
    x = _inputs(rng, pad=(0, 2))
    x["mask_positions"] = np.array([[0, 3, 6], [1, 2, 4]], "int32")
    expected = _numpy(hub(x))
    actual = _numpy(ours(x))
    assert actual.shape == (2, 3, TINY["vocabulary_size"])
    assert_close_to_scale(actual, expected, rel=1e-4)
    # The logits are tied to the token embedding: one weight, not two.
    embeddings = [w for w in ours.weights if "embeddings" in w.path]
    assert len([w for w in embeddings if w.path.startswith("token_embedding")]) == 1


def test_classification_head_shape_and_pooled_input():
    rng = np.random.default_rng(2)
    model = bert(**TINY, head="classification", num_classes=5)
    x = _inputs(rng)
    assert tuple(model(x).shape) == (2, 5)
    assert model.output_shape == (None, 5)
    # The logits are a dense layer on the backbone's pooled output.
    backbone = bert(**TINY, head=None)
    source = {weight.path: weight for weight in model.weights}
    for weight in backbone.weights:
        weight.assign(_numpy(source[weight.path]))
    logits_layer = model.get_layer("logits")
    pooled = _numpy(backbone(x)["pooled_output"])
    expected = pooled @ _numpy(logits_layer.kernel) + _numpy(logits_layer.bias)
    assert_close_to_scale(_numpy(model(x)), expected, rel=1e-5)


@pytest.mark.parametrize("head", ["masked_lm", None])
def test_padding_does_not_change_the_real_tokens(head):
    rng = np.random.default_rng(3)
    model = bert(**TINY, head=head)
    _randomize(model, rng)
    x = _inputs(rng, pad=(3, 3))
    other = {key: value.copy() for key, value in x.items()}
    # Other ids and segments in the padded positions, which are masked out.
    other["token_ids"][:, -3:] = rng.integers(1, 23, size=(2, 3))
    other["segment_ids"][:, -3:] = 1 - other["segment_ids"][:, -3:]
    if head == "masked_lm":
        x["mask_positions"] = other["mask_positions"] = np.array(
            [[0, 1, 3], [2, 3, 0]], "int32"
        )
        assert_close_to_scale(_numpy(model(other)), _numpy(model(x)), rel=1e-5)
        return
    a, b = _numpy(model(x)), _numpy(model(other))
    assert_close_to_scale(
        _numpy(b["sequence_output"])[:, :4], _numpy(a["sequence_output"])[:, :4]
    )
    assert_close_to_scale(b["pooled_output"], a["pooled_output"])
    # ... and padding that is not masked does change them.
    other["padding_mask"][:] = 1
    moved = _numpy(model(other)["pooled_output"])
    assert np.abs(moved - _numpy(a["pooled_output"])).max() > 1e-3


def test_backbone_outputs_like_keras_hub():
    model = bert(**TINY, head=None)
    assert set(model.input) == {"token_ids", "segment_ids", "padding_mask"}
    shapes = {key: tuple(value.shape) for key, value in model.output.items()}
    assert shapes == {"sequence_output": (None, None, 8), "pooled_output": (None, 8)}


def test_bad_arguments_raise_value_errors_naming_them():
    with pytest.raises(ValueError, match="`hidden_dim` \\(10\\).*`num_heads` \\(4\\)"):
        bert(**{**TINY, "hidden_dim": 10, "num_heads": 4})
    with pytest.raises(ValueError, match="`head`"):
        bert(**TINY, head="causal_lm")
    with pytest.raises(ValueError, match="`head`"):
        count_params("bert_tiny", head="mlm")
    with pytest.raises(ValueError, match="`hidden_dim`"):
        count_params("bert_tiny", hidden_dim=127)
    model = bert(**TINY, head=None)
    too_long = _inputs(np.random.default_rng(4), length=13)
    with pytest.raises(
        ValueError, match="longer than sequence_length=12 .*`max_sequence_length`"
    ):
        model(too_long)


def test_saving_round_trip_keeps_the_tied_logits(tmp_path):
    rng = np.random.default_rng(5)
    model = bert(**TINY, head="masked_lm")
    _randomize(model, rng)
    x = _inputs(rng)
    x["mask_positions"] = np.array([[0, 1], [2, 3]], "int32")
    path = str(tmp_path / "bert.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert_close_to_scale(_numpy(loaded(x)), _numpy(model(x)), rel=1e-6)
    assert loaded.count_params() == model.count_params()
