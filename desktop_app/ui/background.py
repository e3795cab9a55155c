"""Background threads yield the CPU to the GUI thread: on Linux each thread has its own nice
value, and threads it starts (decode pool, onnxruntime's) inherit it. Elsewhere a no-op."""

from __future__ import annotations

import os
import sys
import threading

BACKGROUND_NICENESS = int(os.environ.get("LOOKALIKE_BACKGROUND_NICENESS", "5"))


def lower_this_thread(niceness: int = BACKGROUND_NICENESS) -> None:
    """Make the calling thread `niceness` steps nicer than the process (never raises). Safe to
    call at every job: the value is set from the process's, not added to the thread's own (a
    threading.local cannot remember it was done: PySide gives a pool thread a fresh Python
    thread state per job, so thumbnail threads went 5 steps nicer per job, to 19)."""
    if not sys.platform.startswith("linux") or niceness <= 0:
        return
    try:
        tid = threading.get_native_id()
        wanted = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + niceness)
        if os.getpriority(os.PRIO_PROCESS, tid) < wanted:  # never back up: that needs rights
            os.setpriority(os.PRIO_PROCESS, tid, wanted)
    except (OSError, AttributeError):
        pass
