"""The window's search snapshot says which photos are byte-identical copies (the library's
stored fingerprints), so the duplicates search reads one header for all copies of a photo,
none for a group of copies only (core/keeper.py)."""

from __future__ import annotations

import os
import shutil

from ui_helpers import wait_idle, wait_rows


def test_the_snapshot_names_the_copies_and_their_content(qtbot, make_window, library_photos):
    shutil.copy2(library_photos / "rocket.jpg", library_photos / "rocket (1).jpg")
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 7)
    wait_idle(qtbot, window)
    snapshot = window.search.snapshot
    ids = {os.path.basename(path): i for i, path in snapshot.paths.items()}
    copies = {ids["rocket.jpg"], ids["rocket (1).jpg"]}
    qtbot.waitUntil(lambda: set(window.search.snapshot.contents) == copies, timeout=10000)
    contents = window.search.snapshot.contents
    assert contents[ids["rocket.jpg"]][0] == contents[ids["rocket (1).jpg"]][0]  # one content
