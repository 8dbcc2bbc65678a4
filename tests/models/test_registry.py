"""The registry, and one parametrized test over every registered model."""

import keras
import numpy as np
import pytest

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
    ],
)
def test_register_model_validates(kwargs, argument):
    base = {"name": "x", "family": "f", "test_config": {}, "test_input_shape": (1,)}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        register_model(**base)


class TestEveryRegisteredModel(TestCase):
    """Build at the smallest config, forward, one training step, `.keras` round trip."""

    def _check(self, name):
        entry = get_model_entry(name)
        model = create_model(name, **entry.test_config)
        rng = np.random.default_rng(0)
        x = rng.uniform(size=(2, *entry.test_input_shape)).astype("float32")
        self.run_model_test(model, x)


# Networks a generative trainer holds, by kind of trainer.
_NETWORK_SETS = (
    ("generator", "discriminator"),
    ("encoder", "decoder"),
    ("generator_g", "generator_f", "discriminator_x", "discriminator_y"),
)


def _check_generative(name):
    """A generative name builds a ready trainer: networks held, ``compile()`` bare."""
    entry = get_model_entry(name)
    trainer = create_model(name, **entry.test_config)
    assert isinstance(trainer, keras.Model)
    held = [
        names
        for names in _NETWORK_SETS
        if all(isinstance(getattr(trainer, n, None), keras.Model) for n in names)
    ]
    assert held, f"{name}: the trainer holds none of {_NETWORK_SETS}"
    trainer.compile()
    assert trainer.compiled
    assert trainer.optimizer is not None
    for network in held[0]:
        model = getattr(trainer, network)
        assert model.count_params() > 0


# Deeper variants of a builder at the same thumbnail test configuration run
# the code path of their shallower sibling again (ResNet-101 and -152 are
# ResNet-50 with more blocks; EfficientNet-B1..B7 are B0 with other
# coefficients, overridden by the thumbnail). Building them costs minutes on
# JAX, which compiles per weight shape, so they run in the `large` set (once,
# on TensorFlow, in CI); their siblings run on every backend.
_SIBLING_COVERED = {
    "resnet101",
    "resnet152",
    "resnet101v2",
    "resnet152v2",
    *(f"efficientnet_b{i}" for i in range(1, 8)),
    "vgg13",
    "vgg16",
    "vgg19",
    "vgg13_bn",
    "vgg16_bn",
    "vgg19_bn",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.large) if n in _SIBLING_COVERED else n
        for n in list_models()
    ],
)
def test_registered_model(name):
    if get_model_entry(name).family == "generative":
        # Trainers: their own tests run fit() on every backend.
        _check_generative(name)
        return
    case = TestEveryRegisteredModel()
    case.setUp()
    try:
        case._check(name)
    finally:
        case.tearDown()
