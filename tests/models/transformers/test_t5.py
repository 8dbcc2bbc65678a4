"""T5: closed-form sizes, published sizes, keras-hub interop, masking, bad arguments."""

import keras
import numpy as np
import pytest
from _helpers import to_np64
from _tolerance import assert_close_to_scale

from keras_dlkit.models import count_params, from_keras_hub, t5, t5_small

TINY = {
    "vocabulary_size": 50,
    "num_layers": 2,
    "num_heads": 2,
    "hidden_dim": 16,
    "intermediate_dim": 32,
    "num_buckets": 8,
    "max_distance": 16,
}


def _inputs(rng, vocabulary_size, batch=3, encoder_length=9, decoder_length=6):
    """Token ids and masks; encoder and decoder both padded (right, and left in row 2)."""
    encoder_mask = np.ones((batch, encoder_length), "int32")
    encoder_mask[1, -3:] = 0
    encoder_mask[2, :2] = 0
    decoder_mask = np.ones((batch, decoder_length), "int32")
    decoder_mask[1, -2:] = 0
    decoder_mask[2, -4:] = 0
    return {
        "encoder_token_ids": rng.integers(
            1, vocabulary_size, (batch, encoder_length)
        ).astype("int32")
        * encoder_mask,
        "encoder_padding_mask": encoder_mask,
        "decoder_token_ids": rng.integers(
            1, vocabulary_size, (batch, decoder_length)
        ).astype("int32")
        * decoder_mask,
        "decoder_padding_mask": decoder_mask,
    }


# --- sizes ---------------------------------------------------------------------


@pytest.mark.parametrize("head", ["text_to_text", None])
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"activation": "geglu", "tie_embeddings": False},
        {"key_dim": 5, "num_heads": 3, "activation": "swiglu"},
        {"num_layers": 1, "num_buckets": 6, "max_distance": 7, "activation": "gelu"},
    ],
)
def test_count_params_equals_the_built_model(head, overrides):
    config = {**TINY, **overrides, "head": head}
    model = t5(**config)
    assert count_params("t5", **config) == model.count_params()
    # The named builders apply the same rule to their presets.
    small = {**TINY, **overrides, "head": head}
    assert count_params("t5_small", **small) == t5_small(**small).count_params()


@pytest.mark.parametrize("gated, tied", [(False, True), (True, False)])
def test_count_params_equals_keras_hub_t5_backbone(gated, tied):
    import keras_hub

    hub = keras_hub.models.T5Backbone(
        vocabulary_size=37,
        num_layers=2,
        num_heads=3,
        hidden_dim=12,
        intermediate_dim=20,
        key_value_dim=5,
        activation="gelu" if gated else "relu",
        use_gated_activation=gated,
        tie_embedding_weights=tied,
    )
    ours = count_params(
        "t5",
        vocabulary_size=37,
        num_layers=2,
        num_heads=3,
        hidden_dim=12,
        intermediate_dim=20,
        key_dim=5,
        activation="geglu" if gated else "relu",
        tie_embeddings=tied,
        head=None,
    )
    assert ours == hub.count_params()


def test_published_sizes():
    # Raffel et al. (2020) give "60 million" (T5-Small) and "220 million"
    # (T5-Base); these are the exact counts of the released checkpoints.
    assert count_params("t5_small") == 60_506_624  # +0.8% of 60M
    assert count_params("t5_base") == 222_903_552  # +1.3% of 220M
    assert count_params("t5_small", head=None) == 60_506_624
    assert abs(count_params("t5_small") / 60e6 - 1) < 0.01
    assert abs(count_params("t5_base") / 220e6 - 1) < 0.014


@pytest.mark.large
@pytest.mark.parametrize("name", ["t5_small", "t5_base"])
def test_full_size_counts_equal_keras_hub(name):
    # keras-hub's T5Backbone built at the full published size (32128 tokens),
    # T5 v1.0's plain ReLU feed-forward. Our built model equals the closed
    # form on every configuration the other tests build (t5_small here at
    # full size too; t5_base at a 64-token vocabulary in the registry test).
    import keras_hub

    from keras_dlkit.models.transformers.t5 import CONFIGS

    hub = keras_hub.models.T5Backbone(
        vocabulary_size=32128, use_gated_activation=False, **CONFIGS[name]
    )
    expected = hub.count_params()
    del hub
    assert count_params(name) == expected
    if name == "t5_small":
        assert t5_small(head=None).count_params() == expected


# --- keras-hub interop -----------------------------------------------------------


def _randomize(model, rng):
    """Every weight ~ N(0, 1/fan-in), norm scales ~ 1 + N(0, 0.3): nothing at its init."""
    for weight in model.weights:
        shape = tuple(weight.shape)
        if len(shape) == 1:
            value = 1.0 + 0.3 * rng.standard_normal(shape)
        else:
            value = rng.standard_normal(shape) / np.sqrt(shape[0])
        weight.assign(value.astype("float32"))


HUB_CONFIGS = [
    # T5 v1.0: ReLU, tied embeddings.
    {"activation": "relu", "use_gated_activation": False},
    # T5 v1.1: gated GELU, untied output, heads narrower than hidden / heads.
    {
        "activation": "gelu",
        "use_gated_activation": True,
        "tie_embedding_weights": False,
        "key_value_dim": 3,
    },
]


@pytest.mark.parametrize("hub_config", HUB_CONFIGS)
def test_from_keras_hub_matches_outputs_and_logits(hub_config):
    import keras_hub

    rng = np.random.default_rng(0)
    hub = keras_hub.models.T5Backbone(
        vocabulary_size=40,
        num_layers=2,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        dropout=0.1,
        **hub_config,
    )
    _randomize(hub, rng)
    ours = from_keras_hub(hub)
    assert ours.count_params() == hub.count_params()
    x = _inputs(rng, 40)
    expected, got = hub(x), ours(x)
    assert set(got) == {"encoder_sequence_output", "decoder_sequence_output"}
    for key, mask in (
        ("encoder_sequence_output", x["encoder_padding_mask"]),
        ("decoder_sequence_output", x["decoder_padding_mask"]),
    ):
        # Real positions only: a padded decoder query in row 2 sees no real
        # key, and the two libraries fill such rows differently.
        real = mask.astype(bool)
        assert_close_to_scale(
            to_np64(got[key])[real], to_np64(expected[key])[real], 1e-4, err_msg=key
        )
    # The text-to-text head equals keras-hub's T5Seq2SeqLM logits (the tied
    # head scales the decoder output by hidden_dim ** -0.5).
    lm = keras_hub.models.T5Seq2SeqLM(backbone=hub, preprocessor=None)
    head = t5(
        vocabulary_size=40,
        num_layers=2,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        key_dim=hub_config.get("key_value_dim"),
        activation="geglu" if hub_config["use_gated_activation"] else "relu",
        tie_embeddings=hub_config.get("tie_embedding_weights", True),
    )
    head.set_weights(ours.get_weights())
    real = x["decoder_padding_mask"].astype(bool)
    assert_close_to_scale(to_np64(head(x))[real], to_np64(lm(x))[real], 1e-4)


def test_from_keras_hub_rejects_unsupported_activation():
    import keras_hub

    hub = keras_hub.models.T5Backbone(
        vocabulary_size=10,
        num_layers=1,
        num_heads=1,
        hidden_dim=4,
        intermediate_dim=4,
        activation="relu",
        use_gated_activation=True,
    )
    with pytest.raises(ValueError, match="`backbone` has activation"):
        from_keras_hub(hub)


# --- behaviour -----------------------------------------------------------------


def test_padding_and_causality():
    rng = np.random.default_rng(1)
    model = t5(**TINY, head=None, dropout=0.0)
    _randomize(model, rng)
    x = _inputs(rng, 50)
    base = {k: to_np64(v) for k, v in model(x).items()}
    # Changing the ids under the padding changes no real position.
    y = {k: v.copy() for k, v in x.items()}
    for stack in ("encoder", "decoder"):
        pad = y[f"{stack}_padding_mask"] == 0
        y[f"{stack}_token_ids"][pad] = 7
    moved = {k: to_np64(v) for k, v in model(y).items()}
    for key, mask in (
        ("encoder_sequence_output", x["encoder_padding_mask"]),
        ("decoder_sequence_output", x["decoder_padding_mask"]),
    ):
        real = mask.astype(bool)
        assert_close_to_scale(moved[key][real], base[key][real], 1e-5)
    # The decoder is causal: a later decoder token changes no earlier output.
    z = {k: v.copy() for k, v in x.items()}
    z["decoder_token_ids"][0, 4] = (z["decoder_token_ids"][0, 4] % 49) + 1
    out = to_np64(model(z)["decoder_sequence_output"])
    assert_close_to_scale(out[0, :4], base["decoder_sequence_output"][0, :4], 1e-5)
    assert not np.allclose(out[0, 4], base["decoder_sequence_output"][0, 4])


def test_relative_bias_is_shared_and_logits_have_vocabulary_shape():
    model = t5(**TINY)
    biases = [
        layer.name for layer in model.layers if "relative_position_bias" in layer.name
    ]
    assert biases == [
        "encoder_relative_position_bias",
        "decoder_relative_position_bias",
    ]
    assert model.output_shape == (None, None, 50)
    assert [
        n
        for n in ("encoder_layer_1", "decoder_layer_1", "encoder_final_norm")
        if model.get_layer(n) is not None
    ] == ["encoder_layer_1", "decoder_layer_1", "encoder_final_norm"]


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"hidden_dim": 15}, "hidden_dim"),
        ({"head": "classification"}, "head"),
        ({"num_buckets": 3}, "num_buckets"),
        ({"max_distance": 2}, "max_distance"),
        ({"activation": "tanh"}, "activation"),
        ({"tie_embeddings": 1}, "tie_embeddings"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        t5(**{**TINY, **kwargs})
    with pytest.raises(ValueError, match=f"`{argument}`"):
        count_params("t5", **{**TINY, **kwargs})


def test_mixed_precision_builds_and_runs():
    model = t5(**TINY, dtype="mixed_bfloat16")
    logits = model(_inputs(np.random.default_rng(2), 50))
    assert keras.backend.standardize_dtype(logits.dtype) == "bfloat16"
    assert np.all(np.isfinite(to_np64(logits)))
