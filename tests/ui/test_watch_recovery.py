"""A watched folder that goes away (drive unplugged, folder moved or deleted) or is missing at
start: its photos are kept, and it is watched again, and reconciled, once it is back. Real
folders, the real watcher (inotify), and the real window and library for the end-to-end case."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading

import pytest
from dropped_events import overflow, reader_held_back
from photos import make_photo
from PySide6.QtCore import Qt
from ui_helpers import wait_idle, wait_rows, window_on_nested_folders

from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module

pytestmark = pytest.mark.usefixtures("watch_returns_started")


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


def test_a_folder_whose_name_is_not_utf8_moved_away_and_back_is_watched_again(qtbot, tmp_path,
                                                                              watcher):
    """The folder signals were Qt strings, which drop the bytes that are not UTF-8: the window
    was told of "caf" (not the watched folder) and never added it again when it came back."""
    root = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9")
    make_photo(os.path.join(root, "a.jpg"), "coffee", size=(32, 32))
    assert watcher.watch(root)
    events = recorder(watcher)
    away = tmp_path / "away"
    os.rename(root, away)
    qtbot.waitUntil(lambda: ("folder_unavailable", root) in events, timeout=5000)
    assert watcher.unavailable() == [root]
    os.rename(away, root)
    qtbot.waitUntil(lambda: ("folder_available", root) in events, timeout=5000)
    assert watcher.watched() == [root]
    assert all(isinstance(arg, list) or arg == root for _name, arg in events)


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


def test_a_watched_folder_deleted_inside_another_watched_folder_reports_its_photos_removed(
        qtbot, tmp_path, watcher):
    """The folder around it is still there and saw the deletion: the photos are gone for good
    (not kept as for a folder that is away), and the folder is still waited for."""
    root = tmp_path / "photos"
    trip = root / "trip"
    make_photo(root / "a.jpg", "coffee", size=(32, 32))
    make_photo(trip / "b.jpg", "rocket", size=(32, 32))
    make_photo(trip / "day2" / "c.jpg", "chelsea", size=(32, 32))
    assert watcher.watch(str(trip)) and watcher.watch(str(root))
    events = recorder(watcher)
    shutil.rmtree(trip)
    qtbot.waitUntil(lambda: ("folder_unavailable", str(trip)) in events, timeout=5000)
    # The whole folder is reported removed: every photo under it goes.
    qtbot.waitUntil(lambda: any(e[0] == "paths_removed" and str(trip) in e[1] for e in events),
                    timeout=5000)
    assert watcher.watched() == [str(root)] and watcher.unavailable() == [str(trip)]
    make_photo(trip / "d.jpg", "astronaut", size=(32, 32))  # made again: watched again
    qtbot.waitUntil(lambda: ("folder_available", str(trip)) in events, timeout=5000)
    assert sorted(watcher.watched()) == [str(root), str(trip)]


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
    shutil.copytree(library_photos, away)
    shutil.rmtree(library_photos)  # every photo reported deleted: they must be kept all the same
    qtbot.waitUntil(lambda: getattr(window.watcher, "unavailable", list)() == [str(library_photos)],
                    timeout=5000)
    qtbot.waitUntil(lambda: "is not available" in window.statusBar().currentMessage(),
                    timeout=5000)
    assert str(library_photos) in window.statusBar().currentMessage()
    assert "photos are kept" in window.statusBar().currentMessage()
    qtbot.wait(600)  # past the debounce: any removal would be queued to the indexer now
    wait_idle(qtbot, window)
    qtbot.wait(200)  # and its photos_changed applied to the grid
    assert window.photos_model.rowCount() == 6
    make_photo(away / "added-elsewhere.jpg", "retina", size=(200, 150))
    shutil.copytree(away, library_photos)  # plugged in again, one photo more
    wait_rows(qtbot, window, 7, timeout=20000)
    wait_idle(qtbot, window)
    paths = {window.photos_model.photo_at(r).path for r in range(7)}
    assert str(library_photos / "added-elsewhere.jpg") in paths
    make_photo(library_photos / "after.jpg", "cat", size=(200, 150))
    wait_rows(qtbot, window, 8, timeout=20000)


def test_a_watched_folder_missing_at_start_and_not_in_the_library_is_indexed_when_it_appears(
        qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setattr(watcher_module, "RECHECK_S", 0.2, raising=False)
    drive = tmp_path / "drive" / "photos"
    window = make_window(watched_folders=[str(drive)])
    message = window.statusBar().currentMessage()
    assert "is not available" in message and "photos are kept" in message
    said = []
    window.statusBar().messageChanged.connect(said.append)
    make_photo(drive / "coffee.jpg", "coffee", size=(200, 150))
    make_photo(drive / "rocket.jpg", "rocket", size=(150, 200))
    wait_rows(qtbot, window, 2, timeout=20000)
    wait_idle(qtbot, window)
    assert {window.photos_model.photo_at(r).path for r in range(2)} == {
        str(drive / "coffee.jpg"), str(drive / "rocket.jpg")}
    assert not [m for m in said if "does not exist" in m or "not inside a library" in m], said
    make_photo(drive / "later.jpg", "chelsea", size=(200, 150))  # and it is watched
    wait_rows(qtbot, window, 3, timeout=20000)


def test_a_watched_folder_whose_name_is_not_utf8_is_indexed_when_it_appears(
        qtbot, make_window, tmp_path, monkeypatch):
    """Told of the folder as a Qt string ("caf"), the window found it not watched and never
    added it: its photos stayed out of the library until the next start."""
    monkeypatch.setattr(watcher_module, "RECHECK_S", 0.2, raising=False)
    drive = os.fsdecode(os.fsencode(tmp_path) + b"/drive/caf\xe9")
    window = make_window(watched_folders=[drive])
    assert "caf\\xe9 is not available" in window.statusBar().currentMessage()
    make_photo(os.path.join(drive, "coffee.jpg"), "coffee", size=(200, 150))
    wait_rows(qtbot, window, 1, timeout=20000)
    assert window.photos_model.photo_at(0).path == os.path.join(drive, "coffee.jpg")
    assert "caf\\xe9 is back" in window.statusBar().currentMessage()


def test_a_watched_folder_away_when_the_folder_around_it_is_removed_is_indexed_when_back(
        qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setattr(watcher_module, "RECHECK_S", 0.2, raising=False)
    root = tmp_path / "photos"
    inner = root / "b"
    window = window_on_nested_folders(qtbot, make_window, root, inner)
    away = tmp_path / "unplugged"
    os.rename(inner, away)
    qtbot.waitUntil(lambda: window.watcher.unavailable() == [str(inner)], timeout=5000)
    said = []
    window.statusBar().messageChanged.connect(said.append)
    window.remove_folder(str(root))  # the inner one keeps its photos while it is away
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == 2, timeout=20000)
    wait_idle(qtbot, window)
    assert window.settings.watched_folders == [str(inner)]
    kept = {window.photos_model.photo_at(r).id for r in range(2)}
    os.rename(away, inner)  # plugged in again
    qtbot.waitUntil(lambda: not window.watcher.unavailable(), timeout=20000)
    wait_idle(qtbot, window)
    make_photo(inner / "later.jpg", "chelsea", size=(200, 150))  # and it is watched
    wait_rows(qtbot, window, 3, timeout=20000)
    wait_idle(qtbot, window)
    assert kept <= {window.photos_model.photo_at(r).id for r in range(3)}
    assert {window.photos_model.photo_at(r).path for r in range(3)} == {
        str(inner / "rocket.jpg"), str(inner / "astronaut.png"), str(inner / "later.jpg")}
    assert not [m for m in said if "does not exist" in m or "not inside a library" in m], said


def test_deleting_a_watched_folder_inside_another_removes_its_photos(qtbot, make_window,
                                                                     tmp_path):
    root = tmp_path / "photos"
    trip = root / "trip"
    window = window_on_nested_folders(qtbot, make_window, root, trip)
    shutil.rmtree(trip)
    wait_rows(qtbot, window, 1, timeout=20000)
    assert window.photos_model.photo_at(0).path == str(root / "coffee.jpg")
    assert "photos leave the library" in window.statusBar().currentMessage()
    make_photo(trip / "hubble.jpg", "hubble_deep_field", size=(180, 180))  # made again
    wait_rows(qtbot, window, 2, timeout=20000)


def test_a_watched_folder_made_unreadable_is_said_once_and_its_photos_are_kept(
        qtbot, make_window, library_photos, monkeypatch):
    monkeypatch.setattr(watcher_module, "RECHECK_S", 0.2, raising=False)
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    folder = str(library_photos)
    checks = []
    real_check = window.watcher._check
    monkeypatch.setattr(window.watcher, "_check", lambda: checks.append(1) or real_check())
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    real_scandir = os.scandir

    def denied_scandir(path="."):
        # Root reads any folder whatever its mode: the denial a user would get, simulated.
        if os.fspath(path) == folder:
            raise PermissionError(errno.EACCES, "Permission denied", folder)
        return real_scandir(path)

    def said() -> list[str]:
        return [m for m in messages if "cannot be read" in m]

    os.chmod(folder, 0)
    try:
        monkeypatch.setattr(os, "scandir", denied_scandir)
        qtbot.waitUntil(lambda: bool(said()), timeout=10000)
        assert said() == [(f"{folder} cannot be read (Permission denied). Its photos are kept. "
                           "Give your user read access to the folder again; it is then checked "
                           "for changes.")]
        # A rescan while it cannot be read removes nothing.
        with qtbot.waitSignal(window.worker.finished_job, timeout=20000):
            window.watcher.paths_changed.emit([folder])
        wait_idle(qtbot, window)
        qtbot.wait(200)  # any photos_changed applied to the grid
        assert window.photos_model.rowCount() == 6
        seen = len(checks)
        qtbot.waitUntil(lambda: len(checks) >= seen + 3, timeout=10000)
        assert len(said()) == 1  # once, not at every check
    finally:
        os.chmod(folder, 0o755)
        monkeypatch.setattr(os, "scandir", real_scandir)
    # Readable again: the folder is checked for what changed meanwhile.
    with qtbot.waitSignal(window.watcher.paths_changed, timeout=10000,
                          check_params_cb=lambda paths: paths == [folder]):
        pass
    wait_idle(qtbot, window)
    assert window.photos_model.rowCount() == 6


def run_unable_to_read_any_folder(script: str, *args) -> subprocess.CompletedProcess:
    """Run script with args in another Python, refused the folders it may not read even as
    root: setpriv drops root's capabilities to read any folder (skipped as root without it)."""
    cmd = [sys.executable, "-c", script, *map(str, args)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: root reads any folder")
        cmd = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *cmd]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, timeout=60)


WATCH_AND_CHMOD = """
import os, sys
from PySide6.QtCore import QCoreApplication, QTimer
from desktop_app.watch import FolderWatcher
from desktop_app.watch import watcher as watcher_module
watcher_module.START_WAIT_S = 10  # started when watch() returns (see watch_returns_started)
app = QCoreApplication([])
folder = sys.argv[1]
watcher = FolderWatcher(recheck_s=0.1)
assert watcher.watch(folder)
seen = []
watcher.folder_unreadable.connect(lambda f, cause: seen.append(f"unreadable {f} {cause}"))
watcher.paths_changed.connect(lambda paths: (seen.append(f"changed {paths}"), app.quit()))
QTimer.singleShot(200, lambda: os.chmod(folder, 0))
watcher.folder_unreadable.connect(lambda *_: os.chmod(folder, 0o755))
QTimer.singleShot(20000, app.quit)
app.exec()
watcher.stop()
print(seen)
"""


def test_a_folder_really_made_unreadable_is_reported_then_reconciled(tmp_path):
    """The real permission check, without simulation: as root, in a process that has dropped
    the capabilities that let root read any folder (setpriv)."""
    folder = tmp_path / "photos"
    make_photo(folder / "a.jpg", "coffee", size=(32, 32))
    try:
        done = run_unable_to_read_any_folder(WATCH_AND_CHMOD, folder)
    finally:
        os.chmod(folder, 0o755)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([f"unreadable {folder} Permission denied",
                                       f"changed {[str(folder)]}"])


WATCH_WHILE_UNREADABLE = """
import os, sys
from PySide6.QtCore import QCoreApplication, QTimer
from desktop_app.watch import FolderWatcher
app = QCoreApplication([])
top, inner = sys.argv[1], sys.argv[2]  # both unreadable when they are watched
watcher = FolderWatcher(debounce_ms=100, recheck_s=0.1)
assert watcher.watch(top) and watcher.watch(inner)
seen = set()
def changed(paths):
    seen.update(paths)
    if {os.path.join(top, "sub", "new.jpg"), os.path.join(inner, "new.jpg")} <= seen:
        app.quit()
watcher.paths_changed.connect(changed)
def readable_again():
    os.chmod(os.path.join(top, "sub"), 0o755)
    os.chmod(inner, 0o755)
    QTimer.singleShot(1000, write_photos)
def write_photos():
    for path in (os.path.join(top, "sub", "new.jpg"), os.path.join(inner, "new.jpg")):
        with open(path, "wb") as f:
            f.write(b"photo")
QTimer.singleShot(300, readable_again)
QTimer.singleShot(20000, app.quit)
app.exec()
watcher.stop()
print(sorted(seen))
"""


def test_folders_unreadable_when_watched_are_watched_once_they_can_be_read(tmp_path):
    """inotify needs read access: a folder that could not be read when its watch started (at
    app start, say) had no watch, and its photos were never seen, even once it could be read
    again; the same for a subfolder, whose chmod back was not even noticed."""
    top, inner = tmp_path / "photos", tmp_path / "other"
    make_photo(top / "sub" / "a.jpg", "coffee", size=(32, 32))
    make_photo(inner / "b.jpg", "rocket", size=(32, 32))
    os.chmod(top / "sub", 0)
    os.chmod(inner, 0)
    try:
        done = run_unable_to_read_any_folder(WATCH_WHILE_UNREADABLE, top, inner)
    finally:
        os.chmod(top / "sub", 0o755)
        os.chmod(inner, 0o755)
    assert done.returncode == 0, done.stderr
    # Each folder checked once readable (what changed meanwhile; all of the watched folder
    # for the one inside, as it is watched afresh), then its new photo seen.
    assert done.stdout.strip() == str(sorted([str(top), str(inner),
                                              str(top / "sub" / "new.jpg"),
                                              str(inner / "new.jpg")]))


def test_a_folder_moved_away_while_it_is_indexed_is_still_said_not_available(
        qtbot, make_window, library_photos, tmp_path, monkeypatch):
    """The job's summary ("0 added, ..., 0 failed", not even "stopped early") replaced the
    watcher's "not available" in the status bar."""
    monkeypatch.setattr(watcher_module, "RECHECK_S", 0.2, raising=False)
    window = make_window()
    away = tmp_path / "unplugged"
    said = threading.Event()
    window.watcher.folder_unavailable.connect(lambda _folder: said.set())

    def move_away(done, total, rate, eta):  # on the indexer's thread, before a photo is read
        if not said.is_set() and not away.exists():
            os.rename(library_photos, away)
            said.wait(10)  # the watcher says so while the job still runs

    window.worker.progress.connect(move_away, Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(window.worker.finished_job, timeout=30000):
        window.add_folder(str(library_photos))
    assert said.is_set()
    qtbot.wait(100)  # the summary is shown
    message = window.statusBar().currentMessage()
    assert f"{library_photos}: this folder is not available" in message, message
    assert "indexed as soon as it is back" in message
    os.rename(away, library_photos)
    wait_rows(qtbot, window, 6, timeout=20000)


def test_a_drive_mounted_inside_a_watched_folder_is_watched_and_checked(qtbot, tmp_path):
    """A drive mounted on a folder inside a watched one: its watches die when it is unmounted,
    and a drive mounted there has none, so nothing on it was seen until the next start. Now
    the folder is watched afresh and checked, its mount point with it, at each change (the
    library keeps the photos of a drive that is not mounted)."""
    root = tmp_path / "photos"
    usb = root / "usb"
    usb.mkdir(parents=True)
    make_photo(root / "a.jpg", "coffee", size=(32, 32))
    w = FolderWatcher(debounce_ms=100)
    w.recheck_s = 60  # the mount table wakes the checker, not the periodic check
    try:
        assert w.watch(str(root))
        events = recorder(w)
        if not _mount_tmpfs(usb):
            pytest.skip("needs root to mount a tmpfs")
        qtbot.waitUntil(lambda: ("paths_changed", [str(root)]) in events, timeout=5000)
        make_photo(usb / "on-the-drive.jpg", "rocket", size=(32, 32))
        qtbot.waitUntil(lambda: ("paths_changed", [str(usb / "on-the-drive.jpg")]) in events,
                        timeout=5000)
        events.clear()
        for _ in range(50):  # "target is busy" while the photo is still being closed
            if subprocess.run(["umount", str(usb)], capture_output=True,
                              check=False).returncode == 0:
                break
            qtbot.wait(100)
        qtbot.waitUntil(lambda: ("paths_changed", [str(root)]) in events, timeout=5000)
        assert not [e for e in events if e[0] == "paths_removed"]
        make_photo(usb / "on-the-folder.jpg", "chelsea", size=(32, 32))
        qtbot.waitUntil(lambda: ("paths_changed", [str(usb / "on-the-folder.jpg")]) in events,
                        timeout=5000)
    finally:
        w.stop()
        while os.path.ismount(usb):
            subprocess.run(["umount", str(usb)], capture_output=True, check=True)


def test_the_window_indexes_a_photo_whose_event_the_system_dropped_and_says_why(
        qtbot, make_window, library_photos, monkeypatch):
    """A burst larger than the kernel's event queue (a big copy): the photo added in it was not
    in the library until the next start, and nothing said so."""
    junk = library_photos / "junk"
    junk.mkdir()
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    said = []
    window.statusBar().messageChanged.connect(said.append)
    with reader_held_back(monkeypatch, library_photos / "wake.txt"):
        overflow(junk)
        make_photo(library_photos / "lost.jpg", "rocket", size=(200, 150))
    wait_rows(qtbot, window, 7, timeout=30000)
    assert str(library_photos / "lost.jpg") in {window.photos_model.photo_at(r).path
                                                 for r in range(7)}
    assert [m for m in said if m.startswith("More files changed at once than the system could "
                                            f"report one by one; checking {library_photos} ")]


def test_a_folder_the_system_cannot_watch_is_indexed_and_said(qtbot, make_window, library_photos,
                                                              monkeypatch):
    """Over the system's limit of watched folders the folder was indexed but its changes were
    quietly not followed while the app ran: the window now says so, with the remedy."""
    def over_the_limit(*args, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher_module.Observer, "schedule", over_the_limit)
    window = make_window()
    said = []
    window.statusBar().messageChanged.connect(said.append)
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    assert any(m.startswith(f"{library_photos} cannot be watched for changes: the system's "
                            "limit of watched folders is reached") and "next start" in m
               for m in said), said
