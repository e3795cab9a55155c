"""Another process holding the library's lock, for the tests of what waits for it (the command
line, the store, the app's worker): a real second Python process, so that SQLite's locks are
taken as another Lookalike would take them."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN " + sys.argv[2])
print("held", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


@contextmanager
def lock_held(database: str | Path, begin: str = "IMMEDIATE") -> Iterator[Callable[[], None]]:
    """`database` locked by a second process until the block ends, or until the function it
    yields is called (from any thread; once is enough). `begin`: IMMEDIATE holds the write lock
    (another Lookalike writing); EXCLUSIVE keeps readers out too on a rollback journal (a commit
    being saved on a network folder)."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(database), begin],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lock = threading.Lock()

    def release() -> None:
        with lock:
            if holder.stdin.closed:
                return
            holder.stdin.write("\n")
            holder.stdin.close()
            holder.wait(10)
            holder.stdout.close()

    try:
        assert holder.stdout.readline() == "held\n"
        yield release
    finally:
        release()
