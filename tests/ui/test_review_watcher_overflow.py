"""A watched folder of many folders: every walk of it (its watch's own start, the link finder's,
the indexer's) opened each folder, and the system sent four events a folder opened (watchdog
asked for IN_OPEN and IN_CLOSE_NOWRITE, which change nothing). 5,000 folders overflowed the
system's queue of 16,384 events, and watchdog's rebuild of its watches after an overflow, a
walk itself, overflowed it again, for good: events_lost, "More files changed at once than the
system could report", and the whole folder checked, several times a second. Found in review of
88b322c. The real FolderWatcher (inotify) and the library's walk on real folders, offscreen
Qt."""

from __future__ import annotations

import os

from desktop_app.core.scan import scan_folder
from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module


def test_walking_a_watched_tree_of_many_folders_loses_no_events(qtbot, tmp_path, monkeypatch):
    root = tmp_path / "Pictures"
    for year in range(80):
        for album in range(100):
            os.makedirs(root / f"{year}" / f"{album}")
    # watch() returns once the watch has started: one that outlasts its wait (8,000 folders'
    # does) is reported changed whole once started, not what is looked at here.
    monkeypatch.setattr(watcher_module, "START_WAIT_S", 10)
    watcher = FolderWatcher(debounce_ms=100)
    lost, changed = [], []
    watcher.events_lost.connect(lost.append)
    watcher.paths_changed.connect(changed.append)
    try:
        assert watcher.watch(str(root))
        qtbot.wait(1500)
        assert scan_folder(root).files == []  # the indexer's walk of it
        qtbot.wait(1500)
        assert lost == []
        assert changed == []
    finally:
        watcher.stop()
