"""rnn_classifier: masking of padding, parameter counts against plain Keras, checks."""

import keras
import numpy as np
import pytest

from keras_dlkit.models import get_model_entry, rnn_classifier
from keras_dlkit.models.sequence._recurrent import CELLS
from tests._tolerance import assert_close_to_scale


def _predict(model, tokens):
    return keras.ops.convert_to_numpy(model(np.asarray(tokens, "int32")))


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_padding_is_masked(cell, bidirectional):
    rng = np.random.default_rng(7)
    keras.utils.set_random_seed(7)
    model = rnn_classifier(
        30,
        num_classes=3,
        cell=cell,
        units=5,
        depth=2,
        bidirectional=bidirectional,
        embedding_dim=4,
        classifier_activation=None,
    )
    short = rng.integers(1, 30, size=(1, 4))
    long = rng.integers(1, 30, size=(1, 7))
    # One batch: the short sequence right-padded to the long one's length.
    batch = np.concatenate([np.pad(short, ((0, 0), (0, 3))), long])
    together = _predict(model, batch)
    alone = _predict(model, short)
    assert_close_to_scale(together[:1], alone, rel=1e-4)
    # A real token in place of the padding does change the output (two
    # shapes per test: JAX compiles the scan once per shape).
    batch[0, 4:] = 1
    other = _predict(model, batch)
    assert np.max(np.abs(other[:1] - alone)) > 1e-3 * np.max(np.abs(alone))
    assert_close_to_scale(other[1:], together[1:], rel=1e-4)


def _plain_keras_stack(vocabulary, classes, embedding, units, layer, bidirectional):
    layers = [
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(vocabulary, embedding, mask_zero=True),
    ]
    for i in range(len(units)):
        rnn = layer(units[i], return_sequences=i < len(units) - 1)
        layers.append(keras.layers.Bidirectional(rnn) if bidirectional else rnn)
    layers.append(keras.layers.Dense(classes, activation="softmax"))
    return keras.Sequential(layers)


@pytest.mark.parametrize(
    "cell, layer, bidirectional",
    [
        ("lstm", keras.layers.LSTM, False),
        ("gru", keras.layers.GRU, True),
        ("simple", keras.layers.SimpleRNN, False),
    ],
)
def test_parameter_count_matches_plain_keras(cell, layer, bidirectional):
    model = rnn_classifier(
        500,
        num_classes=4,
        cell=cell,
        units=12,
        depth=3,
        bidirectional=bidirectional,
        embedding_dim=10,
    )
    reference = _plain_keras_stack(500, 4, 10, (12, 12, 12), layer, bidirectional)
    assert model.count_params() == reference.count_params()


def test_lstm_parameter_count_by_hand():
    # Embedding 100*8; LSTM 4*(16*(8+16)+16) then 4*(16*(16+16)+16); Dense 16*2+2.
    model = rnn_classifier(100, num_classes=2, units=16, depth=2, embedding_dim=8)
    expected = 100 * 8 + 4 * (16 * 24 + 16) + 4 * (16 * 32 + 16) + 16 * 2 + 2
    assert model.count_params() == expected


def test_structure_names_and_shapes():
    model = rnn_classifier(
        50, num_classes=5, cell="gru", units=6, depth=2, bidirectional=True, dropout=0.2
    )
    assert model.input_shape == (None, None)
    assert model.output_shape == (None, 5)
    assert model.get_layer("embedding").mask_zero
    stage_0 = model.get_layer("stage_0")
    assert isinstance(stage_0, keras.layers.Bidirectional)
    assert stage_0.forward_layer.name == "forward_gru_0"
    assert isinstance(stage_0.forward_layer, keras.layers.GRU)
    assert stage_0.forward_layer.dropout == 0.2
    assert model.get_layer("stage_1").output.shape == (None, 12)
    assert isinstance(model.get_layer("head_dropout"), keras.layers.Dropout)
    single = rnn_classifier(
        50, num_classes=1, cell="simple", units=3, classifier_activation="sigmoid"
    )
    assert isinstance(single.get_layer("stage_0"), keras.layers.SimpleRNN)
    assert single.output_shape == (None, 1)


def test_defaults_keep_cudnn_eligible_settings():
    model = rnn_classifier(50, num_classes=2, cell="lstm", units=4)
    lstm = model.get_layer("stage_0")
    assert lstm.cell.activation is keras.activations.tanh
    assert lstm.cell.recurrent_activation is keras.activations.sigmoid
    assert lstm.cell.recurrent_dropout == 0 and not lstm.unroll and lstm.cell.use_bias
    gru = rnn_classifier(50, num_classes=2, cell="gru", units=4).get_layer("stage_0")
    assert gru.cell.reset_after


def test_registry_test_inputs_are_right_padded():
    entry = get_model_entry("rnn_classifier")
    assert entry.family == "sequence"
    ids = entry.make_test_inputs(np.random.default_rng(0), 4)
    assert ids.dtype == np.int32 and ids.shape == (4, 7)
    assert (ids[:, 0] > 0).all() and (ids == 0).any()
    # Right padding: no real token after a zero.
    for row in ids:
        assert not (np.diff((row > 0).astype(int)) > 0).any()


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"vocabulary_size": 1}, "vocabulary_size"),
        ({"vocabulary_size": 2.5}, "vocabulary_size"),
        ({"num_classes": 0}, "num_classes"),
        ({"cell": "transformer"}, "cell"),
        ({"cell": "LSTM"}, "cell"),
        ({"units": 0}, "units"),
        ({"depth": 0}, "depth"),
        ({"bidirectional": 1}, "bidirectional"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"embedding_dim": 0}, "embedding_dim"),
        ({"classifier_activation": "no_such_activation"}, "classifier_activation"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, argument):
    base = {"vocabulary_size": 10, "num_classes": 2}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        rnn_classifier(**base)
