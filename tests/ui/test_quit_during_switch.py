"""Closing the app during a model switch while another process holds the library's write lock:
the switch is cut short by the close, as without that lock (continued at the next start), not
failed: WaitStopped reached _activate's `except LookalikeError`, which said the close's message
as an error and emitted switch_failed, on which the window forgets the switch to continue.
Real IndexerWorker (its job on a thread of the test), real SQLite file, a real second process
holding the lock, two real tiny models, real photos."""

from __future__ import annotations

import threading

from lock_holder import lock_held
from photos import make_photo
from tiny_model import make_tiny_model

from desktop_app.core.store import lock_waits_told_to
from desktop_app.ui.workers import IndexerWorker


def test_closing_during_a_switch_while_another_process_writes_fails_no_switch(qtbot, tmp_path):
    first, second = make_tiny_model(tmp_path / "a", bits=48), make_tiny_model(tmp_path / "b",
                                                                              bits=64)
    database, folder = tmp_path / "library.db", tmp_path / "photos"
    for i in range(6):
        make_photo(folder / f"{i}.jpg", "coffee", size=(96 + i, 80 + i))
    worker = IndexerWorker(str(first), str(database))
    worker.open()
    worker.index_folder(str(folder))
    failed, errors = [], []
    worker.switch_failed.connect(failed.append)
    worker.error.connect(errors.append)
    waiting, ended = threading.Event(), threading.Event()

    def switch() -> None:
        worker.want_model(str(second))
        worker._run("switch_model", str(second))
        ended.set()

    job = threading.Thread(target=switch, daemon=True)
    try:
        with lock_held(database):  # let go at the end of the block
            with lock_waits_told_to(lambda _path, _timeout: waiting.set()):
                job.start()
                assert waiting.wait(25), "the switch never waited for the lock"
            worker.request_quit()  # as the window does first when it closes
            assert ended.wait(5)
    finally:
        if job.is_alive():  # the lock let go: it goes on, so the store is closed after it
            job.join(60)
        worker.close()
    qtbot.wait(50)  # the signals the job sent
    assert failed == [] and errors == []
