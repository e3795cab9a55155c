"""Is the user's limit of inotify watches reached now? Past it watchdog watches a folder with
folders missing: its recursive watch adds one system watch a folder, and refuses (raises) only
when the watched folder itself gets none; for every folder below it, and for every folder made
later (watched as it comes), the refusal (ENOSPC) is swallowed, so those folders go unwatched
without a word. The limit (fs.inotify.max_user_watches) counts the watches of all the user's
programs, so the only sure answer is the system's own: a fresh inotify instance's add_watch,
which needs a watch of room, fails with ENOSPC when none is left. Four system calls, no walk
(the close waits for the kernel to free the watch: 0.25-0.8 ms while folders are made in a burst,
up to 11 ms when no other watch is busy).

Asked right after a watch started (or a folder was made in one): "reached" then means that
the watch lost folders, or that it took the last room (then no folder made later is watched
either). Not reached: every folder got its watch. Linux only; elsewhere, never reached."""

from __future__ import annotations

import ctypes
import errno
import os
import sys

from watchdog.utils import UnsupportedLibcError

_IN_DELETE_SELF = 0x400  # any event will do: the probe reads none


def watch_limit_reached(folder: str) -> bool:
    """Would a new watch of `folder` be refused for the user's limit of watches, now? False
    when it can not be told (not Linux, no inotify instance left, `folder` gone)."""
    if not sys.platform.startswith("linux"):
        return False
    try:  # watchdog's bindings of the system calls
        from watchdog.observers import inotify_c
    except (ImportError, OSError, UnsupportedLibcError):  # a libc without inotify
        return False
    fd = inotify_c.inotify_init()
    if fd == -1:  # the limit of instances (said when a watch fails for it), or no inotify
        return False
    try:
        wd = inotify_c.inotify_add_watch(fd, os.fsencode(folder), _IN_DELETE_SELF)
        if wd == -1:
            return ctypes.get_errno() == errno.ENOSPC
        inotify_c.inotify_rm_watch(fd, wd)
        return False
    finally:
        os.close(fd)
