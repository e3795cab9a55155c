"""FolderWatcher.stop(): what was heard before it and not yet reported is never reported after
(found in review)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from watcher_reports import photo, reports

from desktop_app.watch import FolderWatcher

pytestmark = pytest.mark.usefixtures("watch_returns_started")


@pytest.fixture
def watcher(qtbot):
    w = FolderWatcher(debounce_ms=300)
    yield w
    w.stop()


def test_a_change_heard_before_stop_is_not_reported_after_it(qtbot, tmp_path, watcher):
    """The photo is heard, its report waits for the GUI thread, which stops the watcher first
    (the window quitting): the report came all the same, after stop()."""
    folder = tmp_path / "photos"
    folder.mkdir()
    assert watcher.watch(str(folder))
    said = reports(watcher)
    photo(folder / "late.jpg")
    time.sleep(0.5)  # heard by the observer; the GUI thread does not look meanwhile
    watcher.stop()
    qtbot.wait(700)  # past the debounce
    assert said == []


def test_a_change_heard_before_stop_is_not_reported_with_the_next_watch(qtbot, tmp_path,
                                                                         watcher):
    """Stopped and watching other folders (a test's restart, a library opened anew), the old
    folder's pending paths came with the new folder's first report."""
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    assert watcher.watch(str(old))
    said = reports(watcher)
    photo(old / "late.jpg")
    qtbot.waitUntil(watcher._timer.isActive, timeout=5000)  # heard, the debounce running
    watcher.stop()
    assert watcher.watch(str(new))
    photo(new / "seen.jpg")
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    qtbot.wait(400)
    assert said == [("changed", str(new / "seen.jpg"))]


DELETED_UNSTOPPED = """
import sys, threading, time
import shiboken6
from PySide6.QtCore import QCoreApplication
from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module
watcher_module.START_WAIT_S = 10
app = QCoreApplication([])
watcher = FolderWatcher(debounce_ms=50, recheck_s=0.05, poll_interval_s=0.05)
assert watcher.watch(sys.argv[1])
assert watcher.watch(sys.argv[2], polling=True)
observers = [watcher._native, watcher._polling]
shiboken6.delete(watcher)  # as when its window is destroyed without closing
ended = time.monotonic() + 5
while time.monotonic() < ended and threading.active_count() > 1:
    app.processEvents()
    time.sleep(0.02)
print(sorted(t.name for t in threading.enumerate()), [o.emitters for o in observers])
"""


def test_a_watcher_deleted_without_stop_ends_its_watches_and_threads(tmp_path):
    """Deleted without stop() (its window destroyed), its observers kept watching (their
    threads, the system's watches of every folder in it) and its worker waited for jobs, for
    as long as the process ran. Its own process: threads are counted."""
    native, polled = tmp_path / "photos", tmp_path / "share"
    (native / "2024").mkdir(parents=True)
    polled.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", DELETED_UNSTOPPED, str(native), str(polled)],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['MainThread'] [set(), set()]", done.stderr
