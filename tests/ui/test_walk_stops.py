"""Adding a huge folder (the home folder, /) by mistake: its walk, before any photo is read, took
minutes and could not be paused, the folder's removal waited for it, and quitting hung until it
was done. Real MainWindow (offscreen), real SQLite, the tiny real model, real photos; the walk
is made endless (it goes on until it is asked to stop) so no test depends on timing."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import closing

from photos import make_photo
from PySide6.QtCore import QCoreApplication
from ui_helpers import wait_idle, wait_rows

from desktop_app import paths
from desktop_app.core import library
from desktop_app.settings import Settings
from desktop_app.ui.folders_panel import LOOKING, LOOKING_PAUSED

HOLD_AT_MOST_S = 30  # a walk never asked to stop (the defect) ends, so a failing test ends too


class EndlessWalk:
    """scan_folder, but the walk of `root` asks should_stop again and again (a folder too big to
    walk in a test's time) until it is told to stop, or `endless` is cleared. `walks`: what
    each walk of `root` returned."""

    def __init__(self, monkeypatch, root) -> None:
        self.root = os.path.realpath(root)
        self.walking = threading.Event()
        self.endless = True
        self.walks: list = []
        scan_folder = library.scan_folder

        def walk(folder, *args, **kwargs):
            ours = os.path.realpath(folder) == self.root
            should_stop = kwargs.get("should_stop")
            if ours and should_stop is not None:
                kwargs["should_stop"] = lambda: self._hold(should_stop)
            result = scan_folder(folder, *args, **kwargs)
            if ours:
                self.walks.append(result)
            return result

        monkeypatch.setattr(library, "scan_folder", walk)

    def _hold(self, should_stop) -> bool:
        self.walking.set()
        give_up = time.monotonic() + HOLD_AT_MOST_S
        while self.endless and not should_stop():
            if time.monotonic() > give_up:
                self.endless = False  # never asked to stop: the walk ends after all
            time.sleep(0.01)
        return should_stop()


def home_folder(tmp_path, count: int = 20):
    """A folder of `count` subfolders with a real photo each."""
    home = tmp_path / "home"
    data = make_photo(tmp_path / "one.jpg", "coffee", size=(120, 90)).read_bytes()
    for i in range(count):
        (home / f"d{i:02d}").mkdir(parents=True)
        (home / f"d{i:02d}" / "coffee.jpg").write_bytes(data)
    return home


def library_folders() -> list[str]:
    with closing(sqlite3.connect(paths.database_path())) as conn:
        return sorted(os.fsdecode(p) for (p,) in conn.execute("SELECT path FROM folders"))


def wait_folders(qtbot, expected: list[str]) -> None:
    """The library's folders become `expected`. Not wait_idle: a folder's removal is queued
    behind the job it stopped, and the worker says it is idle as that job's queue empties,
    before the removal (which says nothing of its own) has run."""
    qtbot.waitUntil(lambda: library_folders() == expected, timeout=20000)


def photo_count() -> int:
    with closing(sqlite3.connect(paths.database_path())) as conn:
        return conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]


def test_pausing_during_the_walk_stops_it_and_resume_walks_again(qtbot, make_window, tmp_path,
                                                                 monkeypatch):
    home = home_folder(tmp_path)
    walk = EndlessWalk(monkeypatch, home)
    window = make_window()
    panel = window.folders_panel
    window.add_folder(str(home))
    qtbot.waitUntil(walk.walking.is_set, timeout=20000)
    qtbot.waitUntil(lambda: panel.progress_label.text() == LOOKING, timeout=20000)
    window.toggle_pause()
    qtbot.waitUntil(lambda: bool(walk.walks), timeout=(HOLD_AT_MOST_S + 10) * 1000)
    assert walk.walks[0].stopped  # it ended because it was asked to
    qtbot.waitUntil(lambda: panel.activity.text() == "Indexing paused.", timeout=20000)
    # Not a busy bar over "Looking for photos…": nothing is looked for while paused.
    assert panel.progress_label.text() == LOOKING_PAUSED
    assert panel.progress.maximum() == 1
    assert photo_count() == 0 and library_folders() == [str(home)]
    walk.endless = False
    window.toggle_pause()  # Resume: the folder is walked again, to the end
    wait_rows(qtbot, window, 20)
    wait_idle(qtbot, window)
    assert len(walk.walks) == 2 and not walk.walks[1].stopped
    assert photo_count() == 20


def test_removing_a_folder_during_its_walk_stops_the_walk(qtbot, make_window, tmp_path,
                                                         monkeypatch):
    home = home_folder(tmp_path)
    walk = EndlessWalk(monkeypatch, home)
    window = make_window()
    window.add_folder(str(home))
    qtbot.waitUntil(walk.walking.is_set, timeout=20000)
    window.remove_folder(str(home))
    qtbot.waitUntil(lambda: bool(walk.walks), timeout=(HOLD_AT_MOST_S + 10) * 1000)
    assert walk.walks[0].stopped
    wait_folders(qtbot, [])
    wait_idle(qtbot, window)
    assert photo_count() == 0
    assert not window.worker.is_paused()


def test_removing_a_folder_during_the_start_check_walks_keeps_the_others(qtbot, make_window,
                                                                        tmp_path, monkeypatch,
                                                                        library_photos):
    """At start all folders are checked in one job: removing the huge one stopped nothing, and
    while its walk ran the panel showed the folder before's "6 of 6 photos · 0 s left"."""
    home = home_folder(tmp_path)
    walk = EndlessWalk(monkeypatch, home)
    window = make_window(watched_folders=[str(library_photos), str(home)])
    panel = window.folders_panel
    qtbot.waitUntil(walk.walking.is_set, timeout=60000)  # the other folder is indexed first
    QCoreApplication.sendPostedEvents()  # all the worker said so far is shown
    assert panel.progress_label.text() == LOOKING and panel.progress.maximum() == 0
    window.remove_folder(str(home))
    qtbot.waitUntil(lambda: bool(walk.walks), timeout=(HOLD_AT_MOST_S + 10) * 1000)
    assert walk.walks[0].stopped
    wait_rows(qtbot, window, 6)  # the other folder's photos, checked again to the end
    wait_folders(qtbot, [str(library_photos)])
    wait_idle(qtbot, window)
    assert photo_count() == 6
    assert window.settings.watched_folders == [str(library_photos)]  # not taken back
    assert not window.worker.is_paused()


def test_quitting_during_the_walk_stops_it_and_the_next_start_indexes_it(
        qtbot, make_window, tmp_path, monkeypatch):
    home = home_folder(tmp_path)
    walk = EndlessWalk(monkeypatch, home)
    window = make_window()
    window.add_folder(str(home))
    qtbot.waitUntil(walk.walking.is_set, timeout=20000)
    window.close()  # waits for the indexer to stop
    assert walk.walks and walk.walks[0].stopped
    assert not window.thread_.isRunning()
    assert photo_count() == 0 and library_folders() == [str(home)]
    walk.endless = False
    again = make_window(watched_folders=Settings.load().watched_folders)
    wait_rows(qtbot, again, 20)
    wait_idle(qtbot, again)
    assert photo_count() == 20


def test_removing_another_folder_during_the_start_check_lets_the_walk_go_on(
        qtbot, make_window, tmp_path, monkeypatch, library_photos):
    """Removing any folder of the start check stopped the walk under way, whichever folder it
    was: the huge folder's walk began again from the start (and the removal, which arrives
    behind the job, still waited for all of it)."""
    home = home_folder(tmp_path)
    walk = EndlessWalk(monkeypatch, home)
    window = make_window(watched_folders=[str(home), str(library_photos)])
    qtbot.waitUntil(walk.walking.is_set, timeout=60000)
    window.remove_folder(str(library_photos))  # not reached yet: it is skipped, not indexed
    qtbot.wait(1000)  # the stop came within 10 ms (EndlessWalk asks every 10 ms)
    assert not walk.walks  # still walking
    walk.endless = False
    wait_rows(qtbot, window, 20)
    wait_folders(qtbot, [str(home)])
    wait_idle(qtbot, window)
    assert len(walk.walks) == 1 and not walk.walks[0].stopped
    assert photo_count() == 20
