"""Work around a reference-counting bug in PySide6 6.12.0 on Python 3.11.

Every `SignalInstance.emit()` called from Python returns `True` without taking a reference, and
emitting a dict or list drops a reference to `None` inside it. Each emit therefore steals a
reference to `True`; after a few hundred emits the interpreter aborts ("Fatal Python error:
bool_dealloc"), at the latest when it shuts down. Python 3.12 made True/False/None immortal, so
we do the same here when (and only when) a probe shows the leak: give the three singletons an
enormous reference count. Import this module before any signal is emitted (ui/__init__ does).
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40  # references; ~10^12 emits before it could matter
applied = False


def _leaks() -> bool:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    leaked = sys.getrefcount(True) < before
    if leaked:
        for _ in range(8):  # give back what the probe itself stole
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return leaked


def apply() -> bool:
    """Make True/False/None effectively immortal if this PySide6 leaks them. Idempotent."""
    global applied
    if applied or sys.version_info >= (3, 12):
        return applied
    if _leaks():
        for singleton in (True, False, None):
            ctypes.c_ssize_t.from_address(id(singleton)).value += RESERVE
        applied = True
    return applied


apply()
