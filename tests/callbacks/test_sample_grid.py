"""SampleGrid and make_image_grid: tiling, PNG files, fixed noise, TensorBoard."""

import glob
import os

import keras
import numpy as np
import pytest
from _helpers import to_np64

from keras_dlkit.callbacks import SampleGrid, make_image_grid
from keras_dlkit.models import create_model


def np_tile(images, rows, cols):
    """The grid as a reshape and a transpose (no padding, full grid)."""
    n, h, w = images.shape[:3]
    rest = images.shape[3:]
    grid = images.reshape(rows, cols, h, w, *rest).swapaxes(1, 2)
    return grid.reshape(rows * h, cols * w, *rest)


@pytest.mark.parametrize("shape", [(6, 3, 2), (6, 3, 2, 3)])
def test_make_image_grid_matches_numpy(shape):
    images = np.random.default_rng(0).uniform(size=shape).astype("float32")
    np.testing.assert_array_equal(make_image_grid(images, 2, 3), np_tile(images, 2, 3))
    np.testing.assert_array_equal(make_image_grid(images, 3, 2), np_tile(images, 3, 2))

    padded = make_image_grid(images[:5], 2, 3, padding=2, pad_value=-1.0)
    h, w = shape[1:3]
    assert padded.shape[:2] == (2 * (h + 2) + 2, 3 * (w + 2) + 2)
    for i in range(5):
        top, left = 2 + (i // 3) * (h + 2), 2 + (i % 3) * (w + 2)
        np.testing.assert_array_equal(padded[top : top + h, left : left + w], images[i])
    mask = np.ones(padded.shape[:2], bool)
    for i in range(5):
        top, left = 2 + (i // 3) * (h + 2), 2 + (i % 3) * (w + 2)
        mask[top : top + h, left : left + w] = False
    assert np.all(padded[mask] == -1.0)  # gaps and the empty sixth cell


def test_make_image_grid_rejects_bad_input():
    with pytest.raises(ValueError, match="more than `rows` \\* `cols`"):
        make_image_grid(np.zeros((7, 2, 2)), 2, 3)
    with pytest.raises(ValueError, match="`images` must have shape"):
        make_image_grid(np.zeros((2, 2)), 1, 2)
    with pytest.raises(ValueError, match="`rows` must be an integer >= 1"):
        make_image_grid(np.zeros((1, 2, 2)), 0, 2)


def tiny_gan(seed=0, lr=2e-4, **overrides):
    keras.utils.set_random_seed(seed)
    config = {
        "image_shape": (4, 4, 1),
        "latent_dim": 2,
        "generator_units": (8,),
        "discriminator_units": (8,),
    }
    config.update(overrides)
    gan = create_model("gan", **config)
    gan.compile(
        generator_optimizer=keras.optimizers.SGD(lr),
        discriminator_optimizer=keras.optimizers.SGD(lr),
    )
    return gan


def images(n=8, shape=(4, 4, 1)):
    return np.random.default_rng(1).uniform(-1, 1, size=(n, *shape)).astype("float32")


def test_png_files_hold_the_grid_of_the_fixed_noise(tmp_path):
    PIL = pytest.importorskip("PIL.Image")
    gan = tiny_gan()
    callback = SampleGrid(tmp_path / "samples", rows=2, cols=3, seed=4)
    gan.fit(images(), batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    files = sorted(os.listdir(tmp_path / "samples"))
    assert files == ["samples_epoch_0001.png", "samples_epoch_0002.png"]

    # The last grid is the generator's output on N(0, 1) noise from
    # default_rng(seed), mapped from [-1, 1] to [0, 1] and tiled with
    # one white pixel between cells.
    z = np.random.default_rng(4).standard_normal((6, 2)).astype("float32")
    expected = (to_np64(gan.generator(z)) + 1.0) / 2.0
    grid = make_image_grid(expected[..., 0], 2, 3, padding=1, pad_value=1.0)
    epoch, last = callback.grids[-1]
    assert epoch == 2 and last.shape == (11, 16)
    np.testing.assert_allclose(last, grid, rtol=1e-5, atol=1e-6)
    with PIL.open(tmp_path / "samples" / files[-1]) as png:
        pixels = np.asarray(png)
    assert pixels.shape == (11, 16) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels, np.round(last * 255).astype(np.uint8))
    # Nothing half-written is left behind.
    assert not glob.glob(str(tmp_path / "samples" / ".*"))


def test_fixed_noise_gives_identical_grids_while_weights_do_not_move():
    frozen = tiny_gan(lr=0.0)
    callback = SampleGrid(None, rows=2, cols=2, every_n_epochs=1)
    frozen.fit(images(), batch_size=4, epochs=3, verbose=0, callbacks=[callback])
    assert [epoch for epoch, _ in callback.grids] == [1, 2, 3]
    for _, grid in callback.grids[1:]:
        np.testing.assert_array_equal(grid, callback.grids[0][1])
    # A second fit keeps the noise: same weights, same grid.
    frozen.fit(images(), batch_size=4, epochs=1, verbose=0, callbacks=[callback])
    np.testing.assert_array_equal(callback.grids[-1][1], callback.grids[0][1])

    training = tiny_gan(lr=0.5)
    callback = SampleGrid(None, rows=2, cols=2)
    training.fit(images(), batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    assert not np.array_equal(callback.grids[0][1], callback.grids[1][1])


def test_every_n_epochs_and_the_last_epoch():
    gan = tiny_gan()
    callback = SampleGrid(None, rows=1, cols=2, every_n_epochs=2)
    gan.fit(images(), batch_size=4, epochs=5, verbose=0, callbacks=[callback])
    assert [epoch for epoch, _ in callback.grids] == [2, 4, 5]


def test_conditional_gan_grid_has_one_row_per_class():
    keras.utils.set_random_seed(0)
    cgan = create_model(
        "conditional_gan",
        image_shape=(8, 8, 3),
        num_classes=3,
        latent_dim=2,
        embedding_dim=2,
        generator_width=2,
        discriminator_width=2,
        kernel_size=3,
    )
    cgan.compile()
    callback = SampleGrid(None, rows=3, cols=2, seed=1)
    cgan.fit(
        images(6, (8, 8, 3)),
        np.arange(6) % 3,
        batch_size=3,
        verbose=0,
        callbacks=[callback],
    )
    z = np.random.default_rng(1).standard_normal((6, 2)).astype("float32")
    labels = np.array([[0], [0], [1], [1], [2], [2]], "int32")
    expected = np.clip((to_np64(cgan.generator([z, labels])) + 1) / 2, 0, 1)
    ((_, grid),) = callback.grids
    assert grid.shape == (3 * 9 + 1, 2 * 9 + 1, 3)
    np.testing.assert_allclose(
        grid, make_image_grid(expected, 3, 2, padding=1, pad_value=1.0), atol=1e-6
    )
    with pytest.raises(ValueError, match="`labels` must be 6"):
        SampleGrid(None, rows=3, cols=2, labels=[0, 1])


def test_tensorboard_image_summaries(tmp_path):
    tf = pytest.importorskip("tensorflow")
    gan = tiny_gan()
    log_dir = str(tmp_path / "logs")
    callback = SampleGrid(None, rows=2, cols=2, log_dir=log_dir)
    gan.fit(images(), batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    events = glob.glob(os.path.join(log_dir, "events.out.tfevents.*"))
    assert len(events) == 1
    steps = []
    for record in tf.data.TFRecordDataset(events[0]):
        event = tf.compat.v1.Event.FromString(record.numpy())
        for value in event.summary.value:
            if value.tag == "samples":
                steps.append(event.step)
                tensor = tf.make_ndarray(value.tensor)
                # Image summaries store [width, height, encoded PNG].
                assert tensor[:2].tolist() == [b"11", b"11"]
                decoded = tf.io.decode_png(tensor[2]).numpy()
                assert decoded.shape == (11, 11, 1)
    assert steps == [1, 2]


def test_bad_arguments_and_models():
    with pytest.raises(ValueError, match="`every_n_epochs` must be an integer >= 1"):
        SampleGrid(None, every_n_epochs=0)
    with pytest.raises(ValueError, match="`value_range` must be"):
        SampleGrid(None, value_range=(1, -1))
    with pytest.raises(ValueError, match="`filename` must be a string with an"):
        SampleGrid(None, filename="grid.png")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    with pytest.raises(ValueError, match="needs a trainer with a `generator`"):
        model.fit(
            np.zeros((2, 2)), np.zeros((2, 1)), verbose=0, callbacks=[SampleGrid(None)]
        )
    assert SampleGrid(None, rows=2).get_config()["rows"] == 2
