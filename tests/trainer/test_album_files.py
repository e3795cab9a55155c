"""What of an albums folder is read: NAS and system folders are not albums or photos, and an
album that gives no photo, or a folder that cannot be opened, is named with the cause."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from photos import make_photo

from trainer.cli import main


def inspect_json(albums, capsys) -> dict:
    assert main(["inspect", str(albums), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_nas_thumbnail_and_recycle_folders_are_neither_albums_nor_photos(albums, tmp_path,
                                                                         capsys, caplog):
    # A Synology NAS keeps a thumbnail of every photo in @eaDir, next to the photo and at the
    # top; the recycle bin keeps deleted photos of other albums.
    thumbs = albums / "cats" / "@eaDir" / "chelsea-0.jpg"
    make_photo(thumbs / "SYNOPHOTO_THUMB_XL.jpg", "chelsea", size=(96, 80))
    make_photo(albums / "@eaDir" / "space" / "SYNOPHOTO_THUMB_M.jpg", "rocket", size=(96, 80))
    make_photo(albums / "#recycle" / "old.jpg", "astronaut", size=(96, 80))
    (albums / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    make_photo(albums / "space" / ".thumbnails" / "t.jpg", "chelsea", size=(96, 80))
    report = inspect_json(albums, capsys)
    assert report["labels"] == 3 and "@eaDir" not in report["per_label"]
    assert report["per_label"] == {"cats": 3, "microscopy": 6, "space": 6}
    assert report["copies"] == 0 and report["multi_label_photos"] == 0
    assert set(report["skipped_folders"]) == {str(albums / "@eaDir"), str(albums / "#recycle"),
                                              str(albums / "cats" / "@eaDir")}
    assert main(["inspect", str(albums)]) == 0
    assert "skipped 3 folders of thumbnails and recycle bins" in capsys.readouterr().out
    assert main(["prepare", str(albums), "--out", str(tmp_path / "run"),
                 "--progress", "none"]) == 0
    assert "skipped 3 folders of thumbnails and recycle bins" in capsys.readouterr().err


def test_the_macosx_folder_of_an_unzipped_mac_archive_is_not_an_album(albums, capsys):
    # Unzipped elsewhere, a zip made on a Mac has __MACOSX/<album>/._<photo> resource forks.
    (albums / "__MACOSX" / "cats").mkdir(parents=True)
    (albums / "__MACOSX" / "cats" / "._chelsea-0.jpg").write_bytes(b"\0\5\26\7" + bytes(80))
    report = inspect_json(albums, capsys)
    assert report["per_label"] == {"cats": 3, "microscopy": 6, "space": 6}
    assert report["skipped_folders"] == [str(albums / "__MACOSX")]
    assert main(["inspect", str(albums)]) == 0
    assert "skipped album" not in capsys.readouterr().out


def test_an_album_of_video_files_is_named_with_why_it_gives_no_photo(albums, tmp_path, capsys):
    # (Camera raw files are photos the trainer reads: test_albums_camera_raw.py.)
    videos = albums / "trip"
    videos.mkdir()
    for k in range(3):
        (videos / f"MVI_{k}.MP4").write_bytes(os.urandom(2000))
    (videos / "clip.MOV").write_bytes(os.urandom(2000))
    (albums / "todo").mkdir()
    assert main(["inspect", str(albums)]) == 0
    out = capsys.readouterr().out
    assert (f"skipped album (no readable photos, so it is not a label): {videos}: it holds only "
            "4 files that are not photos Lookalike reads (3 .mp4, 1 .mov): save them as JPEG, "
            "PNG, HEIC or WebP to train on them") in out
    assert f"{albums / 'todo'}: it holds no photos" in out
    # When it leaves a single label, the refusal says so: the log naming it comes later.
    for name in ("space", "microscopy"):
        shutil.rmtree(albums / name)
    assert main(["run", str(albums), "--out", str(tmp_path / "m"), "--progress", "json"]) == 2
    error = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert "only one album ('cats') has photos" in error["message"]
    assert "'trip' gave none: it holds only 4 files that are not photos" in error["message"]


def _as_user_without_rights() -> list[str]:
    """A prefix that makes folders of mode 000 unreadable, also for root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("needs setpriv(1) to drop root's rights")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_folders_that_cannot_be_opened_are_named_not_skipped_unsaid(albums, tmp_path):
    locked_album = albums / "family"
    locked_inside = albums / "cats" / "2019"
    for folder in (locked_album, locked_inside):
        make_photo(folder / "a.jpg", "coffee", size=(90, 90))
    prefix = _as_user_without_rights()
    os.chmod(locked_album, 0)
    os.chmod(locked_inside, 0)
    try:
        if not prefix and os.access(locked_album, os.R_OK):
            pytest.skip("mode 000 does not stop this user")
        out = subprocess.run([*prefix, sys.executable, "-m", "trainer", "inspect", str(albums)],
                             capture_output=True, text=True, timeout=120, check=False)
        os.chmod(albums, 0)
        root = subprocess.run([*prefix, sys.executable, "-m", "trainer", "inspect", str(albums)],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        for folder in (albums, locked_album, locked_inside):
            os.chmod(folder, 0o755)
    assert out.returncode == 0, out.stderr
    assert (f"unreadable: {locked_inside}: this folder cannot be opened (Permission denied); "
            "the photos in it are skipped. Make it readable") in out.stdout
    assert (f"{locked_album}: it cannot be opened (Permission denied): make it readable"
            in out.stdout)
    assert root.returncode == 2 and "Traceback" not in root.stderr
    assert (f"error: {albums}: this albums folder cannot be opened (Permission denied). Make "
            "it readable") in root.stderr


def test_a_link_to_a_photo_that_is_gone_is_named_as_such(albums, capsys):
    link = albums / "space" / "from-the-drive.jpg"
    link.symlink_to(albums.parent / "unplugged" / "IMG_1.jpg")
    report = inspect_json(albums, capsys)
    assert report["unreadable"] == [{"path": str(link), "message": (
        f"{link}: this is a link to {albums.parent / 'unplugged' / 'IMG_1.jpg'}, which does not "
        "exist (moved, deleted, or on a drive that is not connected); this photo is skipped. "
        "Fix or remove the file, then run the trainer again.")}]
