"""FolderWatcher: file-system events in, merged and debounced path lists out.

The observer thread only records paths under a lock and pokes the GUI thread (no I/O there).
On the GUI thread a single-shot timer restarts on each poke; when events have been quiet for
`debounce_ms` (or have kept coming for `max_wait_ms`), the pending paths are swapped out and
emitted as `paths_changed(list[str])` and `paths_removed(list[str])`. No watchdog type leaves
this module. Folders on network shares can be polled instead (native events do not arrive there).

Watches start and end on a worker thread, not the GUI thread: watchdog's recursive start walks
the whole folder adding a system watch to each folder in it (half a second for 20,000 folders),
a polled folder's first snapshot stats every file in it (far longer on a network share), and an
end removes them. watch() waits a moment for its start (START_WAIT_S): a small folder is watched
when it returns, a large one's start goes on in the background (and the folder is reported
changed whole once it has started: a change made before was not heard); `watched()` lists the
folders whose watch has started, and what a start meets (the folder gone, the system's limit)
is said as watch() said it. Past the system's limit of watches, watchdog watches a folder with
folders missing, silently (see watch_limit): that is found after each start, and after each
batch of folders made in a watched one, and said once a watched folder
(`folder_partly_unwatchable`). stop() does not wait for a start still running (a network
folder that does not answer would hold up quitting): the worker ends the watches once it is
done. The threads report to the GUI thread through an object of their own (_Reports), so a
watcher deleted without stop() is never emitted on; its threads end then, as stop() ends them.

A watched folder can go away: its drive is unplugged or unmounted, it is deleted or moved. The
native watch dies with it (and a drive plugged back in is a different folder to the system), so
a checker thread looks every `recheck_s` seconds, and at once when a file system is mounted or
unmounted (Linux), whether each watched folder is still the one being watched, and whether each
folder that went away is back. A folder that went away (or was
missing when `watch` was called) is unwatched and `folder_unavailable(folder)` is emitted; nothing
is reported removed under it (its photos are kept, as the library keeps them), unless it sits in
another watched folder that is still there and saw it deleted or moved away (then the removals
that folder saw are reported: its photos leave the library with it). When it is back it
is watched again, `folder_available(folder)` is emitted, then `paths_changed([folder])` asks for
a reconcile of the whole folder (what changed while it was away).

The checker also opens each watched folder: one that is there but cannot be read (its
permissions were changed) gives `folder_unreadable(folder, cause)` once, nothing is reported
removed, and when it can be read again `paths_changed([folder])` reconciles it. inotify needs read
access, so a folder unreadable when its watch started has none: once readable it is watched
afresh, and so is a watched folder when the permissions of a folder inside it change (and it
can be read), or (Linux) a drive is mounted or unmounted inside it (the library keeps the photos
of a drive not mounted). A folder watched afresh is reported changed whole: what changed between
the old watch's end and the new one's start was not seen. Events in the folders below a watched
folder that the library's walk skips (hidden and system folders, all but a photo app library's
originals: scan.hidden_below) are dropped, except removals: an earlier version indexed photos
there, which the library keeps until the folder's next full check. When the system drops
events (a burst larger than its queue: see lost_events), every natively watched folder is reported
changed whole, and `events_lost(folders)` says so.

Folder links (symlinks to folders) are followed as the library's walk follows them (see
folder_links: once each, never back to a folder holding them, never into a folder watched
already but into a hidden part of one): a link made is reported changed, and one deleted or
moved away removed (the library forgets only what is gone, so the photos through it leave while
its folder stays). inotify follows no link, so the worker finds them (at watch and when one
is made) and the folder each leads to is watched on its own, its changes reported under the
link's name (that watch too starts and ends on the worker, the GUI thread only deciding); the
checker looks whether each still leads to the folder watched (a folder replaced, a drive
unplugged or back): if not, the link is checked (`paths_changed([link])`) and its new folder
watched. A watched folder that is itself a link is watched at the folder it leads to, its paths
reported under its own name. A polled folder's snapshots follow links by the same rule.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import re
import select
import threading
import time
import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from watchdog.events import (
    DirAttribEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingEmitter

from ..core.images import is_photo
from ..core.scan import hidden_below
from .folder_links import LinksOnce, covers, find_folder_links, link_target
from .lost_events import listen_for_overflow
from .watch_limit import watch_limit_reached

log = logging.getLogger(__name__)

CHANGED, REMOVED = True, False
RECHECK_S = 3.0  # how often the checker thread looks for watched folders gone or back
# How long watch() waits for its start on the worker: a small folder's takes a millisecond or
# two, so it is watched when watch() returns (a change made at once is seen); 20,000 folders'
# takes half a second, which goes on in the background (then the folder is checked whole).
START_WAIT_S = 0.05
# How long stop() waits for the watch lock (a watch ending, or starting, on the worker) before
# it leaves ending the watches to the worker, once the job is done.
STOP_WAIT_S = 0.2
# The events watched for: all but "opened" and "closed_no_write", which change nothing. The
# system sends those for every folder a walk opens (four a folder: the folder's own watch and
# its parent's), so a walk of a watched tree of 5,000 folders (the watch's own start, the link
# worker's, the indexer's) overflowed the system's queue of 16,384 events, and watchdog's rebuild
# of its watches after an overflow, a walk itself, overflowed it again, for good: events_lost,
# and the whole folder checked, every few tenths of a second.
HEARD = [DirAttribEvent, DirCreatedEvent, DirDeletedEvent, DirModifiedEvent, DirMovedEvent,
         FileAttribEvent, FileClosedEvent, FileCreatedEvent, FileDeletedEvent, FileModifiedEvent,
         FileMovedEvent]


@dataclass(frozen=True)
class _Root:
    """What was watched: to tell later whether the folder at that path is still the same one."""

    polling: bool
    identity: tuple | None  # (st_dev, st_ino, mount id) when the watch started
    mount_point: bool  # the folder was a mount point (once unmounted an empty folder is left)
    generation: int  # which watch of this folder (a later one must not be dropped for an old)
    real: str = ""  # its real path (it may be a link), as watched natively
    # Its watch has started; not yet: it is starting on the worker (identity and mount_point
    # unknown until then: the checker looks at it once it has).
    started: bool = True
    # The watch's handler: one no longer a watched folder's hears nothing (its watch ends on
    # the worker).
    recorder: _Recorder | None = field(default=None, compare=False)


@dataclass(eq=False)
class _RootStart:
    """A watched folder's watch to start on the worker, asked by the GUI thread, and what the
    worker found there (filled in before `done` is set), for the GUI thread to decide on."""

    folder: str
    root: _Root  # as asked (not started)
    why: str  # "watch" (asked by watch()), "back" (come back) or "afresh" (watched afresh)
    previous: _Root | None = None  # "back": the folder's root while it was away
    done: threading.Event = field(default_factory=threading.Event)
    started: bool = False  # its watch started
    there: bool = True  # the folder was there (not: gone before its watch started)
    cause: str = ""  # why it could not be watched (there), or why only in part (started)
    identity: tuple | None = None
    mount_point: bool = False
    inner_mounts: frozenset[str] = frozenset()
    unreadable: bool = False
    watch: tuple | None = None  # (observer, its watch) once started
    # watch() returned before it had started (asked by it: "watch"): what changed in the
    # folder meanwhile was not seen, and the window's walk of it may have run before.
    late: bool = False


@dataclass(frozen=True)
class _Link:
    """A folder link found below a natively watched folder (see folder_links)."""

    root: str  # the watched folder it was found in
    generation: int  # that folder's watch it was found for
    real: str | None  # the real folder it leads to; None: none now (a drive unplugged?)
    # That folder is watched for it (not: a loop, or a folder watched already), or its watch is
    # starting on the worker (then `identity` is None).
    watched: bool
    identity: tuple | None = None  # (st_dev, st_ino) of that folder when its watch started
    # The watch's handler: one no longer a link's hears nothing (its watch ends on the worker).
    recorder: _Recorder | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _LinksSeen:
    """What the worker saw where it looked for folder links, for the GUI thread to decide
    on with no file-system call."""

    found: list  # folder_links.find_folder_links's: (link, its real folder, followed?)
    identities: dict  # link followed -> (st_dev, st_ino) of its folder
    gone: frozenset  # the links known then (their folders watched) that were gone
    there: bool  # the place looked at was there


class _Recorder(FileSystemEventHandler):
    """Runs on the observer thread: turn each event into pending (path, changed?) and poke.

    It hears the watch of the real folder `watched` and reports its paths under `name`: a
    watched folder that is a link (inotify watches no link, but the folder it leads to), or a
    folder link below one (see folder_links), whose photos the library names through it."""

    def __init__(self, watcher: FolderWatcher, root: str = "", generation: int = 0,
                 watched: str = "", name: str = "", polling: bool = False) -> None:
        self._watcher = watcher
        self._root = root
        self._generation = generation
        self._watched = watched or root
        self._name = name or root
        self._polling = polling  # a polled folder's snapshots follow its links themselves
        self._limit_seen = False  # the system's limit of watches found reached (see watch_limit)

    def _named(self, path: str) -> str | None:
        """`path` under the name it is reported by; None for a path in a folder that another
        link's watch reports (a link to a folder inside this link's one: its name wins, as one
        name a photo must have)."""
        if not _is_under(path, self._watched):
            return path
        if self._name != self._root and self._watcher._claimed_elsewhere(path, self._watched):
            return None
        return self._name + path[len(self._watched):]

    def _seen(self, path: str) -> bool:
        """Not in a hidden folder below the watched one (the library skips those: a drive's
        .Trash-1000, .cache; a photo deleted into such a trash folder is gone). Only for what
        may add photos: a path removed (deleted, moved away) is reported even in a folder the
        walk skips: it can only remove records, and an earlier version indexed photos there
        (they stay until the folder's next full check, so their files' deletions must not be
        lost meanwhile)."""
        return bool(path) and not hidden_below(path, self._root)

    def current(self) -> bool:
        """Any thread: is it still the handler of its watched folder (or folder link)?"""
        if self._name == self._root:
            return self._watcher._hears_root(self._root, self)
        return self._watcher._hears_for(self._name, self)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not self.current():
            # Its folder was unwatched, or its link let go (deleted, moved, pointed elsewhere):
            # its watch ends soon, on the worker.
            return
        kind = event.event_type
        if event.is_directory and kind in ("created", "moved") and not self._polling:
            self._folder_made()
        src = self._named(os.fsdecode(event.src_path))
        dest = self._named(os.fsdecode(event.dest_path)) if getattr(event, "dest_path", "") else ""
        if kind == "moved" and (src is None or dest is None):  # one end is another link's
            kind, src, dest = ("created", dest, "") if src is None else ("deleted", src, "")
        if not src:
            return
        if event.is_directory and src == self._name and kind in ("deleted", "moved"):
            if self._name == self._root:
                # The watched folder itself went away (its watch is dead): keep its photos and
                # watch for it to come back.
                self._watcher._reports.root_went_away.emit(self._root, self._generation)
            else:
                # A link's folder went away: the link leads to nothing now (its photos are
                # kept, as the walk keeps them), or to a folder made again there.
                self._watcher._find_links(self._root, self._generation, self._name,
                                          reconcile=True)
            return
        if not self._polling and self._note_links(kind, src, dest, event.is_directory):
            return
        if event.is_directory:
            # A folder moved in or out carries its photos; created/modified folders are empty
            # or their files send their own events.
            if kind == "moved":
                self._watcher._record([(src, REMOVED)]
                                      + ([(dest, CHANGED)] if self._seen(dest) else []))
            elif kind == "deleted":
                self._watcher._record([(src, REMOVED)])
            elif kind == "created" and self._seen(src):
                self._watcher._record([(src, CHANGED)])
            elif kind == "attrib" and src != self._root and self._seen(src):
                # Its permissions changed (chmod): checked again, and re-watched, as a folder
                # that could not be read when the watch started has no watch inside it (one
                # that cannot be read now would not get one: its old watch, if any, still works).
                readable = _unreadable_because(src) is None
                self._watcher._record([(src, CHANGED)], rewatch=self._root if readable else "")
            return
        if kind == "moved":
            items = []
            if is_photo(src):
                items.append((src, REMOVED))
            # Includes "photo.jpg.part" -> "photo.jpg" at download end.
            if is_photo(dest) and self._seen(dest):
                items.append((dest, CHANGED))
            self._watcher._record(items)
        elif kind == "deleted" and is_photo(src):
            self._watcher._record([(src, REMOVED)])
        elif (kind in ("created", "modified", "closed", "attrib") and is_photo(src)
              and self._seen(src)):
            # "attrib": a chmod giving read access back (the photo failed before), or a
            # rewrite that kept the mtime (cp -p); an unchanged file is only fingerprinted.
            self._watcher._record([(src, CHANGED)])
        # "opened" and "closed_no_write" change nothing.

    def _folder_made(self) -> None:
        """A folder made (or moved in): watchdog watched it as it came, quietly not if the
        system's limit of watches is reached. Looked at once for a batch of folders made, on
        the worker after the flush (see look_at_limit): each look costs a watch added and
        removed, 10,000 folders made at once (an archive unpacked) held this thread 2 s."""
        if not self._limit_seen:
            self._watcher._look_at_limit_soon(self)

    def look_at_limit(self) -> bool:
        """Worker: True the first time folders made in its watch are found past the system's
        limit of watches (then it is said; once a watch)."""
        if self._limit_seen or not self.current() or not watch_limit_reached(self._watched):
            return False
        self._limit_seen = True
        return True

    def _note_links(self, kind: str, src: str, dest: str, folder: bool) -> bool:
        """A folder link made, moved or deleted (inotify says so as of a file; watchdog's own
        events for what a new folder holds, as of a folder): what its folder holds is indexed
        or forgotten under its name, and that folder watched or no longer. True when the event
        was a link's, which then says nothing more."""
        items = []
        gone = src if kind in ("deleted", "moved") else ""
        if gone and self._watcher._links_at(gone, inside=folder):  # a link, or a folder of some
            items.append((gone, REMOVED))  # remove_paths forgets only what is gone
            self._watcher._find_links(self._root, self._generation, gone)
        new = dest if kind == "moved" else src if kind == "created" else ""
        # A link to a photo (or one named as a photo, leading nowhere) is a photo, said below.
        link = (bool(new) and os.path.islink(new)
                and (os.path.isdir(new) or not is_photo(new)))
        if link and self._seen(new):
            if self._watcher._would_follow(new):
                items.append((new, CHANGED))
            elif self._watcher._links_at(new, inside=False):  # followed until now: its photos go
                items.append((new, REMOVED))
            self._watcher._find_links(self._root, self._generation, new)
        self._watcher._record(items)
        return link


class _Reports(QObject):
    """What the watcher's threads (observers, checker, worker) tell its GUI thread: signals of
    an object of their own, not of the watcher, so that a watcher deleted without stop() (its
    window destroyed) is never emitted on from those threads. Such an emit raised there
    ("Signal source has been deleted", which ended the observer's thread), or crashed the
    process when it met the watcher being deleted. This object has no Qt parent: it lives while
    the threads hold it; a receiver deleted is what Qt handles: what is told after goes nowhere.
    The watcher deleted, its threads are ended (`let_go`), as stop() ends them, not waited for."""

    poke = Signal()  # from an observer thread: paths recorded (see _record)
    overflowed = Signal()  # from watchdog's reader thread
    root_went_away = Signal(object, int)  # from an observer thread: (folder, generation)
    presence = Signal(object, object)  # from the checker: [(folder, generation)] gone, [back]
    readability = Signal(object, object)  # from the checker thread: [(folder, cause)], [readable]
    inner_mounts_changed = Signal(object)  # from the checker thread: [(folder, [mount points])]
    # From the worker: (watched folder, its generation, where it looked, what it saw there
    # (a _LinksSeen), check that place whole?).
    links_found = Signal(object, int, object, object, bool)
    # From the worker: (link, its watch's handler, the identity of the folder watched, or None
    # if it could not be watched, and why: the system's limit, or "" for another cause; with an
    # identity, a cause says it was watched only in part).
    link_watched = Signal(object, object, object, str)
    root_started = Signal(object)  # from the worker: a _RootStart done
    # From the worker: (watched folder, name, handler) of a watch found past the system's limit
    # of watches once folders were made in it.
    limit_reached = Signal(object, object, object)

    def __init__(self) -> None:
        super().__init__()  # no parent: the watcher's deletion must not take it along
        self.watcher_deleted = threading.Event()  # then the checker ends
        self.let_go: Callable[[], None] | None = None  # ends the observers and the worker

    @Slot()
    def on_watcher_destroyed(self) -> None:
        self.watcher_deleted.set()
        if self.let_go is not None:
            self.let_go()


class FolderWatcher(QObject):
    # Paths as `object`, alone or in lists: Signal(str) and Signal(list) make them Qt strings,
    # which drop the bytes of a name that is not UTF-8 (kept by Python as surrogate escapes);
    # such a photo would never be indexed or removed, such a folder never watched again.
    paths_changed = Signal(object)
    paths_removed = Signal(object)
    # A watched folder is not there (drive unplugged, folder deleted or moved, or missing when
    # watch() was called); its photos are kept (unless a watched folder around it saw it go:
    # see flush) and it is watched again when it is back.
    folder_unavailable = Signal(object)
    # A folder that was unavailable is back and watched again; paths_changed([folder]) follows
    # (after the debounce) so the indexer reconciles what changed while it was away.
    folder_available = Signal(object)
    # A watched folder is there but cannot be read now (its permissions were changed): (folder,
    # cause). Nothing under it is reported removed; once readable again it is reconciled.
    folder_unreadable = Signal(object, str)
    # A folder the system cannot watch now (its limit of watched folders reached): (folder,
    # cause). Its changes while the app runs are found at the next start.
    folder_unwatchable = Signal(object, str)
    # A watched folder (or a folder link's folder) watched only in part: some folders in it
    # have no watch, the system's limit of watches reached (watchdog says nothing of those):
    # (folder, cause). Changes in them while the app runs are found at the next start.
    folder_partly_unwatchable = Signal(object, str)
    # The system dropped file events (a burst larger than its queue): the watched folders listed
    # were reported changed whole, so that what changed in the burst is found.
    events_lost = Signal(object)
    def __init__(self, debounce_ms: int = 750, max_wait_ms: int = 5000,
                 poll_interval_s: float = 5.0, recheck_s: float | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: dict[str, bool] = {}  # path -> CHANGED/REMOVED, the latest event wins
        self._first_pending_at = 0.0
        self._max_wait_s = max_wait_ms / 1000
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.flush)
        # Queued: each is emitted on another thread (the observers', the checker, the worker).
        self._reports = reports = _Reports()
        self.destroyed.connect(reports.on_watcher_destroyed)
        # Weakly: a watcher stopped and dropped is freed at once, as before.
        reports.let_go = partial(_let_threads_go, weakref.ref(self))
        reports.poke.connect(self._on_poke)
        reports.root_went_away.connect(self._on_root_went_away)
        reports.presence.connect(self._on_presence)
        reports.readability.connect(self._on_readability)
        reports.inner_mounts_changed.connect(self._on_inner_mounts_changed)
        reports.overflowed.connect(self._on_overflowed)
        reports.links_found.connect(self._on_links_found)
        reports.link_watched.connect(self._on_link_watched)
        reports.root_started.connect(self._on_root_started)
        reports.limit_reached.connect(self._on_limit_reached)
        self._stop_listening = None
        self._native = None
        self._polling = None
        self._poll_interval_s = poll_interval_s
        # GUI thread: the watched folders whose watch started -> (observer, watch, its _Recorder)
        self._watches: dict[str, tuple[object, object, _Recorder]] = {}
        # Watches start and end on the worker (and all end in stop(), or on the worker after a
        # start stop() did not wait for), one at a time: (observer, watch) -> its handlers
        # (see _let_go: two names of one folder share a watch).
        self._watch_lock = threading.Lock()
        self._watch_users: dict[tuple[object, object], set[_Recorder]] = {}
        # Shared with the checker thread (under _lock): the folders watched (or whose watch is
        # starting), and those waiting to come back (folder -> the _Root they had, or one made
        # up if never watched).
        self._roots: dict[str, _Root] = {}
        self._starts: dict[str, _RootStart] = {}  # GUI thread: the starts asked, not yet done
        self._waiting: dict[str, _Root] = {}
        self._unreadable: set[str] = set()  # watched folders that could not be opened
        # Folders said unwatchable (folder_unwatchable), once until a watch of them works: the
        # window watches every folder again after a model switch, which would say it again
        # over its "Now using the model".
        self._unwatchable: set[str] = set()
        # Watched folders whose folder links were said unwatchable: once a folder, as past the
        # system's limit every link after fails (a folder of 200 links gave 200 notices).
        self._links_unwatchable: set[str] = set()
        # Watched folders said watched in part (folder_partly_unwatchable), once until a watch
        # of them is whole: past the limit each folder made in one would say it again.
        self._partly_unwatchable: set[str] = set()
        self._rewatch: set[str] = set()  # watched folders to watch afresh at the next flush
        # The watches folders were made in: the limit of watches looked at after the next flush.
        self._limit_looks: set[_Recorder] = set()
        # Watched folder -> the drives mounted inside it (not polled ones), as last seen.
        self._inner_mounts: dict[str, frozenset[str]] = {}
        self._generation = 0
        self.recheck_s = RECHECK_S if recheck_s is None else recheck_s
        self._checker: _Checker | None = None
        # Folder links below natively watched folders (see folder_links), by name: shared with
        # the observer, checker and worker threads (under _lock). Decided on the GUI thread;
        # their folders' watches start and end on the worker (a start walks the folder).
        self._links: dict[str, _Link] = {}
        self._link_watches: dict[str, _Recorder] = {}  # GUI thread: those whose watch started
        # (link, generation) the checker has the worker look at again
        self._rechecking: set[tuple[str, int]] = set()
        self._worker: _WatchWorker | None = None

    # -- folders --------------------------------------------------------------------------------
    def watch(self, folder: str, polling: bool = False) -> bool:
        """Start watching `folder` recursively, on the worker. True: it is watched, or its watch
        is starting (a start that fails then says why: folder_unwatchable, or
        folder_unavailable for a folder gone meanwhile). False (and a log line): it cannot be
        watched now, or it is missing: then it is watched as soon as it is there
        (folder_available). Waits a moment (START_WAIT_S) for the start: a small folder is
        watched, or said not watchable, when it returns."""
        folder = os.path.abspath(folder)
        if folder in self._roots:
            return True  # watched, or its watch is starting
        self._start_checker()
        if self._worker is None:
            self._worker = _WatchWorker()
            self._worker.start()
        if not os.path.isdir(folder):
            if folder not in self._waiting:
                log.warning("%s: not available (drive unplugged?); it is watched again, and its "
                            "changes indexed, when it is back", folder)
                with self._lock:
                    self._waiting[folder] = _Root(polling, None, False, 0)
                self.folder_unavailable.emit(folder)
            return False
        start = self._come_back(folder) if folder in self._waiting else self._schedule(folder,
                                                                                      polling)
        # Not when queued behind another folder's start (it would wait for that one too).
        alone = start is not None and list(self._starts.values()) == [start]
        if alone and start.done.wait(START_WAIT_S):
            self._on_root_started(start)
        elif start is not None:
            start.late = True
        return folder in self._roots

    def unwatch(self, folder: str) -> None:
        folder = os.path.abspath(folder)
        self._unwatchable.discard(folder)
        self._links_unwatchable.discard(folder)
        self._partly_unwatchable.discard(folder)
        with self._lock:
            self._waiting.pop(folder, None)
        self._unschedule(folder)

    def watched(self) -> list[str]:
        """The folders watched now: their watch has started (not those whose watch is starting,
        nor those waiting to come back: see unavailable())."""
        return sorted(self._watches)

    def unavailable(self) -> list[str]:
        """The folders asked for that are not there now (each is watched again when back)."""
        with self._lock:
            return sorted(self._waiting)

    def links(self) -> list[str]:
        """The folder links below the watched folders whose folders are watched for them (their
        changes reported under the links' names). Found, and their folders' watches started,
        in the background after watch()."""
        return sorted(self._link_watches)

    def stop(self) -> None:
        """Stop watching every folder; nothing is reported after. A watch starting on the worker
        (a polled network folder whose first listing hangs, a native start walking 20,000
        folders) is not waited for, so quitting does not hang: no watch starts after this, and
        the worker ends every watch once that start is done."""
        self._timer.stop()
        if self._checker is not None:
            self._checker.stop()
        observers = [o for o in (self._native, self._polling) if o is not None]
        end_watches = partial(_end_observers, self._watch_lock, observers, self._watch_users)
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop(then=end_watches)
        if end_watches(wait_s=STOP_WAIT_S):  # no start held them: ended now, waited for
            for observer in observers:
                if observer.is_alive():
                    observer.join(timeout=2)
            if worker is not None and worker.is_alive():
                worker.join(timeout=2)
        if self._checker is not None and self._checker.is_alive():
            self._checker.join(timeout=2)
        self._checker = None
        self._link_watches.clear()
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        self._native = self._polling = None
        self._watches.clear()
        self._starts.clear()
        self._unwatchable.clear()
        self._links_unwatchable.clear()
        self._partly_unwatchable.clear()
        with self._lock:
            # Heard, not yet reported: a poke still queued, or the next watch's first flush,
            # would report it after stop().
            self._pending.clear()
            self._roots.clear()
            self._waiting.clear()
            self._unreadable.clear()
            self._inner_mounts.clear()
            self._rewatch.clear()
            self._limit_looks.clear()
            self._links.clear()
            self._rechecking.clear()

    def _let_threads_go(self) -> None:
        """GUI thread, the watcher being deleted without stop(): its observers (their threads,
        the system's watches), its worker and its overflow listener would live on, for good.
        Ended as stop() ends them, not waited for (nothing is told any more)."""
        worker, self._worker = self._worker, None
        if worker is not None:  # none: stopped, or never watching (the observers come after)
            observers = [o for o in (self._native, self._polling) if o is not None]
            # On the worker, after the job running, if any: this thread never waits here.
            worker.stop(then=partial(_end_observers, self._watch_lock, observers,
                                     self._watch_users))
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None

    def _schedule(self, folder: str, polling: bool, why: str = "watch",
                  previous: _Root | None = None) -> _RootStart | None:
        """Have the worker start watching `folder` (see _start_root_watch), `why` says for what
        (see _RootStart); the start asked, or None when there is no observer to watch with
        (said as a start that failed)."""
        self._generation += 1
        real = os.path.realpath(folder)
        # Natively, the folder a link leads to (a watch of the link would hear the link only);
        # polled, by its name (its snapshots list it through the link).
        watched = folder if polling else real
        handler = _Recorder(self, folder, self._generation, watched=watched, polling=polling)
        try:
            observer = self._observer(polling)
        except OSError as exc:  # the limit of inotify instances
            self._not_watched(folder, why, _unwatchable_because(exc))
            return None
        # Watched for links until now: those watches end first (the worker's jobs run in order),
        # and the links are looked at again, then not followed (one watch a folder).
        self._cover_links(real)
        root = _Root(polling, None, False, self._generation, real, started=False,
                     recorder=handler)
        start = _RootStart(folder, root, why, previous)
        with self._lock:
            self._roots[folder] = root
        self._starts[folder] = start
        self._to_worker(partial(self._start_root_watch, start, observer))
        return start

    def _start_root_watch(self, start: _RootStart, observer, worker: _WatchWorker) -> None:
        """Worker: start the watch `start` asks for (natively a walk of the whole folder adding
        a system watch to each folder in it, polled the first snapshot of it), and hand what
        it found to the GUI thread. Not if the folder was unwatched meanwhile (the GUI thread
        forgets it at once; its watch's end, asked after, finds none)."""
        try:
            if not self._hears_root(start.folder, start.root.recorder):
                return
            try:
                self._start_root(start, observer, worker)
            except Exception as exc:  # one odd folder must not leave its start asked for good
                log.exception("watching %s failed", start.folder)
                start.started, start.cause = False, str(exc)
        finally:
            start.done.set()
        worker.report(self._reports.root_started, start)

    def _start_root(self, start: _RootStart, observer, worker: _WatchWorker) -> None:
        """Worker: start's part of _start_root_watch: what it finds goes in `start`."""
        folder, root = start.folder, start.root
        watched = folder if root.polling else root.real
        mounts = _mounts()
        previous = start.previous or root  # back: a mount point must be one again
        if not _present(folder, previous):
            start.there = False
            return
        try:
            start.identity = _identity(folder, mounts)
            start.mount_point = os.path.ismount(folder)
            handle = self._start_watch(observer, root.recorder, watched, worker.stopping)
        except (OSError, RuntimeError) as exc:  # e.g. the system's limit; no thread left
            start.there = _present(folder, previous)
            start.cause = _unwatchable_because(exc) if isinstance(exc, OSError) else str(exc)
            return
        if handle is None:
            return  # the watcher stops
        worker.handles[root.recorder] = (observer, handle)
        start.started, start.watch = True, (observer, handle)
        start.unreadable = _unreadable_because(folder) is not None  # said by the scan after
        if not root.polling:
            start.inner_mounts = _mounted_inside(folder, mounts)
            if watch_limit_reached(watched):  # folders in it went unwatched, quietly
                start.cause = _LIMIT_CAUSE
            self._find_links(folder, root.generation, folder)

    @Slot(object)
    def _on_root_started(self, start: _RootStart) -> None:
        folder = start.folder
        if self._starts.get(folder) is not start:
            return  # unwatched meanwhile (its watch ends on the worker), or taken by watch()
        if not start.there:
            self._went_away(folder, start.root.generation)  # gone before its watch started
            return
        del self._starts[folder]
        if not start.started:
            self._unschedule(folder)
            self._not_watched(folder, start.why, start.cause)
            return
        with self._lock:
            self._roots[folder] = replace(start.root, identity=start.identity,
                                          mount_point=start.mount_point, started=True)
            if not start.root.polling:
                self._inner_mounts[folder] = start.inner_mounts
            if start.unreadable:
                self._unreadable.add(folder)
            else:
                self._unreadable.discard(folder)
        self._watches[folder] = (*start.watch, start.root.recorder)
        self._unwatchable.discard(folder)
        if start.cause:
            self._say_partly_unwatchable(folder, start.cause)
        else:
            self._partly_unwatchable.discard(folder)  # whole: said again if it is not later
        if start.why == "back":
            log.info("%s: the folder is back; indexing what changed while it was away", folder)
            self.folder_available.emit(folder)
        if start.why != "watch" or start.late:
            # What changed before its watch started was not seen: the whole folder is checked
            # (watched afresh: from the old watch's end, its walk of the tree included; started
            # after watch() returned: from then on, which the window's own walk of the folder,
            # made at once on another thread, may not cover).
            self._record([(folder, CHANGED)])

    def _not_watched(self, folder: str, why: str, cause: str) -> None:
        """`folder` is there, but the system will not watch it (its limit, say): said once."""
        log.warning("%s: cannot watch this folder (%s); changes will be found on the next "
                    "start", folder, cause)
        if folder not in self._unwatchable:  # the window watches each folder again, at times
            self._unwatchable.add(folder)
            self.folder_unwatchable.emit(folder, cause)
        if why == "back":
            log.warning("%s: the folder is back but cannot be watched; it is indexed now", folder)
            self.folder_available.emit(folder)
        if why != "watch":
            self._record([(folder, CHANGED)])

    def _say_partly_unwatchable(self, folder: str, cause: str) -> None:
        log.warning("%s: some folders in it cannot be watched (%s); changes there will be found "
                    "on the next start", folder, cause)
        if folder not in self._partly_unwatchable:
            self._partly_unwatchable.add(folder)
            self.folder_partly_unwatchable.emit(folder, cause)

    def _look_at_limit_soon(self, recorder: _Recorder) -> None:
        """Observer thread: folders were made in `recorder`'s watch: have the limit of watches
        looked at once the batch is flushed."""
        with self._lock:
            if recorder in self._limit_looks:
                return
            self._limit_looks.add(recorder)
        self._reports.poke.emit()  # a flush soon, even with nothing recorded (a hidden folder)

    def _look_at_limit_for(self, recorder: _Recorder, worker: _WatchWorker) -> None:
        """Worker: see _Recorder.look_at_limit."""
        if recorder.look_at_limit():
            worker.report(self._reports.limit_reached, recorder._root, recorder._name, recorder)

    @Slot(object, object, object)
    def _on_limit_reached(self, root: str, name: str, recorder: _Recorder) -> None:
        if not recorder.current():  # unwatched, or the link let go, meanwhile
            return
        if name == root:
            self._say_partly_unwatchable(root, _LIMIT_CAUSE)
        else:  # a link's recorder: `root` is the watched folder it was found in
            self._say_link_partly_unwatchable(name, root, _LIMIT_CAUSE)

    def _unschedule(self, folder: str) -> _Root | None:
        self._watches.pop(folder, None)
        self._starts.pop(folder, None)
        with self._lock:
            root = self._roots.pop(folder, None)
            self._unreadable.discard(folder)
            self._inner_mounts.pop(folder, None)
        self._drop_links(folder, root=folder)
        if root is None:
            return None
        # On the worker, after its start if that has not run yet: the jobs run in order.
        self._to_worker(partial(self._end_watch, root.recorder))
        self._refind_links_into(root.real)  # links elsewhere that this folder covered
        if not root.polling:
            # A watched folder around it or inside it may have had its links found for this
            # one (one name, one entry): they are found for it again.
            with self._lock:
                nested = [(f, r.generation, folder if _is_under(folder, f) else f)
                          for f, r in self._roots.items() if not r.polling
                          and (_is_under(folder, f) or _is_under(f, folder))]
            for other, generation, top in nested:
                self._find_links(other, generation, top)
        return root

    def _start_watch(self, observer, handler: _Recorder, path: str,
                     stopping: threading.Event | None = None):
        """Worker: watch the real folder `path` for `handler` (a watch of it started already is
        shared); its watch, or None when the worker stops (none starts after stop())."""
        with self._watch_lock:
            if observer is None or (stopping is not None and stopping.is_set()):
                return None
            handle = observer.schedule(handler, path, recursive=True, event_filter=HEARD)
            self._watch_users.setdefault((observer, handle), set()).add(handler)
            return handle

    def _let_go(self, observer, handle, handler: _Recorder) -> None:
        """Worker: stop `handler` hearing `handle`'s events. The watch ends with its last
        handler: two watched folders that are one folder by two names (a link and its folder)
        share it, and so do a link's folder and that folder watched itself while the link's
        watch, let go on the worker, has not ended yet."""
        with self._watch_lock:
            users = self._watch_users.get((observer, handle), set())
            users.discard(handler)
            if not users:
                self._watch_users.pop((observer, handle), None)
            try:
                if users:
                    observer.remove_handler_for_watch(handler, handle)
                else:
                    observer.unschedule(handle)
            except (KeyError, OSError, RuntimeError):
                pass

    def _observer(self, polling: bool):
        if polling:
            if self._polling is None:
                # Its snapshots follow folder links once each, as the library's walk does.
                emitter = partial(_PollingEmitter, covered_elsewhere=self._real_roots_but)
                self._polling = BaseObserver(emitter, timeout=self._poll_interval_s)
                self._polling.daemon = True
                self._polling.start()
            return self._polling
        if self._native is None:
            native = Observer()  # may raise (the inotify instance limit)
            native.daemon = True
            native.start()
            self._native = native  # only once it runs: a later call tries again
            # Only once it runs: a listener added before a failed try was never removed.
            self._stop_listening = listen_for_overflow(self._reports.overflowed.emit)
        return self._native

    # -- folder links (see folder_links) ---------------------------------------------------------
    def _find_links(self, root: str, generation: int, top: str, reconcile: bool = False) -> None:
        """Any thread: have the worker look for folder links at or below `top` (in the
        watched folder `root`), and watch their folders instead of those known there now;
        `reconcile`: then report `top` changed (a link's folder replaced, or back)."""
        self._to_worker(partial(self._look_for_links, root, generation, top, reconcile))

    def _to_worker(self, job: Callable[[_WatchWorker], None]) -> None:
        worker = self._worker
        if worker is not None:
            worker.do(job)

    def _look_for_links(self, root: str, generation: int, top: str, reconcile: bool,
                        worker: _WatchWorker) -> None:
        """Worker: walk for the links at `top` and hand them to the GUI thread, with what
        it needs to decide there without a file-system call: the links known that are gone,
        and whether `top` is there."""
        try:
            found = self._walk_links(root, generation, top, worker.stopping)
            if found is None:
                return
            identities = {}
            for name, real, followed in found:
                if followed:
                    with contextlib.suppress(OSError):
                        st = os.stat(real)
                        identities[name] = (st.st_dev, st.st_ino)
            with self._lock:
                names = [name for name, link in self._links.items() if link.watched]
            gone = frozenset(name for name in names if not os.path.lexists(name))
            seen = _LinksSeen(found, identities, gone, os.path.lexists(top))
        except Exception:  # one odd folder must not end the looking for good
            log.exception("looking for folder links in %s failed", top)
            return
        worker.report(self._reports.links_found, root, generation, top, seen, reconcile)

    def _walk_links(self, root: str, generation: int, top: str, stopping: threading.Event):
        """Worker: what folder_links finds at `top`, or None (the folder is not watched by
        that watch any more, or the watcher stops)."""
        def gone() -> bool:
            with self._lock:
                now = self._roots.get(root)
            return stopping.is_set() or now is None or now.generation != generation

        with self._lock:
            now = self._roots.get(root)
        if now is None or now.generation != generation or now.polling:
            return None
        return find_folder_links(top, root, self._covered(but=top), should_stop=gone)

    @Slot(object, int, object, object, bool)
    def _on_links_found(self, root: str, generation: int, top: str, seen: _LinksSeen,
                        reconcile: bool) -> None:
        now = self._roots.get(root)
        if now is None or now.generation != generation or now.polling:
            return
        known = top in self._links
        with self._lock:  # replaced below, never missing meanwhile (the worker looks)
            before = {name: link for name, link in self._links.items() if _is_under(name, top)}
            self._rechecking.discard((top, generation))
        covered = self._covered(but=top, gone=seen.gone)
        passed_by: list[str] = []  # followed by the walk, not now: nor the links it found
        starts = []
        for name, real, followed in seen.found:
            if any(_is_under(name, p) for p in passed_by):
                continue
            link = _Link(root, generation, real, False)
            if followed and not covers(covered, real):
                covered.append(real)
                if _keeps_watch(before.get(name), link, seen.identities.get(name)):
                    link = before.pop(name)
                else:
                    link = replace(link, watched=True, recorder=_Recorder(
                        self, root, generation, watched=real, name=name))
                    starts.append(partial(self._start_link_watch, name, real, link.recorder))
            elif followed:
                passed_by.append(name)
            with self._lock:
                self._links[name] = link
        with self._lock:  # those not found again
            for name, link in before.items():
                if self._links.get(name) is link:
                    del self._links[name]
        for name in before:
            self._link_watches.pop(name, None)
        # The old watches end first: a new one of the same folder would share an old one's
        # (watchdog's: one a folder), dead if the folder was made again.
        self._end_links(before, but=top)
        for start in starts:
            # On the worker: a start walks the whole folder, adding a system watch to each
            # folder in it (0.4-0.6 s of a frozen window for 20,000 folders).
            self._to_worker(start)
        if reconcile and seen.there:
            # Followed: what it leads to now is indexed (and what is gone from there swept).
            # Not (a loop, a folder watched already): what was indexed through it goes, if gone
            # (a link to nothing now, a drive unplugged: its photos are kept, as the walk keeps
            # them).
            link = self._links.get(top)
            if link is None or link.watched:
                self._record([(top, CHANGED)])
            elif link.real is not None:
                self._record([(top, REMOVED)])
        elif reconcile and known:
            # The link itself is gone (deleted, moved away), seen by the checker before the
            # observer told of it, which then, the link forgotten here, took it for a file of
            # no photo and said nothing: its photos leave, as a link deleted's.
            self._record([(top, REMOVED)])

    def _start_link_watch(self, name: str, real: str, recorder: _Recorder,
                          worker: _WatchWorker) -> None:
        """Worker: watch the folder `real` that the link `name` leads to, its changes
        reported under that name by `recorder`, and tell the GUI thread how it went. Not if the
        link was let go meanwhile (the GUI thread forgets it at once)."""
        if not self._hears_for(name, recorder):
            return
        observer = self._native  # links are followed below natively watched folders only
        try:
            st = os.stat(real)
            handle = self._start_watch(observer, recorder, real, worker.stopping)
        except (OSError, RuntimeError) as exc:  # e.g. the inotify watch limit; no thread left
            limit = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EMFILE)
            worker.report(self._reports.link_watched, name, recorder, None,
                          _unwatchable_because(exc) if limit else "")
            return
        if handle is not None:
            worker.handles[recorder] = (observer, handle)
            # Folders in it may have gone unwatched, quietly (see watch_limit).
            partly = _LIMIT_CAUSE if watch_limit_reached(real) else ""
            worker.report(self._reports.link_watched, name, recorder, (st.st_dev, st.st_ino),
                          partly)

    def _end_watch(self, recorder: _Recorder, worker: _WatchWorker) -> None:
        """Worker: end the watch `recorder` had, a watched folder's or a link's folder's (after
        its start: the jobs run in order)."""
        entry = worker.handles.pop(recorder, None)
        if entry is not None:
            self._let_go(*entry, recorder)

    @Slot(object, object, object, str)
    def _on_link_watched(self, name: str, recorder: _Recorder, identity: tuple | None,
                         cause: str) -> None:
        inside: list[str] = []
        with self._lock:
            link = self._links.get(name)
            if link is None or link.recorder is not recorder:
                return  # let go meanwhile: its watch ends on the worker, asked after its start
            if identity is not None:
                self._links[name] = replace(link, identity=identity)
            else:
                # Not followed after all, nor the links found through it (their watches end);
                # nothing else is looked at again for it: at the system's limit, a second link
                # to its folder would fail in turn, and have it looked at again, for ever.
                self._links[name] = replace(link, watched=False, recorder=None)
                inside = sorted(n for n in self._links if n != name and _is_under(n, name))
        if identity is not None:
            self._link_watches[name] = recorder
            if cause:
                self._say_link_partly_unwatchable(name, link.root, cause)
            return
        if cause:
            log.warning("%s: cannot watch the folder this link leads to (%s); changes there "
                        "will be found on the next start", name, cause)
            if link.root not in self._links_unwatchable:
                self._links_unwatchable.add(link.root)
                self.folder_unwatchable.emit(name, cause)
        for inner in inside:
            self._drop_links(inner)

    def _say_link_partly_unwatchable(self, name: str, root: str, cause: str) -> None:
        """Once for the watched folder `root`'s links, and not once it was said in part itself
        (the link's folders are in it, by their names)."""
        log.warning("%s: some folders in the folder this link leads to cannot be watched (%s); "
                    "changes there will be found on the next start", name, cause)
        if root not in self._links_unwatchable and root not in self._partly_unwatchable:
            self._links_unwatchable.add(root)
            self.folder_partly_unwatchable.emit(name, cause)

    def _hears_for(self, name: str, recorder: _Recorder) -> bool:
        """Any thread: is `recorder` the handler of the folder link `name` now?"""
        with self._lock:
            link = self._links.get(name)
        return link is not None and link.recorder is recorder

    def _hears_root(self, folder: str, recorder: _Recorder | None) -> bool:
        """Any thread: is `recorder` the handler of the watched folder `folder` now (its watch
        started, or starting)?"""
        with self._lock:
            root = self._roots.get(folder)
        return root is not None and root.recorder is recorder

    def _drop_links(self, prefix: str, root: str | None = None) -> None:
        """Forget the folder links at or below `prefix` (those found for `root` only, if given)
        and have their folders' watches ended; links those folders covered are looked at
        again."""
        with self._lock:
            names = [name for name, link in self._links.items()
                     if _is_under(name, prefix) and (root is None or link.root == root)]
            dropped = {name: self._links.pop(name) for name in names}
        for name in dropped:
            self._link_watches.pop(name, None)
        self._end_links(dropped, but=prefix)

    def _end_links(self, dropped: dict[str, _Link], but: str) -> None:
        """Have the watches of the folder links `dropped` (forgotten) ended; links not followed
        as they led into their folders (but those at or below `but`) are looked at again."""
        for link in dropped.values():
            if link.recorder is not None:  # started, or starting: the worker ends it after
                self._to_worker(partial(self._end_watch, link.recorder))
        for link in dropped.values():
            if link.watched:
                self._refind_links_into(link.real, but=but)

    def _refind_links_into(self, real: str, but: str = "") -> None:
        """Links not followed as they lead into `real`, watched until now: looked at again."""
        with self._lock:
            again = [(link.root, link.generation, name) for name, link in self._links.items()
                     if not link.watched and link.real and _is_under(link.real, real)
                     and not (but and _is_under(name, but))]
        for root, generation, name in again:  # followed now: indexed under its name
            self._find_links(root, generation, name, reconcile=True)

    def _cover_links(self, real: str) -> None:
        """The folder `real`, about to be watched, holds folders watched for links: one watch a
        folder (and one name a photo), so those links are looked at again (then not followed)."""
        with self._lock:
            covered = [(name, link) for name, link in self._links.items()
                       if link.watched and _is_under(link.real, real)]
        for name, link in covered:
            self._drop_links(name)
            self._find_links(link.root, link.generation, name)

    def _would_follow(self, link: str) -> bool:
        """Observer thread: is the folder link `link` one to follow (see folder_links), its
        folder neither holding it nor watched already (by another name: indexed twice)?"""
        return link_target(os.path.dirname(link), link, self._covered(but=link)) is not None

    def _covered(self, but: str = "", gone: Collection[str] | None = None) -> list[str]:
        """The real folders watched: the watched folders, and the folders watched for links (but
        those at or below `but`, and links gone: their watches end soon). `gone`: the links
        known gone (on the GUI thread: as the worker saw them, no file-system call there);
        None: each is looked at now (any other thread)."""
        with self._lock:
            covered = [r.real for r in self._roots.values() if r.real]
            links = [(name, link.real) for name, link in self._links.items() if link.watched
                     and not (but and _is_under(name, but))]
        if gone is None:
            return covered + [real for name, real in links if os.path.lexists(name)]
        return covered + [real for name, real in links if name not in gone]

    def _links_at(self, path: str, inside: bool = True) -> bool:
        """Observer thread: is `path` a folder link known (or, `inside`, a folder holding one)?"""
        with self._lock:
            if path in self._links:
                return True
            return inside and any(_is_under(name, path) for name in self._links)

    def _claimed_elsewhere(self, path: str, watched: str) -> bool:
        """Observer thread: does `path`, in the folder `watched` for a link, lie in a folder
        inside it that is watched for another link (whose name it is reported by)?"""
        with self._lock:
            return any(link.watched and link.real != watched and _is_under(link.real, watched)
                       and _is_under(path, link.real) for link in self._links.values())

    def _real_roots_but(self, folder: str) -> list[str]:
        """Any thread: the real paths of the watched folders other than `folder`."""
        with self._lock:
            return [r.real for f, r in self._roots.items() if f != folder and r.real]

    # -- folders that go away and come back -----------------------------------------------------
    def _start_checker(self) -> None:
        if self._checker is None or not self._checker.is_alive():
            self._checker = _Checker(self)
            self._checker.start()

    def _check(self) -> bool:
        """Checker thread: stat the folders (a dead network mount may block here, not the GUI)
        and tell the GUI thread which watched ones are gone and which waiting ones are back.
        False once the watcher is deleted."""
        if self._reports.watcher_deleted.is_set():
            return False
        with self._lock:  # a watch starting is looked at once it has (its start looks first)
            roots = {f: r for f, r in self._roots.items() if r.started}
            waiting = dict(self._waiting)
        mounts = _mounts() if roots else None
        gone = [(f, r.generation) for f, r in roots.items() if not _same_folder(f, r, mounts)]
        back = [f for f, r in waiting.items() if _present(f, r)]
        back += [f for f, _g in gone if _present(f, roots[f])]  # replaced: back at once
        if gone or back:
            self._reports.presence.emit(gone, back)
        gone_now = {f for f, _g in gone}
        if mounts is not None:
            self._check_inner_mounts({f: _mounted_inside(f, mounts) for f, r in roots.items()
                                      if f not in gone_now and not r.polling})
        causes = {f: _unreadable_because(f) for f in roots if f not in gone_now}
        with self._lock:
            denied = [(f, c) for f, c in causes.items() if c and f not in self._unreadable]
            readable = [f for f, c in causes.items() if not c and f in self._unreadable]
            self._unreadable.difference_update(readable)
            self._unreadable.update(f for f, _c in denied)
        if denied or readable:
            self._reports.readability.emit(denied, readable)
        with self._lock:
            links = {n: link for n, link in self._links.items()
                     if (n, link.generation) not in self._rechecking}
        for name, link in links.items():  # a link's folder replaced, gone, or there again
            if _link_changed(name, link):
                with self._lock:  # once, until the worker has looked (for that watch)
                    self._rechecking.add((name, link.generation))
                self._find_links(link.root, link.generation, name, reconcile=True)
        return True

    def _check_inner_mounts(self, inside: dict[str, frozenset[str]]) -> None:
        """Checker thread: a drive mounted or unmounted inside a watched folder. Its old watches
        died with the unmount, and the drive mounted has none: the folder is watched afresh and
        checked, the mount point with it (the library keeps the photos of a drive not mounted)."""
        changes = []
        with self._lock:
            for folder, points in inside.items():
                before = self._inner_mounts.get(folder)
                if before is not None and folder in self._roots and before != points:
                    self._inner_mounts[folder] = points
                    changes.append((folder, sorted(before ^ points)))
        if changes:
            self._reports.inner_mounts_changed.emit(changes)

    @Slot(object)
    def _on_inner_mounts_changed(self, changes: list) -> None:
        for folder, points in changes:
            if folder in self._watches:
                log.info("%s: a drive was mounted or unmounted inside it (%s); indexing what "
                         "changed", folder, ", ".join(points))
                self._record([(p, CHANGED) for p in points], rewatch=folder)

    @Slot(object, object)
    def _on_presence(self, gone: list, back: list) -> None:
        for folder, generation in gone:
            self._went_away(folder, generation)
        for folder in back:
            if folder in self._waiting:
                self._come_back(folder)

    @Slot(object, object)
    def _on_readability(self, denied: list, readable: list) -> None:
        for folder, cause in denied:
            if folder in self._watches:
                log.warning("%s: the folder cannot be read (%s); its photos are kept", folder,
                            cause)
                self.folder_unreadable.emit(folder, cause)
        for folder in readable:
            if folder in self._watches:  # changes made meanwhile may not have been seen
                log.info("%s: the folder can be read again; indexing what changed", folder)
                # Unreadable when its watch started, it has none (the watch failed quietly).
                if not self._watch_afresh(folder):
                    self._record([(folder, CHANGED)])

    def _watch_afresh(self, folder: str) -> bool:
        """Watch `folder` again from scratch: folders inside it that could not be read when its
        watch started have no watch (inotify needs read access), and would never report. True
        when it is: the whole folder is reported changed once its new watch has started (or
        failed to: then it says why, and what to do); False for a polled folder (polling looks
        at every folder each time anyway)."""
        root = self._roots.get(folder)
        if root is None or root.polling:
            return False
        self._unschedule(folder)
        self._schedule(folder, root.polling, why="afresh")
        return True

    @Slot(object, int)
    def _on_root_went_away(self, folder: str, generation: int) -> None:
        if self._went_away(folder, generation) and _present(folder, self._waiting[folder]):
            self._come_back(folder)  # deleted and made again already

    def _went_away(self, folder: str, generation: int) -> bool:
        root = self._roots.get(folder)
        if root is None or root.generation != generation:
            return False  # unwatched, or watched again since
        start = self._starts.get(folder)
        self._unschedule(folder)
        if start is not None and start.why == "back":
            # Gone again before its watch started: never said back, so not said gone either.
            with self._lock:
                self._waiting[folder] = start.previous
            return True
        with self._lock:
            self._waiting[folder] = replace(root, recorder=None)
        log.warning("%s: the folder is not available any more (drive unplugged, or folder "
                    "moved or deleted); its photos are kept, and it is watched again when it "
                    "is back", folder)
        self.folder_unavailable.emit(folder)
        return True

    def _come_back(self, folder: str) -> _RootStart | None:
        """Watch the folder back: said back (folder_available), and reported changed whole,
        once its watch has started (or failed to: then it is indexed all the same); gone again
        before that, it is waited for again without a word. The start asked, if any."""
        with self._lock:
            root = self._waiting.pop(folder, None)
        if root is None:
            return None
        return self._schedule(folder, root.polling, why="back", previous=root)

    @Slot()
    def _on_overflowed(self) -> None:
        with self._lock:
            native = sorted(folder for folder, root in self._roots.items() if not root.polling)
        if not native:
            return
        log.warning("The system dropped file events (too many changes at once); checking %s "
                    "for changes", ", ".join(native))
        self.events_lost.emit(native)
        self._record([(folder, CHANGED) for folder in native])

    # -- observer thread ------------------------------------------------------------------------
    def _record(self, items: list[tuple[str, bool]], rewatch: str = "") -> None:
        """`rewatch`: a watched folder to watch afresh at the next flush (see _watch_afresh)."""
        if not items:
            return
        with self._lock:
            if not self._pending:
                self._first_pending_at = time.monotonic()
            for path, changed in items:
                self._pending[path] = changed
            if rewatch:
                self._rewatch.add(rewatch)
        self._reports.poke.emit()

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
            rewatch, self._rewatch = self._rewatch, set()
            limit_looks, self._limit_looks = self._limit_looks, set()
        for recorder in limit_looks:  # folders made: once a batch (see _Recorder._folder_made)
            self._to_worker(partial(self._look_at_limit_for, recorder))
        for folder in sorted(rewatch):
            # Changes made between the old watch's end and the new one's start (its walk of the
            # tree) are not seen: the whole folder is reported changed once that has started.
            if folder in self._roots and not self._watch_afresh(folder):
                with self._lock:
                    self._pending[folder] = CHANGED
        with self._lock:
            pending, self._pending = self._pending, {}
            away = list(self._waiting)
            present = list(self._roots)
        pending = self._hold_for_starts(pending)
        # Nothing is reported under a folder that went away: its photos are kept, and the whole
        # folder is reconciled when it is back. Unless a watched folder around it is still there
        # and saw it deleted or moved away: then it is gone from that folder, and so are its
        # photos (it is still watched again if it comes back).
        kept = [folder for folder in away if not _deletion_seen(folder, pending, present)]
        if kept:
            pending = {p: c for p, c in pending.items()
                       if not any(_is_under(p, folder) for folder in kept)}
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

    def _hold_for_starts(self, pending: dict[str, bool]) -> dict[str, bool]:
        """Paths in a folder whose new watch is starting (watched afresh) wait for it: once it
        has started the whole folder is reported changed, and they go with it, in one list
        (changed first). The rest of `pending`."""
        afresh = [f for f, start in self._starts.items() if start.why == "afresh"]
        held = {p: c for p, c in pending.items() if any(_is_under(p, f) for f in afresh)}
        if not held:
            return pending
        with self._lock:
            if not self._pending:
                self._first_pending_at = time.monotonic()
            self._pending = {**held, **self._pending}  # what came meanwhile is newer
        self._timer.start()  # looked at again (its start may be let go: then they go alone)
        return {p: c for p, c in pending.items() if p not in held}


class _Checker(threading.Thread):
    """Calls watcher._check() every `recheck_s` seconds, and at once when a file system is
    mounted or unmounted (Linux: /proc/self/mountinfo wakes poll() then), so a drive unplugged
    and plugged in again is seen even when it comes back within `recheck_s`."""

    def __init__(self, watcher: FolderWatcher) -> None:
        super().__init__(name="folder-presence", daemon=True)
        self._watcher = watcher
        self._stopping = threading.Event()
        self._pipe_lock = threading.Lock()  # the wake-up pipe is closed once, never written after
        self._wake_r, self._wake_w = os.pipe()

    def stop(self) -> None:
        self._stopping.set()
        with self._pipe_lock:
            if self._wake_w >= 0:
                try:
                    os.write(self._wake_w, b"!")
                except OSError:
                    pass

    def run(self) -> None:
        mountinfo = None
        poller = select.poll() if hasattr(select, "poll") else None
        if poller is not None:
            poller.register(self._wake_r, select.POLLIN)
            try:
                mountinfo = os.open("/proc/self/mountinfo", os.O_RDONLY)
                poller.register(mountinfo, select.POLLPRI)
            except OSError:
                mountinfo = None
        try:
            while not self._stopping.is_set():
                if poller is not None:
                    poller.poll(max(self._watcher.recheck_s, 0.01) * 1000)
                else:
                    self._stopping.wait(self._watcher.recheck_s)
                if self._stopping.is_set():
                    return
                try:
                    if mountinfo is not None:
                        os.lseek(mountinfo, 0, os.SEEK_SET)
                        while os.read(mountinfo, 65536):  # re-arms the mount-change wake-up
                            pass
                    if not self._watcher._check():
                        return
                except Exception:  # never let the checks stop for good
                    log.exception("checking the watched folders failed")
                time.sleep(0.05)  # a burst of mount changes costs a few checks, never a spin
        finally:
            if mountinfo is not None:
                os.close(mountinfo)
            with self._pipe_lock:
                os.close(self._wake_r)
                os.close(self._wake_w)
                self._wake_r = self._wake_w = -1


class _WatchWorker(threading.Thread):
    """The watches' slow work, off the GUI thread, one job at a time in the order asked: starts
    and ends the watches of the watched folders and of the folders their links lead to (a
    start walks the whole folder adding a system watch to each folder in it, or, polled, takes
    its first snapshot; an end removes them), and walks for folder links (a watched home folder
    is a long walk; see folder_links). Each job is a callable given this worker; what it finds
    goes to the GUI thread, which decides."""

    def __init__(self) -> None:
        super().__init__(name="folder-watches", daemon=True)
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.stopping = threading.Event()
        self._report_lock = threading.Lock()  # nothing is reported once stop() has returned
        self._then: Callable[[], None] | None = None
        # The watches it started: handler -> (observer, watch), until it ends them.
        self.handles: dict[_Recorder, tuple[object, object]] = {}

    def do(self, job: Callable[[_WatchWorker], None]) -> None:
        self._jobs.put(job)

    def stop(self, then: Callable[[], None] | None = None) -> None:
        """No job starts after this, and no report goes (the one running is not waited for);
        `then` is called on this thread as it ends."""
        self._then = then  # before `stopping`: it may end as soon as that is set
        with self._report_lock:
            self.stopping.set()
        self._jobs.put(None)

    def report(self, signal, *args) -> None:
        """Emit `signal` (one of _Reports', to the GUI thread), unless stop() was called: the
        watcher has forgotten what the job was about."""
        with self._report_lock:  # a queued emit only posts: never long
            if not self.stopping.is_set():
                signal.emit(*args)

    def run(self) -> None:
        try:
            while (job := self._jobs.get()) is not None and not self.stopping.is_set():
                try:
                    job(self)
                except Exception:  # one odd folder must not end the link work for good
                    log.exception("folder watch work failed")
        finally:
            if self._then is not None:
                self._then()


class _PollingEmitter(PollingEmitter):
    """watchdog's polling, its snapshots following folder links as the library's walk does
    (folder_links.LinksOnce): watchdog's follow every link, loops too."""

    def __init__(self, event_queue, watch, *,
                 covered_elsewhere: Callable[[str], list[str]], **kwargs) -> None:
        links = LinksOnce(watch.path, partial(covered_elsewhere, watch.path))
        super().__init__(event_queue, watch, stat=links.stat, listdir=links.listdir, **kwargs)


def _let_threads_go(watcher: weakref.ref) -> None:
    """See FolderWatcher._let_threads_go; nothing when the watcher is freed already."""
    watcher = watcher()
    if watcher is not None:
        watcher._let_threads_go()


def _end_observers(lock: threading.Lock, observers: list, users: dict,
                   wait_s: float = -1) -> bool:
    """End `observers`, and with them every watch (of the watched folders and their links), once
    no watch is starting or ending (`lock`, the watcher's _watch_lock), and forget their watches'
    handlers in `users` (its _watch_users). False: that took longer than `wait_s` seconds."""
    if not lock.acquire(timeout=wait_s):
        return False
    try:
        for observer in observers:
            observer.stop()
        for key in [key for key in users if key[0] in observers]:
            del users[key]
    finally:
        lock.release()
    return True


def _keeps_watch(old: _Link | None, new: _Link, identity: tuple | None) -> bool:
    """Is the folder link found again (`new`, its folder's identity now `identity`) still
    watched by the watch it had (`old`): same watched folder's watch, same folder (by identity,
    once that watch has started: not one made again there)? A watch ended and started again
    would miss what changed in between, and walk the folder again."""
    return (old is not None and old.recorder is not None
            and (old.root, old.generation, old.real) == (new.root, new.generation, new.real)
            and (old.identity is None or old.identity == identity))


def _link_changed(name: str, link: _Link) -> bool:
    """Checker thread: does the folder link lead elsewhere than when its folder was watched (or,
    leading to none then, to a folder now)?"""
    if link.watched:
        if link.identity is None:
            return False  # its watch is starting: looked at once it has (see _WatchWorker)
        try:
            st = os.stat(name)
        except OSError:
            return True
        return (st.st_dev, st.st_ino) != link.identity
    return link.real is None and os.path.isdir(name)


def _present(folder: str, root: _Root) -> bool:
    """Is the folder there (a mount point that was unmounted leaves an empty folder: not it)?"""
    try:
        return os.path.isdir(folder) and (not root.mount_point or os.path.ismount(folder))
    except OSError:
        return False


def _unreadable_because(folder: str) -> str | None:
    """Why the folder cannot be opened (its permissions), or None when it can be. Other errors
    (not there, a dead drive) are for _present and the indexer's scan to tell."""
    try:
        with os.scandir(folder):
            return None
    except PermissionError as exc:
        return exc.strerror or str(exc)
    except OSError:
        return None


def _same_folder(folder: str, root: _Root, mounts: list[tuple[str, int]] | None) -> bool:
    """Is the folder watched still there, and the same one? A folder made again at that path is
    not: the old native watch does not see it. (The same drive mounted again can have the same
    device, inode and even mount id: the unmount is caught when it happens, see _Checker.)"""
    if not _present(folder, root):
        return False
    if root.polling or root.identity is None:
        return True  # polling looks at the path each time; inode numbers on shares may change
    try:
        return _identity(folder, mounts) == root.identity
    except OSError:
        return False


def _identity(folder: str, mounts: list[tuple[str, int]] | None) -> tuple:
    st = os.stat(folder)
    return st.st_dev, st.st_ino, _mount_id(os.path.realpath(folder), mounts)



def _unwatchable_because(exc: OSError) -> str:
    """Why the system would not watch a folder, in words a user can act on (Linux limits)."""
    if exc.errno == errno.ENOSPC:
        return ("the system's limit of watched folders is reached (Linux: raise "
                "fs.inotify.max_user_watches, e.g. to 524288, in /etc/sysctl.d/)")
    if exc.errno == errno.EMFILE:
        return ("the system's limit of change watchers is reached (Linux: raise "
                "fs.inotify.max_user_instances in /etc/sysctl.d/, or close programs that watch "
                "many folders)")
    return exc.strerror or str(exc)


_LIMIT_CAUSE = _unwatchable_because(OSError(errno.ENOSPC, "inotify watch limit reached"))


def _mounts() -> list[tuple[str, int]] | None:
    """(mount point, mount id) of each mount, in mount order (Linux); None elsewhere."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    mounts = []
    for line in lines:
        fields = line.split(" ")
        if len(fields) > 4 and fields[0].isdigit():
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            mounts.append((point, int(fields[0])))
    return mounts


def _mount_id(path: str, mounts: list[tuple[str, int]] | None) -> int | None:
    """The id of the mount that holds `path` (the last mounted on the deepest mount point)."""
    best, best_len = None, -1
    for point, mount_id in mounts or ():
        if _is_under(path, point) and len(point) >= best_len:
            best, best_len = mount_id, len(point)
    return best


def _mounted_inside(folder: str, mounts: list[tuple[str, int]] | None) -> frozenset[str]:
    """The mount points below `folder` (by the name it is watched under), hidden ones left out
    (the library skips those)."""
    real = os.path.realpath(folder)
    return frozenset(folder + point[len(real):] for point, _id in mounts or ()
                     if point != real and _is_under(point, real)
                     and not hidden_below(point, real))


def _deletion_seen(folder: str, pending: dict[str, bool], present: list[str]) -> bool:
    """Did a watched folder that is still there (`present`) report `folder`, or a folder
    holding it, removed? (An unmounted drive inside one leaves its mount point: not removed.)"""
    return any(not changed and _is_under(folder, path)
               and any(path != root and _is_under(path, root) for root in present)
               for path, changed in pending.items())


def _is_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


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
