"""Records an earlier walk named through a folder link that the walk no longer follows
(R/a_link -> R/z_real: z_real's photos were R/a_link/...): they are swept once the photos have
their own names, never while the walk could not reach those (found in review). A folder that
cannot be opened, or a drive not mounted behind the link, removed every photo there although
the run said they were kept. Real files, a real SQLite library, the tiny real ONNX model, the
real CLI without root's rights, and a real tmpfs mount (both need root here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from drive_mounts import mount_tmpfs, unmount
from photos import make_photo

from desktop_app import paths
from desktop_app.core.store import Store, decode_path

pytestmark = pytest.mark.skipif(os.name == "nt", reason="folder links need rights on Windows")


def _names(library, top) -> list[str]:
    return sorted(os.path.relpath(p.path, top) for p in library.photos())


def _index(folder, model, *, rights: bool = True) -> dict:
    """`lookalike index folder --json`, as root or (rights=False) without root's right to read
    any folder (setpriv): its report of the folder."""
    command = [sys.executable, "-m", "desktop_app", "--no-progress", "--model", str(model),
               "index", str(folder), "--json"]
    if not rights and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv(1) to drop root's rights")
        command = [shutil.which("setpriv"), "--bounding-set",
                   "-dac_override,-dac_read_search", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert done.stdout, done.stderr[-3000:]
    return json.loads(done.stdout)["folders"][0]


def test_photos_behind_a_link_into_a_folder_that_cannot_be_opened_are_kept(
        tmp_path, tiny_model_dir, lookalike_home):
    root = tmp_path / "R"
    make_photo(root / "r.jpg", "astronaut")
    make_photo(root / "a_link" / "x.jpg", "coffee")
    make_photo(root / "a_link" / "day2" / "y.jpg", "rocket")
    assert _index(root, tiny_model_dir)["added"] == 3
    # The disk as an earlier walk saw it: the link sorts first, and named z_real's photos.
    os.rename(root / "a_link", root / "z_real")
    os.symlink(root / "z_real", root / "a_link")
    os.chmod(root / "z_real", 0)
    try:
        report = _index(root, tiny_model_dir, rights=False)
    finally:
        os.chmod(root / "z_real", 0o755)
    if not report["errors"]:
        pytest.skip("the folder could be opened all the same here")
    assert "z_real: cannot open this folder" in report["errors"][0]["message"]
    assert "are kept" in report["errors"][0]["message"]
    assert report["removed"] == 0
    with Store(paths.database_path()) as store:
        kept = [decode_path(p) for (p,) in store.query("SELECT path FROM photos")]
    assert sorted(os.path.relpath(p, tmp_path) for p in kept) == [
        "R/a_link/day2/y.jpg", "R/a_link/x.jpg", "R/r.jpg"]

    report = _index(root, tiny_model_dir)  # readable again: the photos take their own names
    assert (report["moved"], report["added"], report["removed"]) == (2, 0, 0)


def test_photos_behind_a_link_to_a_drive_not_mounted_are_kept(library, tmp_path):
    root = tmp_path / "R"
    make_photo(root / "r.jpg", "astronaut")
    drive = root / "a_link"
    mount_tmpfs(drive)
    try:
        make_photo(drive / "x.jpg", "coffee")
        make_photo(drive / "trip" / "y.jpg", "rocket")
        assert library.index_folder(root).added == 3
    finally:
        unmount(drive)
    # As an earlier walk saw it: the link to the drive's mount point named its photos (and was
    # remembered as a mount point by that name); now the drive is not mounted.
    os.rmdir(drive)
    (root / "z_drive").mkdir()
    os.symlink(root / "z_drive", root / "a_link")
    report = library.index_folder(root)
    assert report.removed == 0
    assert _names(library, root) == ["a_link/trip/y.jpg", "a_link/x.jpg", "r.jpg"]

    mount_tmpfs(root / "z_drive")  # mounted again, y.jpg deleted meanwhile
    try:
        make_photo(root / "z_drive" / "x.jpg", "coffee")
        report = library.index_folder(root)
        assert (report.moved, report.removed) == (1, 1)
        assert _names(library, root) == ["r.jpg", "z_drive/x.jpg"]
    finally:
        unmount(root / "z_drive")
    report = library.index_folder(root)  # and not mounted again: kept under the new name
    assert report.removed == 0 and _names(library, root) == ["r.jpg", "z_drive/x.jpg"]


def test_a_second_name_given_through_a_folder_moved_in_is_swept_at_the_next_start(library,
                                                                                  tmp_path):
    """R/a_link -> trip names trip's photos. A folder moved in holding a second link to trip
    is reported by the watcher and walked on its own (index_paths does not know which links
    the walk of R follows before it): trip's photos got a second record, which no start swept,
    their files being there."""
    root, trip = tmp_path / "R", tmp_path / "elsewhere" / "trip"
    make_photo(root / "r.jpg", "astronaut")
    make_photo(trip / "x.jpg", "coffee")
    os.symlink(trip, root / "a_link")
    library.index_folder(root)
    (tmp_path / "new").mkdir()
    os.symlink(trip, tmp_path / "new" / "l")
    os.rename(tmp_path / "new", root / "new")
    library.index_paths([root / "new"])  # what the watcher reports of the folder moved in
    before = {p.path: p.id for p in library.photos()}
    report = library.index_folder(root)
    assert (report.removed, report.errors) == (1, [])
    assert _names(library, root) == ["a_link/x.jpg", "r.jpg"]
    assert {p.path: p.id for p in library.photos()}.items() <= before.items()
