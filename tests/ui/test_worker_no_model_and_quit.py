"""The app's worker with no model and while another process writes: a folder removed under the
no-model banner leaves the library (the removal returned before it ran, so the folder came back
into the list at the next start and was indexed again once a model loaded), and the app closing
while another process holds the library's write lock stops waiting for it (the close waited up
to 30 s, the window frozen). Real IndexerWorker (its jobs run on the test thread), real SQLite
file, a real second process holding the lock, the tiny real model (damaged after indexing)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time

from photos import make_photo

from desktop_app.core.store import Store
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


HOLD_THE_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(60)
"""


def test_closing_stops_waiting_for_another_process_s_write_lock(qtbot, tiny_model_dir,
                                                                 tmp_path):
    database = tmp_path / "library.db"
    folder = tmp_path / "photos"
    make_photo(folder / "coffee.jpg", "coffee", size=(120, 90))
    worker = IndexerWorker(str(tiny_model_dir), str(database))
    worker.open()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(database)],
                              stdout=subprocess.PIPE, text=True)
    ended = threading.Event()

    def index_then_note():
        worker._run("index_folder", str(folder))  # waits for the lock: to save the photo
        ended.set()

    job = threading.Thread(target=index_then_note, daemon=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        job.start()
        time.sleep(1.0)  # well into the wait (it would last BUSY_TIMEOUT_S, 30 s)
        assert not ended.is_set()
        asked = time.monotonic()
        worker.request_quit()  # as the window does first when it closes
        assert ended.wait(5), "the job still waits for the lock after request_quit"
        assert time.monotonic() - asked < 2
    finally:
        holder.kill()  # lets a job that still waits go on, so the store is closed after it
        holder.wait()
        if job.is_alive():
            job.join(60)
        worker.close()
