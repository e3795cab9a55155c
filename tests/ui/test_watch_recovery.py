"""A watched folder that goes away (drive unplugged, folder moved or deleted) or is missing at
start: its photos are kept, and it is watched again, and reconciled, once it is back. Real
folders, the real watcher (inotify), and the real window and library for the end-to-end case."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from photos import make_photo
from ui_helpers import wait_idle, wait_rows

from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=100)
    w.recheck_s = 0.1  # look for folders gone or back every 0.1 s (3 s in the app)
    yield w
    w.stop()


def recorder(watcher: FolderWatcher) -> list[tuple]:
    events: list[tuple] = []
    for name in ("paths_changed", "paths_removed", "folder_unavailable", "folder_available"):
        if hasattr(watcher, name):
            getattr(watcher, name).connect(lambda arg, name=name: events.append((name, arg)))
    return events


def test_a_folder_moved_away_and_brought_back_is_watched_again(qtbot, tmp_path, watcher):
    root = tmp_path / "photos"
    make_photo(root / "a.jpg", "coffee", size=(32, 32))
    assert watcher.watch(str(root))
    events = recorder(watcher)
    away = tmp_path / "away"
    os.rename(root, away)  # as a drive unplugged: the path is gone, nothing is deleted
    qtbot.waitUntil(lambda: ("folder_unavailable", str(root)) in events, timeout=5000)
    assert watcher.watched() == [] and watcher.unavailable() == [str(root)]
    make_photo(away / "while-away.jpg", "rocket", size=(32, 32))
    shutil.copytree(away, root)  # plugged in again: the same photos, in a folder new to inotify
    qtbot.waitUntil(lambda: ("paths_changed", [str(root)]) in events, timeout=5000)
    assert ("folder_available", str(root)) in events
    assert watcher.watched() == [str(root)] and watcher.unavailable() == []
    make_photo(root / "later.jpg", "chelsea", size=(32, 32))
    qtbot.waitUntil(lambda: ("paths_changed", [str(root / "later.jpg")]) in events,
                    timeout=5000)
    assert not [e for e in events if e[0] == "paths_removed"]  # its photos were kept


def test_a_folder_missing_at_start_is_watched_once_it_appears(qtbot, tmp_path, watcher):
    root = tmp_path / "drive" / "photos"
    events = recorder(watcher)
    assert not watcher.watch(str(root))
    assert events == [("folder_unavailable", str(root))]
    assert watcher.watched() == [] and watcher.unavailable() == [str(root)]
    assert not watcher.watch(str(root))  # asked again: still waiting, said once
    make_photo(root / "first.jpg", "coffee", size=(32, 32))
    qtbot.waitUntil(lambda: ("paths_changed", [str(root)]) in events, timeout=5000)
    assert events[1] == ("folder_available", str(root))
    make_photo(root / "second.jpg", "chelsea", size=(32, 32))
    qtbot.waitUntil(lambda: ("paths_changed", [str(root / "second.jpg")]) in events,
                    timeout=5000)


def test_a_deleted_folder_reports_nothing_removed_and_is_watched_when_made_again(
        qtbot, tmp_path, watcher):
    root = tmp_path / "photos"
    make_photo(root / "a.jpg", "coffee", size=(32, 32))
    make_photo(root / "album" / "b.jpg", "rocket", size=(32, 32))
    assert watcher.watch(str(root))
    events = recorder(watcher)
    shutil.rmtree(root)
    qtbot.waitUntil(lambda: ("folder_unavailable", str(root)) in events, timeout=5000)
    qtbot.wait(400)  # past the debounce: the deletions under it are not reported
    assert [e[0] for e in events] == ["folder_unavailable"]
    make_photo(root / "c.jpg", "chelsea", size=(32, 32))
    qtbot.waitUntil(lambda: ("paths_changed", [str(root)]) in events, timeout=5000)
    assert watcher.watched() == [str(root)]


def test_unwatching_a_missing_folder_stops_waiting_for_it(qtbot, tmp_path, watcher):
    root = tmp_path / "gone"
    watcher.watch(str(root))
    watcher.unwatch(str(root))
    assert watcher.unavailable() == []
    events = recorder(watcher)
    root.mkdir()
    qtbot.wait(400)
    assert events == [] and watcher.watched() == []


def _mount_tmpfs(path) -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(path)],
                          capture_output=True, check=False).returncode == 0


def test_a_drive_unmounted_and_mounted_again_is_watched_again(qtbot, tmp_path):
    """A real mount: the watched folder is the drive's mount point, which stays behind as an
    empty folder once unmounted. Seen through the mount table at once, not by the slow
    periodic check (recheck_s is far longer than the waits)."""
    drive = tmp_path / "drive"
    drive.mkdir()
    if not _mount_tmpfs(drive):
        pytest.skip("needs root to mount a tmpfs")
    w = FolderWatcher(debounce_ms=100)
    w.recheck_s = 60
    try:
        make_photo(drive / "a.jpg", "coffee", size=(32, 32))
        assert w.watch(str(drive))
        events = recorder(w)
        subprocess.run(["umount", str(drive)], check=True)
        qtbot.waitUntil(lambda: ("folder_unavailable", str(drive)) in events, timeout=5000)
        assert drive.is_dir() and w.watched() == []
        assert _mount_tmpfs(drive)
        qtbot.waitUntil(lambda: ("paths_changed", [str(drive)]) in events, timeout=5000)
        make_photo(drive / "new.jpg", "chelsea", size=(32, 32))
        qtbot.waitUntil(lambda: ("paths_changed", [str(drive / "new.jpg")]) in events,
                        timeout=5000)
        assert not [e for e in events if e[0] == "paths_removed"]
    finally:
        w.stop()
        while os.path.ismount(drive):
            subprocess.run(["umount", str(drive)], capture_output=True, check=True)


def test_the_window_keeps_the_photos_of_a_folder_away_and_indexes_it_when_back(
        qtbot, make_window, library_photos, tmp_path, monkeypatch):
    monkeypatch.setattr(watcher_module, "RECHECK_S", 0.2, raising=False)
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    away = tmp_path / "unplugged"
    os.rename(library_photos, away)
    qtbot.waitUntil(lambda: getattr(window.watcher, "unavailable", list)() == [str(library_photos)],
                    timeout=5000)
    qtbot.waitUntil(lambda: "is not available" in window.statusBar().currentMessage(),
                    timeout=5000)
    assert str(library_photos) in window.statusBar().currentMessage()
    assert "photos are kept" in window.statusBar().currentMessage()
    make_photo(away / "added-elsewhere.jpg", "retina", size=(200, 150))
    shutil.copytree(away, library_photos)  # plugged in again, one photo more
    wait_rows(qtbot, window, 7, timeout=20000)
    wait_idle(qtbot, window)
    paths = {window.photos_model.photo_at(r).path for r in range(7)}
    assert str(library_photos / "added-elsewhere.jpg") in paths
    make_photo(library_photos / "after.jpg", "cat", size=(200, 150))
    wait_rows(qtbot, window, 8, timeout=20000)
