"""Ctrl-C in the terminal the app was started from (`make app`, `lookalike`), and SIGTERM (a
logout, `kill`, a service manager), close the window as its close button does: the settings are
saved, the indexer finishes its batch, a running trainer keeps its checkpoint.

Without this, Ctrl-C did nothing: Python turns SIGINT into KeyboardInterrupt only when it next
runs Python code, and Qt's event loop, waiting in C++, runs none while the app is idle. SIGTERM
ended the process at once, without that clean shutdown. Here the signal is written to a socket
(signal.set_wakeup_fd) that Qt's loop watches, so the loop wakes and Python's handler runs.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def quit_on_signals(app: QApplication, close_window: Callable[[], object]) -> Callable[[], None]:
    """From now on SIGINT and SIGTERM call `close_window()` and end `app.exec()` with 128 + the
    signal's number (130 for Ctrl-C, 143 for SIGTERM), also from inside a dialog's own event
    loop; a second Ctrl-C ends the process at once. Returns the function that undoes this.
    Outside the main thread (where Python handles no signals) it does nothing."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    try:
        previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        reader.close()
        writer.close()
        return lambda: None
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)
    # Reading the byte is all the slot does: with Python running again, the handler runs.
    notifier.activated.connect(lambda *_: _drain(reader))

    def handler(signum: int, frame) -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C ends it at once
        log.info("%s received: closing the window", signal.Signals(signum).name)
        close_window()
        app.exit(128 + signum)

    previous = {number: signal.signal(number, handler) for number in SIGNALS}

    def undo() -> None:
        notifier.setEnabled(False)
        for number, earlier in previous.items():
            signal.signal(number, earlier)
        signal.set_wakeup_fd(previous_fd)
        reader.close()
        writer.close()

    return undo


def _drain(reader: socket.socket) -> None:
    with contextlib.suppress(OSError):  # BlockingIOError: nothing (more) to read
        reader.recv(64)
