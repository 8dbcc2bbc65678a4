"""keras_dlkit.generation against NumPy references of a small recurrent step.

The step function is a tiny RNN in ``keras.ops``: ``h' = tanh(h A + E[token])``,
``logits = h' W + bias``, its state a dict holding ``h`` and a per-row
``bias`` that passes through unchanged (as encoder outputs do in seq2seq), so
beam search must reorder both with its beams, within each sample.
"""

import itertools

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlkit.generation import beam_search, greedy_search, sample
from tests._tolerance import assert_close_to_scale

VOCAB, HIDDEN = 5, 4


class TinyRNN:
    """Random weights, a keras.ops step function and its NumPy twin."""

    def __init__(self, rng, vocab=VOCAB, scale=2.0):
        self.E = rng.normal(size=(vocab, HIDDEN))
        self.A = rng.normal(size=(HIDDEN, HIDDEN)) / 2
        self.W = rng.normal(size=(HIDDEN, vocab)) * scale
        self.vocab = vocab
        self.calls = 0

    def state(self, rng, batch):
        return {
            "h": rng.normal(size=(batch, HIDDEN)).astype("float32"),
            "bias": rng.normal(size=(batch, self.vocab)).astype("float32"),
        }

    def step(self, tokens, state):
        self.calls += 1
        E, A, W = (
            ops.convert_to_tensor(m.astype("float32")) for m in (self.E, self.A, self.W)
        )
        h = ops.tanh(ops.matmul(state["h"], A) + ops.take(E, tokens, axis=0))
        logits = ops.matmul(h, W) + state["bias"]
        return logits, {"h": h, "bias": state["bias"]}

    def np_step(self, token, h, bias):
        h = np.tanh(h @ self.A + self.E[token])
        return h @ self.W + bias, h


def log_softmax(z):
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def np_greedy(model, state, start, length, end_token=None):
    """Row by row arg-max rollout in float64; also the smallest top-2 gap."""
    out = np.zeros((len(start), length), dtype=np.int32)
    gap = np.inf
    for row in range(len(start)):
        h, token = state["h"][row].astype(np.float64), start[row]
        for t in range(length):
            logits, h = model.np_step(token, h, state["bias"][row])
            top2 = np.sort(logits)[-2:]
            gap = min(gap, top2[1] - top2[0])
            token = int(np.argmax(logits))
            out[row, t] = token
            if token == end_token:
                break
    return out, gap


def np_log_prob(model, state, start, tokens, row, end_token=None):
    """Total log-probability of ``tokens`` after ``start`` (to the end token)."""
    h, token, total = state["h"][row].astype(np.float64), start[row], 0.0
    for t in tokens:
        logits, h = model.np_step(token, h, state["bias"][row])
        total += log_softmax(logits)[t]
        token = t
        if t == end_token:
            break
    return total


def numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_greedy_is_the_arg_max_rollout(rng):
    model = TinyRNN(rng)
    state, start = model.state(rng, 3), np.array([0, 2, 4])
    tokens = greedy_search(model.step, state, start, max_length=7)
    expected, gap = np_greedy(model, state, start, 7)
    assert gap > 1e-4, "the reference has a near tie: pick another seed"
    assert tokens.shape == (3, 7) and "int32" in str(tokens.dtype)
    np.testing.assert_array_equal(numpy(tokens), expected)


def test_end_token_keeps_it_and_pads_the_rest_with_zero(rng):
    model = TinyRNN(rng)
    state, start = model.state(rng, 4), np.array([0, 1, 2, 3])
    free, _ = np_greedy(model, state, start, 8)
    end_token = int(free[0, 2])  # row 0 ends at step 2 at the latest
    tokens = numpy(greedy_search(model.step, state, start, 8, end_token=end_token))
    expected, _ = np_greedy(model, state, start, 8, end_token=end_token)
    np.testing.assert_array_equal(tokens, expected)
    first = int(np.argmax(tokens[0] == end_token))
    assert first <= 2 and (tokens[0, first + 1 :] == 0).all()
    # Sampling pads the same way after its first end token.
    drawn = numpy(sample(model.step, state, start, 30, end_token=end_token, seed=0))
    for row in drawn:
        ends = np.flatnonzero(row == end_token)
        if ends.size:
            assert (row[ends[0] + 1 :] == 0).all()


def test_all_rows_ended_stops_the_loop_and_pads(rng):
    model = TinyRNN(rng)
    one = model.state(rng, 1)
    state = {key: np.repeat(value, 2, axis=0) for key, value in one.items()}
    start = np.array([1, 1])
    free, _ = np_greedy(model, state, start, 1)
    end_token = int(free[0, 0])
    tokens = numpy(greedy_search(model.step, state, start, 6, end_token=end_token))
    np.testing.assert_array_equal(tokens[:, 0], end_token)
    np.testing.assert_array_equal(tokens[:, 1:], 0)
    assert model.calls == 1, "every row ended at the first step"
    model.calls = 0
    tokens, _ = beam_search(
        model.step, state, start, 6, beam_width=1, end_token=end_token
    )
    np.testing.assert_array_equal(numpy(tokens)[:, 1:], 0)
    assert model.calls == 1


def test_beam_width_one_is_greedy_exactly(rng):
    model = TinyRNN(rng)
    state, start = model.state(rng, 3), np.array([4, 0, 2])
    greedy = numpy(greedy_search(model.step, state, start, 6))
    tokens, scores = beam_search(model.step, state, start, 6, beam_width=1)
    np.testing.assert_array_equal(numpy(tokens), greedy)
    end_token = int(greedy[1, 1])
    greedy = numpy(greedy_search(model.step, state, start, 6, end_token=end_token))
    tokens, _ = beam_search(
        model.step, state, start, 6, beam_width=1, end_token=end_token
    )
    np.testing.assert_array_equal(numpy(tokens), greedy)


def _brute_force(model, state, start, length, end_token=None):
    """Best sequence of every row over all vocab**length sequences."""
    best = []
    for row in range(len(start)):
        scored = []
        for seq in itertools.product(range(model.vocab), repeat=length):
            seq = list(seq)
            if end_token is not None and end_token in seq:
                cut = seq.index(end_token) + 1
                if any(seq[cut:]):
                    continue  # after the end token only padding (0) counts
            scored.append((np_log_prob(model, state, start, seq, row, end_token), seq))
        scored.sort(key=lambda pair: -pair[0])
        assert scored[0][0] - scored[1][0] > 1e-4, "a near tie: pick another seed"
        best.append(scored[0])
    return best


@pytest.mark.parametrize("end_token", [None, 2])
def test_beam_search_finds_the_most_likely_sequence(rng, end_token):
    model = TinyRNN(rng, vocab=3, scale=1.0)
    length = 4
    state, start = model.state(rng, 3), np.array([0, 1, 2])
    # With vocab**(length-1) beams no prefix is ever dropped: beam search is
    # then exact, and its answer must be the brute-force optimum.
    tokens, scores = beam_search(
        model.step,
        state,
        start,
        length,
        beam_width=3 ** (length - 1),
        end_token=end_token,
    )
    best = _brute_force(model, state, start, length, end_token)
    np.testing.assert_array_equal(numpy(tokens), [seq for _, seq in best])
    assert_close_to_scale(numpy(scores), [score for score, _ in best], 1e-5)
    # A narrower beam returns a real sequence with its true score, no better
    # than the optimum.
    tokens, scores = beam_search(
        model.step, state, start, length, beam_width=2, end_token=end_token
    )
    for row in range(3):
        seq = numpy(tokens)[row]
        total = np_log_prob(model, state, start, seq, row, end_token)
        assert_close_to_scale(numpy(scores)[row], total, 1e-5)
        assert total <= best[row][0] + 1e-6


def test_beam_search_length_penalty_scores(rng):
    model = TinyRNN(rng, vocab=3)
    state, start = model.state(rng, 2), np.array([0, 2])
    tokens, scores = beam_search(
        model.step, state, start, 5, beam_width=3, end_token=1, length_penalty=1.0
    )
    for row in range(2):
        seq = numpy(tokens)[row]
        ends = np.flatnonzero(seq == 1)
        length = ends[0] + 1 if ends.size else len(seq)
        total = np_log_prob(model, state, start, seq, row, end_token=1)
        assert_close_to_scale(numpy(scores)[row], total / length, 1e-5)


def test_top_k_one_and_a_tiny_temperature_are_greedy(rng):
    model = TinyRNN(rng)
    state, start = model.state(rng, 4), np.array([0, 1, 2, 3])
    expected, gap = np_greedy(model, state, start, 8)
    assert gap > 1e-3, "a near tie: pick another seed"
    top1 = sample(model.step, state, start, 8, top_k=1, seed=5)
    np.testing.assert_array_equal(numpy(top1), expected)
    # exp(-gap / temperature) <= exp(-100): the arg-max is drawn for sure.
    cold = sample(model.step, state, start, 8, temperature=gap / 100, seed=5)
    np.testing.assert_array_equal(numpy(cold), expected)


def test_a_fixed_seed_repeats(rng):
    model = TinyRNN(rng, scale=0.3)  # flat distributions: draws vary
    state, start = model.state(rng, 4), np.array([0, 1, 2, 3])
    first = numpy(sample(model.step, state, start, 20, seed=11))
    np.testing.assert_array_equal(
        numpy(sample(model.step, state, start, 20, seed=11)), first
    )
    assert (numpy(sample(model.step, state, start, 20, seed=12)) != first).any()
    generator = keras.random.SeedGenerator(4)
    a = numpy(sample(model.step, state, start, 20, seed=generator))
    b = numpy(sample(model.step, state, start, 20, seed=generator))
    assert (a != b).any(), "a SeedGenerator advances with every draw"


@pytest.mark.parametrize("temperature, top_k", [(1.0, None), (0.5, None), (2.0, 3)])
def test_sampling_frequencies_match_the_softmax(temperature, top_k):
    logits = np.array([2.0, 1.0, 0.5, 0.0, -1.0])
    n = 4000

    def step(tokens, state):
        row = ops.convert_to_tensor(logits.astype("float32"))[None, :]
        return ops.repeat(row, ops.shape(tokens)[0], axis=0), state

    drawn = numpy(
        sample(
            step,
            (),
            np.zeros(n, "int32"),
            1,
            temperature=temperature,
            top_k=top_k,
            seed=0,
        )
    )[:, 0]
    z = logits / temperature
    if top_k is not None:
        z = np.where(z >= np.sort(z)[-top_k], z, -np.inf)
    p = np.exp(z - z.max())
    p /= p.sum()
    freq = np.bincount(drawn, minlength=len(logits)) / n
    # Five standard deviations of a binomial frequency: a false alarm about
    # once in 1.7 million per entry; and an excluded token is never drawn.
    bound = 5 * np.sqrt(p * (1 - p) / n)
    assert (np.abs(freq - p) <= bound).all(), (freq, p)
    assert (freq[p == 0] == 0).all()


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda s, st, t: sample(s, st, t, 3, temperature=0.0), "temperature"),
        (lambda s, st, t: sample(s, st, t, 3, temperature=-1.0), "temperature"),
        (lambda s, st, t: sample(s, st, t, 3, top_k=0), "top_k"),
        (lambda s, st, t: sample(s, st, t, 3, top_k=1.5), "top_k"),
        (lambda s, st, t: beam_search(s, st, t, 3, beam_width=0), "beam_width"),
        (
            lambda s, st, t: beam_search(s, st, t, 3, length_penalty=-1),
            "length_penalty",
        ),
        (lambda s, st, t: greedy_search(s, st, t, 0), "max_length"),
        (lambda s, st, t: sample(s, st, t, 0), "max_length"),
        (lambda s, st, t: beam_search(s, st, t, 0), "max_length"),
        (lambda s, st, t: greedy_search(s, st, t, 2, end_token=-1), "end_token"),
        (lambda s, st, t: greedy_search(s, st, t[:, None], 2), "start_tokens"),
        (lambda s, st, t: greedy_search(None, st, t, 2), "step_fn"),
    ],
)
def test_bad_arguments_raise_value_errors(rng, call, argument):
    model = TinyRNN(rng)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        call(model.step, model.state(rng, 2), np.array([0, 1]))
    assert model.calls == 0, "arguments are checked before the first step"
