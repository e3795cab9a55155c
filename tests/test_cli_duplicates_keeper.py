"""`lookalike duplicates` puts the photo to keep first, as the app's Duplicates tab keeps it, and
says why: a camera JPEG and its much bigger PNG export, indexed for real. Before, the first
photo was the lowest id (whichever was indexed first), and a script deleting all but the first
lost the camera's date taken as often as not."""

from __future__ import annotations

import os

from cli_run import json_of, run
from photos import exif_bytes, sample_image

from desktop_app import cli


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


def test_duplicates_help_says_which_photo_is_first(capsys):
    code, out, _ = run(capsys, "duplicates", "--help")
    assert code == cli.EXIT_OK
    assert "is the one to keep" in " ".join(out.split())
