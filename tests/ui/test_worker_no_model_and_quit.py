"""The app's worker with no model and while another process writes: a folder removed under the
no-model banner leaves the library (the removal returned before it ran, so the folder came back
into the list at the next start and was indexed again once a model loaded), and the app closing
while another process holds the library's write lock stops waiting for it (the close waited up
to 30 s, the window frozen). Real IndexerWorker (its jobs run on the test thread), real SQLite
file, a real second process holding the lock, the tiny real model (damaged after indexing); a
real MainWindow (offscreen) and the real command line for what the window makes of a removal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

from lock_holder import lock_held
from photos import make_photo
from ui_helpers import wait_idle, wait_rows

from desktop_app.core.store import Store, lock_waits_told_to
from desktop_app.ui.workers import IndexerWorker


def test_a_folder_removed_while_no_model_loads_leaves_the_library(qtbot, tiny_model_dir,
                                                                   tmp_path):
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    database = tmp_path / "library.db"
    kept, gone = tmp_path / "kept", tmp_path / "gone"
    make_photo(kept / "coffee.jpg", "coffee", size=(120, 90))
    make_photo(gone / "rocket.jpg", "rocket", size=(120, 90))
    worker = IndexerWorker(str(model), str(database))
    worker.open()
    try:
        worker.index_folder(str(kept))
        worker.index_folder(str(gone))
    finally:
        worker.close()
    (model / "model.onnx").write_bytes(b"not a model")  # the no-model banner at the next start

    worker = IndexerWorker(str(model), str(database))
    told: list[list] = []
    worker.folders_changed.connect(told.append)
    worker.open()
    try:
        assert worker._library is None  # no model: nothing indexed, but removals still run
        worker.remove_folder(str(gone))
    finally:
        worker.close()

    store = Store(database, readonly=True)
    try:
        assert [row[0] for row in store.query("SELECT path FROM folders")] == [str(kept)]
        assert [row[0] for row in store.query("SELECT path FROM photos")] == [
            str(kept / "coffee.jpg")]
    finally:
        store.close()
    assert [[f.path for f in folders] for folders in told][-1] == [str(kept)]


def test_a_folder_removed_under_the_no_model_banner_and_indexed_again_later_is_listed(
        qtbot, make_window, tiny_model_dir, tmp_path):
    """The window had been told no library folders (no model at the start), so it never saw
    its removal done: the folder stayed 'still to leave' all session, and once a model loaded,
    `lookalike index` of it again left it out of the list and unwatched until the next start."""
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    first, second = tmp_path / "first", tmp_path / "second"
    make_photo(first / "chelsea.jpg", "chelsea", size=(200, 150))
    make_photo(second / "rocket.jpg", "rocket", size=(150, 200))
    window = make_window(model_dir=str(model))
    window.add_folder(str(first))
    window.add_folder(str(second))
    wait_rows(qtbot, window, 2)
    wait_idle(qtbot, window)
    window.shutdown()
    (model / "model.onnx").write_bytes(b"not a model")

    window = make_window(model_dir=str(model), watched_folders=[str(first), str(second)])
    assert window.card is None  # the no-model banner
    window.remove_folder(str(second))
    qtbot.waitUntil(lambda: window._library_folders == {os.path.realpath(first)},
                    timeout=20000)  # the removal done
    shutil.copy(tiny_model_dir / "model.onnx", model / "model.onnx")  # mended: chosen again
    window.switch_model(str(model))
    qtbot.waitUntil(lambda: window.card is not None, timeout=30000)
    wait_idle(qtbot, window)
    done = subprocess.run([sys.executable, "-m", "desktop_app", "--no-progress", "index",
                           str(second)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr

    qtbot.waitUntil(lambda: window.folders_panel.folders() == [str(first), str(second)],
                    timeout=20000)
    assert str(second) in window.watcher.watched()


def test_closing_stops_waiting_for_another_process_s_write_lock(qtbot, tiny_model_dir,
                                                                 tmp_path):
    database = tmp_path / "library.db"
    folder = tmp_path / "photos"
    make_photo(folder / "coffee.jpg", "coffee", size=(120, 90))
    worker = IndexerWorker(str(tiny_model_dir), str(database))
    worker.open()
    ended = threading.Event()

    def index_then_note():
        worker._run("index_folder", str(folder))  # waits for the lock: to save the photo
        ended.set()

    job = threading.Thread(target=index_then_note, daemon=True)
    waiting = threading.Event()  # the job has waited LOCK_WAIT_NOTICE_S for the lock
    try:
        with lock_held(database):  # let go at the end of the block
            with lock_waits_told_to(lambda _path, _timeout: waiting.set()):
                job.start()
                # In the wait (it would last BUSY_TIMEOUT_S, 30 s), not before it: a quit asked
                # before the job writes stops it with nothing to save, waiting for no lock.
                assert waiting.wait(25), "the job never waited for the lock"
            assert not ended.is_set()
            asked = time.monotonic()
            worker.request_quit()  # as the window does first when it closes
            assert ended.wait(5), "the job still waits for the lock after request_quit"
            assert time.monotonic() - asked < 2
    finally:
        if job.is_alive():  # the lock let go: it goes on, so the store is closed after it
            job.join(60)
        worker.close()
