"""The window's search snapshot says which photos are byte-identical copies (the library's
stored fingerprints), so the duplicates search reads one header for all copies of a photo,
none for a group of copies only (core/keeper.py)."""

from __future__ import annotations

import os
import shutil

import pytest
from photos import make_photo
from ui_helpers import wait_idle, wait_rows

from desktop_app.core.encoder import load_encoder
from desktop_app.core.library import PhotoLibrary
from desktop_app.core.store import Store
from desktop_app.ui.workers import IndexerWorker


def test_the_snapshot_names_the_copies_and_their_content(qtbot, make_window, library_photos):
    shutil.copy2(library_photos / "rocket.jpg", library_photos / "rocket (1).jpg")
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 7)
    wait_idle(qtbot, window)
    snapshot = window.search.snapshot
    ids = {os.path.basename(path): i for i, path in snapshot.paths.items()}
    copies = {ids["rocket.jpg"], ids["rocket (1).jpg"]}
    qtbot.waitUntil(lambda: set(window.search.snapshot.contents) == copies, timeout=10000)
    contents = window.search.snapshot.contents
    assert contents[ids["rocket.jpg"]][0] == contents[ids["rocket (1).jpg"]][0]  # one content


# -- the copies read again once a job's or another process's writes are all read --------------
# A publish during a job (or while another process writes) reads the new photos into the
# snapshot but not which are copies (a query of 140 ms at 200,000 photos, not every second).
# The job's last publish may then find nothing new to read: the copies must be read anyway.

@pytest.fixture
def worker(qtbot, tiny_model_dir, tmp_path):
    """(worker, photo folder): two different photos indexed; the worker runs on this thread."""
    folder = tmp_path / "photos"
    make_photo(folder / "rocket.jpg", "rocket", size=(120, 90))
    make_photo(folder / "coffee.jpg", "coffee", size=(96, 64))
    w = IndexerWorker(str(tiny_model_dir), str(tmp_path / "library.db"))
    w.open()
    w.index_folder(str(folder))
    assert w._snapshot.contents == {}
    yield w, folder
    w.close()


def copy_ids(w, folder) -> set[int]:
    return {w._library.photo_by_path(folder / name).id for name in ("rocket.jpg", "rocket (1).jpg")}


def test_copies_written_before_a_jobs_last_publish_are_in_its_snapshot(worker):
    w, folder = worker
    shutil.copy2(folder / "rocket.jpg", folder / "rocket (1).jpg")
    w._library.index_paths([str(folder / "rocket (1).jpg")])
    w._last_publish = float("-inf")
    w._publish()  # during the job (every few seconds): reads the new photo
    w._publish(force=True)  # the job ended: nothing new to read since
    assert set(w._snapshot.contents) == copy_ids(w, folder)


def test_copies_another_process_indexed_are_in_the_snapshot(worker, tiny_model_dir, tmp_path):
    w, folder = worker
    shutil.copy2(folder / "rocket.jpg", folder / "rocket (1).jpg")
    with Store(tmp_path / "library.db") as store:  # `lookalike index` while the app runs
        PhotoLibrary(store, load_encoder(tiny_model_dir, intra_op_threads=1)).index_paths(
            [str(folder / "rocket (1).jpg")])
    w._last_publish = float("-inf")
    w._check_others()  # it still writes, as far as the worker knows: read, not forced
    w._check_others()  # it has stopped
    assert len(w._snapshot.paths) == 3
    assert set(w._snapshot.contents) == copy_ids(w, folder)
