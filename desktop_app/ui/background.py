"""Background threads yield the CPU to the GUI thread: on Linux each thread has its own nice
value, and threads it starts (decode pool, onnxruntime's) inherit it. Elsewhere a no-op."""

from __future__ import annotations

import os
import sys
import threading

BACKGROUND_NICENESS = int(os.environ.get("LOOKALIKE_BACKGROUND_NICENESS", "5"))
_done = threading.local()


def lower_this_thread(niceness: int = BACKGROUND_NICENESS) -> None:
    """Make the calling thread `niceness` steps nicer (once per thread; never raises)."""
    if getattr(_done, "value", False) or not sys.platform.startswith("linux") or niceness <= 0:
        return
    _done.value = True
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + niceness))
    except (OSError, AttributeError):
        pass
