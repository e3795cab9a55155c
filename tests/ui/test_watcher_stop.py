"""FolderWatcher's end: stop() while a watch is still starting, and a watcher deleted unstopped."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from photos import make_photo

from desktop_app.watch import FolderWatcher
from desktop_app.watch.folder_links import LinksOnce


def test_stop_does_not_wait_for_a_watch_still_starting(qtbot, tmp_path, monkeypatch):
    """Quitting hung while a polled network folder's first listing did: stop() waited for the
    start on the worker (it held the watch lock), and the app's window never closed. stop()
    returns at once; the start, done later, ends its own watch and reports nothing."""
    share = tmp_path / "share"
    make_photo(share / "a.jpg", "coffee", size=(32, 32))
    listing, release = threading.Event(), threading.Event()
    listdir = LinksOnce.listdir

    def hanging(self, folder):  # the share's first listing, as over a dead network link
        listing.set()
        release.wait(5)
        return listdir(self, folder)

    monkeypatch.setattr(LinksOnce, "listdir", hanging)
    watcher = FolderWatcher(debounce_ms=50, poll_interval_s=0.1)
    reported = []
    for signal in (watcher.paths_changed, watcher.paths_removed, watcher.folder_unavailable,
                   watcher.folder_available, watcher.folder_unwatchable,
                   watcher.folder_partly_unwatchable):
        signal.connect(lambda *args: reported.append(args))
    try:
        assert watcher.watch(str(share), polling=True)  # starting, in the background
        assert listing.wait(5)
        polling = watcher._polling
        began = time.monotonic()
        watcher.stop()
        assert time.monotonic() - began < 1
    finally:
        release.set()
    qtbot.waitUntil(lambda: not polling.is_alive(), timeout=5000)  # its watch ended with it
    assert polling.emitters == set()
    make_photo(share / "b.jpg", "rocket", size=(32, 32))
    qtbot.wait(400)  # past a poll and the debounce
    assert reported == [] and watcher.watched() == []


DELETED_UNSTOPPED = """
import sys, threading, time
import shiboken6
from PySide6.QtCore import QCoreApplication
from photos import make_photo
from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module
watcher_module.START_WAIT_S = 10  # started when watch() returns (see watch_returns_started)
app = QCoreApplication([])
raised = []
threading.excepthook = lambda args: raised.append(f"{args.thread.name}: {args.exc_value!r}")
folder = sys.argv[1]
watcher = FolderWatcher(debounce_ms=50, recheck_s=0.05)
assert watcher.watch(folder)
checker = watcher._checker
shiboken6.delete(watcher)  # as when its window is destroyed without closing
make_photo(folder + "/late.jpg", "coffee", size=(32, 32))
ended = time.monotonic() + 2
while time.monotonic() < ended:
    app.processEvents()
    time.sleep(0.02)
print(raised, checker.is_alive())
"""


def test_a_watcher_deleted_without_stop_is_not_emitted_on_by_its_threads(tmp_path):
    """The watcher's threads emitted their reports on the watcher itself: deleted without
    stop() (its window destroyed), the next photo heard raised in watchdog's thread ("Signal
    source has been deleted", which ended it), or crashed the process when the emit met the
    watcher being deleted. Its own process: such a crash would end the test run."""
    folder = tmp_path / "photos"
    folder.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", DELETED_UNSTOPPED, str(folder)], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    # Nothing raised in its threads; the checker ended with the watcher.
    assert done.stdout.strip() == "[] False", done.stderr
