"""Closing the app while another process held the library's write lock froze the window up to
30 s: the worker's close waited inside the store's wait for the lock, which nothing could end.
Store.stop_waiting, called from another thread, ends that wait within a poll step. A real SQLite
library, the lock held by a real second process."""

from __future__ import annotations

import threading
import time

import pytest
from lock_holder import lock_held

from desktop_app.core.store import Store, WaitStopped


def write_lock_held(database):
    return lock_held(database)


def stop_later(store: Store, seconds: float) -> list[float]:
    """Call store.stop_waiting from another thread after `seconds`; the list gets when."""
    stopped_at: list[float] = []

    def stop() -> None:
        stopped_at.append(time.monotonic())
        store.stop_waiting()

    threading.Timer(seconds, stop).start()
    return stopped_at


def test_a_write_waiting_for_another_process_lock_ends_soon_after_stop_waiting(tmp_path):
    with Store(tmp_path / "library.sqlite3") as store, write_lock_held(store.path):
        stopped_at = stop_later(store, 0.5)

        with pytest.raises(WaitStopped) as err:
            store.set_meta("written", "yes")

        ended = time.monotonic()
        # Within a poll step (0.1 s), with room for a loaded machine; not BUSY_TIMEOUT_S.
        assert stopped_at and ended - stopped_at[0] < 1.0
        message = str(err.value)
        assert message.startswith(f"{store.path}: Lookalike stopped waiting for another "
                                  "Lookalike process to finish writing the library")
        assert "nothing saved before was lost" in message
        assert not store.conn.in_transaction  # nothing held on to

    # Once the other process let go, what needs no wait runs (the write lock is free).
    with Store(tmp_path / "library.sqlite3") as other:
        assert other.get_meta("written") is None
    store_again = Store(tmp_path / "library.sqlite3")
    store_again.stop_waiting()
    try:
        store_again.set_meta("written", "yes")
        assert store_again.get_meta("written") == "yes"
    finally:
        store_again.close()


def test_a_wait_asked_to_stop_earlier_ends_at_once_and_other_stores_still_wait(tmp_path):
    stopped = Store(tmp_path / "library.sqlite3")
    waiting = Store(tmp_path / "library.sqlite3")
    try:
        stopped.stop_waiting()
        with write_lock_held(stopped.path):
            started = time.monotonic()
            with pytest.raises(WaitStopped), stopped.transaction():
                pass
            assert time.monotonic() - started < 1.0

            # The stop is that store's own: another one still waits its turn, until stopped.
            started = time.monotonic()
            stop_later(waiting, 0.6)
            with pytest.raises(WaitStopped):
                waiting.set_meta("x", "y")
            assert time.monotonic() - started >= 0.55
    finally:
        stopped.close()
        waiting.close()
