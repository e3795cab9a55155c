"""Managing the library's folders in the real window: names that are not UTF-8, changes made
just before a folder is removed, what the progress says while a new folder is walked, removing
a folder around a watched one or while indexing is paused, a removal by another name, a folder
indexed on the command line while the app runs. Real MainWindow (offscreen), real SQLite, the
tiny real model, real photos."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing

from photos import make_photo
from PySide6.QtCore import QMetaObject, Qt, QTimer
from ui_helpers import wait_idle, wait_rows, window_on_nested_folders

from desktop_app import paths
from desktop_app.core import library
from desktop_app.settings import Settings


def test_a_folder_whose_name_is_not_utf8_is_added_shown_and_removed(qtbot, make_window,
                                                                   tmp_path):
    """A Latin-1 folder name (an old archive, a FAT drive), as `lookalike FOLDER` gives it:
    the Qt string signals to the indexer dropped its last byte, so a folder that "does not
    exist" was added instead, and Remove in the list removed that other name."""
    folder = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9")
    make_photo(os.path.join(folder, "coffee.jpg"), "coffee", size=(200, 150))
    window = make_window()
    window.add_folder(folder)
    wait_rows(qtbot, window, 1, timeout=20000)
    wait_idle(qtbot, window)
    assert window.photos_model.photo_at(0).path == os.path.join(folder, "coffee.jpg")
    assert "does not exist" not in window.statusBar().currentMessage()
    panel = window.folders_panel
    assert panel.folders() == [folder]
    assert panel.list.item(0).text() == str(tmp_path) + "/caf\\xe9"  # its byte, shown
    panel.list.setCurrentRow(0)
    panel.remove_button.click()
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == 0, timeout=20000)
    wait_idle(qtbot, window)
    assert window.settings.watched_folders == [] and window.watcher.watched() == []
    assert Settings.load().watched_folders == []
    assert window.worker._library.folders() == []


def test_a_photo_added_just_before_its_folder_is_removed_is_not_said_to_be_outside(
        qtbot, make_window, library_photos):
    """The watcher reports a change once its burst is over, by then the folder was removed:
    the status bar said "... is not inside a library folder. Add its folder to the library
    first", of a folder the user had just removed."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    window.watcher._timer.setInterval(1500)
    reports = []
    window.worker.finished_job.connect(lambda label, report: reports.append(report),
                                       Qt.ConnectionType.DirectConnection)
    make_photo(library_photos / "retina.jpg", "retina", size=(200, 200))
    qtbot.wait(300)  # seen by the watcher, not reported yet
    window.remove_folder(str(library_photos))
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == 0, timeout=20000)
    qtbot.wait(3000)  # past the watcher's wait
    wait_idle(qtbot, window)
    assert "not inside a library folder" not in window.statusBar().currentMessage()
    assert [e for r in reports for e in r.errors] == []
    assert window.worker._library.folders() == []


def test_a_new_folder_being_walked_does_not_show_the_last_jobs_count(qtbot, make_window,
                                                                     library_photos, tmp_path,
                                                                     monkeypatch):
    """Adding a big folder (the home folder) walks it first; all that while the panel showed
    the last job's "6 of 6 photos · 0 s left"."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    walked = threading.Event()
    scan = library.PhotoLibrary._scan

    def slow_walk(self, *args, **kwargs):
        walked.wait(20)  # as long as the test looks at the panel
        return scan(self, *args, **kwargs)

    monkeypatch.setattr(library.PhotoLibrary, "_scan", slow_walk)
    big = tmp_path / "big"
    make_photo(big / "retina.jpg", "retina", size=(200, 200))
    panel = window.folders_panel
    try:
        window.add_folder(str(big))
        qtbot.waitUntil(lambda: str(big) in panel.activity.text(), timeout=20000)
        qtbot.wait(300)  # any progress sent meanwhile is shown
        assert "6 of 6" not in panel.progress_label.text()
        assert panel.progress_label.text() == "Looking for photos…"
        assert panel.progress.maximum() == 0  # busy, no count
    finally:
        walked.set()
    wait_rows(qtbot, window, 7)
    wait_idle(qtbot, window)


def indexed_at() -> dict[str, float]:
    """When each photo of the library was last read (from the database file itself)."""
    with closing(sqlite3.connect(paths.database_path())) as conn:
        return dict(conn.execute("SELECT path, indexed_at FROM photos"))


def photo_ids(window) -> dict[str, int]:
    model = window.photos_model
    return {model.photo_at(r).path: model.photo_at(r).id for r in range(model.rowCount())}


def test_removing_a_folder_around_a_watched_one_keeps_that_ones_photos_and_codes(
        qtbot, make_window, tmp_path):
    """The outer folder's removal forgot the inner folder's photos with it, which were then
    read and encoded all over again (hours for a big folder), with new ids."""
    root = tmp_path / "photos"
    inner = root / "b"
    window = window_on_nested_folders(qtbot, make_window, root, inner)
    before = photo_ids(window)
    encoded = []
    encoder = window.worker._library.encoder
    encode = encoder.encode_pixels
    encoder.encode_pixels = lambda pixels: encoded.append(len(pixels)) or encode(pixels)
    removed = []
    window.worker.photos_changed.connect(lambda changed, gone: removed.extend(gone),
                                         Qt.ConnectionType.DirectConnection)
    window.remove_folder(str(root))
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == 2, timeout=20000)
    wait_idle(qtbot, window)
    qtbot.wait(500)
    assert photo_ids(window) == {p: i for p, i in before.items() if p.startswith(str(inner))}
    assert removed == [before[str(root / "coffee.jpg")]]  # the inner photos never left
    assert encoded == []
    assert [f.path for f in window.worker._library.folders()] == [str(inner)]
    make_photo(inner / "hubble.jpg", "hubble_deep_field", size=(180, 180))  # still watched
    wait_rows(qtbot, window, 3, timeout=20000)


def test_removing_a_folder_while_indexing_is_paused_removes_it_at_once(qtbot, make_window,
                                                                      tmp_path):
    """Its photos stayed in the grid and the searches until Resume indexing was pressed."""
    folder = tmp_path / "big"
    first = make_photo(folder / "p0000.jpg", "chelsea", size=(1600, 1200))
    for i in range(1, 300):  # distinct files (one byte differs), each decoded in full
        (folder / f"p{i:04d}.jpg").write_bytes(first.read_bytes() + bytes([i % 251]))
    window = make_window()
    done = [0]
    window.worker.progress.connect(lambda n, total, rate, eta: done.append(n),
                                   Qt.ConnectionType.DirectConnection)
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: max(done) >= 10, timeout=60000)
    window.toggle_pause()
    panel = window.folders_panel
    qtbot.waitUntil(lambda: panel.activity.text() == "Indexing paused.", timeout=20000)
    qtbot.waitUntil(lambda: window.photos_model.rowCount() > 0, timeout=20000)
    window.remove_folder(str(folder))
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == 0, timeout=20000)
    qtbot.waitUntil(lambda: len(window.snapshot) == 0, timeout=20000)
    wait_idle(qtbot, window)  # nothing is left paused
    assert not window.worker.is_paused() and not panel.pause_button.isVisible()
    assert window.worker._library.folders() == []
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(200, 200))
    window.add_folder(str(other))  # runs at once: not "paused"
    wait_rows(qtbot, window, 1, timeout=20000)
    wait_idle(qtbot, window)
    assert [f.path for f in window.worker._library.folders()] == [str(other)]


def test_a_folder_removed_by_one_name_and_added_by_another_stays_at_the_next_start(
        qtbot, make_window, library_photos, tmp_path):
    """Removed as ~/Pictures (a symbolic link), added again as the folder it points to, and
    Lookalike closed before the removal ran (queued behind a long job): the settings kept the
    link's removal, so the next start forgot the folder and encoded it all again."""
    link = tmp_path / "Pictures"
    link.symlink_to(library_photos)
    window = make_window()
    window.add_folder(str(link))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    before = indexed_at()
    busy = threading.Event()
    QTimer.singleShot(0, window.worker, lambda: busy.wait(20))  # a long job on its thread
    window.remove_folder(str(link))
    window.add_folder(str(library_photos))
    window.worker.request_quit()  # closing: what is queued now does not run
    busy.set()
    window.close()
    saved = Settings.load()
    assert saved.watched_folders == [str(library_photos)]
    assert saved.removed_folders == []
    again = make_window(watched_folders=saved.watched_folders,
                        removed_folders=saved.removed_folders)
    wait_rows(qtbot, again, 6)
    wait_idle(qtbot, again)
    qtbot.wait(500)
    assert indexed_at() == before  # not forgotten and encoded again


def test_a_folder_indexed_on_the_command_line_while_the_app_runs_shows_up(
        qtbot, make_window, library_photos, tmp_path):
    """`lookalike index FOLDER` with the app open: its photos and its folder came into the
    window only at the next start (the folder unwatched until then)."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(200, 200))
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress", "index",
                           str(other)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    wait_rows(qtbot, window, 7, timeout=20000)
    qtbot.waitUntil(lambda: window.folders_panel.folders() == [str(library_photos), str(other)],
                    timeout=20000)
    qtbot.waitUntil(lambda: str(other) in window.watcher.watched(), timeout=10000)
    assert Settings.load().watched_folders == [str(library_photos), str(other)]
    wait_idle(qtbot, window)
    make_photo(other / "coffee.jpg", "coffee", size=(200, 150))  # watched now
    wait_rows(qtbot, window, 8, timeout=20000)


def on_worker(target, method: str) -> None:
    """Call a slot of the indexer's thread (its timer, the worker itself) there, and wait."""
    QMetaObject.invokeMethod(target, method, Qt.ConnectionType.BlockingQueuedConnection)


def index_on_the_command_line(folder) -> None:
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress", "index",
                           str(folder)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_a_folder_indexed_on_the_command_line_while_the_app_was_busy_joins_its_folders(
        qtbot, make_window, library_photos, tmp_path):
    """A job of the app's own (a photo changed in a watched folder) read the command line's
    photos first; the idle check then saw nothing new, and the folder stayed unwatched (and
    out of the list) until the next start."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    timer = window.worker._others_timer
    on_worker(timer, "stop")  # the app is busy while the command runs (no idle check)
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(200, 200))
    index_on_the_command_line(other)
    make_photo(library_photos / "later.jpg", "coffee", size=(200, 150))  # the app's own job
    wait_rows(qtbot, window, 8, timeout=20000)
    wait_idle(qtbot, window)
    on_worker(timer, "start")  # idle again
    qtbot.waitUntil(lambda: window.folders_panel.folders() == [str(library_photos), str(other)],
                    timeout=20000)
    qtbot.waitUntil(lambda: str(other) in window.watcher.watched(), timeout=10000)


def test_the_command_lines_photos_show_while_indexing_is_paused(qtbot, make_window,
                                                               library_photos, tmp_path):
    """Paused with a folder still to index, the window showed nothing of what `lookalike
    index` added until Resume was pressed."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    window.toggle_pause()
    later = tmp_path / "later"
    make_photo(later / "rocket.jpg", "rocket", size=(150, 200))
    window.add_folder(str(later))  # waits: paused
    qtbot.waitUntil(lambda: window.folders_panel.activity.text() == "Indexing paused.",
                    timeout=20000)
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(200, 200))
    index_on_the_command_line(other)
    wait_rows(qtbot, window, 7, timeout=20000)
    assert str(other / "retina.jpg") in photo_ids(window)
    qtbot.waitUntil(lambda: str(other) in window.folders_panel.folders(), timeout=20000)
    assert window.worker.is_paused()  # the folder added waits still
    window.toggle_pause()
    wait_rows(qtbot, window, 8, timeout=20000)
    wait_idle(qtbot, window)


def test_a_folder_another_process_is_indexing_is_not_indexed_by_the_app_at_the_same_time(
        qtbot, make_window, library_photos, tmp_path, monkeypatch):
    """`lookalike index BIG` with the app open: 3 s in, the app took the folder in and indexed
    it too, reading and encoding every photo the command had not saved yet (twice the work
    on the same cores, for the whole folder)."""
    from desktop_app.core.encoder import load_encoder
    from desktop_app.core.errors import LookalikeError
    from desktop_app.core.library import PhotoLibrary
    from desktop_app.core.store import Store

    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    encoded = []
    encoder = window.worker._library.encoder
    encode = encoder.encode_pixels
    encoder.encode_pixels = lambda pixels: encoded.append(len(pixels)) or encode(pixels)
    other = tmp_path / "other"
    names = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "retina")
    for i in range(16):  # each of another size: no two share their content
        make_photo(other / f"{i:02d}.jpg", names[i % len(names)], size=(96 + i, 80 + i % 5))
    model_dir = window.worker.model_dir
    monkeypatch.setattr(library, "COMMIT_SECONDS", 0.5)  # it saves often: a busy machine too
    failed = []

    def another_process() -> None:  # its own connection: to SQLite, another process
        try:
            with Store() as store:
                PhotoLibrary(store, load_encoder(model_dir)).index_folder(
                    str(other), progress=lambda done, total: time.sleep(0.5))  # 8 s
        except LookalikeError as exc:  # shown by the assert below
            failed.append(exc)

    thread = threading.Thread(target=another_process)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=60000)
    assert not failed, failed
    qtbot.waitUntil(lambda: window.folders_panel.folders() == [str(library_photos), str(other)],
                    timeout=20000)
    wait_rows(qtbot, window, 22, timeout=20000)
    wait_idle(qtbot, window)
    qtbot.wait(500)
    assert encoded == []  # the other process encoded them; the app only checked the folder
    qtbot.waitUntil(lambda: str(other) in window.watcher.watched(), timeout=10000)


def test_another_process_writing_is_not_read_in_full_more_often_than_publishing_allows(
        qtbot, make_window, library_photos, tmp_path):
    """Each idle check after another process wrote read every photo again (1.8 s at 200,000
    photos) every 3 s, all through a long `lookalike index`, past the adaptive interval that
    keeps publishing a small share of the worker's time."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    worker = window.worker
    on_worker(worker._others_timer, "stop")  # the checks are made by hand below
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(200, 200))
    index_on_the_command_line(other)
    worker._publish_interval = 3600.0  # as after a full read of a big library
    reads = []
    library_ = worker._library
    photos = library_.photos
    library_.photos = lambda: reads.append(1) or photos()
    on_worker(worker, "_check_others")  # it wrote since the last look: it may write on
    assert reads == []
    on_worker(worker, "_check_others")  # nothing new since: it is done, all is read once
    assert reads == [1]
    wait_rows(qtbot, window, 7, timeout=20000)
    qtbot.waitUntil(lambda: window.folders_panel.folders() == [str(library_photos), str(other)],
                    timeout=20000)
    on_worker(worker, "_check_others")
    assert reads == [1]
    wait_idle(qtbot, window)
