"""keras_dlkit.models.generate: cached generation with keras-hub's samplers."""

import keras
import numpy as np
import pytest

pytest.importorskip("keras_hub")

from keras_dlkit.models import (  # noqa: E402
    bert,
    generate,
    gpt,
    llama_style,
    t5,
)
from keras_dlkit.models.transformers import generate as generate_module  # noqa: E402

PROMPTS = [[3, 4, 5], [6, 7], [8, 9, 10, 11]]
MAX_LENGTH = 9


@pytest.fixture(scope="module")
def gpt_model():
    keras.utils.set_random_seed(0)
    return gpt(
        vocabulary_size=24,
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=12,
        dropout=0.0,
    )


@pytest.fixture(scope="module")
def llama_model():
    keras.utils.set_random_seed(1)
    return llama_style(
        vocabulary_size=24,
        num_layers=1,
        num_heads=4,
        num_key_value_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
    )


@pytest.fixture(scope="module")
def t5_model():
    keras.utils.set_random_seed(2)
    return t5(
        vocabulary_size=24,
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        num_buckets=8,
        max_distance=16,
        dropout=0.0,
    )


def _ids(out):
    return out["token_ids"]


@pytest.mark.parametrize("name", ["gpt_model", "llama_model", "t5_model"])
def test_cached_equals_uncached_greedy(name, request):
    model = request.getfixturevalue(name)
    cached = generate(model, PROMPTS, MAX_LENGTH)
    uncached = generate(model, PROMPTS, MAX_LENGTH, use_cache=False)
    np.testing.assert_array_equal(_ids(cached), _ids(uncached))
    assert cached["token_ids"].shape == (3, MAX_LENGTH)
    assert cached["token_ids"].dtype == np.int32
    assert cached["padding_mask"].dtype == bool and cached["padding_mask"].all()
    if name == "t5_model":
        assert (_ids(cached)[:, 0] == 0).all()  # the decoder start token
    else:
        for row, prompt in zip(_ids(cached), PROMPTS, strict=True):
            assert row[: len(prompt)].tolist() == prompt


@pytest.mark.parametrize(
    "sampler, kwargs",
    [("top_k", {"top_k": 4}), ("top_p", {"top_p": 0.9, "temperature": 2.0})],
)
def test_cached_equals_uncached_sampling_with_a_seed(gpt_model, sampler, kwargs):
    cached = generate(gpt_model, PROMPTS, MAX_LENGTH, sampler, seed=3, **kwargs)
    again = generate(gpt_model, PROMPTS, MAX_LENGTH, sampler, seed=3, **kwargs)
    uncached = generate(
        gpt_model, PROMPTS, MAX_LENGTH, sampler, seed=3, use_cache=False, **kwargs
    )
    np.testing.assert_array_equal(_ids(cached), _ids(again))
    np.testing.assert_array_equal(_ids(cached), _ids(uncached))


def test_beam_width_one_equals_greedy(gpt_model):
    greedy = generate(gpt_model, PROMPTS, MAX_LENGTH)
    beam = generate(gpt_model, PROMPTS, MAX_LENGTH, "beam", num_beams=1)
    np.testing.assert_array_equal(_ids(beam), _ids(greedy))


def test_prompts_of_different_lengths_equal_each_alone(gpt_model):
    together = generate(gpt_model, PROMPTS, MAX_LENGTH)
    for row, prompt in zip(_ids(together), PROMPTS, strict=True):
        alone = generate(gpt_model, [prompt], MAX_LENGTH)
        np.testing.assert_array_equal(_ids(alone)[0], row)
    # keras-hub's input without a preprocessor: right-padded arrays.
    ids = np.zeros((3, 4), "int32")
    mask = np.zeros((3, 4), bool)
    for i, prompt in enumerate(PROMPTS):
        ids[i, : len(prompt)], mask[i, : len(prompt)] = prompt, True
    as_dict = generate(gpt_model, {"token_ids": ids, "padding_mask": mask}, MAX_LENGTH)
    np.testing.assert_array_equal(_ids(as_dict), _ids(together))


def test_end_token_stops_a_row_and_pads_the_rest(gpt_model):
    greedy = _ids(generate(gpt_model, PROMPTS, MAX_LENGTH))
    end = int(greedy[1, 2])  # the first token generated for the second row
    out = generate(gpt_model, PROMPTS, MAX_LENGTH, end_token_id=end)
    ids, mask = out["token_ids"], out["padding_mask"]
    for i, prompt in enumerate(PROMPTS):
        generated = greedy[i, len(prompt) :].tolist()
        stop = len(prompt) + (
            generated.index(end) + 1 if end in generated else len(generated)
        )
        assert mask[i].tolist() == [True] * stop + [False] * (MAX_LENGTH - stop)
        assert ids[i, :stop].tolist() == greedy[i, :stop].tolist()
        assert (ids[i, stop:] == 0).all()
    assert not mask[1, 3:].any()


def test_second_call_does_not_recompile(gpt_model):
    generate(gpt_model, PROMPTS, MAX_LENGTH, "top_k", top_k=2, seed=0)
    functions = dict(generate_module.compiled_functions(gpt_model))
    traces = generate_module.TRACE_COUNT
    generate(gpt_model, PROMPTS, MAX_LENGTH, "top_k", top_k=2, seed=5)
    assert generate_module.compiled_functions(gpt_model) == functions
    if keras.config.backend() in ("jax", "tensorflow"):
        assert generate_module.TRACE_COUNT == traces


def test_reloaded_model_generates_the_same_tokens(gpt_model, tmp_path):
    path = tmp_path / "gpt.keras"
    gpt_model.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        _ids(generate(reloaded, PROMPTS, MAX_LENGTH)),
        _ids(generate(gpt_model, PROMPTS, MAX_LENGTH)),
    )


def test_gpt_trained_on_a_copy_task_copies_exactly():
    """``a b c d SEP -> a b c d`` on held-out sequences, greedy, cached."""
    keras.utils.set_random_seed(0)
    symbols, length, sep = 8, 4, 1
    rng = np.random.default_rng(0)

    def data(n):
        a = rng.integers(2, 2 + symbols, size=(n, length))
        return np.concatenate([a, np.full((n, 1), sep), a], axis=1).astype("int32")

    model = gpt(
        vocabulary_size=2 + symbols,
        num_layers=1,
        num_heads=2,
        hidden_dim=32,
        intermediate_dim=64,
        max_sequence_length=2 * length + 1,
        dropout=0.0,
    )
    train = data(1024)
    weights = np.zeros((len(train), 2 * length), "float32")
    weights[:, length:] = 1.0  # only the copy is predictable
    model.compile(
        optimizer=keras.optimizers.Adam(5e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    inputs = {"token_ids": train[:, :-1], "padding_mask": np.ones_like(train[:, :-1])}
    model.fit(
        inputs, train[:, 1:], sample_weight=weights, batch_size=64, epochs=5, verbose=0
    )
    test = data(32)
    seen = {tuple(row) for row in train[:, :length]}
    test = test[[tuple(row) not in seen for row in test[:, :length]]]
    assert len(test) > 0
    out = generate(model, [list(row[: length + 1]) for row in test], 2 * length + 1)
    np.testing.assert_array_equal(out["token_ids"], test)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_length": 13}, "max_length.*context"),
        ({"max_length": 4}, "max_length.*longest prompt"),
        ({"sampler": "top_p", "top_p": 0.0}, "top_p"),
        ({"sampler": "top_p", "top_p": 1.5}, "top_p"),
        ({"sampler": "top_k", "top_k": 0}, "top_k"),
        ({"sampler": "beam", "num_beams": 0}, "num_beams"),
        ({"temperature": 0.0}, "temperature"),
        ({"sampler": "nucleus"}, "sampler"),
        ({"sampler": "top_k"}, "top_k"),
        ({"sampler": "top_p"}, "top_p"),
        ({"sampler": "beam"}, "num_beams"),
        ({"prompts": [[1] * 13], "max_length": 14}, "prompts.*context"),
        ({"prompts": []}, "prompts"),
        ({"prompts": [[1, 2], []]}, "prompts"),
    ],
)
def test_bad_input_raises_value_error(gpt_model, kwargs, match):
    kwargs = {"prompts": PROMPTS, "max_length": MAX_LENGTH, **kwargs}
    with pytest.raises(ValueError, match=match):
        generate(gpt_model, **kwargs)


def test_unsupported_models_raise_value_error():
    backbone = gpt(
        vocabulary_size=20,
        num_layers=1,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=8,
        head=None,
    )
    encoder = bert(
        vocabulary_size=20,
        num_layers=1,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=8,
    )
    foreign = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    for model in (backbone, encoder, foreign, "gpt"):
        with pytest.raises(ValueError, match="`model`"):
            generate(model, PROMPTS, MAX_LENGTH)


def test_equals_keras_hub_gpt2_causal_lm_generate():
    """keras-hub's GPT2CausalLM.generate and ours on its converted backbone."""
    import keras_hub

    from keras_dlkit.models import from_keras_hub

    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=40,
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=16,
    )
    reference = keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=None)
    reference.compile(sampler="greedy")
    ours = from_keras_hub(backbone, head="causal_lm")
    ids = np.zeros((3, 10), "int32")
    mask = np.zeros((3, 10), bool)
    for i, prompt in enumerate(PROMPTS):
        ids[i, : len(prompt)], mask[i, : len(prompt)] = prompt, True
    inputs = {"token_ids": ids, "padding_mask": mask}
    expected = reference.generate(inputs, stop_token_ids=None)
    np.testing.assert_array_equal(
        generate(ours, inputs, 10)["token_ids"],
        keras.ops.convert_to_numpy(expected["token_ids"]),
    )
