"""The Lookalike main window: folders and progress on the left, the library grid and the
results side by side, plus Duplicates, Unreadable photos and Model tabs.

Everything slow happens elsewhere: indexing on the IndexerWorker thread, thumbnails on their
pool, searches on the task pool over an immutable snapshot. This class only wires signals and
updates widgets.
"""

from __future__ import annotations

import errno
import html
import logging
import os
import time
from collections import Counter
from pathlib import Path

from PySide6.QtCore import (
    QMetaObject,
    QMimeData,
    QModelIndex,
    Qt,
    QThread,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import paths
from ..core.errors import LookalikeError, printable
from ..core.model_card import read_card
from ..core.records import Folder, same_content_stamps
from ..core.scan import is_under
from ..core.wording import count_of
from ..settings import Settings
from ..watch import FolderWatcher
from .announce import announce
from .dropped import (
    already_watched_message,
    data_url_image,
    given_paths,
    image_mime,
    photo_file,
    walked_past,
    watch_question,
    with_folders_message,
)
from .duplicates_panel import DuplicatesPanel
from .failed_panel import FailedPanel
from .folders_panel import FoldersPanel
from .keys_help import show_keys
from .model_panel import ModelPanel
from .models import FailedPhotosModel, PhotoIdRole, PhotoListModel, ResultsModel, exact_path
from .notice_bar import NoticeBar
from .photo_grid import PhotoGrid, dragged_back
from .photo_preview import PhotoPreview
from .results_panel import ResultsPanel
from .row_feeder import RowFeeder
from .search import SearchSnapshot
from .search_controller import SearchController
from .tasks import TaskRunner
from .thumbnail_housekeeping import start_housekeeping
from .thumbnails import ThumbnailCache, zoomed
from .trainer_process import TrainerProcess
from .workers import CHANGES_LABEL, IndexerWorker, done_label, model_folder_missing

log = logging.getLogger(__name__)
# How long a notice (tell) stays in the status bar before a routine job summary may replace it.
NOTICE_HOLD_S = 8.0
# How long after a batch of watched changes its unreadable photos must still be unreadable to be
# read out: the watcher sends a burst's changes at least every 5 s (FolderWatcher max_wait_ms).
UNREADABLE_SETTLE_MS = 10000
# The library grid with no photo in it.
EMPTY_LIBRARY = ("No photos yet. Add a folder of photos under Watched folders (Add…, Ctrl+O, or "
                 "drop the folder here): its photos show here as they are indexed.")
# How a job summary says it was cut short by Pause (taken down on Resume: no longer true).
PAUSED_NOTE = "paused: Resume indexing continues it"
# The most of the first start's button the Pictures folder's path takes, in pixels.
PICTURES_PATH_WIDTH = 260



def crash_notice(recorded: list[tuple[str, str]], unrecorded: list) -> str:
    """What the window says at start of the photos Lookalike stopped on (their decoder crashed
    it): (path, message) of those recorded as unreadable, and the crash_journal.Crash of those
    that could not be (a photo searched with, in no watched folder)."""
    parts = []
    if len(recorded) == 1:
        parts.append(f"{recorded[0][1]} It is listed under Unreadable photos.")
    elif recorded:
        parts.append(f"Lookalike stopped while reading {len(recorded)} photos (a decoder "
                     f"crashed): {', '.join(path for path, _ in recorded)}. They are left out "
                     "so that they cannot stop Lookalike again, and listed under Unreadable "
                     "photos with what to do.")
    parts.extend(crash.notice() for crash in unrecorded)
    return " ".join(parts)


class MainWindow(QMainWindow):
    # Requests to the indexer thread (queued: the worker lives there).
    # Folders as `object`: a Qt string drops the bytes of a name that is not UTF-8.
    _add_folder = Signal(object)
    _add_folders = Signal(object)  # a list of folders (a Qt string list drops non-UTF-8 bytes)
    _remove_folder = Signal(object, object)  # the folder, the watched folders inside it
    _index_paths = Signal(object)  # lists of paths: not Signal(list), see FolderWatcher
    _remove_paths = Signal(object)
    _retry_failed = Signal()
    _switch_model = Signal(object)  # model folders: a Qt string drops non-UTF-8 bytes
    _import_model = Signal(object)
    _resume = Signal()

    def __init__(self, settings: Settings | None = None, model_dir: str | None = None,
                 parent=None, left_by_crashes: tuple[list, list] = ([], [])) -> None:
        """`left_by_crashes`: the photos Lookalike stopped on last time, as app.take_in_crashes
        gives them, said once the library is open."""
        super().__init__(parent)
        self.settings = settings or Settings.load()
        self.setWindowTitle("Lookalike")
        self.setAcceptDrops(True)
        self.card = None
        self.model_dir = model_dir or self.settings.model_dir or str(paths.default_model_dir())
        self._model_problem = ""
        self._library_problem = ""  # why the library database could not be opened, if so
        self._crash_notice = crash_notice(*left_by_crashes)
        self._read_only_reason = ""  # why it could only be opened to read, if so
        self._opened = False
        self._pending_search = ""  # a photo to search with once the library is open
        self._pending_drop: tuple[QMimeData, str] | None = None  # dropped or pasted before that
        self._removed_folders: set[str] = set()  # removed this session (real paths)
        # The library's own folders (real paths) as its last folders_changed listed them, and
        # the removals the app asked for (real paths, how many) that no list has shown done
        # yet: a listed folder that leaves the library otherwise was forgotten by another
        # Lookalike (`lookalike forget`).
        self._library_folders: set[str] = set()
        self._removals_unseen: Counter[str] = Counter()
        # Watched folders (real paths) that went away (the watcher said so) since a list last
        # showed them held and there: the app's own indexing may have dropped one (gone with
        # no photo left), unseen until some later list, when it may be back on the disk.
        self._went_missing: set[str] = set()
        self._settings_problem = ""  # the last settings.json save error shown, if any
        self._notice_until = 0.0  # until then a routine job summary leaves tell()'s notice shown
        # The summary of a job cut short by Pause, as shown, what of it Resume leaves shown, and
        # the paths its problems name (a folder removed while paused takes them with it).
        self._paused_summary: tuple[str, str, list[str]] = ("", "", [])
        self.retrain_dialog = None  # made on first use, then shown again
        self.preview: PhotoPreview | None = None  # Space on a photo: made on first use
        # The start-up notice's 'Continue training…' and 'Dismiss' buttons and the albums
        self._continue_button: tuple[str, QWidget] | None = None
        self.thumbnails = ThumbnailCache(edge=self.settings.thumbnail_size, parent=self)
        # Old and surplus thumbnails leave the disk cache on a daemon thread (once a day), not
        # while a job needs the disk: its thread only reads the activity line's last text.
        self._activity = ""
        self.housekeeping = start_housekeeping(self.thumbnails.cache_root,
                                               busy=lambda: bool(self._activity))
        self.tasks = TaskRunner(threads=1, parent=self)
        self.watcher = FolderWatcher(parent=self)
        self.photos_model = PhotoListModel(self.thumbnails, self)
        self.results_model = ResultsModel(self.thumbnails, self)
        self.failed_model = FailedPhotosModel(self)
        self._build()
        self.row_feeder = RowFeeder(
            self.photos_model,
            before_upsert=self._follow_in_duplicates,  # before the grid forgets old records
            after_remove=self.duplicates_panel.drop_gone,
            after_turn=self._show_count, parent=self)
        self.search = SearchController(self.settings, self.tasks, self.thumbnails,
                                       self.results_model, self.results_panel,
                                       self.duplicates_panel, self)
        self.search.message.connect(self.tell)
        self.search.problem.connect(self.warn)
        self.search.searching.connect(self._on_searching)
        self._start_worker()
        if not self._restore_geometry(self.settings.window_geometry):
            self.resize(1280, 800)

    def _restore_geometry(self, saved: str) -> bool:
        try:
            return bool(saved) and self.restoreGeometry(bytes.fromhex(saved))
        except ValueError:  # a hand-edited settings.json: the default size will do
            log.warning("settings: window_geometry is not hex; using the default size")
            return False

    # -- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        edge = self.settings.thumbnail_size
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 6)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.banner.setStyleSheet("QLabel { padding: 8px; border-radius: 4px; "
                                  "background: palette(alternate-base); }")
        outer.addWidget(self.banner)
        self.first_run = self._build_first_run()
        outer.addWidget(self.first_run)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.folders_panel = FoldersPanel()
        splitter.addWidget(self.folders_panel)
        self.tabs = QTabWidget()
        browse = QSplitter(Qt.Orientation.Horizontal)
        self.grid = PhotoGrid(edge)
        self.grid.setModel(self.photos_model)
        self.grid.setAccessibleName("Library")
        self._grid_description = self.grid.accessibleDescription()  # its keys
        self._show_empty_hint()
        browse.addWidget(self.grid)
        self.results_panel = ResultsPanel(self.results_model, edge, self.settings.max_distance)
        browse.addWidget(self.results_panel)
        browse.setSizes([640, 480])
        self.tabs.addTab(browse, "Library")
        self.duplicates_panel = DuplicatesPanel(self.thumbnails, self.settings.duplicate_distance)
        self.tabs.addTab(self.duplicates_panel, "Duplicates")
        self.failed_panel = FailedPanel(self.failed_model)
        self.tabs.addTab(self.failed_panel, "Unreadable photos")
        self.model_panel = ModelPanel()
        self.tabs.addTab(self.model_panel, "Model")
        splitter.addWidget(self.tabs)
        splitter.setSizes([260, 1020])
        splitter.setStretchFactor(1, 1)
        outer.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.setStatusBar(NoticeBar())
        self.statusBar().showMessage("Starting…")
        self.count_label = QLabel("")
        self.statusBar().addPermanentWidget(self.count_label)
        # Signals from the panels.
        self.grid.search_requested.connect(self.search_index)
        self.results_panel.grid.search_requested.connect(self.search_index)
        self.grid.message.connect(self.tell)
        self.results_panel.grid.message.connect(self.tell)
        self.grid.problem.connect(self.warn)
        self.results_panel.grid.problem.connect(self.warn)
        # The duplicate groups' tree is followed by the preview as the grids are.
        groups = self.duplicates_panel.tree
        for grid in (self.grid, self.results_panel.grid, groups):
            grid.preview_requested.connect(
                lambda index, grid=grid: self.open_preview(grid, index))
        groups.search_requested.connect(self.search_index)
        groups.message.connect(self.tell)
        groups.problem.connect(self.warn)
        self.folders_panel.add_requested.connect(self.add_folder)
        self.folders_panel.remove_requested.connect(self.remove_folder)
        self.folders_panel.pause_toggled.connect(self.toggle_pause)
        self.duplicates_panel.trashed.connect(self._remove_paths)
        # Put back into a folder still watched (one removed meanwhile is not the library's).
        self.duplicates_panel.restored.connect(self._on_paths_changed)
        self.duplicates_panel.indexed_stamp = self.photos_model.stamp_of_path
        self.failed_panel.retry_requested.connect(self._retry_failed)
        self.failed_panel.message.connect(self.tell)
        self.failed_panel.problem.connect(self.warn)
        self.model_panel.import_requested.connect(self._import_model)
        self.model_panel.switch_requested.connect(self.switch_model)
        self.model_panel.retrain_requested.connect(self.open_retrain)
        # Answered from the preview too, which closes first: a window of its own, which the
        # window's shortcuts do not reach. (Not the zoom keys: see PhotoPreview.)
        self.window_keys = [
            QShortcut(QKeySequence.StandardKey.Paste, self, self.paste),
            QShortcut(QKeySequence("Ctrl+O"), self, lambda: self.folders_panel._choose(False)),
            QShortcut(QKeySequence("Ctrl+L"), self, lambda: self._focus_library(self.grid)),
            QShortcut(QKeySequence("Ctrl+R"), self,
                      lambda: self._focus_library(self.results_panel.grid)),
            QShortcut(QKeySequence("Ctrl+D"), self, lambda: self.tabs.setCurrentIndex(1))]
        QShortcut(QKeySequence.StandardKey.HelpContents, self, lambda: show_keys(self))
        # Zoom, whatever has the focus (the window's only text field, the duplicates' distance,
        # has no use for these keys); Ctrl+= is Ctrl++ without Shift on most layouts.
        for keys, steps in ((("Ctrl++", "Ctrl+="), 1), (("Ctrl+-",), -1), (("Ctrl+0",), 0)):
            zoom = QShortcut(self)
            zoom.setKeys([QKeySequence(k) for k in keys])
            zoom.activated.connect(lambda steps=steps: self.zoom_thumbnails(steps))
        self.grid.zoom_requested.connect(self.zoom_thumbnails)
        self.results_panel.grid.zoom_requested.connect(self.zoom_thumbnails)
        self.duplicates_panel.zoom_requested.connect(self.zoom_thumbnails)
        QShortcut(QKeySequence.StandardKey.Quit, self, self.close)  # none on Windows: Alt+F4

    def _build_first_run(self) -> QWidget:
        box = QWidget()
        # The welcome above its buttons, not beside them: in one row they made the window at
        # least 900 pixels wide (more with a long Pictures path), on a small screen wider than it.
        lines = QVBoxLayout(box)
        lines.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        label = QLabel("<b>Welcome to Lookalike.</b> Choose photos to start with:")
        label.setWordWrap(True)
        pictures = printable(str(paths.pictures_dir()))
        self.use_pictures = QPushButton()
        # The path shortened in its middle: whole, a long one (OneDrive's, a company's name in
        # it) made this row, and so the window, wider than a small screen. Whole in the
        # tooltip and for a screen reader.
        shown = self.use_pictures.fontMetrics().elidedText(
            pictures, Qt.TextElideMode.ElideMiddle, PICTURES_PATH_WIDTH)
        self.use_pictures.setText(f"My Pictures folder ({shown})")
        self.use_pictures.setAccessibleName(f"My Pictures folder ({pictures})")
        self.use_pictures.setToolTip(pictures)
        self.use_pictures.clicked.connect(lambda: self.add_folder(str(paths.pictures_dir())))
        self.use_pictures.setEnabled(paths.pictures_dir().is_dir())
        if not self.use_pictures.isEnabled():
            self.use_pictures.setToolTip(f"{pictures} does not exist")
        self.use_samples = QPushButton("The sample photos")
        self.use_samples.clicked.connect(lambda: self.add_folder(str(paths.sample_photos_dir())))
        self.use_samples.setEnabled(paths.sample_photos_dir().is_dir())
        choose = QPushButton("Another folder…")
        choose.clicked.connect(lambda: self.folders_panel._choose(False))
        later = QPushButton("Not now")
        later.clicked.connect(self._first_run_done)
        lines.addWidget(label)
        for b in (self.use_pictures, self.use_samples, choose, later):
            row.addWidget(b)
        row.addStretch(1)
        lines.addLayout(row)
        box.setVisible(False)
        return box

    # -- the indexer thread ---------------------------------------------------------------------
    def _start_worker(self) -> None:
        self.thread_ = QThread(self)
        self.thread_.setObjectName("indexer")
        self.worker = IndexerWorker(self.model_dir)
        self.worker.moveToThread(self.thread_)
        self.thread_.started.connect(self.worker.open)
        self.thread_.finished.connect(self.worker.deleteLater)
        for signal, slot in ((self._add_folder, self.worker.add_folder),
                             (self._add_folders, self.worker.add_folders),
                             (self._remove_folder, self.worker.remove_folder),
                             (self._index_paths, self.worker.index_paths),
                             (self._remove_paths, self.worker.remove_paths),
                             (self._retry_failed, self.worker.retry_failed),
                             (self._switch_model, self.worker.switch_model),
                             (self._import_model, self.worker.import_model),
                             (self._resume, self.worker.resume)):
            signal.connect(slot)
        self.watcher.paths_changed.connect(self._on_paths_changed)
        self.watcher.paths_removed.connect(self._on_paths_removed)
        w = self.worker
        w.opened.connect(self._on_opened)
        w.model_problem.connect(self._on_model_problem)
        w.library_problem.connect(self._on_library_problem)
        w.library_read_only.connect(self._on_library_read_only)
        w.progress.connect(self.folders_panel.show_progress)
        w.looking.connect(self.folders_panel.show_looking)
        w.activity.connect(self._on_activity)
        w.paused_changed.connect(lambda _p: self._on_activity(self.folders_panel.activity.text()))
        w.paused_changed.connect(self._on_paused_changed)
        w.photos_changed.connect(self._on_photos_changed)
        w.failed_changed.connect(self._on_failed_changed)
        w.snapshot_ready.connect(self._on_snapshot)
        w.folders_changed.connect(self._on_folders_changed)
        w.finished_job.connect(self._on_finished_job)
        w.model_switched.connect(self._on_model_switched)
        w.model_followed.connect(self.tell)  # after model_switched's "Now using the model ..."
        w.switch_failed.connect(self._on_switch_failed)
        w.model_imported.connect(self._on_model_imported)
        w.encoded_counts.connect(self.model_panel.set_encoded_counts)
        w.error.connect(self.warn)
        w.retry_pending.connect(self._on_retry_pending)
        self.watcher.folder_unavailable.connect(self._on_folder_unavailable)
        self.watcher.folder_available.connect(self._on_folder_available)
        self.watcher.folder_unreadable.connect(self._on_folder_unreadable)
        self.watcher.events_lost.connect(self._on_events_lost)
        self.watcher.folder_unwatchable.connect(self._on_folder_unwatchable)
        self.watcher.folder_partly_unwatchable.connect(self._on_folder_partly_unwatchable)
        self.thread_.start()

    @Slot(str)
    def _on_retry_pending(self, message: str) -> None:
        # Stays up (no timeout) until the retry works: the user has something to fix.
        if message:
            self.statusBar().show_problem(message)
        else:
            self.statusBar().showMessage("The library is saved again.", 5000)

    @Slot(object)
    def _on_folder_unavailable(self, folder: str) -> None:
        self._went_missing.add(os.path.realpath(folder))  # see _on_folders_changed
        self._show_folders()
        around = [w for w in self.watcher.watched() if w != folder and is_under(folder, w)]
        if around and not os.path.lexists(folder):
            # Deleted or moved away inside a folder still watched: that folder saw it go, and
            # its photos leave the library with it (see FolderWatcher.flush).
            self.warn(f"{folder} was deleted or moved out of {around[0]}; its photos leave "
                      "the library. It is watched again if it comes back.")
            return
        if os.path.exists(folder) and not os.path.isdir(folder):
            # A file by that name (a hand-edited settings.json): there is no drive to wait for.
            self.warn(f"{folder} is a file, not a folder: nothing there can be watched. Select "
                      "it in the watched folders and press Remove.")
            return
        self.warn(f"{folder} is not available (drive unplugged, or the folder moved or "
                  "removed?). Its photos are kept; it is checked again when it is back. If it "
                  "was deleted for good, select it and press Remove to forget its photos.")

    @Slot(object, str)
    def _on_folder_unreadable(self, folder: str, cause: str) -> None:
        self.warn(f"{folder} cannot be read ({cause}). Its photos are kept. Give your user read "
                  "access to the folder again; it is then checked for changes.")

    @Slot(object, str)
    def _on_folder_unwatchable(self, folder: str, cause: str) -> None:
        self.warn(f"{folder} cannot be watched for changes: {cause}. Its photos are indexed and "
                  "searched; what changes there while Lookalike runs is found at the next start.")

    @Slot(object, str)
    def _on_folder_partly_unwatchable(self, folder: str, cause: str) -> None:
        self.warn(f"Some folders in {folder} cannot be watched for changes: {cause}. Their "
                  "photos are indexed and searched; what changes in them while Lookalike runs "
                  "is found at the next start.")

    @Slot(object)
    def _on_events_lost(self, folders: list) -> None:
        self.tell(f"More files changed at once than the system could report one by one; "
                  f"checking {', '.join(folders)} for changes.")

    @Slot(object)
    def _on_folder_available(self, folder: str) -> None:
        self._show_folders()
        self.tell(f"{folder} is back; checking it for changes.")
        if self.card is not None and self._is_watched(folder):
            # Added again: a folder missing at start (or when a folder around it was removed)
            # never made it into the library, and the paths_changed([folder]) that follows would
            # be refused as outside it. Adding is safe to repeat, and indexes the whole folder
            # (the paths_changed then only checks what changed since).
            self._add_folder.emit(folder)

    @Slot(object)
    def _on_paths_changed(self, paths_: list) -> None:
        kept = self._in_watched_folders(paths_)
        if kept:
            self._index_paths.emit(kept)

    @Slot(object)
    def _on_paths_removed(self, paths_: list) -> None:
        kept = self._in_watched_folders(paths_)
        if kept:
            self._remove_paths.emit(kept)

    def _in_watched_folders(self, paths_: list) -> list:
        """The watcher's paths that lie in a folder still watched. A change made just before
        its folder was removed is reported after (the watcher waits for a burst to end): it
        would fail as "not inside a library folder. Add its folder to the library first"."""
        folders = self.settings.watched_folders
        return [p for p in paths_ if any(is_under(p, f) for f in folders)]

    def _show_folders(self) -> None:
        self.folders_panel.set_folders(self.settings.watched_folders,
                                       self.settings.polling_folders, self.watcher.unavailable())
        self._show_empty_hint()

    def _show_empty_hint(self) -> None:
        # Only with no folder: a library still opening, or a folder still walked, has photos
        # to come (at start it said "No photos yet. Add a folder…" to a library of 200,000).
        self.grid.empty_text = "" if self.settings.watched_folders else EMPTY_LIBRARY
        self.grid.viewport().update()
        # Painted text is not read by a screen reader: the grid's description says it first.
        self.grid.setAccessibleDescription(
            " ".join(filter(None, (self.grid.empty_text, self._grid_description))))

    def _is_watched(self, folder: str) -> bool:
        real = os.path.realpath(folder)
        return any(os.path.realpath(f) == real for f in self.settings.watched_folders)

    def _add_and_index(self, folder: str) -> None:
        """Add `folder` to the library and index it; a missing one (an unplugged drive) is not
        asked for: the watcher said it is not available, and it is added when it is back."""
        if os.path.isdir(folder):
            self._add_folder.emit(folder)

    @Slot(object, str)
    def _on_opened(self, card, model_dir: str) -> None:
        self._opened = True
        self._set_model(card, model_dir)
        self.statusBar().showMessage("Ready", 3000)  # first: a notice below must not be hidden
        if self.settings.load_problem:
            self.warn(self.settings.load_problem)
        if self._crash_notice:
            self.warn(self._crash_notice)
        if card is not None and not self._read_only_reason:
            # Finish removals cut short last time (quit while the removal was still queued),
            # before the watched folders are reconciled (one may sit inside a removed one).
            for folder in self.settings.removed_folders:
                self._remove_folder.emit(folder, self._watched_inside(folder))
        for folder in self.settings.watched_folders:
            self.watcher.watch(folder, polling=folder in self.settings.polling_folders)
        # Changes made while we were closed, all folders in one job (a photo moved between two
        # keeps its codes); a missing one (an unplugged drive) is added when it is back.
        present = [f for f in self.settings.watched_folders if os.path.isdir(f)]
        if card is not None and present:
            self._add_folders.emit(present)
        self._show_folders()
        self._offer_unfinished_training()
        pending = self.settings.switching_to_model
        if card is not None and pending:
            switched_from, _, asked_for = self.settings.switching_from_model.partition(" ")
            if os.path.realpath(pending) == os.path.realpath(model_dir):
                self._forget_pending_switch()  # it was done after all
            elif switched_from and asked_for == pending and switched_from != card.model_id:
                # Another model was made active since (`lookalike models activate`): that
                # later choice stands.
                self._forget_pending_switch()
                self.tell(f"The switch to the model in {pending}, cut short when Lookalike was "
                          f"closed, was not continued: {card.name} was made active since.")
            else:  # cut short when Lookalike was closed: the codes made so far are kept
                self.tell(f"Continuing the switch to the model in {pending}, cut short when "
                          "Lookalike was closed.")
                self.worker.want_model(pending)
                self._switch_model.emit(pending)
        if not self.settings.first_run_done and not self.settings.watched_folders:
            self.first_run.setVisible(True)
        if self._pending_search:
            path, self._pending_search = self._pending_search, ""
            self.search_file(path)
        if self._pending_drop is not None:  # after the command line's photo: dropped later
            (mime, how), self._pending_drop = self._pending_drop, None
            self._search_mime(mime, how)  # as a drop now: folders with photos said too

    def _forget_pending_switch(self) -> None:
        self.settings.switching_to_model = self.settings.switching_from_model = ""
        self.save_settings()

    def _set_model(self, card, model_dir: str) -> None:
        self.card, self.model_dir = card, model_dir
        self.search.set_model(model_dir if card else None, card.model_id if card else "")
        self.model_panel.show_card(card, model_dir, self._model_problem, self._library_problem)
        if card is None and self._library_problem:  # the model was not even tried
            self.banner.setText(f"<b>The library cannot be opened.</b> "
                                f"{html.escape(self._library_problem)}")
            self.banner.setVisible(True)
            self.search.no_model_message = ("The library cannot be opened, so photos cannot be "
                                            "searched: see the message at the top of the window.")
        elif card is not None:
            settings = self.settings
            if card.bits != settings.max_distance_bits:  # keep the same strictness
                scale = card.bits / max(settings.max_distance_bits, 1)
                settings.max_distance = round(settings.max_distance * scale)
                settings.duplicate_distance = round(settings.duplicate_distance * scale)
                settings.max_distance_bits = card.bits
            self.results_panel.set_bits(card.bits, settings.max_distance)
            # Up to the code's length (it stopped at 64, short of the bundled model's 96 bits).
            self.duplicates_panel.distance_spin.setMaximum(card.bits)
            self.duplicates_panel.distance_spin.setValue(settings.duplicate_distance)
            if self._read_only_reason:
                self.banner.setText(
                    "<b>The library is open read-only.</b> The photos indexed so far are shown "
                    "and can be searched, but nothing new is indexed and nothing is changed. "
                    f"{html.escape(self._read_only_reason)}")
            self.banner.setVisible(bool(self._read_only_reason))
        elif (Path(model_dir) / "model.json").exists() or (Path(model_dir) / "model.onnx").exists():
            default = str(paths.default_model_dir())
            remedy = ("Switch to the default model in the Model tab, or import this model "
                      "again." if os.path.realpath(model_dir) != os.path.realpath(default)
                      else "Reinstall Lookalike to restore it, or import another model in the "
                      "Model tab.")
            self.banner.setText(f"<b>The active model is damaged</b> ({model_dir}). "
                                f"{self._model_problem} {remedy}")
            self.banner.setVisible(True)
            self.search.no_model_message = (f"The active model ({model_dir}) is damaged, so "
                                            f"photos cannot be searched. {remedy}")
        else:
            missing = model_folder_missing(model_dir)
            headline = "The active model is missing." if missing else "No model is installed."
            self.banner.setText(f"<b>{headline}</b> {self._model_problem}")
            self.banner.setVisible(True)
            self.search.no_model_message = (
                f"The active model ({model_dir}) is missing, so photos cannot be searched. If "
                "it is on a drive, connect the drive and restart Lookalike; else switch to the "
                "default model in the Model tab, or import this model again."
                if missing else "No model is installed, so photos cannot be searched yet: in "
                "the Model tab, press Import model folder…, or Retrain on my albums… to train "
                "one.")

    @Slot(str)
    def _on_library_problem(self, message: str) -> None:
        self._library_problem = message

    @Slot(str)
    def _on_library_read_only(self, message: str) -> None:
        self._read_only_reason = message

    def _refused_read_only(self, what: str) -> bool:
        """A read-only library is not changed: say so (True) instead of doing `what`."""
        if self._read_only_reason:
            self.warn(f"Read-only library: {what}. {self._read_only_reason}")
        return bool(self._read_only_reason)

    @Slot(str)
    def _on_model_problem(self, message: str) -> None:
        self._model_problem = message
        if self._opened:
            self._set_model(self.card, self.model_dir)

    @Slot(str)
    def _on_activity(self, text: str) -> None:
        self._activity = text
        self.folders_panel.show_activity(text, self.worker.is_paused())

    @Slot(list, list)
    def _on_photos_changed(self, changed: list, removed: list) -> None:
        # A big library arrives as one long list: given to the grid in bounded turns.
        self.row_feeder.add(changed, removed)

    def _show_count(self) -> None:
        # The grid's tiles: where a RAW+JPEG pair is one, they are pictures, not files, and
        # the files are counted beside them (indexing counts files: "65 of 208 photos").
        shown, raws = self.photos_model.rowCount(), self.photos_model.hidden_raws()
        if not raws:
            self.count_label.setText(count_of(shown, "photo"))
            self.count_label.setToolTip("")
            return
        self.count_label.setText(f"{count_of(shown, 'picture')} "
                                 f"({count_of(shown + raws, 'file')})")
        self.count_label.setToolTip(
            "A raw file and the file of its name beside it that is not a raw (its JPEG, HEIF, "
            "TIFF, PNG...: one shot the camera wrote twice) are one picture, shown as that "
            f"file: {count_of(raws, 'raw file')} {'is' if raws == 1 else 'are'} counted "
            "among the files only.")

    def _follow_in_duplicates(self, photos: list) -> None:
        """Duplicate groups on screen follow changed records: a photo renamed or moved keeps its
        place under its new path; one whose file now holds another picture (rewritten, or
        another file renamed over it) leaves its group, since it is no longer known to be a
        copy. Else trashing the checked photos offered a path that was gone or another picture.
        While a search for groups runs, its groups are told too, once they come."""
        panel = self.duplicates_panel
        if not panel.follows_changes():  # the usual case: no work per photo
            return
        moves, changed = {}, []
        for photo in photos:
            if panel.take_returned(photo.path):
                continue  # put back by Undo: that photo, indexed anew
            old = self.photos_model.photo(photo.id)
            if old is None:
                changed.append(photo.path)  # a new record at a path a group may show
                continue
            panel.note_indexed(old.path, old.stamp)  # what a search running found it with
            if old.path != photo.path:
                moves[old.path] = photo.path
            elif not same_content_stamps(old.stamp, photo.stamp):
                changed.append(photo.path)
        if moves:
            panel.follow_moves(moves)
        if changed:
            panel.drop_gone(changed)

    @Slot(list)
    def _on_failed_changed(self, failed: list) -> None:
        self.failed_model.set_photos(failed)
        self.tabs.setTabText(2, f"Unreadable photos ({len(failed):,})" if failed
                             else "Unreadable photos")

    @Slot(object)
    def _on_snapshot(self, snapshot: SearchSnapshot) -> None:
        self.search.set_snapshot(snapshot)  # and the search on screen runs again

    @Slot(list)
    def _on_folders_changed(self, folders: list[Folder]) -> None:
        """The library's folders. Settings are the user's list: a folder the library has but
        the settings lack (indexed with `lookalike index`) is taken in, watched and checked for
        changes, unless the user removed it (its removal may still be queued behind a long
        job). A listed folder that the library had and has no more, with no removal of the
        app's own to account for it, was forgotten with `lookalike forget`: it leaves the list
        and is no longer watched (see _forgotten for the folders that stay)."""
        known = [f.path for f in folders]
        real = os.path.realpath
        held = {real(f) for f in known}
        gone = self._library_folders - held
        self._library_folders = held
        forgotten_here = set()
        for folder in gone:
            if self._removals_unseen[folder] > 0:  # the app's own removal, done now
                self._removals_unseen[folder] -= 1
            elif folder not in self._went_missing:  # else dropped while away: it stays
                forgotten_here.add(folder)
        self._went_missing = {f for f in self._went_missing - gone
                              if f not in held or not os.path.isdir(f)}
        self._removals_unseen = +self._removals_unseen  # (drops the zeros)
        # Removals done: a `lookalike index` of the folder later is taken in like any other.
        # Not while one is still to come (an add queued before it may put the folder back).
        self._removed_folders = {f for f in self._removed_folders
                                 if f in held or self._removals_unseen[f]}
        listed = {real(f) for f in self.settings.watched_folders}
        removed = self._removed_folders | {real(f) for f in self.settings.removed_folders}
        changed = False
        for folder in known:
            if real(folder) not in listed and real(folder) not in removed:
                self.settings.watched_folders.append(folder)
                listed.add(real(folder))
                self.watcher.watch(folder)
                if self.card is not None:
                    self._add_and_index(folder)  # it may have changed since it was indexed
                changed = True
        still = [f for f in self.settings.removed_folders if real(f) in held]
        if still != self.settings.removed_folders:  # the library confirmed these removals
            self.settings.removed_folders = still
            changed = True
        forgotten = self._forgotten(forgotten_here, known)
        for folder in forgotten:
            self.settings.drop_folder(folder)
        if forgotten:
            self._say_forgotten(forgotten, [self._let_go(folder) for folder in forgotten])
            changed = True
        self._show_folders()
        if changed:
            self.save_settings()

    def _forgotten(self, gone: set[str], known: list[str]) -> list[str]:
        """The listed folders among `gone` (real paths that left the library, not by the app's
        removal) that another Lookalike forgot. Not a folder missing from the disk: the library
        drops one with no photo left itself (renamed, moved, or an empty one on a drive
        unplugged), and it is watched again when it is back; nor one that a folder around it,
        added to the library, merged (its photos are that folder's now); nor anything while the
        library is open read-only (nothing is changed then)."""
        if not gone or self._read_only_reason:
            return []
        real = os.path.realpath
        return [folder for folder in self.settings.watched_folders
                if real(folder) in gone and os.path.isdir(folder)
                and not _merged_into(folder, known)]

    def _say_forgotten(self, forgotten: list[str], inner: list[list[str]]) -> None:
        kept = [folder for folders in inner for folder in folders]
        text = (f"{', '.join(forgotten)} {'was' if len(forgotten) == 1 else 'were'} forgotten "
                "by another Lookalike (lookalike forget): no longer watched.")
        if kept:
            text += (f" {', '.join(kept)}, watched inside, "
                     f"{'stays' if len(kept) == 1 else 'stay'} and "
                     f"{'is' if len(kept) == 1 else 'are'} indexed again.")
        self.tell(text)

    @Slot(str, object)
    def _on_finished_job(self, label: str, report) -> None:
        # A job run to its end is told as done ("Indexed /photos: 30 added"): in the words of
        # its progress ("Indexing ...") it read as work still going on; a paused one keeps them.
        told = label if report.stopped else done_label(label)
        text = f"{told}: {report.summary(PAUSED_NOTE, brief=True)}"
        problems = ""  # still true once Resume takes down "paused"
        failed = {p.path for p in self.failed_model.photos()}
        others = [message for path, message in report.errors if path not in failed]
        photos = len(report.errors) - len(others)
        for message in others:
            log.warning("%s", message)
        if photos:
            problems += (f". {count_of(photos, 'photo')} could not be read: see the Unreadable "
                         "photos tab")
        if others:  # a folder that vanished, a path outside the library...: say what it was
            problems += f". {others[0]}"
            if len(others) > 1:
                problems += (f" (and {count_of(len(others) - 1, 'more problem')}, listed in "
                             "the log)")
        text += problems
        if not report.errors and time.monotonic() < self._notice_until:
            # A notice told a moment ago (a damaged settings file, a model switch continued)
            # would be gone before it could be read; this summary has nothing wrong to say.
            log.info("%s", text)
            return
        text = printable(text)  # a folder's or photo's name in the problems said
        bar = self.statusBar()
        (bar.show_problem if problems else bar.showMessage)(text, 15000)
        if report.stopped:
            self._paused_summary = (text, printable(f"{label}: {problems[2:]}")
                                    if problems else "", [path for path, _m in report.errors])
        # Read out as notices are (the focus is elsewhere), but not each batch of files that
        # changed in a watched folder with nothing wrong: a camera import would be one long
        # string of "Indexed 3 changes: 3 added..." (workers.py names those jobs).
        if others or not CHANGES_LABEL.fullmatch(label):
            announce(bar, text, problem=bool(problems))
        elif photos:
            # A photo still being copied in fails (truncated) and is indexed again once written:
            # during an import, nearly every batch (one each 5 s) caught one. Said only if one
            # of them is still unreadable when the next batch has had time to come.
            unreadable = [path for path, _message in report.errors if path in failed]
            QTimer.singleShot(UNREADABLE_SETTLE_MS, self,
                              lambda: self._announce_if_unreadable(text, unreadable))

    def _announce_if_unreadable(self, text: str, paths_: list) -> None:
        failed = {p.path for p in self.failed_model.photos()}
        if any(path in failed for path in paths_):
            announce(self.statusBar(), text, problem=True)

    @Slot(object, object)
    def _on_model_switched(self, model_dir: str, card) -> None:
        self._model_problem = ""
        was_missing = self.card is None
        # The active model chosen again (to cancel a switch): its codes and groups stand.
        same = not was_missing and self.card.model_id == card.model_id
        self.settings.model_dir = model_dir
        self.settings.switching_to_model = self.settings.switching_from_model = ""
        self.save_settings()
        self._set_model(card, model_dir)
        if self.tasks.latest("duplicates") and not same:  # groups were looked for
            self.search.clear_duplicates("The model changed: press Find duplicates to look "
                                         "again with the new codes.")
        if not same:  # else what switch_model said stands ("Keeping the model ...")
            self.tell(f"Now using the model {card.name} ({card.bits} bits).")
        for folder in self.settings.watched_folders:
            self.watcher.watch(folder, polling=folder in self.settings.polling_folders)
            if was_missing:  # folders chosen while there was no model: index them now
                self._add_and_index(folder)
        self.search.rerun()

    @Slot(str)
    def _on_switch_failed(self, model_dir: str) -> None:
        if self.settings.switching_to_model == model_dir:
            self._forget_pending_switch()  # its error was said; not tried again

    @Slot(str, object)
    def _on_model_imported(self, model_dir: str, card) -> None:
        self.model_panel.refresh_models()
        i = self.model_panel.models_combo.findData(model_dir)
        if i >= 0:
            self.model_panel.models_combo.setCurrentIndex(i)
        self.tell(f"Imported the model {card.name}. Press 'Switch to this model' in the Model "
                  "tab to use it.")

    # -- user actions ---------------------------------------------------------------------------
    @Slot(str)
    def tell(self, message: str, problem: bool = False) -> None:
        """Say `message` in the status bar (and to a screen reader); a `problem` (something
        went wrong that the user must act on) in the warning look, said as one."""
        message = printable(message)  # a folder or photo named in bytes that are not UTF-8
        log.info("%s", message)
        bar = self.statusBar()
        (bar.show_problem if problem else bar.showMessage)(message, 20000)
        announce(bar, message, problem=problem)  # read out: the focus is elsewhere
        self._notice_until = time.monotonic() + NOTICE_HOLD_S

    @Slot(str)
    def warn(self, message: str) -> None:
        self.tell(message, problem=True)

    @Slot(object, bool)
    def add_folder(self, folder: str, polling: bool = False) -> None:
        folder = os.path.abspath(os.path.expanduser(folder))
        if not os.path.isdir(folder):
            self.warn(not_a_folder_message(folder))
            return
        around = self._watched_around(folder)
        if around is not None:
            if os.path.realpath(folder) == os.path.realpath(around):
                self.tell(f"{folder} is already in the library as {around} (the same folder "
                          "by another name); nothing was added.")
            else:  # the library holds it as part of `around`: a second entry would share them
                self.tell(f"{folder} is inside {around}, which is already in the library: its "
                          "photos are indexed and watched with it; nothing was added.")
            return
        if self._refused_read_only(f"{folder} was not added"):
            return
        self._first_run_done()
        self._removed_folders.discard(os.path.realpath(folder))
        self.worker.abandon_folder(folder, False)
        self.settings.add_folder(folder, polling)
        self.save_settings()  # if it cannot be saved, the folder is still watched and indexed
        self.watcher.watch(folder, polling=polling)
        self._show_folders()
        self._add_folder.emit(folder)

    def _watched_around(self, folder: str) -> str | None:
        """The watched folder that `folder` is by another name (a symlink) or lies inside, as
        the library sees it: it has one folder there already (PhotoLibrary.add_folder returns
        it), so a second entry would share its photos, and removing that entry would forget
        them all. The same path again is not one: adding it only checks it for changes. Nor
        is a folder that the walk around it skips (a hidden folder, a photo app library's
        previews): the library makes it a folder of its own, walked and watched on its own."""
        if folder in self.settings.watched_folders:
            return None  # watched itself (before a folder around it was): walked on its own
        real = os.path.realpath(folder)
        # The deepest: of a folder watched inside another (watched first), its own walk counts.
        around = max((w for w in self.settings.watched_folders
                      if is_under(real, os.path.realpath(w))),
                     key=lambda w: len(os.path.realpath(w)), default=None)
        return None if around is not None and walked_past(folder, around) else around

    @Slot(object)
    def remove_folder(self, folder: str) -> None:
        if self._refused_read_only(f"{folder} was not removed"):
            return
        real = os.path.realpath(os.path.abspath(folder))
        self._removed_folders.add(real)
        held = self._library_folders
        if real in held or (os.path.isdir(real) and not _merged_into(folder, held)):
            # Its leaving the library's list is this removal's (the library holds it, or an
            # add queued before may make it hold it; a merged or missing one it never holds).
            self._removals_unseen[real] += 1
        self.settings.remove_folder(folder)
        self.save_settings()
        self._let_go(folder)

    def _let_go(self, folder: str) -> list[str]:
        """`folder`, out of the settings' list already, is no longer watched or indexed, and
        the library forgets it (a folder `lookalike forget` forgot: nothing left to forget, but
        its indexing queued or paused is dropped). The watched folders inside it, which the
        library merged into it, stay: returned."""
        real = os.path.realpath(os.path.abspath(folder))
        _shown, _problems, named = self._paused_summary
        if any(is_under(path, real) or is_under(path, os.path.abspath(folder)) for path in named):
            # Its photos leave the Unreadable photos tab, and a folder gone is gone: the paused
            # summary's problems are no longer so, and are not said again on Resume (nor when
            # this removal, the last job paused, ends the pause).
            self._paused_summary = ("", "", [])
        self.watcher.unwatch(folder)
        self._show_folders()
        self.worker.abandon_folder(folder)  # stop indexing it now, not after the last photo
        # The library merged watched folders inside this one into it: they stay, with their
        # photos and codes (not encoded again), and are watched and checked on their own.
        inner = self._watched_inside(folder)
        self._remove_folder.emit(folder, inner)
        for kept in inner:
            self.watcher.watch(kept, polling=kept in self.settings.polling_folders)
            if self.card is not None:
                self._add_and_index(kept)
        return inner

    def _watched_inside(self, folder: str) -> list[str]:
        """The watched folders inside `folder` (removed, so not one of them)."""
        removed = os.path.realpath(os.path.abspath(folder))
        return [inner for inner in self.settings.watched_folders
                if is_under(os.path.realpath(inner), removed)]

    def _first_run_done(self) -> None:
        self.first_run.setVisible(False)
        if not self.settings.first_run_done:
            self.settings.first_run_done = True
            self.save_settings()

    def save_settings(self) -> bool:
        """Save settings.json; a full disk (or a read-only folder) is said once, clearly, and
        the app carries on with the settings in memory."""
        try:
            self.settings.save()
        except OSError as exc:
            message = settings_save_problem(exc)
            log.error("%s", message)
            if message != self._settings_problem:
                self._settings_problem = message
                self.warn(message)
            return False
        self._settings_problem = ""
        return True

    @Slot(int)
    def zoom_thumbnails(self, steps: int) -> None:
        """Thumbnails `steps` sizes bigger (fewer than 0: smaller; 0: the usual size) in the
        grids and the duplicates, and at the next start."""
        old = self.thumbnails.edge
        edge = zoomed(old, steps) if steps else Settings.thumbnail_size  # (the default)
        if edge != old:
            self.thumbnails.set_edge(edge)  # the thumbnails on screen made again at that size
            self.grid.set_edge(edge)
            self.results_panel.set_edge(edge)
            self.duplicates_panel.set_thumbnail_edge(edge)
            self.settings.thumbnail_size = edge
            self.save_settings()
        limit = (" (the largest)" if steps > 0 and edge == old
                 else " (the smallest)" if steps < 0 and edge == old else "")
        # The picture changes, nothing that has the focus: a screen reader would say nothing.
        announce(QApplication.focusWidget() or self, f"Thumbnails {edge} pixels{limit}")

    def _focus_library(self, grid) -> None:
        self.tabs.setCurrentIndex(0)  # the Library tab holds the grid and the results
        grid.setFocus(Qt.FocusReason.ShortcutFocusReason)

    @Slot()
    def toggle_pause(self) -> None:
        if self.worker.is_paused():
            self._resume.emit()
            self._on_paused_changed(False)
        else:
            self.worker.pause()

    @Slot(bool)
    def _on_paused_changed(self, paused: bool) -> None:
        # Also when the worker takes the Resume: the summary of a job stopped by Pause, sent
        # before (its batch still being read when Resume was pressed), comes after the press.
        message = self.statusBar().currentMessage()
        if not paused and f"({PAUSED_NOTE})" in message:
            shown, problems, _named = self._paused_summary
            if problems and message == shown:  # the photos unreadable, the folder gone: still so
                self.statusBar().show_problem(problems, 15000)
            else:
                self.statusBar().clearMessage()  # it said "paused" while indexing runs again

    @Slot(str)
    def switch_model(self, model_dir: str) -> None:
        """Re-encode the library with the model in `model_dir`, then use it. A switch to another
        model still under way stops (its codes so far are kept): choosing the active model
        again cancels it."""
        pending = self.settings.switching_to_model
        active = (self.card is not None
                  and os.path.realpath(model_dir) == os.path.realpath(self.model_dir)
                  and _model_id_in(model_dir) == self.card.model_id)  # not one exported over it
        if active and pending and pending != model_dir:
            self.tell(f"Keeping the model {self.card.name}: the switch to the model in {pending} "
                      "is stopped (the codes it made so far are kept for a later switch).")
        elif active:
            self.tell(f"{self.card.name} is the active model already.")
        else:
            self.tell("Switching model: the library is re-encoded in the background; searches "
                      "use the current model until it is done.")
        self.settings.switching_to_model = model_dir  # continued at the next start if cut short
        # ... if the model active now still is then (not if the command line made another one
        # active meanwhile). The library's, as the worker saw it: the card changes only once a
        # switch is done (a model the command line made active, being followed, is not yet).
        active_id = self.worker.active_model_seen or (self.card.model_id if self.card else "")
        # With the switch it is for: an older Lookalike, which knows no such key, keeps it as it
        # is when it asks a switch of its own.
        self.settings.switching_from_model = f"{active_id} {model_dir}" if active_id else ""
        self.save_settings()
        self.worker.want_model(model_dir)  # a switch to another model under way stops now
        self._switch_model.emit(model_dir)

    # -- search ---------------------------------------------------------------------------------
    @property
    def snapshot(self) -> SearchSnapshot:
        return self.search.snapshot

    @property
    def results_shown(self):
        return self.search.results_shown

    @property
    def duplicates_shown(self):
        return self.search.duplicates_shown

    @Slot()
    def _on_searching(self) -> None:
        """A new search: its results are on the Library tab (a photo dropped, pasted or handed
        over while another tab showed would be searched out of sight), and what the status bar
        said about the search before (a photo that could not be read) no longer applies."""
        self.tabs.setCurrentIndex(0)
        self._drop_search_notice()
        searched = self.search.searched_photo_id
        if searched is None or self.grid.currentIndex().data(PhotoIdRole) != searched:
            # A photo from outside the library, or another library photo (dropped, pasted as
            # a path, handed over, or a result clicked): the grid's photo picked earlier
            # (selected, or current) is not what the results are for.
            self.grid.selectionModel().clear()

    def _drop_search_notice(self) -> None:
        # As tell() showed it: a name's bidirectional control or odd byte escaped.
        said = printable(self.search.said)
        if said and self.statusBar().currentMessage() == said:
            self.statusBar().clearMessage()
            self._notice_until = 0.0  # nothing left to read: the next summary may show

    def keyPressEvent(self, event) -> None:
        # Escape reaches the window when the widget with the focus has no use for it (the
        # grids, the slider); a menu, a dialog or the keys list closes with its own.
        if (event.key() == Qt.Key.Key_Escape
                and event.modifiers() == Qt.KeyboardModifier.NoModifier and self._escape()):
            event.accept()
            return
        super().keyPressEvent(event)

    def _escape(self) -> bool:
        """A step back, as in a file manager: from the results to the library grid, on the
        photo searched for; in the library grid, the search is cleared. Nothing else: a job
        goes on, and what is ticked or typed elsewhere is kept. False if it did nothing."""
        focus = QApplication.focusWidget()
        if focus is not None and self.results_panel.isAncestorOf(focus):
            row = self.photos_model.row_of(self.search.searched_photo_id)
            if row is not None:
                self.grid.setCurrentIndex(self.photos_model.index(row))
                self.grid.scrollTo(self.photos_model.index(row))
            self._focus_library(self.grid)
            return True
        if focus is self.grid and self.search.clear():
            self._drop_search_notice()
            return True
        return False

    @Slot(QModelIndex)
    def search_index(self, index: QModelIndex) -> None:
        # exact_path: a name that is not UTF-8 keeps its bytes (the header shows its picture).
        photo_id, path = index.data(PhotoIdRole), exact_path(index)
        if photo_id is not None:
            self.search.search_photo(int(photo_id), path)
        elif path:  # a row with no library id (Duplicates' put back by Undo): its file
            self.search_file(path)

    def search_file(self, path: str) -> None:
        self.search.search_file(path)

    def open_preview(self, grid: PhotoGrid, index: QModelIndex) -> PhotoPreview:
        """The photo at `index` of `grid` large, in a window over this one (Space)."""
        if self.preview is None:  # one, shown again: it follows the grid it is opened from
            self.preview = PhotoPreview(photo_of=self.photos_model.photo,
                                        window_keys=self.window_keys, parent=self)
        self.preview.show_for(grid, index)
        return self.preview

    def search_when_ready(self, path: str) -> None:
        """Search with `path` (`lookalike PHOTO`) as soon as the library and model are open."""
        if self._opened:
            self.search_file(path)
        else:
            self._pending_search = path

    # -- drop and paste -------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        # Anything file-like or text is taken, so that a drop that is not a photo is answered
        # with a message instead of being refused silently.
        if mime.hasImage() or mime.hasUrls() or mime.hasText():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        # Over the grid the drag started from: refused (the cursor says so), as its drop is.
        if dragged_back(event.mimeData(), self.childAt(event.position().toPoint())):
            event.ignore()
        else:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        # A photo dragged from one grid and let go on it: a drag given up, not a search. On
        # another part of the window (a result on the library, a library photo on the results)
        # it searches with it, as a photo dropped from elsewhere does.
        if dragged_back(event.mimeData(), self.childAt(event.position().toPoint())):
            event.ignore()
            return
        self._search_mime(event.mimeData(), "dropped")
        event.acceptProposedAction()

    @Slot()
    def paste(self) -> None:
        self._search_mime(QGuiApplication.clipboard().mimeData(), "pasted")

    def _search_mime(self, mime, how: str) -> None:
        mime = mime if mime is not None else QMimeData()  # an empty clipboard may have none
        given = given_paths(mime)
        folders = [p for p in given if os.path.isdir(p)]
        photos = [p for p in given if photo_file(p)]
        if folders and not photos:
            self._offer_to_watch(folders)
            return
        if not photos and not mime.hasImage():  # a web page's picture may come as a data: URL
            image, problem = data_url_image(mime, how)
            if problem:
                self.warn(problem)
                return
            if image is not None:
                mime = image_mime(image)  # then searched as a browser's image data is
        if self._opened and folders:
            self.search.search_file(photos[0])
            if not self.search.said:  # (said: no model to search with)
                # As the search's own notes: taken down by the next search.
                self.search.said = with_folders_message(photos[0], len(photos), folders)
                self.tell(self.search.said)
            return
        if self._opened:
            self.search.search_mime(mime, how)
            return
        # The model is still loading: searching now would say that none is installed. A copy
        # is kept (the drag's own data goes with the drag) and searched once the library is open.
        copy = QMimeData()
        if mime.hasUrls():
            copy.setUrls(mime.urls())
        if mime.hasText():
            copy.setText(mime.text())
        if mime.hasImage():
            copy.setImageData(mime.imageData())
        self._pending_drop = (copy, how)
        self.tell("Opening the library; the photo is searched as soon as it is open.")

    def _offer_to_watch(self, folders: list[str]) -> None:
        """Folders dropped or pasted: asked whether to watch them, then added as Add… under
        Watched folders adds one (its checks, its messages). Not blocking (open(), not exec()):
        the program a drop comes from waits for the drop to end."""
        # One folder given twice ("/p/Trip" and "/p/Trip/", or a link to it) is asked once.
        first: dict[str, str] = {}  # the first name given of each
        for folder in folders:
            first.setdefault(os.path.realpath(folder), folder)
        new = [f for f in first.values() if self._watching(f) is None]
        if not new:
            self.tell(already_watched_message(folders[0], self._watching(folders[0])))
            return
        text, details = watch_question(new)
        box = QMessageBox(QMessageBox.Icon.Question, "Watch folders" if len(new) > 1 else
                          "Watch folder", text, QMessageBox.StandardButton.Cancel, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a folder named <b> is no markup
        box.setInformativeText("<p>" + "<br>".join(map(html.escape, details.split("\n")))
                               + "</p>")
        watch = box.addButton("Watch", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(watch)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        watch.clicked.connect(lambda: [self.folders_panel.add_requested.emit(f, False)
                                       for f in new])
        box.open()

    def _watching(self, folder: str) -> str | None:
        """The watched folder that is `folder` (by any name) or holds it, if any."""
        return folder if folder in self.settings.watched_folders else self._watched_around(folder)

    # -- retraining -----------------------------------------------------------------------------
    @Slot()
    def open_retrain(self):
        from .retrain_dialog import RetrainDialog

        dialog = self.retrain_dialog
        if dialog is None:  # one dialog: two could train into the same run folder at once
            dialog = RetrainDialog(self.card, self.settings.last_albums_dir, parent=self)
            dialog.switch_requested.connect(self.switch_model)
            # Asked at each start: the model in use may have changed since the dialog opened
            # (its last run's model switched to), and a run compares its model with that one.
            dialog.model_in_use = lambda: (self.card, self.model_dir)
            # Its Switch button usable again when a switch to its model fails or is undone.
            self.worker.model_switched.connect(dialog.model_switched)
            self.worker.switch_failed.connect(dialog.switch_failed)
            # (after the dialog's own slot, which forgets a finished run)
            dialog.process.finished.connect(lambda *_: self._drop_stale_continue_button())
            # Listed in the Model tab at once, before it is switched to (or later).
            dialog.model_made.connect(lambda _folder: self.model_panel.refresh_models())
            # textChanged, not editingFinished: a folder chosen with Browse… counts too.
            dialog.albums_edit.textChanged.connect(
                lambda text: setattr(self.settings, "last_albums_dir", text))
            self.retrain_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _offer_unfinished_training(self) -> None:
        """Training cut short when Lookalike was closed (or failed) can be continued: said at
        start-up, with a button in the status bar that opens the dialog on those albums, and
        one that dismisses the notice until a run is trained further or another is left."""
        from . import unfinished_runs

        runs = unfinished_runs.to_continue()
        new, self.settings.dismissed_training = unfinished_runs.not_dismissed(
            runs, self.settings.dismissed_training)
        if not new:
            return
        albums, folder = new[0]  # the latest not dismissed; the dialog asks about the others
        more = f" ({len(runs) - 1} more unfinished)" if len(runs) > 1 else ""
        text = (f"Training on the albums in {albums} was not finished{more}; what it did is "
                f"kept in {folder}. Press 'Continue training…' at the bottom right to go on.")
        button = QPushButton("Continue training…")
        button.setToolTip(text)
        button.setAutoDefault(True)  # Enter presses it, as in a dialog (else only Space did)
        button.setAccessibleName(f"Continue training on {albums}")

        def open_it() -> None:
            # Once: the dialog offers it from now on; unless the dialog is busy with another
            # run (the press did nothing, so the button stays).
            if self.open_retrain().look_at(albums):
                self._remove_continue_button()

        button.clicked.connect(open_it)
        dismiss = QPushButton("Dismiss")
        dismiss.setAutoDefault(True)
        dismiss.setToolTip("Stop mentioning this unfinished training at start-up until it is "
                           "trained further. It is kept: Retrain on my albums… still offers "
                           "to continue it.")
        dismiss.setAccessibleName(f"Dismiss the notice about the training on {albums}")

        def dismiss_it() -> None:
            # All of them (the notice speaks of them all), as they are now: one trained further
            # from the dialog since start-up, then dismissed, stays dismissed.
            self.settings.dismissed_training.update(unfinished_runs.states(runs))
            self.save_settings()
            self._remove_continue_button()
            if self.statusBar().currentMessage() == printable(text):
                self.statusBar().clearMessage()
                self._notice_until = 0.0  # nothing left to read: the next summary may show

        dismiss.clicked.connect(dismiss_it)
        notice = QWidget()
        row = QHBoxLayout(notice)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(button)
        row.addWidget(dismiss)
        self.statusBar().addPermanentWidget(notice)
        self._continue_button = (albums, notice)
        if self.settings.load_problem:  # said just before: this one must not hide it
            log.info("%s", text)
        else:
            self.tell(text)

    def _remove_continue_button(self) -> None:
        if self._continue_button is not None:
            _albums, notice = self._continue_button
            self._continue_button = None
            if notice.isAncestorOf(self.focusWidget()):
                # Pressed by keyboard: Qt would hand the focus to the next widget in the chain,
                # the first of the window (the watched folders); the library is what is used.
                target = self.grid if self.grid.isVisible() else self.tabs
                target.setFocus(Qt.FocusReason.OtherFocusReason)
            self.statusBar().removeWidget(notice)
            notice.deleteLater()

    def _drop_stale_continue_button(self) -> None:
        """A run of the dialog ended: the button goes when its albums have nothing left to
        continue (that run finished, or was started over or deleted from the dialog)."""
        from . import unfinished_runs

        if self._continue_button is not None and self._continue_button[0] not in {
                albums for albums, _folder in unfinished_runs.to_continue()}:
            self._remove_continue_button()

    # -- shutdown -------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        try:
            self.settings.window_geometry = bytes(self.saveGeometry().data()).hex()
            self.save_settings()
        finally:
            self.shutdown()  # always: a running indexer thread would abort the process
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop a running trainer (letting it save its checkpoint) and the watcher, let the
        indexer finish its current batch, close its database."""
        if self.housekeeping is not None:
            self.housekeeping.stop()  # never waited for
        self.tasks.stop()  # a duplicates search ends now, not after the indexer's last batch
        for trainer in self.findChildren(TrainerProcess):  # a retraining run in a dialog
            trainer.stop_and_wait()
        self.duplicates_panel.wait_trashed()  # photos being moved to the trash get there
        if self.preview is not None:
            self.preview.shutdown()  # a photo being decoded for it
        if not self.thread_.isRunning():
            return
        self.watcher.stop()
        self.worker.request_quit()
        QMetaObject.invokeMethod(self.worker, "close", Qt.ConnectionType.BlockingQueuedConnection)
        self.thread_.quit()
        self.thread_.wait(10000)
        self.tasks.shutdown()
        self.thumbnails.shutdown()


def not_a_folder_message(folder: str) -> str:
    """Why `folder` cannot be watched: a file given instead, or nothing there."""
    if os.path.exists(folder):
        return (f"{folder}: this is a file, not a folder. Give the folder that holds your "
                "photos; to search with one photo, drop it on the window.")
    return f"{folder}: this folder does not exist. Check the path (is the drive connected?)."


def settings_save_problem(exc: OSError) -> str:
    """One sentence: the file, the cause and the remedy."""
    where = Settings.path()
    cause = exc.strerror or str(exc)
    blocker = paths.file_in_the_way(where)  # "File exists" or "Not a directory"
    if blocker is not None:
        remedy = f"{blocker} is a file, where Lookalike keeps a folder: move that file aside"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        remedy = f"Make {where.parent} writable"
    elif exc.errno == errno.EISDIR:  # a folder where the file goes
        remedy = f"Move the folder at {where} aside"
    elif exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        remedy = "Free some disk space"
    else:
        remedy = f"Check {where.parent} and the disk it is on"
    return (f"Could not save your settings to {where} ({cause}). {remedy}; until then, changes "
            "apply only until Lookalike is closed.")


def _model_id_in(model_dir: str) -> str | None:
    """The id of the model in `model_dir` now (read from its card), None if none is readable."""
    try:
        return read_card(model_dir).model_id
    except LookalikeError:
        return None


def _merged_into(folder: str, library_folders) -> bool:
    """Whether a folder of the library's, around `folder`, holds its photos: one whose walk does
    not skip it (the library makes a skipped one, hidden or a photo app's previews, a folder of
    its own)."""
    real = os.path.realpath(folder)
    return any(is_under(real, around) and not walked_past(folder, around)
               for around in library_folders)
