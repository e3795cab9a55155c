"""A camera raw shown (thumbnails, the preview) is read in part: LibRaw takes its embedded
picture, not the 25-80 MB of sensor data a raw holds (seconds each on a network share)."""

from __future__ import annotations

import pytest
from photos import make_camera_raw, sample_image

from desktop_app.core import images
from desktop_app.core.errors import PhotoReadError


def bytes_read_by(action) -> int:
    """Bytes this process read through read() calls while `action` ran (Linux: rchar)."""
    def rchar() -> int:
        with open("/proc/self/io", encoding="ascii") as io:
            return int(next(line for line in io if line.startswith("rchar:")).split()[1])
    before = rchar()
    action()
    return rchar() - before


def test_a_raw_is_shown_from_its_embedded_picture_without_reading_its_sensor_data(tmp_path):
    path = make_camera_raw(tmp_path / "IMG_0001.CR2", "astronaut", size=(3000, 2000),
                           preview_side=1600, orientation=6)
    size = path.stat().st_size  # 12 MB of sensor data
    shown = {}

    def show():
        shown["picture"] = images.load_picture(path, min_size=(160, 160), display_edge=160)
    read = bytes_read_by(show)
    image, width, height = shown["picture"]
    assert (width, height) == (3000, 2000)  # stored sideways, upright by its orientation 6
    assert image.width > image.height  # the picture turned upright too
    assert read < size / 10
    # Decoding what load_photo reads (the indexer: the whole file, for its fingerprint) gives
    # the same picture.
    whole, _, _ = images.decode(images.read_bytes(path), path, min_size=(160, 160),
                                display_edge=160)
    assert whole.size == image.size and whole.tobytes() == image.tobytes()


def test_other_photos_and_files_named_as_raws_are_shown_as_before(tmp_path):
    jpeg = tmp_path / "IMG_0002.NEF"
    sample_image("rocket").save(jpeg, "JPEG")
    _, width, height = images.load_picture(jpeg, display_edge=160)
    assert (width, height) == sample_image("rocket").size
    with pytest.raises(PhotoReadError, match="no longer exists"):
        images.load_picture(tmp_path / "gone.CR2", display_edge=160)
    cut = tmp_path / "cut.CR2"
    cut.write_bytes(make_camera_raw(tmp_path / "whole.dng", "chelsea").read_bytes()[:3000])
    with pytest.raises(PhotoReadError, match="cut short") as error:
        images.load_picture(cut, display_edge=160)
    assert str(cut) in str(error.value)


def test_a_raw_gone_before_libraw_opens_it_is_said_gone(tmp_path):
    """Deleted between load_picture's look at its first bytes and LibRaw's own open: LibRaw
    said "Input/output error", shown as a damaged raw."""
    from desktop_app.core import camera_raw

    path = tmp_path / "IMG_0003.CR2"
    with pytest.raises(PhotoReadError, match="no longer exists") as error:
        camera_raw.read(None, path, 160, images.MAX_PIXELS, images._one_big_at_a_time)
    assert isinstance(error.value.__cause__, FileNotFoundError)  # the indexer's "gone"
