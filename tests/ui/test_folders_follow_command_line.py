"""The window's watched folders follow `lookalike forget` and `lookalike index` run while it is
open: a folder forgotten leaves the list and is no longer watched; one removed in the app and
indexed again is taken in again. Folders that leave the library's list for other reasons stay
listed. Real MainWindow (offscreen), real SQLite, the tiny real model, the real command line in
a subprocess, real photos."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from photos import make_photo
from PySide6.QtCore import Qt, QTimer
from ui_helpers import wait_idle, wait_rows, window_on_nested_folders

from desktop_app import paths
from desktop_app.settings import Settings

FORGOTTEN = "forgotten by another Lookalike"


def command_line(*argv) -> None:
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress",
                           *map(str, argv)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def two_folders(qtbot, make_window, tmp_path):
    """A window watching `first` (chelsea, coffee) and `second` (rocket), all indexed."""
    first, second = tmp_path / "first", tmp_path / "second"
    make_photo(first / "chelsea.jpg", "chelsea", size=(200, 150))
    make_photo(first / "coffee.jpg", "coffee", size=(210, 150))
    make_photo(second / "rocket.jpg", "rocket", size=(150, 200))
    window = make_window()
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    window.add_folder(str(first))
    window.add_folder(str(second))
    wait_rows(qtbot, window, 3)
    wait_idle(qtbot, window)
    return window, first, second, said


def library_folders(window) -> list[str]:
    return [f.path for f in window.worker._library.folders()]


def test_a_folder_forgotten_on_the_command_line_leaves_the_list_and_is_no_longer_watched(
        qtbot, make_window, tmp_path):
    """It stayed listed and watched: each photo put there said "is not inside a library folder.
    Add its folder to the library first", and the next start added it back and indexed it."""
    window, first, second, said = two_folders(qtbot, make_window, tmp_path)
    command_line("forget", first)
    wait_rows(qtbot, window, 1, timeout=20000)
    qtbot.waitUntil(lambda: window.folders_panel.folders() == [str(second)], timeout=20000)
    assert str(first) not in window.watcher.watched()
    saved = Settings.load()
    assert saved.watched_folders == [str(second)]
    assert saved.removed_folders == []  # a removal the next start would run again
    told = (f"{first} was forgotten by another Lookalike (lookalike forget): no longer "
            "watched.")
    assert [m for m in said if FORGOTTEN in m] == [told], said
    make_photo(first / "astronaut.jpg", "astronaut", size=(160, 160))
    make_photo(second / "retina.jpg", "retina", size=(170, 170))
    wait_rows(qtbot, window, 2, timeout=20000)
    wait_idle(qtbot, window)
    qtbot.wait(1500)  # the watcher's burst for `first`, if it still reported one
    assert not [m for m in said if "not inside a library folder" in m], said
    assert library_folders(window) == [str(second)]
    assert window.photos_model.rowCount() == 2


def test_a_watched_folder_inside_a_forgotten_one_stays_and_is_indexed_again(qtbot, make_window,
                                                                          tmp_path):
    """The library had merged it into the folder forgotten, so its photos went with it; the
    user never removed it (a removal in the app keeps it too)."""
    root, inner = tmp_path / "photos", tmp_path / "photos" / "b"
    window = window_on_nested_folders(qtbot, make_window, root, inner)
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    command_line("forget", root)
    qtbot.waitUntil(lambda: window.folders_panel.folders() == [str(inner)], timeout=20000)
    qtbot.waitUntil(lambda: library_folders(window) == [str(inner)], timeout=20000)
    wait_rows(qtbot, window, 2, timeout=20000)
    wait_idle(qtbot, window)
    assert str(inner) in window.watcher.watched() and str(root) not in window.watcher.watched()
    told = (f"{root} was forgotten by another Lookalike (lookalike forget): no longer watched. "
            f"{inner}, watched inside, stays and is indexed again.")
    assert [m for m in said if FORGOTTEN in m] == [told], said
    make_photo(inner / "retina.jpg", "retina", size=(170, 170))  # still watched
    wait_rows(qtbot, window, 3, timeout=20000)


def test_a_folder_removed_in_the_app_then_indexed_on_the_command_line_is_watched_again(
        qtbot, make_window, tmp_path):
    """Its photos showed, but it was neither listed nor watched until the next start: the
    window still counted it as removed this session."""
    window, first, second, _said = two_folders(qtbot, make_window, tmp_path)
    window.remove_folder(str(first))
    wait_rows(qtbot, window, 1, timeout=20000)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: library_folders(window) == [str(second)], timeout=20000)
    command_line("index", first)
    wait_rows(qtbot, window, 3, timeout=20000)
    qtbot.waitUntil(lambda: str(first) in window.folders_panel.folders(), timeout=20000)
    qtbot.waitUntil(lambda: str(first) in window.watcher.watched(), timeout=10000)
    assert sorted(Settings.load().watched_folders) == sorted([str(first), str(second)])
    wait_idle(qtbot, window)
    make_photo(first / "astronaut.jpg", "astronaut", size=(160, 160))  # watched again
    wait_rows(qtbot, window, 4, timeout=20000)


def test_a_watched_folder_merged_into_one_indexed_around_it_stays(qtbot, make_window,
                                                                   tmp_path):
    """`lookalike index PARENT`: the library holds the watched folder inside as part of
    PARENT now, not as a folder of its own; it was not forgotten."""
    window, first, _second, said = two_folders(qtbot, make_window, tmp_path)
    make_photo(tmp_path / "top.jpg", "astronaut", size=(160, 160))
    command_line("index", tmp_path)
    wait_rows(qtbot, window, 4, timeout=20000)
    qtbot.waitUntil(lambda: str(tmp_path) in window.folders_panel.folders(), timeout=20000)
    wait_idle(qtbot, window)
    qtbot.wait(1000)
    assert str(first) not in library_folders(window)  # merged
    assert str(first) in window.folders_panel.folders()
    assert str(first) in Settings.load().watched_folders
    assert not [m for m in said if FORGOTTEN in m], said


def test_an_empty_folder_gone_from_the_disk_stays_listed(qtbot, make_window, tmp_path):
    """The library drops a folder gone from the disk with no photo left (here the command
    line's run does): a drive unplugged, a folder renamed; it is watched again when back."""
    window, _first, _second, said = two_folders(qtbot, make_window, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    window.add_folder(str(empty))
    qtbot.waitUntil(lambda: str(empty) in library_folders(window), timeout=20000)
    wait_idle(qtbot, window)
    empty.rmdir()
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(170, 170))
    command_line("index", other)
    qtbot.waitUntil(lambda: str(other) in window.folders_panel.folders(), timeout=20000)
    wait_idle(qtbot, window)
    assert str(empty) not in library_folders(window)
    assert str(empty) in window.folders_panel.folders()
    assert str(empty) in Settings.load().watched_folders
    assert not [m for m in said if FORGOTTEN in m], said


def test_a_folder_whose_first_indexing_waits_stays_listed(qtbot, make_window, tmp_path):
    """Added while indexing is paused, the library does not hold it yet when the command line's
    folder comes in."""
    window, _first, _second, said = two_folders(qtbot, make_window, tmp_path)
    window.toggle_pause()
    later = tmp_path / "later"
    make_photo(later / "astronaut.jpg", "astronaut", size=(160, 160))
    window.add_folder(str(later))
    qtbot.waitUntil(lambda: window.folders_panel.activity.text() == "Indexing paused.",
                    timeout=20000)
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(170, 170))
    command_line("index", other)
    qtbot.waitUntil(lambda: str(other) in window.folders_panel.folders(), timeout=20000)
    assert str(later) in window.folders_panel.folders()
    window.toggle_pause()
    wait_rows(qtbot, window, 5, timeout=20000)
    assert str(later) in library_folders(window)
    assert not [m for m in said if FORGOTTEN in m], said


def test_a_folder_removed_and_added_again_in_the_app_stays(qtbot, make_window, tmp_path):
    """Both queued behind a long job: the removal's list lacks the folder, and that is the
    app's own removal, not the command line's."""
    window, first, second, said = two_folders(qtbot, make_window, tmp_path)
    busy = threading.Event()
    QTimer.singleShot(0, window.worker, lambda: busy.wait(20))  # a long job on its thread
    window.remove_folder(str(first))
    window.add_folder(str(first))
    busy.set()
    qtbot.waitUntil(lambda: str(first) in library_folders(window), timeout=20000)
    wait_rows(qtbot, window, 3, timeout=20000)
    wait_idle(qtbot, window)
    qtbot.wait(1000)
    assert sorted(window.folders_panel.folders()) == sorted([str(first), str(second)])
    assert str(first) in window.watcher.watched()
    assert not [m for m in said if FORGOTTEN in m], said


def test_a_read_only_library_changes_no_folder_list(qtbot, make_window, tmp_path, monkeypatch):
    """Opened read-only (here: as a full disk leaves it), the window changes nothing: a folder
    another process forgot stays listed."""
    import sqlite3

    from desktop_app.core import store as store_module

    window, first, second, _said = two_folders(qtbot, make_window, tmp_path)
    window.close()
    database = paths.database_path()
    real_store = store_module.Store

    def full_disk(path=None, readonly=False):
        if not readonly:
            raise store_module.store_error(database, sqlite3.OperationalError(
                "database or disk is full"))
        return real_store(path, readonly=True)

    monkeypatch.setattr(store_module, "Store", full_disk)
    watched = [str(first), str(second)]
    window = make_window(watched_folders=watched)
    assert window._read_only_reason
    wait_rows(qtbot, window, 3)
    lists: list[list[str]] = []
    window.worker.folders_changed.connect(lambda folders: lists.append(
        [f.path for f in folders]), Qt.ConnectionType.DirectConnection)
    command_line("forget", first)
    wait_rows(qtbot, window, 1, timeout=20000)
    qtbot.waitUntil(lambda: [str(second)] in lists, timeout=20000)  # the window told it
    qtbot.wait(200)
    assert window.folders_panel.folders() == watched
    assert window.settings.watched_folders == watched
    assert os.path.isdir(first)


def test_an_empty_folder_dropped_while_unplugged_and_back_before_the_window_saw_it_stays(
        qtbot, make_window, tmp_path):
    """The app's own indexing drops an empty folder gone from the disk; the window sees the
    library's list only at its next change, when the drive may be plugged in again (here while
    paused, which holds back the add that its return queues): it was said forgotten by another
    Lookalike, left the list and was no longer watched, its add dropped with it."""
    window, _first, _second, said = two_folders(qtbot, make_window, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    window.add_folder(str(empty))
    qtbot.waitUntil(lambda: any(f"{empty}: nothing changed" in m for m in said), timeout=20000)
    wait_idle(qtbot, window)  # (indexed: not dropped by its own indexing, the window seeing it)
    empty.rmdir()  # its drive unplugged
    qtbot.waitUntil(lambda: any(f"{empty} is not available" in m for m in said), timeout=20000)
    third = tmp_path / "third"
    make_photo(third / "retina.jpg", "retina", size=(170, 170))
    window.add_folder(str(third))  # its indexing drops `empty`, after the add's list
    wait_rows(qtbot, window, 4, timeout=20000)
    wait_idle(qtbot, window)
    assert str(empty) not in library_folders(window)
    window.toggle_pause()
    empty.mkdir()  # plugged in again
    qtbot.waitUntil(lambda: any(f"{empty} is back" in m for m in said), timeout=20000)
    other = tmp_path / "other"
    make_photo(other / "astronaut.jpg", "astronaut", size=(160, 160))
    command_line("index", other)  # a list of the library's folders, without `empty`
    qtbot.waitUntil(lambda: str(other) in window.folders_panel.folders(), timeout=20000)
    assert str(empty) in window.folders_panel.folders()
    assert str(empty) in window.watcher.watched()
    assert not [m for m in said if FORGOTTEN in m], said
    window.toggle_pause()
    qtbot.waitUntil(lambda: str(empty) in library_folders(window), timeout=20000)
    assert str(empty) in Settings.load().watched_folders
