"""Camera raw files: the picture the camera embedded is read (upright by the raw's own
orientation), the sensor data is developed when that picture is missing or too small, the
photo's full size is the raw's, and a damaged raw is one clear error naming the file."""

from __future__ import annotations

import subprocess
import sys
import threading

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


def set_first_ifd_values(path, values: dict[int, int]) -> None:
    """Write over the (single) values of tags of a DNG's first IFD, as damage would."""
    data = bytearray(path.read_bytes())
    ifd = int.from_bytes(data[4:8], "little")
    for entry in range(ifd + 2, ifd + 2 + 12 * int.from_bytes(data[ifd:ifd + 2], "little"), 12):
        tag = int.from_bytes(data[entry:entry + 2], "little")
        if tag in values:
            data[entry + 8:entry + 12] = values[tag].to_bytes(4, "little")
    path.write_bytes(data)


def likeness(image: Image.Image, upright: Image.Image) -> float:
    """How alike two pictures' shapes are, whatever their colours (the test raws carry no colour
    calibration): the correlation of their gray values at one small size."""
    a = np.asarray(image.convert("L").resize((60, 40)), dtype=np.float32).ravel()
    b = np.asarray(upright.convert("L").resize((60, 40)), dtype=np.float32).ravel()
    return float(np.corrcoef(a, b)[0, 1])


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


def test_libraws_own_words_are_said_as_words(tmp_path):
    """LibRaw's message comes as bytes: the error said "(b'Input/output error')"."""
    path = make_camera_raw(tmp_path / "IMG_0001.dng", "chelsea", preview_side=None)
    set_first_ifd_values(path, {273: 10**6})  # the sensor data past the end of the file
    with pytest.raises(PhotoReadError) as error:
        images.load_photo(path)
    text = str(error.value)
    assert "damaged or cut short (Input/output error)" in text and "b'" not in text


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


@pytest.mark.parametrize("preview_side", [1024, None], ids=["embedded", "developed"])
@pytest.mark.parametrize("orientation", [2, 4, 5, 7])
def test_a_raw_whose_orientation_mirrors_it_is_read_upright(tmp_path, orientation, preview_side):
    """Orientations 2, 4, 5 and 7 mirror the picture (a raw editor's or a phone's DNG may say
    them). LibRaw says them as flips 1, 2, 4 and 7, which were taken for "no turn": the embedded
    picture was shown mirrored (on its side for 5 and 7) and the size was the sensor's."""
    path = make_camera_raw(tmp_path / "IMG_0001.dng", "chelsea", orientation=orientation,
                           preview_side=preview_side)
    upright = sample_image("chelsea")
    image, width, height = images.decode(path.read_bytes(), path)
    assert (width, height) == (450, 300)
    assert image.width > image.height
    assert likeness(image, upright) > 0.9
    assert likeness(image, upright.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) < 0.5


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_monochrome_cameras_raw_is_developed_in_gray(tmp_path, orientation):
    """A monochrome camera (Leica M Monochrom, Pentax K-3 III Monochrome) records one value a
    pixel: LibRaw develops it into one channel, which was an unexpected error (TypeError)."""
    path = make_camera_raw(tmp_path / "L1000001.DNG", "coffee", orientation, preview_side=None,
                           monochrome=True)
    upright = sample_image("coffee")
    image, width, height = images.decode(path.read_bytes(), path, min_size=(224, 224))
    assert image.mode == "RGB" and (width, height) == upright.size
    assert image.width > image.height and likeness(image, upright) > 0.9
    red, green, blue = image.split()
    assert red.tobytes() == green.tobytes() == blue.tobytes()


def test_a_raw_whose_bitmap_thumbnail_claims_more_than_it_holds_does_not_crash(tmp_path):
    """A bitmap thumbnail (uncompressed, as old cameras and Leica's M9 keep) whose header claims
    6000x4000 pixels over the 3 KB of data it holds: rawpy hands its pixels as an array of the
    claimed size over LibRaw's 3 KB buffer, unchecked; reading them crashed the app (SIGSEGV).
    Run apart, so that a crash fails this test, not the test run."""
    path = make_camera_raw(tmp_path / "IMG_0001.NEF", "chelsea", preview_side=320,
                           preview_bitmap=True)
    # The thumbnail's: width, height, rows a strip, bytes.
    set_first_ifd_values(path, {256: 6000, 257: 4000, 278: 4000, 279: 3000})
    read = ("import sys; from desktop_app.core import images; path = sys.argv[1]; "
            "print(images.decode(open(path, 'rb').read(), path, min_size=(224, 224))[1:], "
            "images.load_picture(path, (160, 160), 160)[1:])")
    done = subprocess.run([sys.executable, "-c", read, str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(450, 300) (450, 300)"  # the sensor data, developed


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_raw_with_only_a_bitmap_thumbnail_is_developed_upright(tmp_path, orientation):
    path = make_camera_raw(tmp_path / "L1000002.DNG", "chelsea", orientation, preview_side=320,
                           preview_bitmap=True)
    image, width, height = images.decode(path.read_bytes(), path, min_size=(160, 160))
    assert (width, height) == (450, 300) and image.size == (225, 150)
    assert likeness(image, sample_image("chelsea")) > 0.9


def test_a_big_raw_is_developed_one_at_a_time_with_other_big_pictures(tmp_path, monkeypatch):
    """Developing takes about 5 bytes a sensor pixel (265 MB for 48 MP; a 4 KB DNG claiming
    196 MP took 700 MB): a raw developed from more than BIG_PIXELS waits its turn with the big
    pictures made whole, so that the thumbnail threads (one a core) do not develop a folder of
    medium-format raws at once. A smaller raw does not wait."""
    path = make_camera_raw(tmp_path / "CF000001.IIQ", "chelsea", preview_side=None)
    data = path.read_bytes()
    monkeypatch.setattr(images, "BIG_PIXELS", 100_000)  # the raw: 450x300, 135,000 pixels
    done = []
    with images._big_decode:  # a big picture being decoded on another thread
        thread = threading.Thread(target=lambda: done.append(images.decode(data, path)))
        thread.start()
        thread.join(1.0)
        assert thread.is_alive() and not done
    thread.join(60)
    assert not thread.is_alive() and done[0][1:] == (450, 300)
    monkeypatch.setattr(images, "BIG_PIXELS", 200_000)
    with images._big_decode:
        assert images.decode(data, path)[1:] == (450, 300)
