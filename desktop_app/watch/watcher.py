"""FolderWatcher: file-system events in, merged and debounced path lists out.

The observer thread only records paths under a lock and pokes the GUI thread (no I/O there).
On the GUI thread a single-shot timer restarts on each poke; when events have been quiet for
`debounce_ms` (or have kept coming for `max_wait_ms`), the pending paths are swapped out and
emitted as `paths_changed(list[str])` and `paths_removed(list[str])`. No watchdog type leaves
this module. Folders on network shares can be polled instead (native events do not arrive there).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ..core.images import is_photo

log = logging.getLogger(__name__)

CHANGED, REMOVED = True, False


class _Recorder(FileSystemEventHandler):
    """Runs on the observer thread: turn each event into pending (path, changed?) and poke."""

    def __init__(self, watcher: FolderWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        src = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if getattr(event, "dest_path", "") else ""
        if event.is_directory:
            # A folder moved in or out carries its photos; created/modified folders are empty
            # or their files send their own events.
            if kind == "moved":
                self._watcher._record([(src, REMOVED), (dest, CHANGED)])
            elif kind == "deleted":
                self._watcher._record([(src, REMOVED)])
            elif kind == "created" and not os.path.basename(src).startswith("."):
                self._watcher._record([(src, CHANGED)])
            return
        if kind == "moved":
            items = []
            if is_photo(src):
                items.append((src, REMOVED))
            if is_photo(dest):  # includes "photo.jpg.part" -> "photo.jpg" at download end
                items.append((dest, CHANGED))
            self._watcher._record(items)
        elif kind == "deleted" and is_photo(src):
            self._watcher._record([(src, REMOVED)])
        elif kind in ("created", "modified", "closed") and is_photo(src):
            self._watcher._record([(src, CHANGED)])
        # "opened" and "closed_no_write" change nothing.


class FolderWatcher(QObject):
    paths_changed = Signal(list)
    paths_removed = Signal(list)
    _poke = Signal()

    def __init__(self, debounce_ms: int = 750, max_wait_ms: int = 5000,
                 poll_interval_s: float = 5.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: dict[str, bool] = {}  # path -> CHANGED/REMOVED, the latest event wins
        self._first_pending_at = 0.0
        self._max_wait_s = max_wait_ms / 1000
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.flush)
        self._poke.connect(self._on_poke)  # queued: emitted from the observer thread
        self._native = None
        self._polling = None
        self._poll_interval_s = poll_interval_s
        self._watches: dict[str, tuple[object, object]] = {}  # folder -> (observer, watch)

    # -- folders --------------------------------------------------------------------------------
    def watch(self, folder: str, polling: bool = False) -> bool:
        """Start watching `folder` recursively. False (and a log line) if it cannot be watched."""
        folder = os.path.abspath(folder)
        if folder in self._watches:
            return True
        if not os.path.isdir(folder):
            log.warning("%s: not watching, the folder does not exist", folder)
            return False
        observer = self._observer(polling)
        try:
            handle = observer.schedule(_Recorder(self), folder, recursive=True)
        except OSError as exc:  # e.g. the inotify watch limit
            log.warning("%s: cannot watch this folder (%s); changes will be found on the "
                        "next start or rescan. On Linux raise fs.inotify.max_user_watches, "
                        "or use polling for this folder", folder, exc)
            return False
        self._watches[folder] = (observer, handle)
        return True

    def unwatch(self, folder: str) -> None:
        folder = os.path.abspath(folder)
        entry = self._watches.pop(folder, None)
        if entry:
            observer, handle = entry
            try:
                observer.unschedule(handle)
            except (KeyError, OSError):
                pass

    def watched(self) -> list[str]:
        return sorted(self._watches)

    def stop(self) -> None:
        self._timer.stop()
        for observer in (self._native, self._polling):
            if observer is not None:
                observer.stop()
        for observer in (self._native, self._polling):
            if observer is not None and observer.is_alive():
                observer.join(timeout=2)
        self._native = self._polling = None
        self._watches.clear()

    def _observer(self, polling: bool):
        if polling:
            if self._polling is None:
                self._polling = PollingObserver(timeout=self._poll_interval_s)
                self._polling.daemon = True
                self._polling.start()
            return self._polling
        if self._native is None:
            self._native = Observer()
            self._native.daemon = True
            self._native.start()
        return self._native

    # -- observer thread ------------------------------------------------------------------------
    def _record(self, items: list[tuple[str, bool]]) -> None:
        if not items:
            return
        with self._lock:
            if not self._pending:
                self._first_pending_at = time.monotonic()
            for path, changed in items:
                self._pending[path] = changed
        self._poke.emit()

    # -- GUI thread -----------------------------------------------------------------------------
    @Slot()
    def _on_poke(self) -> None:
        with self._lock:
            waited = time.monotonic() - self._first_pending_at if self._pending else 0.0
        if self._timer.isActive() and waited >= self._max_wait_s:
            return  # a long burst: let the running timer fire instead of postponing again
        self._timer.start()

    @Slot()
    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        changed = _outermost(p for p, c in pending.items() if c)
        removed = _outermost(p for p, c in pending.items() if not c)
        # Changed first: a moved photo's new path is seen while the old row still exists, so
        # the library can recognise it by fingerprint and keep its code.
        if changed:
            self.paths_changed.emit(changed)
        if removed:
            self.paths_removed.emit(removed)


def _outermost(paths) -> list[str]:
    """Sorted paths without those inside another listed path (a new folder is walked whole)."""
    listed = set(paths)

    def inside_another(path: str) -> bool:
        parent = os.path.dirname(path)
        while parent and parent != path:
            if parent in listed:
                return True
            path, parent = parent, os.path.dirname(parent)
        return False

    return sorted(p for p in listed if not inside_another(p))
