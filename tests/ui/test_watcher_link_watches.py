"""The watch of a folder link's folder starts off the GUI thread: a start walks the whole folder,
adding a system watch to each folder in it, and on the GUI thread a link made to a 20,000-folder
tree froze the window for 0.4-0.6 s (a network drive's walk for much longer). Here a start is
held (the observer's schedule waits for the test) to show the GUI thread free meanwhile, and
that a link let go, a folder watched itself, or the watcher stopped while a start is in flight
leaves nothing behind. The real FolderWatcher (inotify) on real files, offscreen Qt."""

from __future__ import annotations

import errno
import os
import threading
import time

import pytest
from PySide6.QtCore import QTimer
from watched_links import watch_folder_holding_link
from watcher_reports import photo, reports

from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module

pytestmark = pytest.mark.usefixtures("watch_returns_started")


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=200, recheck_s=0.2)
    yield w
    w.stop()


@pytest.fixture
def said(watcher):
    """Every path the watcher reported, as ("changed" | "removed", path), in order."""
    return reports(watcher)


class HeldStart:
    """The native observer's schedule of `folder` held until `release()` (3 s at most):
    `started_at` and `held` ((start, end) of the hold) say when."""

    def __init__(self, watcher, folder) -> None:
        self.real = os.path.realpath(folder)
        self.entered, self.released = threading.Event(), threading.Event()
        self.started_at = 0.0
        self.held: list[tuple[float, float]] = []
        observer = watcher._native
        schedule = observer.schedule

        def held_schedule(handler, path, **kwargs):
            if path == self.real:
                self.started_at = time.monotonic()
                self.entered.set()
                self.released.wait(timeout=3)
                self.held.append((self.started_at, time.monotonic()))
            return schedule(handler, path, **kwargs)

        observer.schedule = held_schedule

    def release(self) -> None:
        self.released.set()


def watches_of(watcher, folder) -> int:
    """How many of the native observer's watches watch `folder`."""
    real = os.path.realpath(folder)
    return sum(1 for emitter in watcher._native.emitters if emitter.watch.path == real)


def test_the_gui_thread_runs_while_a_links_folder_watch_starts(qtbot, tmp_path, watcher, said):
    root, trip = tmp_path / "Pictures", tmp_path / "disk" / "trip"
    photo(trip / "a.jpg")
    root.mkdir()
    assert watcher.watch(str(root))
    start = HeldStart(watcher, trip)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    link = root / "trip"
    os.symlink(trip, link)
    qtbot.waitUntil(start.entered.is_set, timeout=5000)
    qtbot.waitUntil(lambda: sum(t > start.started_at for t in ticks) >= 5, timeout=5000)
    start.release()
    qtbot.waitUntil(lambda: watcher.links() == [str(link)], timeout=5000)
    timer.stop()
    began, ended = start.held[0]
    assert sum(began < t < ended for t in ticks) >= 5  # the window's timers ran meanwhile
    qtbot.waitUntil(lambda: said == [("changed", str(link))], timeout=5000)
    photo(trip / "b.jpg")
    qtbot.waitUntil(lambda: said[1:] == [("changed", str(link / "b.jpg"))], timeout=5000)


def test_a_link_deleted_while_its_folders_watch_starts_leaves_no_watch(qtbot, tmp_path, watcher,
                                                                      said):
    root, trip = tmp_path / "Pictures", tmp_path / "disk" / "trip"
    photo(trip / "a.jpg")
    root.mkdir()
    assert watcher.watch(str(root))
    start = HeldStart(watcher, trip)
    link = root / "trip"
    os.symlink(trip, link)
    qtbot.waitUntil(start.entered.is_set, timeout=5000)
    qtbot.waitUntil(lambda: said == [("changed", str(link))], timeout=5000)
    link.unlink()
    qtbot.waitUntil(lambda: said[1:] == [("removed", str(link))], timeout=5000)
    start.release()
    qtbot.waitUntil(lambda: bool(start.held), timeout=5000)
    qtbot.waitUntil(lambda: watches_of(watcher, trip) == 0, timeout=5000)
    assert watcher.links() == []
    photo(trip / "b.jpg")  # no longer anything of the library's
    qtbot.wait(600)
    assert said == [("changed", str(link)), ("removed", str(link))]


def test_a_link_found_again_keeps_its_folders_watch(qtbot, tmp_path, watcher, said):
    """A link made again to the same folder (`ln -sfn`) is looked at again: its watch was ended
    and another started, on the worker since, and what changed in between was lost (and the
    folder walked again)."""
    trip = tmp_path / "disk" / "trip"
    root, link = watch_folder_holding_link(qtbot, watcher, tmp_path, trip, "trip")
    start = HeldStart(watcher, trip)
    os.symlink(trip, root / ".trip.new")
    os.replace(root / ".trip.new", link)
    qtbot.waitUntil(lambda: said == [("changed", str(link))], timeout=5000)
    photo(trip / "b.jpg")
    qtbot.waitUntil(lambda: said[1:] == [("changed", str(link / "b.jpg"))], timeout=5000)
    assert not start.entered.is_set()
    assert watcher.links() == [str(link)]


def test_a_links_folder_watched_itself_is_watched_once_by_its_own_name(qtbot, tmp_path, watcher,
                                                                      said, monkeypatch):
    """The folder's own watch starts on the worker after the link's has ended (the jobs run in
    order: a watch of the same folder would share the link's, dead if the folder was made
    again), and until then the link's says nothing (the folder's photos have one name)."""
    drive = tmp_path / "Drive"
    root, link = watch_folder_holding_link(qtbot, watcher, tmp_path, drive, "drive")
    busy, done = threading.Event(), threading.Event()
    find = watcher_module.find_folder_links

    def busy_walk(top, *args, **kwargs):  # keeps the worker busy: the link's end waits
        if top == str(root / "new"):
            busy.set()
            done.wait(timeout=3)
        return find(top, *args, **kwargs)

    monkeypatch.setattr(watcher_module, "find_folder_links", busy_walk)
    (tmp_path / "other").mkdir()
    os.symlink(tmp_path / "other", root / "new")
    qtbot.waitUntil(busy.is_set, timeout=5000)
    monkeypatch.setattr(watcher_module, "START_WAIT_S", 0)  # watch() returns as it starts
    assert watcher.watch(str(drive))  # its start waits for the worker
    assert watcher.links() == [] and watcher.watched() == [str(root)]
    photo(drive / "b.jpg")  # heard by the link's watch, not ended yet: not by its name
    qtbot.wait(400)
    done.set()
    qtbot.waitUntil(lambda: watcher.links() == [str(root / "new")], timeout=5000)
    qtbot.waitUntil(lambda: watcher.watched() == sorted([str(root), str(drive)]), timeout=5000)
    assert watches_of(watcher, drive) == 1
    # Started after watch() returned: checked whole (b.jpg, heard by no name, with it).
    qtbot.waitUntil(lambda: ("changed", str(drive)) in said, timeout=5000)
    photo(drive / "c.jpg")
    qtbot.waitUntil(lambda: ("changed", str(drive / "c.jpg")) in said, timeout=5000)
    qtbot.wait(400)
    assert ("changed", str(link / "b.jpg")) not in said
    assert [entry for entry in said if entry[1] != str(root / "new")
            ] == [("changed", str(drive)), ("changed", str(drive / "c.jpg"))]


def test_links_found_through_a_link_whose_folder_cannot_be_watched_are_not_followed(
        qtbot, tmp_path, watcher, said):
    root, trip, more = tmp_path / "Pictures", tmp_path / "disk" / "trip", tmp_path / "more"
    photo(trip / "a.jpg")
    photo(more / "m.jpg")
    root.mkdir()
    os.symlink(trip, root / "trip")
    os.symlink(more, trip / "more")
    unwatchable = []
    watcher.folder_unwatchable.connect(lambda folder, cause: unwatchable.append(folder))
    assert watcher.watch(str(root))
    observer = watcher._native
    schedule = observer.schedule

    def trip_over_the_limit(handler, path, **kwargs):  # the system's limit reached there
        if path == os.path.realpath(trip):
            raise OSError(errno.ENOSPC, "inotify watch limit reached")
        return schedule(handler, path, **kwargs)

    observer.schedule = trip_over_the_limit  # the links' folders are watched after watch()
    qtbot.waitUntil(lambda: unwatchable == [str(root / "trip")], timeout=5000)
    qtbot.waitUntil(lambda: watches_of(watcher, more) == 0, timeout=5000)
    assert watcher.links() == []
    photo(more / "n.jpg")
    qtbot.wait(600)
    assert said == []


def test_stop_while_a_links_folder_watch_starts_ends_every_thread(qtbot, tmp_path, watcher):
    before = set(threading.enumerate())
    root, disk = tmp_path / "Pictures", tmp_path / "disk"
    root.mkdir()
    for n in range(3):
        (disk / f"t{n}").mkdir(parents=True)
        os.symlink(disk / f"t{n}", root / f"t{n}")
    assert watcher.watch(str(root))
    start = HeldStart(watcher, disk / "t1")
    qtbot.waitUntil(start.entered.is_set, timeout=5000)
    releaser = threading.Timer(0.3, start.release)  # while stop() waits for that start
    releaser.start()
    watcher.stop()
    releaser.join()
    qtbot.waitUntil(lambda: set(threading.enumerate()) <= before, timeout=3000)
