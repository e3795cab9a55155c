"""IndexerWorker on its own thread, on a real SQLite library, real photos and the tiny real model:
the new model's snapshot arrives before model_switched, and a job that could not be saved
because the disk was full is kept and retried by itself once space is freed."""

from __future__ import annotations

import sqlite3

import pytest
from photos import make_photo
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Signal
from tiny_model import make_tiny_model

from desktop_app.core import store as store_module
from desktop_app.core.errors import StoreError
from desktop_app.core.store import Store, store_error
from desktop_app.ui import workers
from desktop_app.ui.workers import IndexerWorker


class Requests(QObject):
    """Sends the worker its requests from the GUI thread (queued, as the window does)."""

    index_folder = Signal(str)
    index_paths = Signal(list)
    switch_model = Signal(str)


@pytest.fixture
def worker(qtbot, tiny_model_dir, tmp_path, monkeypatch):
    """(requests, events): events records every signal in the order the worker
    emitted them (the recording lambdas run on the worker thread, in emission order)."""
    monkeypatch.setattr(workers, "RETRY_FIRST_S", 0.3, raising=False)
    thread = QThread()
    w = IndexerWorker(str(tiny_model_dir), str(tmp_path / "library.db"))
    w.moveToThread(thread)
    events: list[tuple] = []
    for name in ("opened", "snapshot_ready", "model_switched", "finished_job", "error",
                 "retry_pending", "activity"):
        if hasattr(w, name):
            getattr(w, name).connect(lambda *args, name=name: events.append((name, *args)))
    requests = Requests()
    requests.index_folder.connect(w.index_folder)
    requests.index_paths.connect(w.index_paths)
    requests.switch_model.connect(w.switch_model)
    thread.started.connect(w.open)
    thread.start()
    qtbot.waitUntil(lambda: any(e[0] == "opened" for e in events), timeout=30000)
    assert next(e for e in events if e[0] == "opened")[1] is not None  # the model loaded
    yield requests, events
    w.request_quit()
    QMetaObject.invokeMethod(w, "close", Qt.ConnectionType.BlockingQueuedConnection)
    thread.quit()
    thread.wait(10000)


def finished(events: list[tuple]) -> list[tuple]:
    return [e for e in events if e[0] == "finished_job"]


def test_new_snapshot_arrives_before_model_switched(qtbot, worker, tmp_path):
    requests, events = worker
    folder = tmp_path / "photos"
    for name in ("chelsea", "coffee", "rocket"):
        make_photo(folder / f"{name}.jpg", name, size=(96, 64))
    requests.index_folder.emit(str(folder))
    qtbot.waitUntil(lambda: len(finished(events)) == 1, timeout=30000)
    other = make_tiny_model(tmp_path / "tiny-32", bits=32, seed=3, name="tiny-32")
    requests.switch_model.emit(str(other))
    qtbot.waitUntil(lambda: any(e[0] == "model_switched" for e in events), timeout=30000)
    switched = next(i for i, e in enumerate(events) if e[0] == "model_switched")
    before = [e[1] for e in events[:switched] if e[0] == "snapshot_ready"]
    # The window reruns its search on model_switched: the snapshot it has then is the new one.
    assert before[-1].bits == 32 and len(before[-1]) == 3


def disk_full_error() -> sqlite3.OperationalError:
    """A real SQLITE_FULL error, as SQLite raises it when the disk is full."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.execute("PRAGMA max_page_count = 2")
    try:
        for _ in range(100):
            conn.execute("INSERT INTO t VALUES (zeroblob(1000))")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("SQLite did not report the database full")


def index_one_photo(qtbot, requests, events, tmp_path):
    """A library with one photo, indexed; returns its folder."""
    folder = tmp_path / "photos"
    make_photo(folder / "chelsea.jpg", "chelsea", size=(96, 64))
    requests.index_folder.emit(str(folder))
    qtbot.waitUntil(lambda: len(finished(events)) == 1, timeout=30000)
    return folder


def test_a_write_that_failed_on_a_full_disk_is_retried_by_itself(qtbot, worker, tmp_path,
                                                                   monkeypatch):
    requests, events = worker
    folder = index_one_photo(qtbot, requests, events, tmp_path)

    # The disk fills up: the next write of the library fails as the real Store reports it.
    full = {"left": 1}
    real_transaction = Store.transaction

    def transaction(self):
        if full["left"]:
            full["left"] -= 1
            exc = disk_full_error()
            raise store_error(self.path, exc) from exc
        return real_transaction(self)

    monkeypatch.setattr(store_module.Store, "transaction", transaction)
    new = [make_photo(folder / f"{name}.jpg", name, size=(96, 64))
           for name in ("coffee", "rocket", "astronaut")]
    requests.index_paths.emit([str(p) for p in new])
    qtbot.waitUntil(lambda: any(e[0] == "error" for e in events), timeout=30000)
    message = next(e[1] for e in events if e[0] == "error")
    assert "disk is full" in message and "retried automatically" in message
    assert "run it again" not in message  # there is nothing to run again in the app
    assert ("retry_pending", message) in events  # for a notice that stays until it worked

    # Space is free again (the one failure is spent): the kept job runs again by itself.
    qtbot.waitUntil(lambda: len(finished(events)) == 2, timeout=30000)
    report = finished(events)[-1][2]
    assert report.added == 3
    qtbot.waitUntil(lambda: events[-1] == ("activity", ""), timeout=10000)  # idle after it
    assert ("retry_pending", "") in events  # the notice is cleared once the retry worked
    snapshot = [e[1] for e in events if e[0] == "snapshot_ready"][-1]
    assert sorted(snapshot.paths.values()) == sorted(str(p) for p in [folder / "chelsea.jpg",
                                                                      *new])


def damaged_database_error(tmp_path) -> sqlite3.DatabaseError:
    """A real error of SQLite reading a file that is not a database (not retried)."""
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    conn = sqlite3.connect(garbage)
    try:
        conn.execute("SELECT * FROM sqlite_master")
    except sqlite3.DatabaseError as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("SQLite read a file that is not a database")


def test_a_retry_that_fails_otherwise_says_that_error_not_saved_again(qtbot, worker, tmp_path,
                                                                       monkeypatch):
    requests, events = worker
    folder = index_one_photo(qtbot, requests, events, tmp_path)

    # The first write fails on a full disk (retried), the retry on a damaged database (not).
    failures = [disk_full_error(), damaged_database_error(tmp_path)]
    real_transaction = Store.transaction

    def transaction(self):
        if failures:
            exc = failures.pop(0)
            raise store_error(self.path, exc) from exc
        return real_transaction(self)

    monkeypatch.setattr(store_module.Store, "transaction", transaction)
    new = make_photo(folder / "coffee.jpg", "coffee", size=(96, 64))
    requests.index_paths.emit([str(new)])
    qtbot.waitUntil(lambda: len([e for e in events if e[0] == "error"]) == 2, timeout=30000)
    first, second = [e[1] for e in events if e[0] == "error"]
    assert "disk is full" in first and ("retry_pending", first) in events
    assert "damaged" in second
    qtbot.waitUntil(lambda: events[-1] == ("activity", ""), timeout=10000)  # the job is dropped
    assert ("retry_pending", "") not in events  # nothing was saved: no "saved again"

    # The next job saves: no retry is pending any more, so nothing is said about one.
    later = make_photo(folder / "rocket.jpg", "rocket", size=(96, 64))
    requests.index_paths.emit([str(later)])
    qtbot.waitUntil(lambda: len(finished(events)) == 2, timeout=30000)
    assert ("retry_pending", "") not in events


def test_only_errors_that_can_pass_are_retried(tmp_path):
    from desktop_app.ui.workers import _retryable

    def raised(path, exc):
        try:
            raise store_error(path, exc) from exc
        except StoreError as err:
            return err

    assert _retryable(raised(tmp_path / "db", disk_full_error()))
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    conn = sqlite3.connect(garbage)
    with pytest.raises(sqlite3.DatabaseError) as info:
        conn.execute("SELECT * FROM sqlite_master")
    conn.close()
    damaged = raised(garbage, info.value)
    assert "damaged" in str(damaged) and not _retryable(damaged)
