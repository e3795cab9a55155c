"""The set-up of the folder-link watcher tests: a watched folder holding a folder link."""

from __future__ import annotations

import os

from watcher_reports import photo


def watch_folder_holding_link(qtbot, watcher, tmp_path, target, name):
    """`tmp_path/Pictures` holding the link `name` to the folder `target` (a photo a.jpg made
    in it), watched by `watcher` until the link's folder is watched too: (Pictures, the link)."""
    root = tmp_path / "Pictures"
    photo(target / "a.jpg")
    root.mkdir()
    link = root / name
    os.symlink(target, link)
    assert watcher.watch(str(root))
    qtbot.waitUntil(lambda: watcher.links() == [str(link)], timeout=5000)
    return root, link
