"""Make the kernel really drop file events: watchdog's inotify reader is held back (as on a busy
machine) while more events than the kernel's queue holds are made."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path


def queue_limit() -> int:
    try:
        with open("/proc/sys/fs/inotify/max_queued_events") as limit:
            return int(limit.read())
    except OSError:
        return 16384  # the kernel's default


@contextlib.contextmanager
def reader_held_back(monkeypatch, wake: Path):
    """Within the block watchdog reads no event: `wake` (a file in a watched folder) is written
    so that the reader returns once and then waits; it reads again when the block ends."""
    from watchdog.observers import inotify_c

    released, holding = threading.Event(), threading.Event()
    read_events = inotify_c.InotifyFD.read_events

    def held_back(self, *args, **kwargs):
        if holding.is_set():
            released.wait(30)
        return read_events(self, *args, **kwargs)

    monkeypatch.setattr(inotify_c.InotifyFD, "read_events", held_back)
    holding.set()
    wake.write_bytes(b"")
    time.sleep(0.3)  # the reader is back in read_events, waiting
    try:
        yield
    finally:
        holding.clear()
        released.set()


def overflow(junk: Path) -> None:
    """More events than the queue holds, in `junk` (a folder watched before the burst: events
    of a folder made during it would be found by watchdog's walk of the new folder instead)."""
    for i in range(queue_limit() // 2 + 100):  # two events each (create, close)
        (junk / f"{i}.txt").write_bytes(b"")
