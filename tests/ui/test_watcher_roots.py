"""A watched folder's own watch starts off the GUI thread: a start walks the whole folder, adding
a system watch to each folder in it (a polled folder's first snapshot stats every file), and on
the GUI thread adding a folder of 20,000 folders, or opening the app with one, froze the window
for half a second (a network share's walk for far longer). Here a start is held (watchdog's
schedule waits for the test) to show watch() back and the GUI thread free meanwhile, and that a
folder unwatched, gone, gone again, or the watcher stopped while its start is in flight leaves
nothing behind and is said as before. The real FolderWatcher (inotify, polling) on real files,
offscreen Qt."""

from __future__ import annotations

import os
import threading
import time

import pytest
from PySide6.QtCore import QTimer
from ui_helpers import wait_idle, wait_rows
from watchdog.observers.api import BaseObserver
from watcher_reports import photo, reports

from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=200, recheck_s=0.1, poll_interval_s=0.2)
    yield w
    w.stop()


@pytest.fixture
def said(watcher):
    """Every path the watcher reported, as ("changed" | "removed", path), in order."""
    return reports(watcher)


def signals(watcher) -> list[tuple[str, str]]:
    """Every folder the watcher said unavailable or available from now on, in order."""
    events: list[tuple[str, str]] = []
    watcher.folder_unavailable.connect(lambda folder: events.append(("unavailable", folder)))
    watcher.folder_available.connect(lambda folder: events.append(("available", folder)))
    return events


class HeldStart:
    """watchdog's first schedule of `folder` (natively its real path, polled its name) from now
    on, on whatever thread makes it, held until `release()` (`hold_s` at most), `meanwhile` run
    as it is held; `held` ((start, end) of the hold) says when."""

    def __init__(self, monkeypatch, folder, meanwhile=None, hold_s: float = 3) -> None:
        paths = {str(folder), os.path.realpath(folder)}
        self.entered, self.released = threading.Event(), threading.Event()
        self.held: list[tuple[float, float]] = []
        schedule = BaseObserver.schedule  # the native observer's and the polling one's

        def held_schedule(observer, handler, path, **kwargs):
            if path in paths and not self.entered.is_set():
                began = time.monotonic()
                self.entered.set()
                if meanwhile is not None:
                    meanwhile()
                self.released.wait(timeout=hold_s)
                self.held.append((began, time.monotonic()))
            return schedule(observer, handler, path, **kwargs)

        monkeypatch.setattr(BaseObserver, "schedule", held_schedule)

    def release(self) -> None:
        self.released.set()


def watches_of(watcher, folder) -> int:
    """How many watches of `folder` the watcher's observers have."""
    paths = {str(folder), os.path.realpath(folder)}
    return sum(1 for observer in (watcher._native, watcher._polling) if observer is not None
               for emitter in observer.emitters if emitter.watch.path in paths)


@pytest.mark.parametrize("polling", [False, True], ids=["native", "polled"])
def test_the_gui_thread_runs_while_a_watched_folders_watch_starts(qtbot, tmp_path, watcher, said,
                                                                  monkeypatch, polling):
    root = tmp_path / "Pictures"
    photo(root / "a.jpg")
    start = HeldStart(monkeypatch, root)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    began = time.monotonic()
    assert watcher.watch(str(root), polling=polling)  # asked: its watch is starting
    assert time.monotonic() - began < 1
    assert watcher.watched() == []
    qtbot.waitUntil(start.entered.is_set, timeout=5000)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=5000)
    start.release()
    qtbot.waitUntil(lambda: watcher.watched() == [str(root)], timeout=5000)
    timer.stop()
    held_from, held_to = start.held[0]
    assert sum(held_from < t < held_to for t in ticks) >= 5  # the window's timers ran meanwhile
    # Started after watch() returned: checked whole (what changed meanwhile was not heard).
    qtbot.waitUntil(lambda: ("changed", str(root)) in said, timeout=5000)
    photo(root / "b.jpg")
    qtbot.waitUntil(lambda: ("changed", str(root / "b.jpg")) in said, timeout=5000)
    assert said == [("changed", str(root)), ("changed", str(root / "b.jpg"))]


def test_what_changes_before_a_watch_started_after_watch_returned_is_not_lost(
        qtbot, tmp_path, watcher, said, monkeypatch):
    """watch() waits 50 ms for its start; a slower one (a large folder, a busy machine) went
    on in the background, and a photo made meanwhile, in a folder its walk had not reached
    yet, was never heard: lost until the next start, as the window's own walk of the folder
    runs at once, on another thread, and may have passed that folder already."""
    root = tmp_path / "Pictures"
    photo(root / "a.jpg")
    start = HeldStart(monkeypatch, root)
    assert watcher.watch(str(root))  # returned: its watch is starting
    qtbot.waitUntil(start.entered.is_set, timeout=5000)
    photo(root / "meanwhile.jpg")  # no watch yet
    start.release()
    qtbot.waitUntil(lambda: watcher.watched() == [str(root)], timeout=5000)
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    qtbot.wait(400)
    assert said == [("changed", str(root))]  # checked whole, once its watch has started


def test_a_folder_unwatched_while_its_watch_starts_leaves_no_watch(qtbot, tmp_path, watcher, said,
                                                                    monkeypatch):
    root = tmp_path / "Pictures"
    photo(root / "a.jpg")
    start = HeldStart(monkeypatch, root)
    assert watcher.watch(str(root))
    qtbot.waitUntil(start.entered.is_set, timeout=5000)
    assert watcher.watched() == []  # its watch is starting
    watcher.unwatch(str(root))  # removed from the library
    start.release()
    qtbot.waitUntil(lambda: bool(start.held), timeout=5000)
    qtbot.waitUntil(lambda: watches_of(watcher, root) == 0, timeout=5000)
    assert watcher.watched() == []
    photo(root / "b.jpg")  # no longer anything of the library's
    qtbot.wait(600)
    assert said == []


def test_a_folder_gone_before_its_watch_starts_is_said_not_available_and_watched_when_back(
        qtbot, tmp_path, watcher, said, monkeypatch):
    """A start that found the folder gone (the drive unplugged as the app opened) said nothing,
    and the folder was never watched again, not even once back."""
    root, away = tmp_path / "Pictures", tmp_path / "unplugged"
    photo(root / "a.jpg")
    said_of = signals(watcher)
    HeldStart(monkeypatch, root, meanwhile=lambda: os.rename(root, away)).release()
    watcher.watch(str(root))
    qtbot.waitUntil(lambda: said_of == [("unavailable", str(root))], timeout=5000)
    assert watcher.unavailable() == [str(root)] and watcher.watched() == []
    os.rename(away, root)  # plugged in again
    qtbot.waitUntil(lambda: ("changed", str(root)) in said, timeout=5000)
    assert said_of == [("unavailable", str(root)), ("available", str(root))]
    assert watcher.watched() == [str(root)]
    photo(root / "b.jpg")
    qtbot.waitUntil(lambda: ("changed", str(root / "b.jpg")) in said, timeout=5000)


def test_a_folder_gone_again_before_its_watch_starts_is_waited_for_without_a_word(
        qtbot, tmp_path, watcher, said, monkeypatch):
    """Back, its watch starting, then away again: it was never said back, so it is not said
    gone a second time; it is said back once it is back and watched."""
    root, away = tmp_path / "Pictures", tmp_path / "unplugged"
    photo(root / "a.jpg")
    assert watcher.watch(str(root))
    said_of = signals(watcher)
    os.rename(root, away)
    qtbot.waitUntil(lambda: said_of == [("unavailable", str(root))], timeout=5000)
    start = HeldStart(monkeypatch, root, meanwhile=lambda: os.rename(root, away))
    os.rename(away, root)  # back, and away again as its watch starts
    qtbot.waitUntil(start.entered.is_set, timeout=5000)
    start.release()
    qtbot.waitUntil(lambda: bool(start.held), timeout=5000)
    qtbot.wait(500)  # the checker looked again, several times
    assert said_of == [("unavailable", str(root))]
    assert watcher.unavailable() == [str(root)] and said == []
    os.rename(away, root)
    qtbot.waitUntil(lambda: ("changed", str(root)) in said, timeout=5000)
    assert said_of == [("unavailable", str(root)), ("available", str(root))]
    photo(root / "b.jpg")
    qtbot.waitUntil(lambda: ("changed", str(root / "b.jpg")) in said, timeout=5000)


def test_stop_while_a_watched_folders_watch_starts_ends_every_thread(qtbot, tmp_path, monkeypatch):
    before = set(threading.enumerate())
    root = tmp_path / "Pictures"
    photo(root / "a.jpg")
    watcher = FolderWatcher(debounce_ms=200)
    start = HeldStart(monkeypatch, root)
    assert watcher.watch(str(root))
    qtbot.waitUntil(start.entered.is_set, timeout=5000)
    assert watcher.watched() == []  # its watch is starting
    releaser = threading.Timer(0.3, start.release)  # while stop() waits for that start
    releaser.start()
    watcher.stop()
    releaser.join()
    qtbot.waitUntil(lambda: set(threading.enumerate()) <= before, timeout=3000)


def test_a_folder_watched_by_two_names_keeps_its_watch_when_one_is_unwatched_as_the_other_starts(
        qtbot, tmp_path, watcher, said, monkeypatch):
    """One watch a folder (watchdog's): its two names share it, and it ends with the last."""
    real, link = tmp_path / "disk" / "Pictures", tmp_path / "Pictures"
    photo(real / "a.jpg")
    os.symlink(real, link)
    monkeypatch.setattr(watcher_module, "START_WAIT_S", 10)  # started when watch() returns
    assert watcher.watch(str(real))
    assert watcher.watched() == [str(real)]
    monkeypatch.setattr(watcher_module, "START_WAIT_S", 0)
    start = HeldStart(monkeypatch, link)  # the link's watch is of the real folder
    assert watcher.watch(str(link))
    qtbot.waitUntil(start.entered.is_set, timeout=5000)
    watcher.unwatch(str(real))  # its end waits for the other's start: the worker's jobs in order
    start.release()
    qtbot.waitUntil(lambda: watcher.watched() == [str(link)], timeout=5000)
    # Started after watch() returned: checked whole; the unwatched name's end done meanwhile.
    qtbot.waitUntil(lambda: said == [("changed", str(link))], timeout=5000)
    assert watches_of(watcher, real) == 1
    photo(real / "b.jpg")
    qtbot.waitUntil(lambda: len(said) > 1, timeout=5000)
    qtbot.wait(400)
    assert said == [("changed", str(link)), ("changed", str(link / "b.jpg"))]


def test_a_photo_made_as_an_added_folders_watch_starts_late_is_indexed(qtbot, make_window,
                                                                      library_photos,
                                                                      monkeypatch):
    """The window indexes a folder it adds at once, on the indexer's thread: that walk can end
    before the folder's watch has started (a large folder, a busy machine), and a photo made in
    between was found by neither, until the next start."""
    start = HeldStart(monkeypatch, library_photos, hold_s=60)
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)  # the window's walk of the folder: done, its watch not started
    assert not start.held
    photo(library_photos / "meanwhile.jpg")
    start.release()
    wait_rows(qtbot, window, 7, timeout=20000)
