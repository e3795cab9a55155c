"""The library file deleted by a disk cleaner while the window runs: what is indexed since is
kept (the file is written back), not written into the deleted file and lost at quit."""

from __future__ import annotations

import os
import sqlite3

import pytest
from photos import make_photo
from ui_helpers import indexed, wait_idle, wait_rows

from desktop_app import paths

pytestmark = pytest.mark.skipif(os.name != "posix", reason="an open file cannot be deleted")


def test_photos_indexed_after_the_library_was_deleted_are_kept(qtbot, make_window, tmp_path):
    folder = tmp_path / "photos"
    make_photo(folder / "chelsea.jpg", "chelsea", size=(200, 150))
    window = indexed(qtbot, make_window, folder, 1)
    database = paths.database_path()
    for end in ("", "-wal", "-shm"):  # `rm -rf ~/.local/share/Lookalike/*`
        os.remove(f"{database}{end}")
    make_photo(folder / "coffee.jpg", "coffee", size=(200, 150))  # the watcher's next batch
    wait_rows(qtbot, window, 2)
    wait_idle(qtbot, window)
    window.shutdown()
    with sqlite3.connect(database) as conn:
        names = sorted(os.path.basename(r[0]) for r in conn.execute(
            "SELECT path FROM photos WHERE status = 'ok'"))
    assert names == ["chelsea.jpg", "coffee.jpg"]
