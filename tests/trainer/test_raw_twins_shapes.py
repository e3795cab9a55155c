"""Twins have one picture's shape: a Canon shooting RAW alone (IMG_1234.CR2, 3:2) and an iPhone
(IMG_1234.JPG, 4:3) name files alike, and dropped into one album their pictures are two photos,
both trained on; a camera's RAW+JPEG pair, its JPEG full size, smaller or turned by EXIF, is one
(trainer/raw_twins.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from photos import make_camera_raw, make_photo

from trainer.albums import scan_albums
from trainer.raw_twins import left_out_by_name, picture_shape


def album_with(root: Path, *files: tuple[str, dict]) -> list[Path]:
    """Albums "cats" and "space" with a photo each of their own, and `files` in "cats": (name,
    what to write: a raw from make_camera_raw's arguments when the name is a raw's, else a JPEG
    from make_photo's). Returns the paths of `files`."""
    make_photo(root / "cats" / "other.jpg", "coffee", size=(120, 90))
    make_photo(root / "space" / "rocket.jpg", "rocket", size=(120, 90))
    written = []
    for name, args in files:
        path = root / "cats" / name
        if path.suffix.lower() in (".cr2", ".nef", ".dng"):
            written.append(make_camera_raw(path, "chelsea", preview_side=160, **args))
        else:
            written.append(make_photo(path, "chelsea", **args))
    return written


def photo_names(root: Path) -> list[str]:
    return sorted(Path(p.path).name for p in scan_albums(root).photos)


def listed(root: Path) -> list[Path]:
    """The photo files of the albums, in the order a listing gives them (by path)."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_raw_and_another_cameras_jpeg_of_one_name_are_two_photos(tmp_path):
    """A Canon's raw (3:2) beside an iPhone's JPEG (4:3) of the same name: both kept."""
    album_with(tmp_path, ("IMG_1234.CR2", {"size": (450, 300)}),
               ("IMG_1234.JPG", {"size": (400, 300)}))
    scan = scan_albums(tmp_path)
    assert sorted(Path(p.path).name for p in scan.photos) == \
        ["IMG_1234.CR2", "IMG_1234.JPG", "other.jpg", "rocket.jpg"]
    assert scan.raw_twins == 0
    # An estimate (before any photo is decoded) counts both too.
    assert left_out_by_name(listed(tmp_path)) == set()


def test_a_landscape_raw_and_a_portrait_jpeg_of_one_shape_are_two_photos(tmp_path):
    """Two 3:2 cameras, one photo held upright and one turned (the JPEG stored as the sensor
    lay, EXIF orientation 6): two pictures, told apart once upright."""
    album_with(tmp_path, ("IMG_1234.NEF", {"size": (450, 300)}),
               ("IMG_1234.JPG", {"size": (450, 300), "orientation": 6}))
    assert photo_names(tmp_path) == ["IMG_1234.JPG", "IMG_1234.NEF", "other.jpg", "rocket.jpg"]
    assert left_out_by_name(listed(tmp_path)) == set()


def test_a_raw_and_its_cameras_jpeg_are_one_photo(tmp_path):
    """The camera's JPEG full size, a smaller one (the camera's JPEG S, rounded to whole pixels),
    and a photo held upright, both files stored as the sensor lay (EXIF orientation 6), or the
    JPEG's pixels turned upright by the camera (no orientation) beside a raw that says it, or a
    raw whose sensor data is stored upright beside a JPEG turned by its EXIF."""
    cases = {
        "full": (("IMG_0001.CR2", {"size": (450, 300)}), ("IMG_0001.JPG", {"size": (450, 300)})),
        "small": (("IMG_0002.CR2", {"size": (450, 300)}), ("IMG_0002.JPG", {"size": (161, 107)})),
        "turned": (("IMG_0003.CR2", {"size": (300, 450), "orientation": 6}),
                   ("IMG_0003.JPG", {"size": (450, 300), "orientation": 6})),
        "jpeg upright": (("IMG_0004.CR2", {"size": (300, 450), "orientation": 6}),
                         ("IMG_0004.JPG", {"size": (300, 450)})),
        "raw upright": (("IMG_0005.CR2", {"size": (300, 450)}),
                        ("IMG_0005.JPG", {"size": (450, 300), "orientation": 6})),
    }
    for case, files in cases.items():
        root = tmp_path / case.replace(" ", "-")
        raw, jpeg = album_with(root, *files)
        scan = scan_albums(root)
        assert sorted(Path(p.path).name for p in scan.photos) == \
            [jpeg.name, "other.jpg", "rocket.jpg"], case
        assert scan.raw_twins == 1, case
        files_listed = listed(root)
        assert left_out_by_name(files_listed) == {files_listed.index(raw)}, case


def test_a_raw_with_a_jpeg_of_its_shape_and_one_of_another_keeps_its_twin(tmp_path):
    """A camera's RAW+JPEG pair and, of the same name, a phone's JPEG and PNG: the pair is one
    photo, the phone's files (no raw among them) are photos of their own."""
    album_with(tmp_path, ("IMG_1234.CR2", {"size": (450, 300)}),
               ("IMG_1234.JPG", {"size": (400, 300)}),
               ("IMG_1234.jpeg", {"size": (225, 150)}),
               ("IMG_1234.png", {"size": (400, 300)}))
    assert photo_names(tmp_path) == ["IMG_1234.JPG", "IMG_1234.jpeg", "IMG_1234.png",
                                     "other.jpg", "rocket.jpg"]


def test_a_twin_whose_header_cannot_be_read_goes_with_its_namesake(tmp_path):
    """Nothing says it is another picture: counted once by an estimate, as a prepare counts
    the one of them it can read."""
    raw, jpeg = album_with(tmp_path, ("IMG_1234.CR2", {"size": (450, 300)}),
                           ("IMG_1234.JPG", {"size": (400, 300)}))
    jpeg.write_bytes(b"\xff\xd8\xff\xe0 cut short")
    assert picture_shape(jpeg) is None and picture_shape(raw) == 1.5
    files = listed(tmp_path)
    assert left_out_by_name(files) == {files.index(raw)}
    assert photo_names(tmp_path) == ["IMG_1234.CR2", "other.jpg", "rocket.jpg"]


def test_the_estimates_header_reads_can_be_stopped(tmp_path):
    """Thousands of pairs on a network share take minutes to read: a stop asked meanwhile
    (the retrain dialog closed) is honoured between two header reads."""
    files = []
    for k in range(3):
        files.append(make_camera_raw(tmp_path / f"IMG_{k}.CR2", "chelsea"))
        files.append(make_photo(tmp_path / f"IMG_{k}.JPG", "chelsea"))
    checks = []

    class Stop(Exception):
        pass

    def check():
        checks.append(1)
        if len(checks) == 3:
            raise Stop

    with pytest.raises(Stop):
        left_out_by_name(files, check)
    assert len(checks) == 3  # no header read after the stop
    assert left_out_by_name(files) == {0, 2, 4}  # the raws, left out for their JPEGs


def test_a_prepares_twin_header_reads_can_be_stopped(tmp_path, monkeypatch):
    """A prepare reads the headers of its RAW+JPEG twins after the photos (counted_as): a stop
    asked then is honoured before the next header read, as in the estimate."""
    from trainer import raw_twins
    from trainer.album_files import Stopped

    album = tmp_path / "albums" / "cats"
    for k in range(3):
        make_camera_raw(album / f"IMG_{k}.CR2", "chelsea")
        make_photo(album / f"IMG_{k}.JPG", "chelsea")
    make_photo(tmp_path / "albums" / "cups" / "cup.jpg", "coffee")
    make_photo(tmp_path / "albums" / "cups" / "cup2.jpg", "coffee", quality=70)
    reads, stop = [], []
    real_shape = raw_twins.picture_shape

    def shape(path):
        reads.append(path)
        stop.append(True)  # the user stops during the first header read
        return real_shape(path)

    monkeypatch.setattr(raw_twins, "picture_shape", shape)
    with pytest.raises(Stopped):
        scan_albums(tmp_path / "albums", should_stop=lambda: bool(stop))
    assert len(reads) == 1
