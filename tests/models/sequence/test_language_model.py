"""rnn_language_model and its generation with a cached recurrent state."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlkit.models import (
    mlp,
    rnn_generate,
    rnn_initial_state,
    rnn_language_model,
    rnn_step_function,
)
from tests._tolerance import assert_close_to_scale


def numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_matches_a_plain_keras_stack_and_returns_logits(rng):
    model = rnn_language_model(13, embedding_dim=6, cell="lstm", units=10, depth=2)
    reference = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(13, 6),
            keras.layers.LSTM(10, return_sequences=True),
            keras.layers.LSTM(10, return_sequences=True),
            keras.layers.Dense(13),
        ]
    )
    assert model.count_params() == reference.count_params()
    reference.set_weights(model.get_weights())
    ids = rng.integers(0, 13, size=(3, 8)).astype("int32")
    logits = numpy(model(ids))
    assert logits.shape == (3, 8, 13)
    assert_close_to_scale(logits, numpy(reference(ids)), 1e-5)
    # Logits, not probabilities: rows do not sum to one, and may be negative.
    assert not np.allclose(logits.sum(-1), 1.0) and (logits < 0).any()
    names = [layer.name for layer in model.layers]
    assert names == ["token_ids", "embedding", "rnn_0", "rnn_1", "logits"]


@pytest.mark.parametrize("cell", ["simple", "gru", "lstm"])
def test_step_function_gives_the_training_logits_at_every_position(rng, cell):
    model = rnn_language_model(
        11, embedding_dim=5, cell=cell, units=7, depth=2, dropout=0.2
    )
    ids = rng.integers(0, 11, size=(3, 9)).astype("int32")
    full = numpy(model(ids, training=False))
    step_fn = rnn_step_function(model)
    state = rnn_initial_state(model, ids[:, :0])
    for t in range(ids.shape[1]):
        logits, state = step_fn(ids[:, t], state)
        assert_close_to_scale(numpy(logits), full[:, t], 1e-5, err_msg=f"position {t}")
    # Reading a prefix at once gives the state the steps carried.
    for t in (1, 5, 9):
        logits, _ = step_fn(ids[:, t - 1], rnn_initial_state(model, ids[:, : t - 1]))
        assert_close_to_scale(
            numpy(logits), full[:, t - 1], 1e-5, err_msg=f"prefix {t}"
        )


@pytest.mark.parametrize(
    "method, kwargs",
    [("greedy", {}), ("beam", {"beam_width": 3}), ("sample", {"seed": 3, "top_k": 4})],
)
def test_cached_and_uncached_generation_agree(rng, method, kwargs):
    # Few steps: on JAX every uncached step traces the RNN's scan anew.
    model = rnn_language_model(9, embedding_dim=4, cell="lstm", units=8)
    prompts = rng.integers(0, 9, size=(3, 3)).astype("int32")
    fast = rnn_generate(model, prompts, 5, method=method, **kwargs)
    slow = rnn_generate(model, prompts, 5, method=method, use_cache=False, **kwargs)
    assert fast.shape == (3, 5) and "int32" in str(fast.dtype)
    np.testing.assert_array_equal(numpy(fast), numpy(slow))


def test_prompts_of_different_lengths_match_each_prompt_alone(rng):
    model = rnn_language_model(10, embedding_dim=4, cell="gru", units=8)
    prompts = [[1, 2, 3, 4, 5], [6], [7, 8, 9], [0, 1, 2, 3, 4]]
    together = numpy(rnn_generate(model, prompts, 6))
    for row, prompt in enumerate(prompts):
        alone = numpy(rnn_generate(model, np.array([prompt]), 6))
        np.testing.assert_array_equal(together[row], alone[0])
    slow = numpy(rnn_generate(model, prompts, 3, use_cache=False))
    np.testing.assert_array_equal(together[:, :3], slow)
    # Left-padding a short prompt instead would change its continuation:
    # the pad tokens go into the state (no mask), which is why it is not done.
    logits_padded = numpy(model(np.array([[0, 0, 7, 8, 9]])))[0, -1]
    logits_alone = numpy(model(np.array([[7, 8, 9]])))[0, -1]
    assert np.abs(logits_padded - logits_alone).max() > 1e-4


def test_end_token_and_sampling_seed(rng):
    model = rnn_language_model(6, embedding_dim=3, units=5)
    prompts = rng.integers(0, 6, size=(4, 3)).astype("int32")
    free = numpy(rnn_generate(model, prompts, 8))
    end = int(free[0, 1])
    ended = numpy(rnn_generate(model, prompts, 8, end_token=end))
    first = int(np.argmax(ended[0] == end))
    assert first <= 1 and (ended[0, first + 1 :] == 0).all()
    a = numpy(rnn_generate(model, prompts, 8, method="sample", seed=1))
    b = numpy(rnn_generate(model, prompts, 8, method="sample", seed=1))
    np.testing.assert_array_equal(a, b)


def _periodic_windows(period, repeats, window):
    stream = np.tile(period, repeats)
    starts = np.arange(len(stream) - window)
    chunks = np.stack([stream[s : s + window + 1] for s in starts])
    return chunks[:, :-1].astype("int32"), chunks[:, 1:].astype("int32")


def test_a_trained_model_continues_a_periodic_sequence():
    # Up and down: after 3 comes 4 or 2 depending on the direction, so the
    # model must remember more than the last token.
    period = np.array([0, 1, 2, 3, 4, 3, 2, 1])
    x, y = _periodic_windows(period, repeats=20, window=12)
    keras.utils.set_random_seed(0)
    model = rnn_language_model(5, embedding_dim=8, cell="lstm", units=24)
    model.compile(
        optimizer=keras.optimizers.Adam(0.03),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    # Six epochs learn it from every seed tried; eight leave a margin.
    model.fit(x, y, batch_size=32, epochs=8, verbose=0)
    prompts = [[0], [2, 3, 4], [4, 3, 2], [1, 2, 3, 4, 3]]
    tokens = numpy(rnn_generate(model, prompts, 16))
    stream = np.tile(period, 6)
    for row, prompt in enumerate(prompts):
        start = next(
            s + len(prompt)
            for s in range(len(period))
            if list(stream[s : s + len(prompt)]) == prompt
        )
        np.testing.assert_array_equal(tokens[row], stream[start : start + 16])
    beams = numpy(rnn_generate(model, prompts, 16, method="beam", beam_width=2))
    np.testing.assert_array_equal(beams, tokens)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"cell": "transformer"}, "cell"),
        ({"units": 0}, "units"),
        ({"vocabulary_size": 0}, "vocabulary_size"),
        ({"embedding_dim": 0}, "embedding_dim"),
        ({"depth": 0}, "depth"),
        ({"dropout": 1.0}, "dropout"),
        ({"name": ""}, "name"),
    ],
)
def test_builder_rejects_bad_arguments(kwargs, argument):
    base = {"vocabulary_size": 5}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        rnn_language_model(**base)


@pytest.mark.parametrize(
    "prompt, kwargs, argument",
    [
        (np.array([1, 2, 3]), {}, "prompt_ids"),
        (np.ones((1, 2, 3), "int32"), {}, "prompt_ids"),
        (np.zeros((2, 0), "int32"), {}, "prompt_ids"),
        (np.array([[1, 9]]), {}, "prompt_ids"),
        (np.array([[0.5, 1.0]]), {}, "prompt_ids"),
        (np.array([[1, 2]]), {"beam_width": 0, "method": "beam"}, "beam_width"),
        (np.array([[1, 2]]), {"max_new_tokens": 0}, "max_new_tokens"),
        (np.array([[1, 2]]), {"method": "nucleus"}, "method"),
        (np.array([[1, 2]]), {"temperature": 0.0, "method": "sample"}, "temperature"),
        (np.array([[1, 2]]), {"top_k": 0, "method": "sample"}, "top_k"),
        (np.array([[1, 2]]), {"use_cache": "yes"}, "use_cache"),
    ],
)
def test_generate_rejects_bad_arguments(prompt, kwargs, argument):
    model = rnn_language_model(5, embedding_dim=2, units=3)
    call = {"max_new_tokens": 2, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        rnn_generate(model, prompt, **call)


def test_only_recurrent_language_models_are_accepted():
    with pytest.raises(ValueError, match="`model` must be a recurrent language"):
        rnn_step_function(mlp((4,), num_classes=2))
    with pytest.raises(ValueError, match="`model`"):
        rnn_generate("not a model", [[1]], 2)
    model = rnn_language_model(5, embedding_dim=2, units=3)
    with pytest.raises(ValueError, match="`token_ids`"):
        rnn_initial_state(model, np.array([1, 2]))
