"""ViT: sizes, keras-hub equivalence, the classification head, bad arguments."""

import keras
import keras_hub
import numpy as np
import pytest

from keras_dlkit.models import count_params, create_model, from_keras_hub, vit
from tests._tolerance import assert_close_to_scale

TINY = {
    "image_shape": (16, 16, 3),
    "patch_size": 4,
    "num_layers": 2,
    "num_heads": 2,
    "hidden_dim": 8,
    "intermediate_dim": 16,
}


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


@pytest.mark.parametrize("head", ["classification", None])
@pytest.mark.parametrize("name", ["vit", "vit_ti16", "vit_s16", "vit_b16", "vit_l16"])
def test_count_params_equals_the_built_model(name, head):
    # Small overrides: a 32 x 32 image, one layer at full width.
    overrides = {
        "image_shape": (32, 32, 3),
        "num_layers": 1,
        "head": head,
        "num_classes": 7,
    }
    if name == "vit":
        overrides.update(patch_size=8, hidden_dim=16, num_heads=4, intermediate_dim=24)
    model = create_model(name, **overrides)
    assert count_params(name, **overrides) == model.count_params()


def test_published_counts_without_building():
    # keras-hub ViTBackbone (B/16) and timm's ViT-Ti/S/B/L-16 at 224 with 1000 classes.
    assert count_params("vit_b16", head=None) == 85_798_656
    assert count_params("vit_ti16") == 5_717_416
    assert count_params("vit_s16") == 22_050_664
    assert count_params("vit_b16") == 86_567_656
    assert count_params("vit_l16") == 304_326_632


@pytest.mark.large
def test_vit_b16_backbone_has_keras_hub_size():
    ours = create_model("vit_b16", head=None)
    hub = keras_hub.models.ViTBackbone(
        image_shape=(224, 224, 3),
        patch_size=16,
        num_layers=12,
        num_heads=12,
        hidden_dim=768,
        mlp_dim=3072,
    )
    assert ours.count_params() == hub.count_params() == 85_798_656
    assert ours.output_shape == hub.output_shape == (None, 197, 768)


def test_from_keras_hub_matches_keras_hub_outputs():
    rng = np.random.default_rng(0)
    hub = keras_hub.models.ViTBackbone(
        image_shape=(16, 16, 3),
        patch_size=4,
        num_layers=2,
        num_heads=2,
        hidden_dim=8,
        mlp_dim=16,
    )
    _randomize(hub, rng)
    ours = from_keras_hub(hub)
    assert ours.count_params() == hub.count_params()
    images = rng.uniform(size=(2, 16, 16, 3)).astype("float32")
    expected = _numpy(hub(images))
    actual = _numpy(ours(images))
    assert actual.shape == (2, 17, 8)
    assert_close_to_scale(actual, expected, rel=1e-4)
    # The comparison can fail: the class token moves the outputs.
    token = ours.get_layer("class_token").class_token
    token.assign(_numpy(token) + rng.standard_normal(token.shape))
    assert np.abs(_numpy(ours(images)) - expected).max() > 1e-2


def test_classification_head_reads_the_class_token():
    rng = np.random.default_rng(1)
    model = vit(**TINY, num_classes=5)
    _randomize(model, rng)
    images = rng.uniform(size=(3, 16, 16, 3)).astype("float32")
    assert tuple(model(images).shape) == (3, 5)
    backbone = vit(**TINY, head=None)
    source = {weight.path: weight for weight in model.weights}
    for weight in backbone.weights:
        weight.assign(_numpy(source[weight.path]))
    tokens = _numpy(backbone(images))
    dense = model.get_layer("predictions")
    expected = tokens[:, 0] @ _numpy(dense.kernel) + _numpy(dense.bias)
    assert_close_to_scale(_numpy(model(images)), expected, rel=1e-5)


def test_bad_arguments_raise_value_errors_naming_them():
    with pytest.raises(ValueError, match="`image_shape`.*`patch_size` \\(5\\)"):
        vit(**{**TINY, "patch_size": 5})
    with pytest.raises(ValueError, match="`patch_size`"):
        count_params("vit_ti16", image_shape=(30, 30, 3))
    with pytest.raises(ValueError, match="`hidden_dim` \\(10\\).*`num_heads` \\(4\\)"):
        vit(**{**TINY, "hidden_dim": 10, "num_heads": 4})
    with pytest.raises(ValueError, match="`head`"):
        vit(**TINY, head="masked_lm")
    with pytest.raises(ValueError, match="`image_shape`"):
        vit(**{**TINY, "image_shape": (16, 16)})


def test_saving_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    model = vit(**TINY, num_classes=4)
    _randomize(model, rng)
    images = rng.uniform(size=(2, 16, 16, 3)).astype("float32")
    path = str(tmp_path / "vit.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert_close_to_scale(_numpy(loaded(images)), _numpy(model(images)), rel=1e-6)
