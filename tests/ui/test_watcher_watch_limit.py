"""Past the system's limit of watches (fs.inotify.max_user_watches) watchdog refuses only when
the watched folder itself gets no watch; every folder below it, and every folder made in it
later, that the system refuses a watch is skipped without a word (watchdog 7.1's
InotifyWatchGroup._add_callback swallows the error). A large library's folders past the limit
went unwatched silently: their changes were not seen until the next start. That is said now,
once a watched folder, as the whole folder's case is, with the same remedy.

No test can lower the real limit: it is the whole system's (no user namespace or prlimit
changes it), and filling it (192,530 watches on the test machine) would take every other
program of the user's its watches. So the limit is faked at its one edge, the add_watch
system call (as watchdog and the watcher make it): once the room given is used, a new watch is
refused with ENOSPC, as the system refuses it. The rest is real: the FolderWatcher, watchdog,
inotify, the folders, and the window."""

from __future__ import annotations

import ctypes
import errno
import os
import threading

import pytest
from ui_helpers import wait_rows
from watchdog.observers import inotify_c
from watched_links import watch_folder_holding_link
from watcher_reports import photo, reports

from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module

pytestmark = pytest.mark.usefixtures("watch_returns_started")

REMEDY = "fs.inotify.max_user_watches"


class WatchRoom:
    """Room for `room` more system watches (settable), then ENOSPC: inotify_add_watch as the
    system does it past its limit. A watch removed gives its room back; the same folder added
    again to one inotify instance is the same watch (no room taken)."""

    def __init__(self, monkeypatch, room: int) -> None:
        self.room = room
        self._lock = threading.Lock()
        self._made: set[tuple[int, int]] = set()  # (inotify instance, watch) made meanwhile
        add, remove = inotify_c.inotify_add_watch, inotify_c.inotify_rm_watch

        def add_watch(fd, path, mask):
            wd = add(fd, path, mask)
            if wd == -1:
                return wd
            with self._lock:
                if (fd, wd) in self._made:
                    return wd
                if self.room <= 0:
                    remove(fd, wd)
                    ctypes.set_errno(errno.ENOSPC)  # read by the caller, as the system's
                    return -1
                self.room -= 1
                self._made.add((fd, wd))
            return wd

        def rm_watch(fd, wd):
            with self._lock:
                if (fd, wd) in self._made:
                    self._made.discard((fd, wd))
                    self.room += 1
            return remove(fd, wd)

        monkeypatch.setattr(inotify_c, "inotify_add_watch", add_watch)
        monkeypatch.setattr(inotify_c, "inotify_rm_watch", rm_watch)


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=200, recheck_s=0.2)
    yield w
    w.stop()


def unwatchable(watcher) -> tuple[list, list]:
    """(folder_unwatchable's, folder_partly_unwatchable's) (folder, cause) from now on."""
    whole: list[tuple[str, str]] = []
    part: list[tuple[str, str]] = []
    watcher.folder_unwatchable.connect(lambda folder, cause: whole.append((folder, cause)))
    watcher.folder_partly_unwatchable.connect(lambda folder, cause: part.append((folder, cause)))
    return whole, part


def tree(root) -> None:
    """`root` holding three folders of one folder each: seven folders in all."""
    for name in ("a", "b", "c"):
        (root / name / "x").mkdir(parents=True)


def test_a_watched_folder_past_the_limit_in_part_is_said_once(qtbot, tmp_path, watcher,
                                                              monkeypatch):
    root = tmp_path / "Pictures"
    tree(root)
    WatchRoom(monkeypatch, 2)  # the folder itself and the first of a, b, c; none of the x's
    whole, part = unwatchable(watcher)
    said = reports(watcher)
    assert watcher.watch(str(root))
    qtbot.waitUntil(lambda: bool(part), timeout=5000)
    assert part == [(str(root), part[0][1])] and REMEDY in part[0][1]
    assert whole == []
    photo(root / "c" / "x" / "lost.jpg")  # no watch there: not seen (the case said)
    photo(root / "seen.jpg")
    (root / "d").mkdir()  # a folder made later, past the limit too: said already
    qtbot.waitUntil(lambda: ("changed", str(root / "seen.jpg")) in said, timeout=5000)
    qtbot.wait(400)
    assert ("changed", str(root / "c" / "x" / "lost.jpg")) not in said
    assert watcher.watch(str(root))  # the window watches every folder again at times
    qtbot.wait(400)
    assert len(part) == 1 and whole == []


def test_folders_made_in_a_watched_folder_past_the_limit_are_said_once(qtbot, tmp_path, watcher,
                                                                        monkeypatch):
    root = tmp_path / "Pictures"
    tree(root)
    room = WatchRoom(monkeypatch, 100)
    whole, part = unwatchable(watcher)
    assert watcher.watch(str(root))
    qtbot.waitUntil(lambda: watcher.watched() == [str(root)], timeout=5000)
    (root / "before").mkdir()  # room left: watched, nothing said
    qtbot.wait(400)
    assert part == []
    room.room = 0  # other programs took the rest meanwhile
    (root / "new").mkdir()
    qtbot.waitUntil(lambda: bool(part), timeout=5000)
    (root / "newer").mkdir()
    qtbot.wait(400)
    assert part == [(str(root), part[0][1])] and REMEDY in part[0][1]
    assert whole == []


def test_a_links_folder_past_the_limit_in_part_is_said(qtbot, tmp_path, watcher, monkeypatch):
    trip = tmp_path / "disk" / "trip"
    tree(trip)
    WatchRoom(monkeypatch, 3)  # the watched folder; the link's folder and one of its seven
    whole, part = unwatchable(watcher)
    _root, link = watch_folder_holding_link(qtbot, watcher, tmp_path, trip, "trip")
    qtbot.waitUntil(lambda: bool(part), timeout=5000)
    qtbot.wait(400)
    assert part == [(str(link), part[0][1])] and REMEDY in part[0][1]
    assert whole == []


def test_nothing_is_said_while_the_limit_is_not_reached(qtbot, tmp_path, watcher):
    """The system's own limit, not faked: far from reached here."""
    trip = tmp_path / "disk" / "trip"
    tree(trip)
    whole, part = unwatchable(watcher)
    root, _link = watch_folder_holding_link(qtbot, watcher, tmp_path, trip, "trip")
    tree(root / "album")
    (trip / "new").mkdir()
    said = reports(watcher)
    photo(root / "album" / "a" / "x" / "new.jpg")
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    qtbot.wait(400)
    assert whole == [] and part == []


def test_the_window_says_a_folder_is_watched_only_in_part(qtbot, make_window, library_photos,
                                                          monkeypatch):
    os.makedirs(library_photos / "2024" / "trip")
    WatchRoom(monkeypatch, 2)  # the folder and 2024; not trip
    window = make_window()
    said = []
    window.statusBar().messageChanged.connect(said.append)
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    assert [m for m in said if m.startswith("Some folders in")] == [(
        f"Some folders in {library_photos} cannot be watched for changes: the system's limit "
        "of watched folders is reached (Linux: raise fs.inotify.max_user_watches, e.g. to "
        "524288, in /etc/sysctl.d/). Their photos are indexed and searched; what changes in "
        "them while Lookalike runs is found at the next start.")]


def test_the_limit_is_looked_at_once_for_a_batch_of_folders_made(qtbot, tmp_path, watcher,
                                                                  monkeypatch):
    """Each folder made in a watched folder had the system asked whether its limit of watches
    was reached (a watch added and removed, on watchdog's thread): 10,000 folders made at once,
    an archive unpacked, held that thread two seconds. Once for the batch now."""
    looked_at = []
    probe = watcher_module.watch_limit_reached

    def counted(folder):
        looked_at.append(folder)
        return probe(folder)

    monkeypatch.setattr(watcher_module, "watch_limit_reached", counted)
    root = tmp_path / "Pictures"
    root.mkdir()
    assert watcher.watch(str(root))
    looked_at.clear()  # its start's own look
    said = reports(watcher)
    for i in range(50):
        (root / f"album{i:02d}").mkdir()
    qtbot.waitUntil(lambda: len(said) == 50, timeout=5000)
    qtbot.waitUntil(lambda: bool(looked_at), timeout=5000)
    qtbot.wait(400)
    assert looked_at == [str(root)]
