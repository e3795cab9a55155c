"""Watched folders (add, remove, network folders polled) and the indexing progress with
pause/resume."""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import printable

LOOKING = "Looking for photos…"
# Paused during a folder's walk: the walk has stopped, and Resume walks the folder again.
LOOKING_PAUSED = "Paused while looking for photos; Resume looks through the folder again."
# The worker's progress (0, 0, 0.0, 0.0): a walk found nothing new or changed to read.
NOTHING_TO_READ = "No new or changed photos to read"


def looking_text(found: int) -> str:
    """"Looking for photos… 12,345 found" while a folder is walked (before any is counted)."""
    return f"{LOOKING} {found:,} found" if found > 0 else LOOKING


def format_eta(seconds: float) -> str:
    if seconds < 0:
        return "working out the time left"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min left"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s left"
    return f"{seconds} s left"


class FolderList(QListWidget):
    """The watched folders. Tabbing into the list makes its first row current but not
    selected (Qt's way): it is selected here, so Remove can be reached by keyboard and shows
    which folder it removes. Only for a Tab or Backtab pressed in a widget still shown: Qt
    also gives the focus with that reason when the focused widget is hidden (another tab
    chosen, the first-run buttons gone), and then a folder was chosen for Remove that the user
    never chose (a stray click forgot its photos)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._tabbed_in = False
        # Sent right after the focus-in, with the widget that had the focus (the event has not).
        QApplication.instance().focusChanged.connect(self._focus_changed)

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)  # makes the first row current (when none is yet)
        self._tabbed_in = event.reason() in (Qt.FocusReason.TabFocusReason,
                                             Qt.FocusReason.BacktabFocusReason)

    @Slot(object, object)
    def _focus_changed(self, old, now) -> None:
        tabbed_in, self._tabbed_in = self._tabbed_in, False
        if (now is self and tabbed_in and old is not None and old.isVisible()
                and self.currentRow() >= 0 and not self.selectedItems()):
            self.currentItem().setSelected(True)


class FoldersPanel(QWidget):
    # Folders as `object`: a Qt string drops the bytes of a name that is not UTF-8 (kept by
    # Python as surrogate escapes), and another folder, or none, would be added or removed.
    add_requested = Signal(object, bool)  # folder, polling (network share)
    remove_requested = Signal(object)
    pause_toggled = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(QLabel("<b>Watched folders</b>"))
        self.list = FolderList()
        self.list.setAccessibleName("Watched folders")
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add…")
        self.add_button.setToolTip("Add a folder; it is indexed and then watched for changes")
        self.add_button.clicked.connect(lambda: self._choose(False))
        self.add_share_button = QPushButton("Add network folder…")
        self.add_share_button.setToolTip("For network shares, where change events do not "
                                         "arrive: the folder is checked every few seconds")
        self.add_share_button.clicked.connect(lambda: self._choose(True))
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected folder from the library (its photo "
                                      "files stay on disk)")
        self.remove_button.clicked.connect(self._remove)
        # Only with a folder chosen (selected) in the list: pressed without one it did nothing,
        # silently. Not the current row alone: one unselected (a Ctrl+click) was removed.
        self.remove_button.setEnabled(False)
        self.list.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.list.selectedItems())))
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout.addLayout(row)
        layout.addWidget(self.add_share_button)
        self.activity = QLabel("")
        self.activity.setWordWrap(True)
        layout.addWidget(self.activity)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.progress_label = QLabel("")
        self.progress_label.setWordWrap(True)
        layout.addWidget(self.progress_label)
        self.pause_button = QPushButton("Pause indexing")
        self.pause_button.setVisible(False)
        self.pause_button.clicked.connect(self.pause_toggled)
        layout.addWidget(self.pause_button)
        self._folders: list[str] = []  # the rows' folders, as given (not kept in the items)
        # A folder's walk is under way (or was, when indexing was paused): the last word from
        # the worker was "nothing counted yet" or a walk's found count, not a count of photos.
        self._walking = False
        self._paused = False
        self._counted: tuple[int, int] | None = None  # the last (done, total) shown, if any

    def set_folders(self, folders: list[str], polling: list[str],
                    unavailable: Collection[str] = ()) -> None:
        """`unavailable`: folders not there now (their photos are kept). Marked here because
        the status bar's notice is soon replaced by the next job's summary."""
        self.list.clear()
        self._folders = list(folders)
        for folder in folders:
            shown = printable(folder)  # a name that is not UTF-8 shows its bytes as \xNN
            # "network folder", as the button that added it says ("polled" is our word)
            item = QListWidgetItem(shown + ("  (network folder)" if folder in polling else "")
                                   + ("  (not available)" if folder in unavailable else ""))
            item.setToolTip(shown)
            self.list.addItem(item)

    def folders(self) -> list[str]:
        return list(self._folders)

    def show_activity(self, text: str, paused: bool) -> None:
        self._paused = paused
        self.activity.setText("Indexing paused." if paused and text else text)
        busy = bool(text)
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)
        self.pause_button.setVisible(busy)
        self.pause_button.setText("Resume indexing" if paused else "Pause indexing")
        # Only a walk cut short says so: not a job that ended (a check with no change) while
        # the pause was asked for, the next one waiting.
        if paused and busy and self._walking:
            self.progress.setRange(0, 1)  # no busy bar: nothing is looked for now
            self.progress_label.setText(LOOKING_PAUSED)
        elif paused and busy and self.progress_label.text() == NOTHING_TO_READ:
            self.progress_label.setText("")  # said of the job that ended
        elif paused and busy and self._counted is not None:
            # Not the rate and "3 s left" of a job that is not running.
            done, total = self._counted
            self.progress_label.setText(f"{done:,} of {total:,} photos · paused")
        elif not paused and busy and self.progress_label.text() == LOOKING_PAUSED:
            self.show_progress(0, 0, 0.0, -1.0)  # the walk starts again

    def show_looking(self, found: int) -> None:
        """The worker's `looking`: a folder's walk has found `found` photos so far."""
        self._walking = True
        self._counted = None
        if self._paused and self.progress_label.text() == LOOKING_PAUSED:
            return  # a count sent just before the walk stopped
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)  # busy
        self.progress_label.setText(looking_text(found))

    def show_progress(self, done: int, total: int, rate: float, eta: float) -> None:
        self.progress.setVisible(True)
        self._walking = total <= 0 and eta < 0
        self._counted = (done, total) if total > 0 else None
        if total <= 0 and not self._walking:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)  # done: no busy bar
            self.progress_label.setText(NOTHING_TO_READ)
            return
        if total <= 0:
            # A job starting (a big folder is walked first): not the last job's "6 of 6 photos
            # · 0 s left", which stood there until the first photo was read.
            self.progress.setRange(0, 0)  # busy
            self.progress_label.setText(LOOKING)
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        if self._paused:  # the last photos of a batch, read after Pause was pressed
            self.progress_label.setText(f"{done:,} of {total:,} photos · paused")
            return
        self.progress_label.setText(f"{done:,} of {total:,} photos · {rate:.0f} photos/s · "
                                    f"{format_eta(eta)}")

    def _choose(self, polling: bool) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of photos")
        if folder:
            self.add_requested.emit(folder, polling)

    def _remove(self) -> None:
        chosen = self.list.selectedItems()
        row = self.list.row(chosen[0]) if chosen else -1
        if 0 <= row < len(self._folders):
            self.remove_requested.emit(self._folders[row])
