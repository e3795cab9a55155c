"""`lookalike duplicates` puts the photo to keep first, as the app's Duplicates tab keeps it, and
says why: a camera JPEG and its much bigger PNG export, indexed for real. Before, the first
photo was the lowest id (whichever was indexed first), and a script deleting all but the first
lost the camera's date taken as often as not."""

from __future__ import annotations

import os
import shutil

import pillow_heif
from cli_run import json_of, run
from photos import exif_bytes, make_camera_raw, sample_image
from PIL import Image

from desktop_app import cli
from desktop_app.core import keeper

pillow_heif.register_heif_opener()  # the HEIF writer


def test_duplicates_keep_the_camera_jpeg_first_and_say_why(capsys, tmp_path, tiny_model_dir):
    album = tmp_path / "album"
    album.mkdir()
    image = sample_image("chelsea")
    code, _, err = run(capsys, "models", "import", tiny_model_dir, "--activate")
    assert code == cli.EXIT_OK, err
    # The PNG indexed first: the lowest id, the group's first photo before.
    image.save(album / "DSC_0042.png")
    code, _, err = run(capsys, "index", album)
    assert code == cli.EXIT_OK, err
    image.save(album / "DSC_0042.jpg", quality=85, exif=exif_bytes())
    assert os.path.getsize(album / "DSC_0042.png") > os.path.getsize(album / "DSC_0042.jpg")
    code, _, err = run(capsys, "index", album)
    assert code == cli.EXIT_OK, err
    data = json_of(capsys, "duplicates", "--max-distance", "48")  # its shape checked too
    (group,) = data["groups"]
    assert [(m["path"], m["keep_because"]) for m in group] == [
        (str(album / "DSC_0042.jpg"), "has the camera's EXIF (date taken, camera)"),
        (str(album / "DSC_0042.png"), None)]
    assert group[0]["distance"] == 0
    code, out, _ = run(capsys, "duplicates", "--max-distance", "48")
    assert code == cli.EXIT_OK
    lines = out.splitlines()
    assert lines[0] == ("Group 1 (2 photos), keep the first: has the camera's EXIF (date taken, "
                        "camera)")
    assert lines[1].endswith(str(album / "DSC_0042.jpg")) and "distance   0" in lines[1]


def test_duplicates_keep_the_raw_of_a_raw_plus_jpeg_pair(capsys, tmp_path, tiny_model_dir):
    """A camera shooting RAW+JPEG, its JPEG copied: the raw is the original, though its JPEG
    (and so the copy) has more pixels and bytes (Pillow read the raw's embedded preview: the
    JPEG was first, the raw to delete). The pair is one photo, listed as its raw."""
    album = tmp_path / "album"
    raw = make_camera_raw(album / "IMG_0001.CR2")
    image = sample_image("chelsea")
    image.resize((image.width * 5, image.height * 5), Image.Resampling.LANCZOS).save(
        album / "IMG_0001.JPG", quality=95, exif=exif_bytes())
    shutil.copy2(album / "IMG_0001.JPG", album / "IMG_0001 (1).JPG")
    assert os.path.getsize(album / "IMG_0001.JPG") > os.path.getsize(raw)
    for argv in (("models", "import", tiny_model_dir, "--activate"), ("index", album)):
        code, _, err = run(capsys, *argv)
        assert code == cli.EXIT_OK, err
    (group,) = json_of(capsys, "duplicates", "--max-distance", "48")["groups"]
    assert [(m["path"], m["keep_because"]) for m in group] == [
        (str(raw), "the camera's raw file"), (str(album / "IMG_0001 (1).JPG"), None)]
    code, out, _ = run(capsys, "duplicates", "--max-distance", "48")
    assert code == cli.EXIT_OK
    assert out.splitlines()[0] == "Group 1 (2 photos), keep the first: the camera's raw file"


def test_duplicates_help_says_which_photo_is_first(capsys):
    code, out, _ = run(capsys, "duplicates", "--help")
    assert code == cli.EXIT_OK
    assert "is the one to keep (the camera's raw file, then most pixels" in " ".join(out.split())


def test_duplicates_read_one_header_per_content(capsys, tmp_path, tiny_model_dir, monkeypatch):
    """Copies of one HEIC (the fingerprints the library stored say which) share its header:
    read once, not once a copy (pillow-heif reads a HEIC whole: 8 MB each, on a NAS)."""
    album = tmp_path / "album"
    album.mkdir()
    image = sample_image("chelsea")
    image.save(album / "IMG_0001.HEIC", exif=exif_bytes())
    for copy in ("IMG_0001 (1).HEIC", "IMG_0001 copy.HEIC"):
        shutil.copy2(album / "IMG_0001.HEIC", album / copy)
    image.save(album / "IMG_0001.jpg", quality=95, exif=exif_bytes())  # a conversion
    for argv in (("models", "import", tiny_model_dir, "--activate"), ("index", album)):
        code, _, err = run(capsys, *argv)
        assert code == cli.EXIT_OK, err
    read, real_read = [], keeper.read_header
    monkeypatch.setattr(keeper, "read_header", lambda path: read.append(path) or real_read(path))
    (group,) = json_of(capsys, "duplicates", "--max-distance", "48")["groups"]
    assert len(read) == 2  # the HEIC's, the JPEG's
    assert (group[0]["path"], group[0]["keep_because"]) == (
        str(album / "IMG_0001.HEIC"), "name without a copy marker")
    assert len(group) == 4
