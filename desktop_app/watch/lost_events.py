"""Hear when the system dropped file events: after a burst larger than the kernel's inotify
queue (16,384 events by default: a big copy, an unpacked archive, a sync client catching up),
events are lost. watchdog then rebuilds its watches and logs a warning, but tells no event
handler, so the photos changed in that burst would stay unseen until the next start. Its log
record is the only sign it gives, so that is what is listened to. watchdog logs it since 7.1
(before, the overflow was dropped without a word): pyproject.toml asks for watchdog>=7.1."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

# The logger of watchdog's inotify reader (watchdog.observers.inotify_c), where the overflow
# is logged as "Inotify queue overflowed; filesystem events were lost".
WATCHDOG_INOTIFY_LOGGER = "watchdog.observers.inotify_c"


class _OverflowHandler(logging.Handler):
    def __init__(self, on_overflow: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self._on_overflow = on_overflow

    def emit(self, record: logging.LogRecord) -> None:
        try:
            overflowed = "queue overflow" in record.getMessage().lower()
        except (TypeError, ValueError):  # a record whose arguments do not fit its message
            return
        if overflowed:
            # A watcher deleted unstopped ("Signal source has been deleted"): raised here, in
            # watchdog's reader thread, it would end that reader (no event read any more).
            with contextlib.suppress(RuntimeError):
                self._on_overflow()


def listen_for_overflow(on_overflow: Callable[[], None]) -> Callable[[], None]:
    """Call `on_overflow()` (on watchdog's reader thread) each time the system dropped events;
    returns the function that stops listening."""
    logger = logging.getLogger(WATCHDOG_INOTIFY_LOGGER)
    handler = _OverflowHandler(on_overflow)
    logger.addHandler(handler)
    if not logger.isEnabledFor(logging.WARNING):  # a logging set-up that silenced it
        logger.setLevel(logging.WARNING)
    return lambda: logger.removeHandler(handler)
