"""A plain TIFF named as a raw (a scan or an export saved as IMG_1234.DNG) has its shape read
as the TIFF it is, as images.decode reads its picture: LibRaw refuses it, and its shape was
unknown, so an unrelated JPEG of its name (another camera's, of another shape) was taken for its
twin and left out of training (trainer/raw_twins.py)."""

from __future__ import annotations

from pathlib import Path

from photos import make_photo

from trainer.albums import scan_albums
from trainer.raw_twins import left_out_by_name, picture_shape


def plain_tiff_named(path: Path, size: tuple[int, int]) -> Path:
    tiff = make_photo(path.with_suffix(".tif"), "chelsea", size=size)
    return tiff.rename(path)


def test_its_shape_is_the_tiffs(tmp_path):
    path = plain_tiff_named(tmp_path / "IMG_1234.DNG", (450, 300))
    assert picture_shape(path) == 1.5


def test_it_and_another_cameras_jpeg_of_its_name_are_two_photos(tmp_path):
    make_photo(tmp_path / "space" / "rocket.jpg", "rocket", size=(120, 90))
    scan = plain_tiff_named(tmp_path / "cats" / "IMG_1234.DNG", (450, 300))  # 3:2
    phone = make_photo(tmp_path / "cats" / "IMG_1234.JPG", "coffee", size=(400, 300))  # 4:3
    assert left_out_by_name([scan, phone]) == set()
    found = scan_albums(tmp_path)
    assert sorted(Path(p.path).name for p in found.photos) == \
        ["IMG_1234.DNG", "IMG_1234.JPG", "rocket.jpg"]
    assert found.raw_twins == 0


def test_it_and_a_jpeg_of_its_shape_are_still_one_photo(tmp_path):
    """Its export beside it, as a camera's RAW+JPEG pair: one picture, as before."""
    scan = plain_tiff_named(tmp_path / "IMG_1234.NEF", (450, 300))
    jpeg = make_photo(tmp_path / "IMG_1234.JPG", "chelsea", size=(225, 150))
    assert left_out_by_name([scan, jpeg]) == {0}
