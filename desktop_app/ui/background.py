"""Background threads yield the CPU to the GUI thread: on Linux each thread has its own nice
value, and threads it starts (decode pool, onnxruntime's) inherit it. Elsewhere a no-op."""

from __future__ import annotations

import logging
import os
import sys
import threading


def _niceness_from_env(default: int = 5) -> int:
    """LOOKALIKE_BACKGROUND_NICENESS, or `default` when unset or not a whole number (a typo
    there stopped the app at start with a traceback)."""
    text = os.environ.get("LOOKALIKE_BACKGROUND_NICENESS", "").strip()
    try:
        return int(text) if text else default
    except ValueError:
        logging.getLogger(__name__).warning(
            "LOOKALIKE_BACKGROUND_NICENESS=%r is not a whole number; using %d", text, default)
        return default


BACKGROUND_NICENESS = _niceness_from_env()


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
