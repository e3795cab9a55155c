"""Camera raw files: the picture the camera embedded is read (upright by the raw's own
orientation), the sensor data is developed when that picture is missing or too small, the
photo's full size is the raw's, and a damaged raw is one clear error naming the file."""

from __future__ import annotations

import numpy as np
import pytest
from photos import make_camera_raw, make_photo, sample_image, stored_turned
from PIL import Image

from desktop_app.core import images
from desktop_app.core.errors import PhotoReadError


def difference(image: Image.Image, upright: Image.Image) -> float:
    """Mean absolute difference of two pictures brought to one small size (0-255)."""
    a = np.asarray(image.convert("RGB").resize((64, 48)), dtype=np.float32)
    b = np.asarray(upright.convert("RGB").resize((64, 48)), dtype=np.float32)
    return float(np.abs(a - b).mean())


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_embedded_picture_is_read_upright_by_the_raws_orientation(tmp_path, orientation):
    # The preview's own EXIF says 6: cameras' embedded JPEGs are stored as the sensor lies,
    # whatever they say; the raw's orientation alone turns them (else 6 and 8 turned twice).
    path = make_camera_raw(tmp_path / "IMG_0001.CR2", "chelsea", orientation=orientation,
                           preview_side=1024, preview_orientation=6)
    upright = sample_image("chelsea")
    image, width, height = images.decode(path.read_bytes(), path)
    assert image.mode == "RGB"
    assert image.size == (1024, 681)  # the embedded picture, not the 450x300 sensor data
    assert (width, height) == (450, 300)  # the raw photo's own size, upright
    assert difference(image, upright) < 6
    assert difference(image, stored_turned(upright, 3)) > 20  # a picture upside down differs


def test_embedded_picture_is_decoded_small_when_codes_ask_for_a_small_size(tmp_path):
    path = make_camera_raw(tmp_path / "DSC_0001.NEF", "astronaut", preview_side=1600)
    image, width, height = images.decode(path.read_bytes(), path, min_size=(224, 224))
    assert (width, height) == (512, 512)
    assert 224 <= min(image.size) and max(image.size) < 1600  # DCT-scaled JPEG decode
    assert difference(image, sample_image("astronaut")) < 6


@pytest.mark.parametrize("preview_side", [None, 160], ids=["no preview", "small preview"])
@pytest.mark.parametrize("orientation", [1, 6])
def test_sensor_data_is_developed_when_the_embedded_picture_is_missing_or_small(
        tmp_path, preview_side, orientation):
    path = make_camera_raw(tmp_path / "photo.dng", "coffee", orientation=orientation,
                           preview_side=preview_side)
    upright = sample_image("coffee")  # 600x400
    image, width, height = images.decode(path.read_bytes(), path, min_size=(224, 224))
    assert (width, height) == upright.size
    # Half size: one pixel of each 2x2 block of the sensor (LibRaw turns it upright).
    assert image.size == (upright.width // 2, upright.height // 2)
    # The test raw carries no colour calibration, so only the picture's shapes are compared.
    gray = np.asarray(image.convert("L").resize((60, 40)), dtype=np.float32).ravel()
    truth = np.asarray(upright.convert("L").resize((60, 40)), dtype=np.float32).ravel()
    turned = np.asarray(stored_turned(upright, 3).convert("L").resize((60, 40)),
                        dtype=np.float32).ravel()
    assert np.corrcoef(gray, truth)[0, 1] > 0.9
    assert np.corrcoef(gray, turned)[0, 1] < 0.5


def test_a_small_preview_still_serves_a_thumbnail_it_fills(tmp_path):
    path = make_camera_raw(tmp_path / "photo.arw", "chelsea", preview_side=320)
    image, _, _ = images.decode(path.read_bytes(), path, display_edge=160)
    assert max(image.size) == 320  # the camera's picture: no development for a thumbnail


def test_raw_suffixes_are_photos_but_a_bare_raw_suffix_is_not():
    for name in ("IMG_1.CR2", "IMG_1.cr3", "DSC_1.NEF", "DSC01.ARW", "DSCF1.RAF", "P1.ORF",
                 "P1.RW2", "IMGP1.PEF", "photo.DNG"):
        assert images.is_photo(name), name
    assert not images.is_photo("disk.raw")  # disk images and sound use .raw too
    assert not images.is_photo("IMG_1.xmp")  # a raw editor's sidecar


def test_damaged_raw_is_one_clear_error_naming_the_file(tmp_path):
    whole = make_camera_raw(tmp_path / "whole.nef", "chelsea").read_bytes()
    path = tmp_path / "cut.nef"
    path.write_bytes(whole[:3000])  # cut short inside the preview, before the IFDs
    with pytest.raises(PhotoReadError) as error:
        images.load_photo(path)
    text = str(error.value)
    assert str(path) in text and "cut short" in text and "JPEG" in text


def test_a_jpeg_named_as_a_raw_file_is_read_as_the_jpeg_it_is(tmp_path):
    path = make_photo(tmp_path / "mislabelled.jpg", "rocket").rename(tmp_path / "IMG_2.CR2")
    loaded = images.load_photo(path)
    assert loaded.image.size == sample_image("rocket").size


def test_a_big_raw_file_is_read_whole_whatever_its_container(tmp_path):
    """Raw files are mostly over the 16 MiB read whole at once: one whose container is not TIFF
    (Fujifilm's RAF here) was refused as "not an image" from its start."""
    path = tmp_path / "DSCF0001.RAF"
    path.write_bytes(b"FUJIFILMCCD-RAW 0201FF383501" + bytes(images.READ_WHOLE_BYTES + 10))
    assert len(images.read_bytes(path)) == path.stat().st_size
