"""The registry, and one parametrized test over every registered model."""

import os

import keras
import numpy as np
import pytest

from keras_dlkit.models import _registry as registry
from keras_dlkit.models import (
    create_model,
    get_model_entry,
    list_models,
    register_model,
)
from keras_dlkit.testing import TestCase


def test_list_models_fnmatch_and_family():
    assert "mlp" in list_models()
    assert list_models("ml?") == ["mlp"]
    assert list_models("zz_no_such_*") == []
    assert "mlp" in list_models(family="fundamentals")
    assert "mlp" not in list_models(family="no_such_family")
    assert list_models() == sorted(list_models())


def test_unknown_name_names_close_matches():
    with pytest.raises(ValueError, match=r"`name` 'mpl' is not a registered.*mlp"):
        create_model("mpl")
    with pytest.raises(ValueError, match="list_models"):
        get_model_entry("completely_unrelated_zzz")


def test_create_model_passes_overrides_and_rejects_unknown_ones():
    assert create_model("mlp", input_shape=(3,), num_classes=4).output_shape == (
        None,
        4,
    )
    # `name` is positional-only, so a builder's own `name` argument passes through.
    assert create_model("mlp", input_shape=(3,), num_classes=4, name="m").name == "m"
    with pytest.raises(TypeError):
        create_model("mlp", input_shape=(3,), num_classes=4, not_an_argument=1)


def test_register_model_rejects_duplicate_name_for_other_builder():
    with pytest.raises(ValueError, match="`name` 'mlp' is already registered"):

        @register_model(
            "mlp", family="fundamentals", test_config={}, test_input_shape=(1,)
        )
        def other_builder():
            return None


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"name": ""}, "name"),
        ({"family": ""}, "family"),
        ({"test_config": [1]}, "test_config"),
        ({"test_inputs": 3}, "test_inputs"),
        ({"count_params": 3}, "count_params"),
        ({"size_only": 1}, "size_only"),
        ({"size_only": True}, "size_only"),
    ],
)
def test_register_model_validates(kwargs, argument):
    base = {"name": "x", "family": "f", "test_config": {}, "test_input_shape": (1,)}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        register_model(**base)


class TestEveryRegisteredModel(TestCase):
    """Every registered model at its smallest config, through the public harness.

    Classifiers and the other functional models go through
    ``run_model_test`` (forward pass against the shape the builder declares,
    one training step, `.keras` round trip); trainers (family
    ``"generative"``) through ``run_trainer_test`` (one ``fit()`` step that
    moves every weight and every inner optimizer, `.keras` round trip,
    generation).
    """

    def setUp(self):
        super().setUp()
        self.temp_dirs = []

    def get_temp_dir(self):
        path = super().get_temp_dir()
        self.temp_dirs.append(path)
        return path

    def check_model(self, entry):
        model = create_model(entry.name, **entry.test_config)
        x = entry.make_test_inputs(np.random.default_rng(0), batch_size=2)
        self.run_model_test(
            model, x, expected_output_shape=_expected_output_shape(entry, model)
        )

    def check_trainer(self, entry):
        trainer = create_model(entry.name, **entry.test_config)
        self.assertIsInstance(trainer, keras.Model)
        x, y = _trainer_data(entry, trainer)
        self.run_trainer_test(
            trainer,
            x,
            y,
            expected_generation_shape=(2, *entry.test_input_shape),
        )


def _expected_output_shape(entry, model):
    """The builder's declared output shape(s), with the test's batch of 2.

    The declared shape is held to the entry too: a classifier (one output of
    rank 2) ends in ``num_classes``; a dense prediction (one output of the
    input's rank) keeps the input's spatial size.
    """
    declared = model.output_shape
    outputs = declared if isinstance(declared, list) else [declared]
    batched = [(2, *shape[1:]) for shape in outputs]
    num_classes = entry.test_config.get("num_classes")
    if len(batched) == 1 and num_classes is not None:
        shape = batched[0]
        if len(shape) == 2:
            assert shape == (2, num_classes), (
                f"{entry.name}: declared output {declared}, expected "
                f"(None, {num_classes})"
            )
        elif len(shape) == len(entry.test_input_shape) + 1:
            assert shape[1:-1] == tuple(entry.test_input_shape[:-1]), (
                f"{entry.name}: declared output {declared} does not keep the "
                f"input's spatial size {entry.test_input_shape[:-1]}"
            )
    return batched if isinstance(declared, list) else batched[0]


def _trainer_data(entry, trainer):
    """``(x, y)`` for one ``fit()`` step of a registry trainer: 4 samples."""
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(4, *entry.test_input_shape)).astype("float32")
    if hasattr(trainer, "generator_g"):  # CycleGAN: two unpaired domains.
        other = rng.uniform(size=images.shape).astype("float32")
        return (images, other), None
    if hasattr(trainer, "num_classes"):  # Conditional GAN: images and labels.
        return images, rng.integers(0, trainer.num_classes, size=4)
    return images, None


# Deeper variants of a builder at the same thumbnail test configuration run
# the code path of their shallower sibling again (ResNet-101 and -152 are
# ResNet-50 with more blocks; EfficientNet-B1..B7 are B0 with other
# coefficients, overridden by the thumbnail). Building them costs minutes on
# JAX, which compiles per weight shape, so they run in the `large` set (once,
# on TensorFlow, in CI); their siblings run on every backend. A builder says
# so with `register_model(..., large=True)` (`ModelEntry.large`).


def _is_large(name):
    return get_model_entry(name).large


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.large) if _is_large(n) else n
        for n in list_models()
        if not get_model_entry(n).size_only
    ],
)
def test_registered_model(name):
    entry = get_model_entry(name)
    case = TestEveryRegisteredModel()
    case.setUp()
    try:
        if entry.family == "generative":
            case.check_trainer(entry)
        else:
            case.check_model(entry)
    finally:
        case.tearDown()
        case.doCleanups()
    assert case.temp_dirs, f"{name}: the .keras round trip did not run"
    left = [path for path in case.temp_dirs if os.path.exists(path)]
    assert not left, f"{name}: temporary directories left behind: {left}"


def test_large_flag_is_read_from_the_entry(monkeypatch):
    # Register into a copy of the registry, restored after the test.
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @register_model(
        "zz_doc_large_dense",
        family="fundamentals",
        test_config={},
        test_input_shape=(3,),
        large=True,
    )
    def zz_doc_large_dense():
        inputs = keras.Input((3,))
        return keras.Model(inputs, keras.layers.Dense(2)(inputs))

    assert get_model_entry("zz_doc_large_dense").large is True
    assert _is_large("zz_doc_large_dense")
    assert get_model_entry("mlp").large is False
    assert not _is_large("mlp")
    # The full-size variants a smaller sibling covers say so in their entry.
    for name in ("resnet101", "resnet152v2", "vgg19_bn", "efficientnet_b7"):
        assert get_model_entry(name).large
    assert not get_model_entry("resnet18").large
    with pytest.raises(ValueError, match="`large` must be True or False"):
        register_model("x", family="f", test_config={}, test_input_shape=(1,), large=1)


def test_test_inputs_feed_the_registry_test(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    def token_ids(rng, batch_size):
        return rng.integers(1, 7, size=(batch_size, 5)).astype("int32")

    @register_model(
        "zz_doc_tokens",
        family="fundamentals",
        test_config={},
        test_input_shape=(5,),
        test_inputs=token_ids,
    )
    def zz_doc_tokens():
        inputs = keras.Input((5,), dtype="int32")
        x = keras.layers.Embedding(7, 3)(inputs)
        return keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(x))

    entry = get_model_entry("zz_doc_tokens")
    x = entry.make_test_inputs(np.random.default_rng(0), 4)
    assert x.shape == (4, 5) and x.dtype == np.int32
    assert get_model_entry("mlp").make_test_inputs(np.random.default_rng(0)).shape == (
        2,
        6,
    )
    test_registered_model("zz_doc_tokens")


def test_count_params_reads_the_entry_and_refuses_models_without_a_rule(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    def dense_count(units=4):
        return 3 * units + units

    @register_model(
        "zz_doc_counted",
        family="fundamentals",
        test_config={},
        test_input_shape=(3,),
        count_params=dense_count,
        size_only=True,
    )
    def zz_doc_counted(units=4):
        inputs = keras.Input((3,))
        return keras.Model(inputs, keras.layers.Dense(units)(inputs))

    assert registry.count_params("zz_doc_counted") == 16
    assert registry.count_params("zz_doc_counted", units=7) == 28
    assert create_model("zz_doc_counted", units=7).count_params() == 28
    assert get_model_entry("zz_doc_counted").size_only
    with pytest.raises(ValueError, match="`name` 'mlp' has no closed-form"):
        registry.count_params("mlp")
    with pytest.raises(ValueError, match="not a registered model"):
        registry.count_params("zz_no_such_model")
