"""A camera raw whose embedded JPEG is damaged (its data zeroed past its header, as a bad card
sector leaves it) is developed from its sensor data, on both read paths: the indexer's (the
whole file's bytes) and the thumbnails' and preview's (LibRaw reading the file). It was refused
as unreadable although its sensor data was whole."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from photos import damage_camera_raw_preview, make_camera_raw, sample_image
from PIL import Image

from desktop_app.core import images
from desktop_app.core.errors import PhotoReadError


def likeness(image: Image.Image, upright: Image.Image) -> float:
    """How alike two pictures' shapes are, whatever their colours (the test raws carry no
    colour calibration): the correlation of their gray values at one small size."""
    a = np.asarray(image.convert("L").resize((60, 40)), dtype=np.float32).ravel()
    b = np.asarray(upright.convert("L").resize((60, 40)), dtype=np.float32).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def damaged_raw(folder, name: str = "IMG_0001.CR2", orientation: int = 1):
    path = make_camera_raw(folder / name, "coffee", orientation=orientation, preview_side=1024)
    return damage_camera_raw_preview(path)


def set_sensor_strip_offset(path, offset: int) -> None:
    """Point a make_camera_raw file's sensor data (its SubIFD's strip) at `offset`."""
    data = bytearray(path.read_bytes())

    def entries(ifd):
        count = int.from_bytes(data[ifd:ifd + 2], "little")
        return range(ifd + 2, ifd + 2 + 12 * count, 12)

    def tag(entry):
        return int.from_bytes(data[entry:entry + 2], "little")

    ifd0 = int.from_bytes(data[4:8], "little")
    sub = next(int.from_bytes(data[e + 8:e + 12], "little") for e in entries(ifd0)
               if tag(e) == 330)
    strip = next(e for e in entries(sub) if tag(e) == 273)
    data[strip + 8:strip + 12] = offset.to_bytes(4, "little")
    path.write_bytes(data)


def test_the_helper_damages_the_preview_so_that_it_is_refused_as_a_jpeg(tmp_path):
    from desktop_app.core import camera_raw

    path = damaged_raw(tmp_path)
    picture = camera_raw.read(path.read_bytes(), path, None, images.MAX_PIXELS)
    assert picture.jpeg is not None  # its header still describes a 1024-pixel picture
    with pytest.raises(PhotoReadError, match="damaged or truncated"):
        images.decode(picture.jpeg, tmp_path / "preview.jpg")


@pytest.mark.parametrize("orientation", [1, 6])
def test_the_indexer_develops_a_raw_whose_embedded_picture_is_damaged(tmp_path, orientation):
    path = damaged_raw(tmp_path, orientation=orientation)
    upright = sample_image("coffee")  # 600x400
    loaded = images.load_photo(path, min_size=(224, 224))
    assert (loaded.width, loaded.height) == upright.size
    assert loaded.image.size == (upright.width // 2, upright.height // 2)  # half size, upright
    assert likeness(loaded.image, upright) > 0.9
    assert likeness(loaded.image, upright.transpose(Image.Transpose.ROTATE_180)) < 0.5


@pytest.mark.parametrize(("min_size", "edge"), [((160, 160), 160), ((800, 800), 800)],
                         ids=["thumbnail", "preview"])
def test_a_thumbnail_or_preview_of_it_is_developed_too(tmp_path, min_size, edge):
    """Else the grid shows a broken tile for a photo the index holds."""
    path = damaged_raw(tmp_path, "DSC_0001.NEF", orientation=6)
    image, width, height = images.load_picture(path, min_size=min_size, display_edge=edge)
    assert (width, height) == (600, 400) and image.size == (300, 200)
    assert likeness(image, sample_image("coffee")) > 0.9


def test_a_raw_whose_preview_and_sensor_data_are_both_damaged_is_one_clear_error(tmp_path):
    path = damaged_raw(tmp_path, "IMG_0002.dng")
    set_sensor_strip_offset(path, 10**8)  # past the end of the file
    for read in (lambda: images.load_photo(path),
                 lambda: images.load_picture(path, (160, 160), 160)):
        with pytest.raises(PhotoReadError) as error:
            read()
        text = str(error.value)
        assert text.startswith(f"{path}: the picture embedded in this raw photo is damaged, "
                               "and its sensor data cannot be developed either: the raw "
                               "photo's data is damaged or cut short (Input/output error)")
        assert "raw editor" in text  # what to do


def test_the_development_instead_waits_its_turn_with_other_big_pictures(tmp_path, monkeypatch):
    """The guard on developing big raws (one at a time above BIG_PIXELS) holds for this
    development too."""
    path = damaged_raw(tmp_path, "CF000001.IIQ")
    data = path.read_bytes()
    monkeypatch.setattr(images, "BIG_PIXELS", 100_000)  # the raw: 600x400, 240,000 pixels
    done = []
    with images._big_decode:  # a big picture being decoded on another thread
        thread = threading.Thread(target=lambda: done.append(images.decode(data, path)))
        thread.start()
        thread.join(1.0)
        assert thread.is_alive() and not done
    thread.join(60)
    assert not thread.is_alive() and done[0][0].size == (300, 200)


def test_a_raw_over_the_pixel_limit_is_refused_before_anything_is_developed(tmp_path):
    path = damaged_raw(tmp_path, "IMG_0003.ARW")
    with pytest.raises(PhotoReadError, match="600x400 pixels, over the 0-megapixel safety"):
        images.decode(path.read_bytes(), path, max_pixels=200_000)
