"""Gatys style transfer: the losses fall, the image stays valid, VGG taps are right."""

import keras
import numpy as np
import pytest
from _tolerance import assert_close_to_scale

import keras_dlkit
from keras_dlkit.models import style_transfer
from keras_dlkit.models.style_transfer.gatys import _FeatureTaps


def _features():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, activation="tanh", name="low")(inputs)
    x = keras.layers.Conv2D(4, 3, activation="tanh", name="high")(x)
    return keras.Model(inputs, x, name="tiny_features")


class CountSteps(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1


RNG = np.random.default_rng(0)
PHOTO = RNG.integers(0, 256, (16, 16, 3), dtype="uint8")
PAINTING = RNG.integers(0, 256, (12, 20, 3), dtype="uint8")
del RNG  # drawn once at import; tests draw from their own `rng` fixture


def test_loss_decreases_and_pixels_stay_in_range():
    keras.utils.set_random_seed(0)
    counter = CountSteps()
    features = _features()
    before = [w.copy() for w in features.get_weights()]
    image, history = style_transfer(
        PHOTO,
        PAINTING,
        feature_model=features,
        content_layers=["high"],
        style_layers=["low", "high"],
        preprocessing=None,
        steps=30,
        total_variation_weight=1e-3,
        callbacks=[counter],
        initial_image="noise",
    )
    assert image.shape == (16, 16, 3) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert counter.steps == 30
    # Only the image is optimised; the network is untouched and still trainable.
    for old, new in zip(before, features.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert features.trainable and features.get_layer("low").trainable
    assert set(history) == {"loss", "content_loss", "style_loss", "variation_loss"}
    assert len(history["loss"]) == 30
    # From white noise towards the photo's content: the objective falls.
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    assert history["content_loss"][-1] < history["content_loss"][0]
    total = (
        np.array(history["content_loss"])
        + 1e3 * np.array(history["style_loss"])
        + 1e-3 * np.array(history["variation_loss"])
    )
    np.testing.assert_allclose(history["loss"], total, rtol=1e-4)


def test_content_only_from_the_content_image_does_not_move():
    image, history = style_transfer(
        PHOTO,
        PAINTING,
        feature_model=_features(),
        content_layers=["high"],
        style_layers=["low"],
        style_weight=0.0,
        preprocessing=None,
        steps=3,
    )
    np.testing.assert_allclose(image, PHOTO / 255.0, atol=1e-6)
    assert history["loss"][0] == pytest.approx(0.0, abs=1e-8)


def test_vgg_taps_are_the_convolutions_of_each_stage(rng):
    build = keras_dlkit.models.vgg19
    vgg = build(input_shape=(32, 32, 3), include_top=False, width_multiplier=0.0625)
    taps = _FeatureTaps(
        vgg, ("block1_conv1", "block1_conv2", "block2_conv1", "block5_conv4")
    )
    x = rng.normal(size=(1, 32, 32, 3)).astype("float32")
    out = {k: keras.ops.convert_to_numpy(v) for k, v in taps(x).items()}
    stage_1 = keras.Model(vgg.inputs[0], vgg.get_layer("stage_1").output)
    pooled = keras.ops.convert_to_numpy(
        keras.layers.MaxPooling2D(2)(out["block1_conv2"])
    )
    # Convolution outputs near zero are sums of cancelling products: compared
    # at the scale of the whole feature map.
    assert_close_to_scale(pooled, keras.ops.convert_to_numpy(stage_1(x)))
    conv1 = vgg.get_layer("stage_1").convs[0]
    assert_close_to_scale(out["block1_conv1"], keras.ops.convert_to_numpy(conv1(x)))
    assert out["block2_conv1"].shape == (1, 16, 16, 8)
    assert out["block5_conv4"].shape == (1, 2, 2, 32)
    # Only the layers up to the deepest tap run.
    assert taps.plan[-1][1] == "block5_conv4"
    with pytest.raises(ValueError, match="available"):
        _FeatureTaps(vgg, ("block6_conv1",))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"content_image": np.zeros((4, 4))}, "content_image"),
        ({"style_image": np.zeros((4, 4, 4))}, "style_image"),
        ({"content_layers": "high"}, "content_layers"),
        ({"style_layers": ["nope"]}, "feature_model"),
        ({"style_weight": -1.0}, "style_weight"),
        ({"steps": 0}, "steps"),
        ({"initial_image": "white"}, "initial_image"),
        ({"initial_image": np.zeros((8, 8, 3))}, "initial_image"),
        ({"preprocessing": "torch"}, "preprocessing"),
        ({"feature_model": "vgg19"}, "feature_model"),
    ],
)
def test_bad_arguments_raise(kwargs, argument):
    base = {
        "content_image": PHOTO,
        "style_image": PAINTING,
        "feature_model": _features(),
        "content_layers": ["high"],
        "style_layers": ["low"],
        "preprocessing": None,
        "steps": 1,
    }
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        style_transfer(**base)
