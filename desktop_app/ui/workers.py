"""IndexerWorker: the one thread that writes the library.

It lives on its own QThread, opens its own Store and PhotoLibrary in its `open` slot (a Store
belongs to the thread that made it), and serves requests queued from the GUI one at a time:
add/index a folder, index or remove paths from the watcher, retry failed photos, switch model,
import a model folder, and follow a model another process made active (`lookalike models
activate`, seen by _check_others). Long jobs can be paused (`pause()` is called straight from
the GUI thread and only sets a flag that the library's should_stop reads); a paused job keeps
what it did and is run again at Resume: its folder is walked again from the start, and the
photos it already read are skipped as unchanged. Removing a folder stops a job reading its
photos at once; the watcher's changes or a model switch so stopped run again after the removal,
without that folder (a switch from the codes it made). Results go back to the GUI as queued
signals: progress (and the photos a walk has found so far) at most ~10 times a second, and the
changed photos plus a fresh search snapshot about once a second.
A job that fails because the library cannot be saved for now (disk full, database locked by
another process) is kept and retried by itself after a while (RETRY_FIRST_S, doubling up to
RETRY_MAX_S); the jobs after it wait, so they still run in the order they were asked for.
A library that can be read but not opened for writing (a full disk, a read-only mount) is
opened read-only: shown and searched, never changed; the jobs the user asked for say so.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from .. import paths
from ..core.encoder import Encoder, load_encoder, open_model_folder
from ..core.errors import LookalikeError, ModelError, StoreError
from ..core.model_registry import active_model_dir, encoded_counts, import_model
from ..core.records import Folder, IndexReport, Photo
from ..core.scan import is_under
from ..core.store import WaitStopped
from ..core.wording import count_of
from .background import lower_this_thread
from .search import SearchSnapshot

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1
PUBLISH_INTERVAL_S = 1.0
RETRY_FIRST_S = 10.0  # a job that could not be saved (disk full, locked) runs again after this
RETRY_MAX_S = 60.0  # ... doubling each time it fails again, up to this
# How often an idle worker looks for what another process wrote (`lookalike index FOLDER`).
OTHERS_CHECK_S = 3.0
# The Model tab's counts take at most 1% of the worker's time: after a count that took t
# seconds, none for 100 t (7 s at 200,000 photos and 3 models; one watcher job for a photo
# takes about 30 ms, the count 70 ms); one left over is made between jobs.
COUNT_COST_FACTOR = 100


def no_model_message(model_dir: str | Path) -> str:
    missing = model_folder_missing(model_dir)
    if missing and Path(model_dir).is_dir():
        return (f"{model_dir}: the active model's folder holds no model any more (its "
                "model.onnx and model.json were deleted or moved). Your library is kept: "
                "switch to the default model in the Model tab, or import this model again.")
    if missing:
        return (f"{model_dir}: the active model's folder is missing (deleted, moved, or on a "
                "drive that is not connected). Your library is kept: if it is on a drive, "
                "connect the drive and restart Lookalike; else switch to the default model in "
                "the Model tab, or import this model again.")
    # Not "No model is installed" first: the banner's headline says that, just before it.
    return (f"{model_dir} holds no usable model, so photos cannot be indexed or searched until "
            "a model is installed: in the Model tab, press Import model folder…, or Retrain on "
            "my albums… to train one.")


# The label of a job for changes the watcher reported: its summary is not read out unless
# something went wrong (the window tells it by this label).
CHANGES_LABEL = re.compile(r"Indexing [\d,]+ changes?")


def changes_label(count: int) -> str:
    """"Indexing 3 changes": the paths the watcher reported (photos, or a folder as a whole)."""
    return f"Indexing {count_of(count, 'change')}"


# The jobs' labels below ("Indexing /photos", "Checking 2 folders for changes", "Retrying
# photos that could not be read") and the same job told as done.
_DONE = {"Indexing ": "Indexed ", "Checking ": "Checked ", "Retrying ": "Retried "}


def done_label(label: str) -> str:
    """`label`, a job's label in the words of its progress, in the past: "Indexed /photos"."""
    for doing, done in _DONE.items():
        if label.startswith(doing):
            return done + label[len(doing):]
    return label


def unexpected_failure(kind: str, arg: object, exc: Exception) -> str:
    """A job that failed on an error nobody foresaw, in the user's words (not "index paths
    failed"), with what to do and where the details are."""
    what = {"add_folder": f"Adding {arg}", "index_folder": f"Indexing {arg}",
            "add_folders": "Checking the watched folders for changes",
            "index_folders": "Checking the watched folders for changes",
            "remove_folder": f"Removing {arg[0] if isinstance(arg, tuple) else arg}",
            "index_paths": "Indexing the photos that changed",
            "remove_paths": "Removing deleted photos from the library",
            "retry_failed": "Retrying photos that could not be read"}.get(kind, "A job")
    return (f"{what} failed on an unexpected error: {exc}. Restart Lookalike to try again; "
            f"the details are in {paths.log_dir() / 'lookalike.log'}.")


def model_folder_missing(model_dir: str | Path) -> bool:
    """The active model's folder is gone, or holds no model files any more (a training run
    into it removed them, say), while the default model is there to switch to."""
    default = paths.default_model_dir()
    folder = Path(model_dir)
    gone = not folder.exists() or (folder.is_dir() and not (folder / "model.json").exists()
                                   and not (folder / "model.onnx").exists())
    return (gone and (default / "model.json").is_file()
            and os.path.realpath(model_dir) != os.path.realpath(default))


class IndexerWorker(QObject):
    opened = Signal(object, str)  # (ModelCard of the active model or None, its folder)
    model_problem = Signal(str)  # why no model could be loaded (one sentence, with the remedy)
    # Why the library database could not be opened (disk full, newer version, damaged...); sent
    # before opened(None, ...), whose None is then no verdict on the model.
    library_problem = Signal(str)
    # The library could not be opened for writing (a full disk, a read-only mount...) but could
    # be read: its photos are shown and searched, nothing is indexed or changed. The sentence
    # says why and what to do; sent before opened().
    library_read_only = Signal(str)
    # done, total, photos/s, seconds left (-1: unknown). (0, 0, 0.0, -1.0): nothing counted yet
    # (a job or a folder's walk starts); (0, 0, 0.0, 0.0): the walk is done and found nothing to
    # read (a check with no change).
    progress = Signal(int, int, float, float)
    # A folder's walk is under way and has found this many photos so far (0 as it starts; at
    # most ~10 times a second, and its whole count before the count of photos read starts).
    looking = Signal(int)
    activity = Signal(str)  # what runs now; "" when idle
    photos_changed = Signal(list, list)  # changed or new Photo records, removed photo ids
    failed_changed = Signal(list)  # every failed Photo
    snapshot_ready = Signal(object)  # SearchSnapshot of the active model's codes
    folders_changed = Signal(list)  # Folder records
    finished_job = Signal(str, object)  # (description, IndexReport)
    model_switched = Signal(object, object)  # (model folder: a Python str, bytes kept; ModelCard)
    switch_failed = Signal(str)  # the model folder that could not be switched to (said why)
    # Another process made another model active (`lookalike models activate`): the sentence
    # that says the app uses it now, sent just after its model_switched.
    model_followed = Signal(str)
    model_imported = Signal(str, object)  # (copied folder, ModelCard)
    # ({model id: readable photos with a code from it}, readable photos): the Model tab's
    # "1,234 of 1,500 encoded"; after jobs (see COUNT_COST_FACTOR), switches, and
    # other processes' writes.
    encoded_counts = Signal(object, int)
    error = Signal(str)  # one clear sentence for the status bar
    paused_changed = Signal(bool)
    # While a job waits to be retried because the library could not be saved (disk full,
    # database locked): the sentence saying so and that it is retried automatically (also sent
    # on `error`). "" once a retry has worked (the notice can go).
    retry_pending = Signal(str)

    def __init__(self, model_dir: str | None, database: str | None = None) -> None:
        super().__init__()
        self.model_dir = model_dir or str(paths.default_model_dir())
        self._database = database
        self._store = None
        self._library = None
        self.read_only_reason = ""  # set when the library could only be opened to read
        self._queue: deque[tuple[str, object]] = deque()
        self._pause = threading.Event()
        self._quit = threading.Event()
        self._known: dict[int, Photo] = {}
        # Folders the user removed whose removal is queued (real paths): indexing them stops
        # now instead of running to the end first. Set from the GUI thread.
        self._abandoned: set[str] = set()
        # Removed folders (real paths) that a job reading them stopped for: their removal runs
        # first, then that job again, without them (see _drain).
        self._removal_awaited: set[str] = set()
        self._failed_ids: frozenset[int] = frozenset()
        # What the Unreadable photos list shows of each photo it holds (path, reason): it is
        # sent again only when that or the set of photos changes.
        self._failed_listed: dict[int, tuple[str, str | None]] = {}
        # The model the user chose last (set from the GUI thread by want_model): a switch to
        # another one, queued or under way, gives way to it.
        self._wanted_model: str | None = None
        self._model_choices = 0  # how many times the user chose a model (the same one again too)
        # The library's active model (its id) as this worker last saw it: made active by its
        # switches, or by another process (seen by _check_others before a model is loaded to
        # follow it). Read from the GUI thread (Settings.switching_from_model).
        self.active_model_seen = ""
        # Models another process made active that could not be loaded here (said once each), with
        # their card's state then (see _model_state): one put back since is followed.
        self._unfollowable: set[tuple[str, tuple[int, int] | None]] = set()
        # What the last publish sent (see _read_changes): readable photos' paths, the index...
        self._ok_paths: dict[int, str] = {}
        self._index = None
        self._index_model: str | None = None
        self._snapshot: SearchSnapshot | None = None
        self._contents: dict | None = None  # library.shared_contents(), for the duplicates
        self._contents_stale = False  # photos read since: read it again at the next forced one
        self._data_version: int | None = None  # ...and the library as other processes left it
        # data_version at _check_others' last look, and when it last sent the folder list.
        self._others_seen: int | None = None
        self._folders_seen: int | None = None
        self._changes: _ChangeLog | None = None  # what this worker's connection wrote since
        self._last_publish = 0.0
        self._publish_interval = PUBLISH_INTERVAL_S
        self._counted: tuple | None = None  # the library as _publish_encoded_counts saw it
        self.count_cost_factor = COUNT_COST_FACTOR
        self._count_after = 0.0  # monotonic time before which no count is made (see above)
        self._count_pending = False  # the library changed since the last count, not counted
        self._draining = False
        self.retry_first_s = RETRY_FIRST_S
        self.retry_max_s = RETRY_MAX_S
        self._retry_delay = self.retry_first_s
        self._retry_note = ""  # what the activity line says while a retry waits
        self._failed = False  # the job running now said it failed (on error or model_problem)
        self._retry_timer = QTimer(self)  # a child: it moves to the worker's thread with it
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(self._drain)
        self._others_timer = QTimer(self)  # see _check_others
        self._others_timer.setInterval(int(OTHERS_CHECK_S * 1000))
        self._others_timer.timeout.connect(self._check_others)

    # -- called from the GUI thread (thread-safe: flags only) ---------------------------------
    def pause(self) -> None:
        self._pause.set()
        self.paused_changed.emit(True)

    def request_quit(self) -> None:
        self._quit.set()
        store = self._store
        if store is not None:  # a wait for another process's lock must not hold the close up
            store.stop_waiting()

    def is_paused(self) -> bool:
        return self._pause.is_set()

    def abandon_folder(self, folder: str, abandoned: bool = True) -> None:
        """The user removed `folder` (its remove_folder request follows): stop indexing it, and
        re-encoding it for a model switch, now. False: it was added again, index it after all."""
        real = os.path.realpath(folder)
        if abandoned:
            self._abandoned.add(real)
        else:
            self._abandoned.discard(real)

    def _is_abandoned(self, folder: object) -> bool:
        return os.path.realpath(str(folder)) in self._abandoned

    def want_model(self, model_dir: str) -> None:
        """The user chose `model_dir` (its switch_model request follows): a switch to another
        model stops now, keeping the codes it made, instead of re-encoding the whole library
        first (choosing the active model again is how a switch is cancelled)."""
        self._wanted_model = model_dir
        self._model_choices += 1

    def _superseded(self, model_dir: str) -> bool:
        return self._wanted_model is not None and self._wanted_model != model_dir

    # -- slots, run on the worker thread --------------------------------------------------------
    @Slot()
    def open(self) -> None:
        from ..core.store import Store, log_store_opened

        lower_this_thread()  # and the decode / onnxruntime threads it starts
        database = Path(self._database) if self._database else None
        try:
            self._store = Store(database)
        except LookalikeError as exc:
            message = restart_remedy(exc)  # the status bar and the banner say the same
            self._store = _open_to_read(database)
            if self._store is None:
                self.error.emit(message)
                self.library_problem.emit(message)
                self.opened.emit(None, self.model_dir)
                return
            log.warning("library opened read-only: %s", exc)
            self.read_only_reason = message
            self.library_read_only.emit(message)
        log_store_opened(self._store)  # the log file says which library a bug report is about
        encoder = None
        recorded = self._recorded_model_dir()
        if recorded and recorded != self.model_dir:
            encoder = self._load_encoder(recorded, quiet=True)
            if encoder is not None:
                self.model_dir = recorded
            else:
                # The library's active model cannot be loaded (its folder deleted or damaged).
                # The settings' model (the default, say) stands in only if it is the same model
                # (Lookalike reinstalled elsewhere): another one would be shown as the active
                # model, with nothing said, and would re-encode the whole library.
                encoder = self._load_encoder(self.model_dir, quiet=True)
                if encoder is None or encoder.model_id != self._store.active_model_id():
                    encoder, self.model_dir = None, recorded  # said missing or damaged below
        if encoder is None:
            encoder = self._load_encoder(self.model_dir)
        if encoder is not None:
            self._make_library(encoder)
            self.active_model_seen = self._store.active_model_id() or ""
            # Before `opened`: the window takes in folders indexed with the CLI, then watches
            # and checks every folder of its list.
            self.folders_changed.emit(self._library.folders())
        self.opened.emit(encoder.card if encoder else None, self.model_dir)
        replaced = self._library.replaced_active_message() if self._library else None
        if replaced:  # after `opened` (its "Ready" would hide it): a model exported over it
            log.warning("%s", replaced)
            self.error.emit(replaced)
        for notice in self._store.notices:  # a copy a crash left beside the library (logged)
            self.error.emit(notice)
        self._publish(force=True)
        self._others_seen = self._folders_seen = self._data_version
        self._others_timer.start()

    @Slot()
    def _check_others(self) -> None:
        """Between jobs (also while paused): another process wrote to the library (`lookalike
        index FOLDER` while the app runs)? Its photos are shown, and once it has stopped writing
        (nothing new for a whole check) its folders are taken into the window's list (watched
        and checked), now instead of at the next start: while it writes, the window's check of
        its folder would encode again every photo it has not saved yet. Also when a job's
        publish read its writes first. One cheap pragma when nothing changed."""
        if self._library is None or self._store is None or self._quit.is_set():
            return
        try:
            version = self._store.data_version()
            writing = version != self._others_seen
            self._others_seen = version
            if version != self._data_version:
                # Not forced while it writes: a full read (1.8 s at 200,000 photos) waits for
                # the adaptive interval, as during a job; forced once it is done.
                self._publish(force=not writing)
            elif not writing and self._contents_stale:  # its photos read while it wrote
                self._publish(force=True)  # (which are copies, read at a forced publish)
            if not writing and version == self._data_version and version != self._folders_seen:
                self._folders_seen = version
                self.folders_changed.emit(self._library.folders())
            if self._count_pending and version == self._data_version:  # all read: count
                self._publish_encoded_counts()
            if writing or self._unfollowable:
                # One that could not be loaded: looked at again each time (a query and a stat),
                # as it is put back (imported again) and made active again writes nothing new.
                self._follow_active_model()
        except LookalikeError as exc:  # a damaged or vanished file: the next job says so
            log.warning("could not look for changes by other processes: %s", exc)

    def _follow_active_model(self) -> None:
        """Another process made another model active (`lookalike models activate B`, `models
        import B --activate`): used here too, as at a start (the photos lacking its codes are
        encoded), unless a switch the user asked for is queued (it decides)."""
        active = self._store.active_model_id()
        self.active_model_seen = active or self.active_model_seen
        if (not active or active == self._library.model_id or self.read_only_reason
                or (active, self._model_state(active)) in self._unfollowable
                or any(kind in ("switch_model", "follow_model") for kind, _ in self._queue)):
            return
        self._submit("follow_model", active)

    def _model_state(self, model_id: str) -> tuple[int, int] | None:
        """Which file is the card of the model `model_id`, in the folder the library records
        for it, and when it was made (None: not there): changed once it is imported again
        (`lookalike models import`, which keeps the files' modification times), as the message
        of a model that could not be followed asks. One stat."""
        folder = (self._store.model(model_id) or {}).get("path")
        try:
            stat = os.stat(os.path.join(folder, "model.json")) if folder else None
        except OSError:
            return None
        return (stat.st_ino, stat.st_ctime_ns) if stat else None

    def _recorded_model_dir(self) -> str | None:
        """The model the library was last switched to (the database records it); its folder
        gone, found as the CLI finds it (active_model_dir): the same model among the app's
        folders (the shipped default, an imported copy), else, for the default an earlier
        installation shipped, gone with it (Lookalike updated into another folder), the
        default this one ships in its place."""
        active = self._store.active_model_id()
        model = self._store.model(active) if active else None
        if not model or not model.get("path"):
            return None
        try:
            return str(active_model_dir(self._store))
        except ModelError:  # gone: said missing (or the settings' model, if the same, stands in)
            return model["path"]

    @Slot()
    def resume(self) -> None:
        self._pause.clear()
        self.paused_changed.emit(False)
        self._drain()

    @Slot(object)  # a folder: a Qt string would drop the bytes of a name not in UTF-8
    def add_folder(self, folder: str) -> None:
        self._submit("add_folder", folder)

    @Slot(object)  # a folder: a Qt string would drop the bytes of a name not in UTF-8
    def index_folder(self, folder: str) -> None:
        self._submit("index_folder", folder)

    @Slot(object)  # a list of folders
    def add_folders(self, folders: list) -> None:
        """The watched folders at start: added (if new) and indexed in one job, so that a photo
        moved from one to another while the app was closed keeps its codes and its id (folder
        by folder, it was removed from the first and encoded again in the second)."""
        self._submit("add_folders", list(folders))

    @Slot()
    def reconcile_all(self) -> None:
        """Catch changes made while the app was closed (and finish a run that was cut short)."""
        if self._library is not None:
            # One job for all folders: a photo moved between two of them keeps its codes.
            folders = [folder.path for folder in self._library.folders()]
            if folders:
                self._submit("index_folders", folders)

    @Slot(object)  # a list of paths (FolderWatcher.paths_changed says why not list)
    def index_paths(self, paths_: list) -> None:
        self._submit("index_paths", list(paths_))

    @Slot(object)
    def remove_paths(self, paths_: list) -> None:
        self._submit("remove_paths", list(paths_))

    @Slot(object, object)  # a folder (not a Qt string, see index_folder), folders to keep
    def remove_folder(self, folder: str, keep: list | tuple = ()) -> None:
        """Forget `folder`; `keep`: watched folders inside it, which stay with their photos.
        Runs even while indexing is paused (see _remove_first)."""
        self._submit("remove_folder", (folder, tuple(keep)))

    @Slot()
    def retry_failed(self) -> None:
        self._submit("retry_failed", None)

    @Slot(object)
    def switch_model(self, model_dir: str) -> None:
        self._submit("switch_model", model_dir)

    @Slot(object)
    def import_model(self, source_dir: str) -> None:
        self._submit("import_model", source_dir)

    @Slot()
    def close(self) -> None:
        self._retry_timer.stop()
        self._others_timer.stop()
        self._queue.clear()
        self._removal_awaited.clear()
        if self._store is not None:
            self._store.close()
            self._store = None
        self._library = None

    # -- the queue ------------------------------------------------------------------------------
    def _submit(self, kind: str, arg: object) -> None:
        # Watcher bursts that arrive while a job runs are merged into one request.
        if kind == "index_paths" and self._queue and self._queue[-1][0] == "index_paths":
            merged = list(dict.fromkeys(list(self._queue.pop()[1]) + list(arg)))
            arg = merged
        self._queue.append((kind, arg))
        self._drain()

    def _drain(self) -> None:
        if self._draining:
            return
        self._draining = True
        try:
            while (self._queue and not self._quit.is_set()
                   and not self._retry_timer.isActive()):
                if self._pause.is_set() or self._awaits_removal():
                    if not self._remove_first():
                        break
                    continue
                kind, arg = self._queue.popleft()
                stopped = self._run(kind, arg)
                if stopped:
                    # Resumes where it stopped: at Resume, after a retry's wait, or after the
                    # removal of a folder it was reading (the loop runs that first).
                    self._queue.appendleft((kind, arg))
        finally:
            self._draining = False
            if self._queue and self._pause.is_set():
                self.activity.emit("Paused")
            elif self._queue and self._retry_timer.isActive():
                self.activity.emit(self._retry_note)
            elif not self._queue:
                self.activity.emit("")

    def _awaits_removal(self) -> bool:
        """Did a job stop for the removal of a folder it was reading, removal still to run? Not
        once that folder is added again (then the job simply runs again)."""
        self._removal_awaited &= self._abandoned
        return bool(self._removal_awaited)

    def _remove_first(self) -> bool:
        """Paused, or a job stopped for a folder's removal (_awaits_removal): a folder removal
        queued runs first all the same (it reads no photo, and its photos must leave the grid
        and the searches now, not at Resume or after the job). What was queued before it for
        that folder goes (its paused indexing, an add, the stopped job's paths there). False if
        no removal is queued (yet: the window queues it just after abandon_folder), or it must
        wait for a retry."""
        jobs = list(self._queue)
        at = next((i for i, (kind, _arg) in enumerate(jobs) if kind == "remove_folder"), None)
        if at is None:
            return False
        kind, arg = jobs[at]
        folder, keep = arg
        if self._merged_away(folder):  # its photos stay (the folder around it holds them),
            keep = (*keep, folder)  # so do its paths in the jobs
        ahead = [job for job in (_without_folder(job, folder, keep) for job in jobs[:at]) if job]
        self._queue = deque(ahead + jobs[at + 1:])
        if self._run(kind, arg):  # could not be saved now: first when the retry timer fires
            self._queue.appendleft((kind, arg))
            return False
        if not self._queue and self._pause.is_set():  # nothing is left paused: the next job
            self._pause.clear()  # runs at once
            self.paused_changed.emit(False)
        return True

    def _merged_away(self, folder: str) -> bool:
        """Is `folder` no library folder of its own but inside one (watched before a folder
        around it was added, which merged it)? Removing it then forgets none of its photos."""
        if self._library is None:
            return False
        real = os.path.realpath(str(folder))
        try:
            folders = [f.path for f in self._library.folders()]
        except LookalikeError:  # the removal says what is wrong
            return False
        return real not in folders and any(is_under(real, f) for f in folders)

    def _run(self, kind: str, arg: object) -> bool:
        """Run one request; True if it stopped early (paused, or failed to save and waits to be
        retried) and must run again."""
        self._failed = False
        stopped = self._run_job(kind, arg)
        if kind == "switch_model" and self._failed:
            self.switch_failed.emit(str(arg))
        if not stopped and self._retry_note:
            self._retry_note = ""
            self._retry_delay = self.retry_first_s
            if not self._failed and not self._quit.is_set():
                self.retry_pending.emit("")  # the retry worked (or had nothing left to save)
            # Else it failed otherwise this time (and is dropped: its error is what the user
            # must see, not "saved again"), or was cut short by quitting.
        return stopped

    def _fail(self, message: str) -> None:
        self._failed = True
        self.error.emit(message)

    def _remove_folder_without_model(self, folder: str, keep) -> bool:
        """A folder removed while no model loads (the no-model banner): forgotten all the same,
        as the library needs no model for that; with no model there is no grid to publish to."""
        from ..core.library import forget_folder, library_folders
        try:
            # The window was told no folders at the start (no model): the list before the
            # removal first, so that it sees this folder leave by its own removal (not as one
            # `lookalike forget` forgot, nor as one still to leave, kept out of its list).
            self.folders_changed.emit(library_folders(self._store))
            forget_folder(self._store, str(folder), keep)
            self.folders_changed.emit(library_folders(self._store))
        except WaitStopped:
            return False
        except LookalikeError as exc:
            if _retryable(exc):
                return self._retry_later(exc)  # run again after the wait
            self._fail(str(exc))
        return False

    def _run_job(self, kind: str, arg: object) -> bool:
        if kind == "import_model":
            self._import_model(str(arg))
            return False
        if kind == "remove_folder":  # done or refused: either way no job waits for it now
            self._abandoned.discard(os.path.realpath(str(arg[0])))
        if self.read_only_reason:
            self._refuse_read_only(kind, arg)
            return False
        if kind == "switch_model":
            return self._switch_model(str(arg))
        if kind == "follow_model":
            return self._follow_model(str(arg))
        if self._library is None:
            if kind in ("add_folder", "add_folders"):
                self._fail(no_model_message(self.model_dir))
            elif kind == "remove_folder" and self._store is not None:
                return self._remove_folder_without_model(*arg)
            return False
        lib = self._library
        try:
            if kind == "add_folder":
                lib.add_folder(str(arg))
                self.folders_changed.emit(lib.folders())
                self._queue.appendleft(("index_folder", arg))
                return False
            if kind == "add_folders":
                for folder in arg:
                    lib.add_folder(str(folder))
                self.folders_changed.emit(lib.folders())
                self._queue.appendleft(("index_folders", list(arg)))
                return False
            if kind == "remove_folder":
                folder, keep = arg
                lib.remove_folder(str(folder), keep)
                self.folders_changed.emit(lib.folders())
                self._publish(force=True)
                return False
            if kind == "remove_paths":
                lib.remove_paths(list(arg))
                self._publish(force=True)
                return False
            now: list[str] = []  # the folder indexed now (real path): its removal stops the job
            removing = None  # index_paths: the folders being removed that hold some of its paths
            if kind == "index_folder":
                if self._is_abandoned(arg):
                    return False  # removed meanwhile: its removal is queued
                label = f"Indexing {arg}"
                call = lambda p, s, f: lib.index_folder(str(arg), p, s, looking=f)
                now.append(os.path.realpath(str(arg)))
            elif kind == "index_folders":
                arg = [f for f in arg if not self._is_abandoned(f)]  # removed meanwhile
                if not arg:
                    return False
                label = f"Checking {count_of(len(arg), 'folder')} for changes"
                # Removing a folder stops the job only while that folder is indexed (`now`);
                # one removed before its turn is skipped (the others' walks go on).
                call = lambda p, s, found: _merged(lib.index_folders(
                    (f for f in arg if not self._is_abandoned(f)), should_stop=s,
                    progress_for=self._looking_each(p, now), looking=found))
            elif kind == "index_paths":
                removing = _RemovedHolding(self._abandoned, arg, lib.folders())
                if self._await_removal(removing()):
                    return True
                label = changes_label(len(arg))
                call = lambda p, s, f: lib.index_paths(
                    list(arg), p, lambda: bool(s() or removing()), looking=f)
            else:
                label = "Retrying photos that could not be read"
                call = lambda p, s, _f: lib.retry_failed(p, should_stop=s)
            report = self._with_progress(label, call, now)
        except WaitStopped:  # the app is closing: what this job was to save waits for a start
            return False
        except LookalikeError as exc:
            if _retryable(exc):
                return self._retry_later(exc)
            self._fail(str(exc))
            return False
        except Exception as exc:  # keep the worker alive; the user sees what failed
            log.exception("%s failed", kind)
            self._fail(unexpected_failure(kind, arg, exc))
            return False
        if removing is not None and (self._await_removal(removing()) or (
                report.stopped and not self._pause.is_set() and not self._quit.is_set())):
            # A folder of its paths removed meanwhile (or removed, then added again): no
            # summary, whose counts would hold that folder's photos; the removal runs first
            # (its publish takes them out of the grid), then the job on the other paths.
            return True
        self._publish(force=True)
        if kind == "index_folder" and self._is_abandoned(arg):
            return False  # stopped because it was removed: nothing to report or resume
        if (kind == "index_folders" and report.stopped and not self._pause.is_set()
                and not self._quit.is_set()):
            # Stopped because one was removed (its removal is queued): check the others again.
            self._queue.appendleft((kind, arg))
            return False
        if kind == "index_folder" and not os.path.isdir(str(arg)):
            _say_folder_went_away(report, str(arg))
        self.finished_job.emit(label, report)
        return bool(getattr(report, "stopped", False)) and self._pause.is_set()

    def _await_removal(self, folders: frozenset[str]) -> bool:
        """A job reads photos of `folders`, being removed: True (run it again after their
        removal, see _drain), unless it is paused or quitting (that stopped it)."""
        if not folders or self._pause.is_set() or self._quit.is_set():
            return False
        self._removal_awaited |= folders
        return True

    def _refuse_read_only(self, kind: str, arg: object) -> None:
        """A read-only library changes nothing. What the user asked for says so; the checks the
        window makes by itself (folders at start, the watcher's changes) are dropped quietly:
        the banner already says that nothing is indexed."""
        if kind == "add_folders":
            for folder in arg:
                self._refuse_read_only("add_folder", folder)
            return
        known = self._library is not None and kind == "add_folder" and any(
            os.path.realpath(f.path) == os.path.realpath(str(arg))
            for f in self._library.folders())
        if kind in ("index_folder", "index_folders", "index_paths", "remove_paths") or known:
            return
        if kind == "remove_folder":
            arg = arg[0]
        what = {"add_folder": f"{arg} was not added", "remove_folder": f"{arg} was not removed",
                "switch_model": f"the model in {arg} was not switched to",
                "retry_failed": "unreadable photos were not retried"}.get(kind, f"{kind} not done")
        self._fail(f"Read-only library: {what}. {self.read_only_reason}")

    def _with_progress(self, label: str, call, folders: list[str] | tuple = ()) -> IndexReport:
        """`call(progress, should_stop, looking)` runs the job. `folders`: the real paths of
        those the job indexes now (index_folders' progress_for changes it from folder to
        folder); removing one (abandon_folder) stops it."""
        self.activity.emit(label)
        self.progress.emit(0, 0, 0.0, -1.0)  # nothing counted yet (not the last job's count)
        started = [time.monotonic()]
        last = [0.0]
        last_found = [0.0]
        sent = [-1]  # the found count last sent (-1: none since the last count of photos read)
        held: list[int] = []  # a found count not sent yet (too soon after the last one)

        def looking(found: int) -> None:  # told again and again: sent when it has changed
            held[:] = []
            if found == sent[0]:
                return
            now = time.monotonic()
            if found == 0 or now - last_found[0] >= PROGRESS_INTERVAL_S:
                last_found[0] = now
                sent[0] = found
                self.looking.emit(found)
            else:
                held.append(found)

        def progress(done: int, total: int) -> None:
            if held:  # the walk's whole count, before the count of photos read replaces it
                self.looking.emit(held.pop())
            sent[0] = -1  # the next walk's counts are sent again
            now = time.monotonic()
            if done == 0:  # a count starts (after a walk, or a job's next folder): rate from now
                started[0] = now
            if now - last[0] >= PROGRESS_INTERVAL_S or done >= total:
                last[0] = now
                elapsed = max(now - started[0], 1e-6)
                rate = done / elapsed
                if done >= total:
                    eta = 0.0  # also for nothing to read: not "working out the time left"
                else:
                    eta = (total - done) / rate if rate > 0 else -1.0
                self.progress.emit(done, total, rate, eta)
            if now - self._last_publish >= self._publish_interval:
                self._publish()

        def should_stop() -> bool:  # real names given: a walk asks every few entries
            return (self._pause.is_set() or self._quit.is_set()
                    or any(real in self._abandoned for real in folders))

        return call(progress, should_stop, looking)

    def _looking_each(self, progress, now: list[str]):
        """index_folders' progress_for: each folder's walk shows "Looking for photos…", not
        the last folder's "6 of 6 photos · 0 s left"; `now` becomes [its real path]."""
        def start(folder: str):
            now[:] = [os.path.realpath(folder)]
            self.progress.emit(0, 0, 0.0, -1.0)
            return progress
        return start

    def _retry_later(self, exc: StoreError) -> bool:
        """Keep the job that could not be saved; run it (and those after it) again later."""
        delay = self._retry_delay
        self._retry_delay = min(delay * 2, self.retry_max_s)
        seconds = f"{delay:.0f} s" if delay >= 1 else f"{delay:.1f} s"
        if "disk is full" in str(exc):
            hint = (f"Free some disk space: it is retried automatically in {seconds}, and "
                    "again until it works")
        else:
            hint = f"It is retried automatically in {seconds}, and again until it works"
        message = str(StoreError(exc.path, exc.reason, hint))
        log.warning("%s", message)
        self._retry_note = f"Waiting to retry in {seconds}: the library could not be saved"
        self._retry_timer.start(int(delay * 1000))
        self.error.emit(message)
        self.retry_pending.emit(message)
        return True

    # -- models ---------------------------------------------------------------------------------
    def _load_encoder(self, model_dir: str, quiet: bool = False) -> Encoder | None:
        try:
            return load_encoder(model_dir)
        except ModelError as exc:
            if quiet:
                log.warning("model not usable: %s", exc)
                return None
            missing = not (Path(model_dir) / "model.json").exists()
            self.model_problem.emit(no_model_message(model_dir) if missing else str(exc))
            return None

    def _make_library(self, encoder: Encoder) -> None:
        from ..core.library import PhotoLibrary

        self._library = PhotoLibrary(self._store, encoder)

    def _switch_model(self, model_dir: str) -> bool:
        if self._superseded(model_dir):  # another model was chosen since: its switch follows
            log.info("the switch to %s was replaced by one to %s", model_dir, self._wanted_model)
            return False
        if self._library is not None:
            try:
                encoder = load_encoder(model_dir)
            except ModelError as exc:  # the active model stays: say why it was not switched
                keeps = f"Lookalike keeps using {self._library.encoder.card.name}."
                if not os.path.lexists(model_dir):
                    # Chosen from the Model tab's list, its folder deleted since (a cleaner,
                    # the user tidying up): "Choose a folder that holds..." named no remedy.
                    self._fail(f"{model_dir}: this model's folder is gone (deleted or moved "
                               "while Lookalike ran?), so it was not switched to. To use it, "
                               f"import its model folder again (Import model folder… in the "
                               f"Model tab). {keeps}")
                else:
                    self._fail(f"{exc} {keeps}")
                return False
        else:
            encoder = self._load_encoder(model_dir)
        if encoder is None:
            self._failed = True  # model_problem said why
            return False
        if self._library is None:
            try:
                self._make_library(encoder)
                # Chosen by the user: active even over a library's model that is missing.
                self._store.set_active_model(encoder.model_id)
                self.active_model_seen = encoder.model_id
            except WaitStopped:  # the app is closing: chosen again at the next start
                self._library = None
                return False
            except LookalikeError as exc:
                self._library = None
                if _retryable(exc):
                    return self._retry_later(exc)
                self._fail(str(exc))
                return False
            self.model_dir = model_dir
            self._count_after = 0.0  # a switch is counted at once
            self._publish(force=True)  # before model_switched, as below
            self.model_switched.emit(model_dir, encoder.card)
            self.reconcile_all()
            return False
        return self._activate(encoder, model_dir, lambda: self._superseded(model_dir))

    def _activate(self, encoder: Encoder, model_dir: str, superseded,
                  followed: bool = False) -> bool:
        """Encode the photos lacking `encoder`'s codes, then use it; `superseded()`: another
        model was chosen since (stop, keeping the codes made). As _run_job returns."""
        lib = self._library
        try:
            # A folder removed meanwhile: its photos leave now, not once they are all encoded
            # for nothing (hours for a big library).
            folders = lib.folders()
            removing = _RemovedHolding(self._abandoned, [f.path for f in folders], folders)
            if self._await_removal(removing()):
                return True
            report = self._with_progress(
                f"Re-encoding the library with {encoder.card.name}",
                lambda p, s, _f: lib.activate_model(
                    encoder, p, lambda: bool(s() or superseded() or removing())))
        except WaitStopped:  # the app is closing: the switch is continued at the next start
            return False
        except LookalikeError as exc:
            if _retryable(exc):
                return self._retry_later(exc)
            self._fail(str(exc))
            return False
        if report.stopped:
            if superseded() or self._quit.is_set():
                return self._pause.is_set()
            # Paused, or a folder removed (its removal runs first): the switch goes on after,
            # from the codes made so far.
            self._removal_awaited |= removing()
            return True
        self.model_dir = model_dir
        self.active_model_seen = encoder.model_id
        self._count_after = 0.0  # a switch is counted at once
        # The new snapshot first: the window reruns its search on model_switched, and must
        # find the new model's codes there, not the old model's.
        self._publish(force=True)
        self.model_switched.emit(model_dir, encoder.card)
        card = encoder.card
        if followed:  # said instead of the switch's summary (which the user did not ask for)
            self.model_followed.emit(
                f"Now using the model {card.name} ({card.bits} bits): it was made active "
                "outside this window (by the command line, or another Lookalike).")
            if report.errors or report.failed:
                self.finished_job.emit(f"Switched to {card.name}", report)
        else:
            self.finished_job.emit(f"Switched to {card.name}", report)
        return False

    def _follow_model(self, model_id: str) -> bool:
        """Use the model another process made active (see _follow_active_model), if it still
        is and can be loaded (found as at a start: _recorded_model_dir)."""
        lib = self._library
        if (lib is None or self._store.active_model_id() != model_id
                or lib.model_id == model_id):
            return False
        if any(kind == "switch_model" for kind, _ in self._queue):  # the user's choice decides
            return False
        model_dir = self._recorded_model_dir()
        encoder = self._load_encoder(model_dir, quiet=True) if model_dir else None
        if encoder is None or encoder.model_id != model_id:
            self._unfollowable.add((model_id, self._model_state(model_id)))
            record = self._store.model(model_id) or {}
            self._fail(f"{model_dir or record.get('name') or model_id}: this model was made "
                       "active outside this window (by the command line?), but it cannot be "
                       f"loaded here, so Lookalike keeps using {lib.encoder.card.name}. Make "
                       "a model active again with `lookalike models activate`, or choose one in "
                       "the Model tab.")
            return False
        # Stopped by a model the user chooses meanwhile (the one chosen last again too), or
        # another made active since (`lookalike models activate C` after B): then followed.
        chosen = self._model_choices
        return self._activate(
            encoder, model_dir, lambda: (self._model_choices != chosen
                                         or self._store.active_model_id() != model_id),
            followed=True)

    def _import_model(self, source_dir: str) -> None:
        self.activity.emit(f"Importing model from {source_dir}")
        try:
            # The command line's import: hash and self-test before copying, only the files the
            # app loads, and a card that would reuse a known graph's codes under other
            # settings refused.
            store = self._library.store if self._library is not None else None
            target = import_model(source_dir, store)
            card = open_model_folder(target).card
        except LookalikeError as exc:
            self._fail(str(exc))
            return
        except OSError as exc:
            self._fail(f"{source_dir}: the model folder could not be copied "
                       f"({exc.strerror or exc}). Check free disk space and permissions.")
            return
        finally:
            self.activity.emit("")
        self.model_imported.emit(str(target), card)

    # -- publishing -----------------------------------------------------------------------------
    def _publish(self, force: bool = False) -> None:
        """Send the GUI what changed since last time, and a fresh search snapshot."""
        if self._library is None:
            return
        now = time.monotonic()
        if not force and now - self._last_publish < self._publish_interval:
            return
        changed, removed = self._read_changes()
        if changed or removed:
            self.photos_changed.emit(changed, removed)
        failed_ids = ((self._failed_ids - set(removed) - {p.id for p in changed})
                      | {p.id for p in changed if p.status != "ok"})
        # Not sent again for a photo that stays unreadable with the same reason (rewritten by
        # a copy still in progress, say): the list would be reset for nothing.
        if failed_ids != self._failed_ids or any(
                p.status != "ok" and self._failed_listed.get(p.id) != (p.path, p.error)
                for p in changed):
            self._failed_ids = frozenset(failed_ids)
            listed = sorted((self._known[i] for i in failed_ids), key=lambda p: p.path)
            self._failed_listed = {p.id: (p.path, p.error) for p in listed}
            self.failed_changed.emit(listed)
        # The copies' contents read again only when a job ends (140 ms at 200,000 photos):
        # one older by a few publishes only makes the duplicates search read a header more.
        # Also when a publish during the job (or while another process wrote) read its photos.
        self._contents_stale = self._contents_stale or bool(changed or removed)
        renew = self._contents is None or (force and self._contents_stale)
        if (changed or removed or renew or self._snapshot is None
                or self._snapshot.index is not self._index):
            if renew:
                self._contents = self._shared_contents()
                self._contents_stale = False
            # A copy of the paths: ours change with the next publish, the snapshot must not.
            self._snapshot = SearchSnapshot(self._index, dict(self._ok_paths),
                                            model_id=self._index_model or "",
                                            contents=self._contents)
        self.snapshot_ready.emit(self._snapshot)
        if force:  # a job ended, a switch, another process wrote: not every second of a job
            self._publish_encoded_counts()
        self._last_publish = time.monotonic()
        # Publishing must stay a small share of the work, even for a huge library.
        self._publish_interval = max(PUBLISH_INTERVAL_S, 5 * (self._last_publish - now))

    def _shared_contents(self) -> dict:
        try:
            return self._library.shared_contents()
        except LookalikeError as exc:  # the duplicates search then reads every header
            log.warning("could not read which photos are copies of each other: %s", exc)
            return {}

    def _publish_encoded_counts(self) -> None:
        """Count again only if the library was written since (by us or another process), and
        not again soon after a count (see COUNT_COST_FACTOR): then _check_others counts."""
        store = self._library.store
        try:
            written = (store.data_version(), store.conn.total_changes)
            if written == self._counted:
                self._count_pending = False
                return
            started = time.monotonic()
            if started < self._count_after:  # watcher jobs in a row: one count for them all
                self._count_pending = True
                return
            counts = encoded_counts(store, self._failed_ids)  # as `models list` counts
        except LookalikeError as exc:  # only a count on the Model tab: not worth a job
            log.warning("could not count the photos encoded per model: %s", exc)
            return
        self._counted, self._count_pending = written, False
        now = time.monotonic()
        self._count_after = now + self.count_cost_factor * (now - started)
        self.encoded_counts.emit(counts, len(self._ok_paths))

    def _read_changes(self) -> tuple[list[Photo], list[int]]:
        """(changed or new photos, removed ids) since the last call; keeps self._known, the
        paths of readable photos and the search index up to date. Only the photos this worker
        wrote meanwhile are read again (reading and comparing all 200,000 photos of a big
        library took 1.5 s, once a second while indexing), unless another process (the command
        line) wrote to the library or the model changed: then everything is read again."""
        lib, store = self._library, self._library.store
        version = store.data_version()
        if self._changes is None or self._changes.conn is not store.conn:
            if self._changes is not None:  # reopened (its file put back): its log is new
                self._data_version = None  # so read everything once
            self._changes = _ChangeLog(store)
        ids = self._changes.take()
        # Many changes (a folder removed): reading everything costs no more.
        if (version != self._data_version or self._index is None or ids is None
                or self._index_model != lib.model_id
                or len(ids) > max(500, len(self._known) // 4)):
            self._data_version, self._index_model = version, lib.model_id
            photos = lib.photos()
            current = {p.id: p for p in photos}
            changed = [p for p in photos if self._known.get(p.id) != p]
            removed = [i for i in self._known if i not in current]
            self._known = current
            self._ok_paths = {p.id: p.path for p in photos if p.status == "ok"}
            self._index = lib.search_index()
            return changed, removed
        if not ids:
            return [], []
        photos = sorted(map(_photo, store.photo_rows_by_id(ids)), key=lambda p: p.path)
        current = {p.id: p for p in photos}
        changed = [p for p in photos if self._known.get(p.id) != p]
        removed = [i for i in ids if i in self._known and i not in current]
        for photo_id in removed:
            del self._known[photo_id]
            self._ok_paths.pop(photo_id, None)
        for photo in changed:
            self._known[photo.id] = photo
            if photo.status == "ok":
                self._ok_paths[photo.id] = photo.path
            else:
                self._ok_paths.pop(photo.id, None)
        codes = store.codes_of(lib.model_id, ids)
        self._index = self._index.replaced(
            ids, [c[0] for c in codes],
            np.frombuffer(b"".join(c[1] for c in codes), dtype=np.uint8))
        return changed, removed


def _photo(row: tuple) -> Photo:
    """A Store.photo_rows row as a Photo (the row ends with the fingerprint, which it lacks)."""
    return Photo(*row[:-1])


class _ChangeLog:
    """The ids of the photos this connection wrote (added, changed, removed, or their codes)
    since the last take(). Temporary triggers log them: they live on this connection only and
    see none of another process's writes (Store.data_version tells about those)."""

    def __init__(self, store) -> None:
        self.conn = store.conn
        try:
            # No key and a plain INSERT: a conflict clause in a trigger gives way to the
            # writing statement's own (an upsert's), which could then fail the library's write.
            # In memory: a temp file could fail on a full disk, and the trigger with the write.
            self.conn.execute("PRAGMA temp_store = MEMORY")
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS changed_photos (id INTEGER)")
            for table, column in (("photos", "id"), ("codes", "photo_id")):
                for event, row in (("INSERT", "new"), ("UPDATE", "new"), ("DELETE", "old")):
                    self.conn.execute(
                        f"CREATE TEMP TRIGGER IF NOT EXISTS {table}_{event.lower()}_logged "
                        f"AFTER {event} ON main.{table} BEGIN INSERT INTO "
                        f"changed_photos VALUES ({row}.{column}); END")
            self.ok = True
        except sqlite3.Error as exc:  # the publish then reads every photo, as it always can
            log.warning("photo changes are not logged: %s", exc)
            self.ok = False

    def take(self) -> list[int] | None:
        """The ids logged since the last call (and forget them); None if nothing is logged."""
        if not self.ok:
            return None
        try:
            ids = [r[0] for r in self.conn.execute("SELECT DISTINCT id FROM temp.changed_photos")]
            self.conn.execute("DELETE FROM temp.changed_photos")
        except sqlite3.Error as exc:
            log.warning("photo changes could not be read: %s", exc)
            return None
        return ids


_SQLITE_RETRYABLE = {getattr(sqlite3, "SQLITE_BUSY", 5), getattr(sqlite3, "SQLITE_LOCKED", 6),
                     getattr(sqlite3, "SQLITE_FULL", 13)}


def _retryable(exc: BaseException) -> bool:
    """Would the same job work later: the disk is full or the database is locked (not damaged,
    read-only, or of another version)?"""
    if not isinstance(exc, StoreError):
        return False
    cause = exc.__cause__
    code = getattr(cause, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in _SQLITE_RETRYABLE
    if isinstance(cause, OSError) and cause.errno is not None:
        return cause.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
    reason = exc.reason.lower()
    return "disk is full" in reason or "locked" in reason


def _open_to_read(database: Path | None):
    """The library opened read-only, or None. Used when it cannot be opened for writing: an
    existing library that can still be read is shown and searched instead of nothing."""
    from ..core.store import Store

    path = database or paths.database_path()
    if not path.is_file():
        return None
    try:
        return Store(path, readonly=True)
    except LookalikeError as exc:  # damaged, newer, older schema...: the first error is said
        log.warning("library cannot be read either: %s", exc)
        return None


def _say_folder_went_away(report: IndexReport, folder: str) -> None:
    """`folder` went away while it was indexed (drive unplugged, folder moved): the photos not
    read yet were simply gone, so the run ended as if complete. Its summary replaces the
    watcher's "not available" in the status bar, so it says so itself, first."""
    # The library's own note on it ("... then index it again") goes: the app does that itself.
    report.errors[:] = [e for e in report.errors if e[0] not in (folder, os.path.realpath(folder))]
    report.errors.insert(0, (folder, str(LookalikeError(
        folder, "this folder is not available (drive unplugged, or the folder moved or "
        "removed?), so its indexing stopped; its photos are kept",
        "It is indexed as soon as it is back"))))


class _RemovedHolding:
    """Called: which of the folders being removed (the worker's _abandoned, real paths, changed
    from the GUI thread) hold any of `paths`. A job asks after every photo: worked out again
    only when that set has changed, and nothing looked up while it is empty. Only the library's
    `folders` count: a watched folder that the one around it merged into it (watched first)
    keeps its photos when removed, so a job reading them goes on."""

    def __init__(self, abandoned: set[str], paths: Iterable[str],
                 folders: Iterable[Folder]) -> None:
        self._abandoned = abandoned
        self._given = paths
        self._folders = [f.path for f in folders]
        self._real_folders: frozenset[str] | None = None  # their real paths, once needed
        self._paths: set[str] | None = None  # the paths by both names, once needed
        self._seen: frozenset[str] = frozenset()
        self._holding: frozenset[str] = frozenset()

    def __call__(self) -> frozenset[str]:
        now = frozenset(self._abandoned)  # one C call: safe while the GUI thread adds to it
        if now != self._seen:
            self._seen = now
            if now and self._real_folders is None:
                self._real_folders = frozenset(map(os.path.realpath, self._folders))
            removed = now & self._real_folders if now else now
            paths = self._names() if removed else set()
            self._holding = frozenset(folder for folder in removed
                                      if any(is_under(p, folder) for p in paths))
        return self._holding

    def _names(self) -> set[str]:
        """The paths as given and by the real path of the folder each is in: the watcher names
        them by the watched folder's name, which may be a link; a removed folder is real. A
        path that is itself a link by its real path too: a watched folder that is a link,
        reported changed whole (its watch started, the folder back)."""
        if self._paths is None:
            real_dirs: dict[str, str] = {}
            self._paths = set()
            for path in map(str, self._given):
                head, name = os.path.split(path)
                if head not in real_dirs:
                    real_dirs[head] = os.path.realpath(head)
                real = os.path.join(real_dirs[head], name)
                self._paths.update((path, real))
                if os.path.islink(real):
                    self._paths.add(os.path.realpath(real))
        return self._paths


def _without_folder(job: tuple[str, object], folder: str,
                    keep: tuple = ()) -> tuple[str, object] | None:
    """A queued job less what concerns `folder`, removed before the job runs (the folders in
    `keep`, inside it, stay); None if nothing is left of it. Run later, its indexing or adding
    would bring the folder back, and its paths would be "not inside a library folder"."""
    kind, arg = job
    real = os.path.realpath(folder)
    names = (folder, real)
    kept = [k for inner in keep for k in (inner, os.path.realpath(inner))]
    if kind in ("add_folder", "index_folder"):
        return None if os.path.realpath(str(arg)) == real else job
    if kind in ("add_folders", "index_folders"):
        left = [f for f in arg if os.path.realpath(str(f)) != real]
    elif kind in ("index_paths", "remove_paths"):
        left = [p for p in arg if not any(is_under(p, n) for n in names)
                or any(is_under(p, k) for k in kept)]
    else:
        return job
    return (kind, left) if left else None


def _merged(reports: list[IndexReport]) -> IndexReport:
    total = IndexReport()
    for report in reports:
        total.merge(report)
    return total


def restart_remedy(exc: LookalikeError) -> str:
    """The error as one sentence for the window: the library is opened at start only, so the
    command-line remedy "... and run it again" becomes "..., then restart Lookalike"."""
    hint = re.sub(r",? (?:and|then) (?:run it again|retry)$", "", exc.hint)
    hint = f"{hint}, then restart Lookalike" if hint else "Restart Lookalike once it is fixed"
    return str(LookalikeError(exc.path, exc.reason, hint))
