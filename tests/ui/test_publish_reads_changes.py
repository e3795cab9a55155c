"""IndexerWorker._publish reads back only the photos that changed since the last publish (a big
library was read and compared in full about once a second while indexing), and still tells the
window everything: new, changed, removed and unreadable photos, a snapshot equal to one read
from scratch, and changes made by another process. Real SQLite, real photos, the tiny model;
the worker runs its jobs on the test thread."""

from __future__ import annotations

import numpy as np
import pytest
from photos import make_photo

from desktop_app.core.store import Store
from desktop_app.ui.workers import IndexerWorker

NAMES = ("chelsea", "coffee", "rocket", "astronaut", "hubble_deep_field")


@pytest.fixture
def worker(qtbot, tiny_model_dir, tmp_path):
    """(worker, events, photo folder) with eight photos indexed; events: every photos_changed,
    failed_changed and snapshot_ready, in order."""
    folder = tmp_path / "photos"
    for i in range(8):
        make_photo(folder / f"p{i}.jpg", NAMES[i % 5], size=(96 + 8 * i, 64))
    w = IndexerWorker(str(tiny_model_dir), str(tmp_path / "library.db"))
    events: list[tuple] = []
    for name in ("photos_changed", "failed_changed", "snapshot_ready"):
        getattr(w, name).connect(lambda *args, name=name: events.append((name, *args)))
    w.open()
    w.index_folder(str(folder))  # runs now: the worker lives on this thread
    assert len(w._known) == 8
    yield w, events, folder
    w.close()


def last(events: list[tuple], name: str) -> tuple:
    return next(e[1:] for e in reversed(events) if e[0] == name)


def photo_queries(worker) -> list[str]:
    """Log the worker connection's statements that read the photos table."""
    statements: list[str] = []
    worker._store.conn.set_trace_callback(statements.append)
    return statements


def assert_snapshot_is_the_library(worker, snapshot) -> None:
    lib = worker._library
    assert snapshot.paths == {p.id: p.path for p in lib.photos() if p.status == "ok"}
    index = lib.search_index()
    assert np.array_equal(snapshot.index.ids, index.ids)
    assert np.array_equal(snapshot.index.codes, index.codes)


def test_after_one_changed_photo_only_its_row_is_read(worker):
    w, events, folder = worker
    changed = make_photo(folder / "p3.jpg", "coffee", size=(120, 80))  # new content
    added = make_photo(folder / "new.jpg", "rocket", size=(90, 90))
    w._library.index_paths([str(changed), str(added)])
    ids = sorted(w._library.photo_by_path(p).id for p in (changed, added))
    statements = photo_queries(w)
    events.clear()
    w._publish(force=True)

    # The trace shows the values bound: one read of the two rows, none of the whole table
    # (but for the copies' fingerprints, one grouped query at a job's end, for the duplicates).
    reads = [s.split("FROM photos ")[1] for s in statements
             if "FROM photos" in s and "fingerprint IN" not in s]
    assert len(reads) == 1 and reads[0].startswith("WHERE id IN (")  # in the order written
    assert sorted(int(i) for i in reads[0][len("WHERE id IN ("):-1].split(",")) == ids
    photos, removed = last(events, "photos_changed")
    assert sorted(p.path for p in photos) == [str(added), str(changed)] and removed == []
    assert_snapshot_is_the_library(w, last(events, "snapshot_ready")[0])
    assert not any(e[0] == "failed_changed" for e in events)  # nothing became unreadable

    statements.clear()
    events.clear()
    w._publish(force=True)  # nothing changed since: nothing read, the same snapshot again
    assert not [s for s in statements if "FROM photos" in s or "FROM codes" in s]
    assert [e[0] for e in events] == ["snapshot_ready"]


def test_removed_and_unreadable_photos_are_told(worker):
    w, events, folder = worker
    gone = w._library.photo_by_path(folder / "p1.jpg")
    (folder / "p1.jpg").unlink()
    (folder / "p2.jpg").write_bytes(b"not a photo")
    w._library.index_paths([str(folder / "p1.jpg"), str(folder / "p2.jpg")])
    events.clear()
    w._publish(force=True)
    photos, removed = last(events, "photos_changed")
    assert removed == [gone.id]
    assert [(p.path, p.status) for p in photos] == [(str(folder / "p2.jpg"), "failed")]
    assert [p.path for p in last(events, "failed_changed")[0]] == [str(folder / "p2.jpg")]
    snapshot = last(events, "snapshot_ready")[0]
    assert_snapshot_is_the_library(w, snapshot) and len(snapshot) == 6

    make_photo(folder / "p2.jpg", "chelsea", size=(100, 70))  # readable again
    w._library.index_paths([str(folder / "p2.jpg")])
    events.clear()
    w._publish(force=True)
    assert last(events, "failed_changed")[0] == []
    assert_snapshot_is_the_library(w, last(events, "snapshot_ready")[0])


def test_a_change_by_another_process_is_found_too(worker, tmp_path):
    """Its writes are not logged on the worker's connection: the publish reads everything."""
    w, events, folder = worker
    victim = w._library.photo_by_path(folder / "p5.jpg")
    with Store(tmp_path / "library.db") as other:  # as `lookalike forget` or an index would
        other.delete_photos([victim.id])
    events.clear()
    w._publish(force=True)
    assert last(events, "photos_changed") == ([], [victim.id])
    assert_snapshot_is_the_library(w, last(events, "snapshot_ready")[0])
