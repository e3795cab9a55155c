"""Space on a photo in the library grid or the results: the photo large, in a window over the main
window (a quick look, as Finder's or a photo app's loupe). The default viewer of many systems
opens no camera raw file, and some no HEIC or AVIF: this one reads what the library reads.

The window follows the grid it was opened from: the arrow keys move that grid's current photo
(with its own rules: Right at the end of a row goes on to the next row) and the window shows it.
The photo is decoded on a pool thread at the size it takes in the window, in device pixels,
never more than its own (again when the window is resized, or moved to a screen of another
scale); the grid's thumbnail stands in meanwhile (none made yet: the photo's place, "Loading…";
one made meanwhile takes its place, where the view says it came: the grids, not the duplicate
groups' tree, which only repaints). One decode runs at a time, and only the latest
photo asked for waits behind it: arrowing fast through a folder of raws decodes the first and
the last, not all of them, and an answer for a photo no longer shown is dropped. Only the
picture shown is held (a 24 MP photo on a 2560-pixel screen: 17 MB). A photo whose size the
library does not know (one put back by Undo in the Duplicates tab) has it from its first decode:
its 100% is then its own pixels, decoded again, not the first picture's enlarged, and in its
group it takes the zoom kept between copies then; another file of another size put at its path
while it is shown has its size learnt again (drawn in the old one's shape, it was stretched).

Zoomed (zoomed_picture.PictureView: the keys here, the wheel, a pinch, a double-click), the
photo is decoded again, the same way, once the zoom needs more pixels than the picture held has
(the whole photo at the zoom's size, up to its own pixels), the picture held shown enlarged
meanwhile; never a picture over the image limits (dropped.image_limits: Qt's image memory limit,
67 MP, within the 200 MP cap), so at most 256 MiB is held (a 24 MP photo at 100%: 96 MB). The
view says when the picture has fewer pixels than the zoom shows, and why. Another photo is
shown fitted, but one of the same group (a view's GroupRole: the duplicate groups') is shown at
the same zoom and place, in shares of the photo, so that copies of other pixel sizes line up:
flipping between copies at 100% shows which is sharper.

A tree is followed as a grid is (the duplicate groups: duplicates_panel.GroupsTree): its rows'
roles are the grids' (models.py), a group's row stands for its first photo, and a view with a
`preview_key` method moves its current photo by the navigation keys itself (the tree: from photo
to photo, over the groups' rows).
"""

from __future__ import annotations

import functools
import logging
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from ..core.camera_raw import is_raw_name
from ..core.display_colour import to_srgb_for_display
from ..core.errors import PhotoReadError, printable
from ..core.images import load_picture
from ..core.records import Photo
from . import file_actions
from .announce import announce
from .dropped import image_limits
from .keys_help import show_keys
from .models import DistanceRole, PhotoIdRole, RecordRole, SimilarityRole, exact_path
from .photo_grid import gone_message, index_of_photo, is_shift_f10, photo_actions
from .thumbnails import rgb_qimage
from .zoomed_picture import PictureView, fitted, zoom_percent

log = logging.getLogger(__name__)

# The share of the main window's width and height the preview takes: nearly all of it, the
# window's edges left in sight so that it reads as a view over it, not a second window.
SHARE_OF_WINDOW = 0.94
KEYS_HINT = ("Space or Escape closes it; the arrow keys show the other photos; Enter shows the "
             "photos that look like this one; Ctrl+C copies it; Shift+F10 or the Menu key opens "
             "its menu. Ctrl+Plus and Ctrl+Minus zoom it, Ctrl+0 fits it again, Z shows it at "
             "100% and fitted again; zoomed in, the arrow keys move about it.")
# Roles a followed view's rows may answer besides the grids' (models.py): the duplicate groups'.
GroupRole = Qt.ItemDataRole.UserRole + 20  # the photo's group: the zoom kept between its photos
NoteRole = Qt.ItemDataRole.UserRole + 21  # said last in the details ("Kept · Group 2, 3 of 4")
# Keys handed to the grid: it moves its current photo by its own layout, the preview follows.
ARROW_KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down}
GRID_KEYS = ARROW_KEYS | {Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_PageUp,
                          Qt.Key.Key_PageDown}
# An arrow held down: the photo it stops on is said this long after the last repeat, not each
# one passed (a polite announcement waits for the one before: 30 a second were read for long).
SAY_AFTER_REPEAT_MS = 300
# What the photo's keys and menu say (copied, the file not there) stays over the picture this
# long: the main window's status bar, where it is said too, is under this window.
NOTE_MS = 8000
# The zoom shows over the picture this long: enough to read, gone before it hides what is looked
# at. (A screen reader hears it once the zoom stops changing: SAY_AFTER_REPEAT_MS.)
ZOOM_NOTE_MS = 1500
# Zoom, as the window's keys for the thumbnails (behind this window, out of sight); Ctrl+= is
# Ctrl++ without Shift on most layouts.
ZOOM_IN_KEYS, ZOOM_OUT_KEYS, FIT_KEYS = ("Ctrl++", "Ctrl+="), ("Ctrl+-",), ("Ctrl+0",)


def allowed_size(needed: tuple[int, int], file_gives: tuple[int, int] | None,
                 most_pixels: int) -> tuple[tuple[int, int], str]:
    """The picture to decode for `needed` device pixels, within the most the photo's file
    gives (a raw's picture: its embedded one or its half-size development) and `most_pixels`;
    and, when that is less than `needed`, why, as the view says it."""
    width, height = needed
    why = ""
    if file_gives is not None and width > file_gives[0] + 1 and height > file_gives[1] + 1:
        width, height = fitted(needed, file_gives)
        why = (f"enlarged from {width} x {height} pixels, the largest picture this file gives "
               "the preview")
    if width * height > most_pixels:
        shrink = math.sqrt(most_pixels / (width * height))
        width, height = max(1, int(width * shrink)), max(1, int(height * shrink))
        why = (f"enlarged from {width} x {height} pixels: the preview holds no picture over "
               f"{most_pixels / 1e6:,.3g} megapixels")
    return (width, height), why


def enough(have: tuple[int, int], need: tuple[int, int]) -> bool:
    """A picture of `have` device pixels shows `need` sharp, and is not far bigger (drawn at
    less than half its size it is smoothed poorly, and held for nothing)."""
    return (have[0] >= need[0] - 1 and have[1] >= need[1] - 1
            and max(have) <= 2 * max(need))


@dataclass(frozen=True)
class PreviewRequest:
    """A photo to decode for the window: at most `box` device pixels, read at least `edge`
    pixels (the long side it takes there), for screens of device pixel `ratio`; `full`: the
    photo's own size, upright, as the library has it (None: not known)."""
    path: str
    box: tuple[int, int]
    edge: int
    ratio: float = 1.0
    full: tuple[int, int] | None = None


def decode_sides(request: PreviewRequest) -> tuple[int | None, int]:
    """What `load_picture` is asked for: the side both sides of a JPEG's decoded picture must
    reach (its DCT scaling; None: decoded whole), and the long side a raw's embedded picture
    or an HEIC's thumbnail must have to be taken."""
    edge, full = request.edge, request.full
    if full is None:
        return edge, edge
    if is_raw_name(request.path):
        # Developed, a raw gives half its size: its camera's picture gives more when it is no
        # smaller (it is often a few pixels smaller than the raw: asked for the raw's size, it
        # was passed over for the half-size development), taken whole (a side asked here
        # would be the camera picture's long side too, and take one too small).
        half = max(full) // 2
        return (None, half) if edge > half else (edge, edge)
    # A JPEG is decoded to the smallest size whose sides both reach the side asked (either may
    # be its short one, the picture turned upright after): the short side it takes, not its
    # long one (a 6000 x 4000 JPEG fitted in 2160 x 1440 was decoded at 3750 x 2500).
    shown = fitted(full, request.box)
    scale = max(shown[0] / full[0], shown[1] / full[1])
    return max(1, math.ceil(min(full) * scale - 1e-6)), edge


def preview_image(request: PreviewRequest) -> tuple[QImage, tuple[int, int]]:
    """Runs on a pool thread: the photo upright, in sRGB, fitted in the request's box (never
    bigger than the photo's own pixels), in the format the screen's pixmaps have; and the
    photo's own size, upright, as its decoder found it. Raises PhotoReadError naming the file,
    the cause and what to do."""
    path = request.path
    if not os.path.exists(path):  # (a link to nothing too)
        raise PhotoReadError(path, "the file is not there (deleted, moved, or on a drive that is "
                             "not connected)", "Connect the drive, or pick another photo")
    side, display_edge = decode_sides(request)
    pil, width, height = load_picture(path, min_size=None if side is None else (side, side),
                                      display_edge=display_edge)
    # The photo's own size caps it: a raw's embedded picture may be bigger than its photo.
    pil.thumbnail(fitted((width, height), request.box))
    image = rgb_qimage(to_srgb_for_display(pil))  # on the fitted picture, not the decoded one
    del pil  # (its pixels freed before the conversion's)
    # Made here as a pixmap holds it (0xffRRGGBB), so that the GUI thread's QPixmap.fromImage
    # copies nothing: converted there, a 24 MP picture (100%) held the window 47 ms, a 67 MP
    # one 120 ms.
    return image.convertToFormat(QImage.Format.Format_RGB32), (width, height)


class _Reply(QObject):
    """Lives on the GUI thread; the pool's thread emits on it (queued across threads)."""

    # The request, the QImage or None, the error's text, the photo's size its decoder found.
    done = Signal(object, object, object, object)


def _preview_job(request: PreviewRequest, reply: _Reply) -> None:
    """Runs on the pool's thread. A plain callable, not a QRunnable subclass (see
    tasks._run_job)."""
    image = full = None
    try:
        (image, full), error = preview_image(request), None
    except PhotoReadError as exc:
        error = str(exc)
    except Exception as exc:  # a fault of ours: said in the window, never a dead thread
        log.exception("preview failed for %s", printable(request.path))
        error = (f"{printable(request.path)}: this photo could not be shown "
                 f"({type(exc).__name__}: {exc}). Open it with the default viewer from its "
                 "menu.")
    reply.done.emit(request, image, error, full)


class PreviewLoader(QObject):
    """Decodes one photo at a time on a thread of its own; a request made meanwhile waits, and a
    newer one takes its place: at most one decode running and one waiting, whatever the number
    asked for. `loaded` says each answer, the waiting one started first."""

    # The request, the QImage or None, the error's text, the photo's size its decoder found.
    loaded = Signal(object, object, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        # A child made after the pool: Qt deletes children in the order they were made, and
        # the pool's deletion waits for the decode running, which then emits on it. Made
        # without a parent, it was deleted first when the app quit
        # during a decode longer than shutdown's wait (a big TIFF or PNG, a raw developed):
        # "RuntimeError: Signal source has been deleted", an unexpected error whose message
        # box, opened on the decoding thread as the app ended, kept it from ending.
        self._reply = _Reply(self)
        self._reply.done.connect(self._on_done)
        self._running: PreviewRequest | None = None
        self._waiting: PreviewRequest | None = None
        self.started: list[str] = []  # the paths decoded, in order (for tests and logs)

    def request(self, request: PreviewRequest) -> None:
        if request == self._running:  # back to the photo being decoded: none other after it
            self._waiting = None
        elif self._running is None:
            self._start(request)
        else:
            self._waiting = request

    def is_asked(self, request: PreviewRequest) -> bool:
        """Is `request` being decoded, or waiting to be?"""
        return request in (self._running, self._waiting)

    def cancel(self) -> None:
        """Nothing is wanted any more: the request waiting is not started."""
        self._waiting = None

    def shutdown(self, wait_ms: int = 3000) -> None:
        self._waiting = None
        self._pool.waitForDone(wait_ms)

    def _start(self, request: PreviewRequest) -> None:
        self._running = request
        self.started.append(request.path)
        self._pool.start(functools.partial(_preview_job, request, self._reply))

    @Slot(object, object, object, object)
    def _on_done(self, request: PreviewRequest, image, error, full) -> None:
        self._running = None
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._start(waiting)
        self.loaded.emit(request, image, error, full)


@dataclass(frozen=True)
class _Shown:
    """The photo the window shows."""
    photo_id: int | None
    path: str
    name: str
    size: tuple[int, int] | None  # full, upright, as the library has it
    details: str  # the line under the picture
    stamp: tuple | None = None  # the library's (size, mtime, change time): another content
    group: object = None  # its row's GroupRole: shown at the zoom of the photo before in it


class PhotoPreview(QDialog):
    """The preview window. Not modal: the grid it was opened from stays usable (a click there
    shows that photo here), and its keys are the grid's, handed on; the main window's own keys
    close it, then act there."""

    def __init__(self, photo_of: Callable[[int], Photo | None] | None = None,
                 window_keys: Iterable[QShortcut] = (), parent: QWidget | None = None) -> None:
        """`photo_of`: the library's record of a photo id (a result's size is there);
        `window_keys`: the main window's shortcuts this window answers too (closing first)."""
        super().__init__(parent)
        self.setModal(False)
        self.setSizeGripEnabled(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._photo_of = photo_of
        self._grid = None
        self._shown: _Shown | None = None
        self._index = QPersistentModelIndex()
        self._wanted: PreviewRequest | None = None
        self._asked: tuple[int, int] | None = None  # the size of the picture held or coming
        self._file_gives: tuple[int, int] | None = None  # all the shown photo's file gave
        # The zoom and place of the group's copy shown before, for one whose size is not known
        # yet (_look_at's arguments).
        self._look_later: tuple[float, float, float] | None = None
        self.dropped = 0  # decoded pictures thrown away: their photo was no longer shown
        self._repeating = False  # the grid moved by a key held down (its repeats)
        self._say_later = QTimer(self)
        self._say_later.setSingleShot(True)
        self._say_later.setInterval(SAY_AFTER_REPEAT_MS)
        self._say_later.timeout.connect(self._say_shown)
        # A zoom said once it stops changing (a wheel turned, a pinch): not each step passed.
        self._say_zoom_later = QTimer(self)
        self._say_zoom_later.setSingleShot(True)
        self._say_zoom_later.setInterval(SAY_AFTER_REPEAT_MS)
        self._say_zoom_later.timeout.connect(self._say_zoom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.picture = PictureView()
        self.picture.room_changed.connect(self._on_room_changed)
        self.picture.zoom_changed.connect(self._on_zoom_changed)
        self.message = QLabel()  # in the picture's place when it cannot be read
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # a file named <b> is no markup
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        # One place for both: the picture keeps its size while the message shows, so the
        # next photo is asked for at the room it will have.
        self.stack = QStackedWidget()
        self.stack.addWidget(self.picture)
        self.stack.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        self.details = QLabel()
        self.details.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setWordWrap(True)
        self.details.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.details)
        # Over the foot of the picture, not in the layout: the picture keeps its room (a line
        # more under it would have it decoded again, and again when the note goes).
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setMargin(6)
        self.note.setAutoFillBackground(True)  # readable over any photo
        self.note.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.note.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.note.hide()
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(self.note.hide)
        self.loader = PreviewLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        # The main window's F1 and Quit (Ctrl+Q; none on Windows) do not reach this window.
        QShortcut(QKeySequence.StandardKey.HelpContents, self,
                  lambda: show_keys(self.parentWidget() or self))
        QShortcut(QKeySequence.StandardKey.Quit, self, self._quit)
        # Nor do its other keys: here they close this window first, as Enter does, then act as
        # there (each moves the focus to the window, or shows its outcome there). The zoom keys
        # are not given: they size the grid's thumbnails, behind this window, out of sight;
        # here they zoom the photo.
        for theirs in window_keys:
            ours = QShortcut(self)
            ours.setKeys(theirs.keys())
            ours.activated.connect(lambda theirs=theirs: self._close_then(theirs.activated.emit))
        # The photo shown, not the grid's selected photos: those are out of sight behind this
        # window (picked before it opened, some perhaps never seen), this is the one looked at.
        QShortcut(QKeySequence.StandardKey.Copy, self, self._copy)
        for keys, act in ((ZOOM_IN_KEYS, lambda: self.picture.zoom_steps(1)),
                          (ZOOM_OUT_KEYS, lambda: self.picture.zoom_steps(-1)),
                          (FIT_KEYS, self.picture.fit)):
            zoom = QShortcut(self)
            zoom.setKeys([QKeySequence(k) for k in keys])
            zoom.activated.connect(functools.partial(self._zoom, act))

    # -- opening and following the grid --------------------------------------------------------
    def show_for(self, grid, index: QModelIndex) -> None:
        """Show the photo at `index` of `grid`, over the grid's window; from now on the window
        follows the grid's current photo."""
        if self._grid is not grid:
            self._follow(None)
            self._follow(grid)
        if not self.isVisible():
            self._cover(grid.window())
        self._show_index(index, announced=False)
        self.show()
        self.raise_()
        self.activateWindow()
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self._ask()  # laid out now: the room is known

    def _cover(self, window: QWidget) -> None:
        frame = window.geometry()
        size = QSize(round(frame.width() * SHARE_OF_WINDOW),
                     round(frame.height() * SHARE_OF_WINDOW))
        self.resize(size)
        self.move(frame.center() - QPoint(size.width() // 2, size.height() // 2))

    def _follow(self, grid) -> None:
        if self._grid is not None:
            self._grid.selectionModel().currentChanged.disconnect(self._on_current)
            self._grid.model().dataChanged.disconnect(self._on_changed)
            self._grid.model().modelReset.disconnect(self._on_reset)
        self._grid = grid
        if grid is not None:
            grid.selectionModel().currentChanged.connect(self._on_current)
            grid.model().dataChanged.connect(self._on_changed)
            grid.model().modelReset.connect(self._on_reset)

    @Slot(QModelIndex, QModelIndex)
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # None while a model is reset (the results searched again): the photo shown stays.
        if current.isValid() and self.isVisible():
            model = current.model()
            if exact_path(current) is None and model.hasChildren(current):
                # A group's row (the photo shown left its group, or the row was clicked): its
                # first photo, the tree's current too (Escape leaves it on the photo seen).
                self._grid.setCurrentIndex(model.index(0, 0, current))
                return
            self._show_index(current, announced=not self._repeating)
            if self._repeating:
                self._say_later.start()
            self._ask()

    @Slot(QModelIndex, QModelIndex, list)
    def _on_changed(self, first: QModelIndex, last: QModelIndex, roles) -> None:
        # The photo shown renamed, or its file changed (the library follows it, the row stays):
        # its name and size said again, the file read again (the old path is not there now).
        # Ticked or unticked in the duplicate groups: the details say it.
        held = self._index
        if not (self.isVisible() and held.isValid() and first.parent() == held.parent()
                and first.row() <= held.row() <= last.row()):
            return
        if list(roles) == [Qt.ItemDataRole.DecorationRole]:  # a thumbnail come
            self._thumbnail_came(_row_of(held))
            return
        self._show_index(_row_of(held), announced=False)
        self._ask()

    def _thumbnail_came(self, index: QModelIndex) -> None:
        """The photo shown still decoding: its thumbnail, made now, stands in for it."""
        view = self.picture
        if self.stack.currentWidget() is view and view.picture() is None:
            thumbnail = _thumbnail(index)
            if thumbnail is not None:
                view.show_stand_in(thumbnail)

    @Slot()
    def _on_reset(self) -> None:
        # The rows replaced: the results searched again on a new snapshot, which is how they
        # follow a photo renamed or moved (its row's path is new; no dataChanged comes). The
        # photo shown found again by its id, named anew and read at its new path (Ctrl+C and
        # its menu said it was not there), and the grid's current again (the reset left none:
        # the next arrow went to the first photo).
        shown, grid = self._shown, self._grid
        if shown is None or shown.photo_id is None or grid is None or not self.isVisible():
            return
        if not Shiboken.isValid(grid):
            # The duplicate groups' tree deleted with the main window, this still shown (Ctrl-C
            # or SIGTERM end the app without closing it): its rows are cleared as it goes.
            return
        index = index_of_photo(grid.model(), shown.photo_id)
        if index is None:  # gone from them: still shown (Enter says it has gone)
            if shown.group is not None:
                # The duplicate groups cleared (another model) or found anew without it: its
                # distance, ticked state and place in a group no longer hold. Only the photo's
                # own details stay (said to a screen reader too).
                size = [f"{shown.size[0]} x {shown.size[1]} pixels"] if shown.size else []
                self._shown = replace(shown, details=" · ".join([shown.name, *size]),
                                      group=None)
                self._name(self._shown)
            return
        self._show_index(index, announced=False)
        if not grid.currentIndex().isValid():  # (_on_current finds it shown already)
            grid.selectionModel().setCurrentIndex(index,
                                                  QItemSelectionModel.SelectionFlag.NoUpdate)
        self._ask()

    def _show_index(self, index: QModelIndex, announced: bool) -> None:
        path = exact_path(index)
        photo_id = index.data(PhotoIdRole)
        if path is None:
            return
        self._index = QPersistentModelIndex(index)
        record = index.data(RecordRole)
        stamp = record.stamp if isinstance(record, Photo) else None
        name = printable(os.path.basename(path))
        size = self._size_of(record, photo_id)
        parts = [name]
        if size is not None:
            parts.append(f"{size[0]} x {size[1]} pixels")
        distance, similarity = index.data(DistanceRole), index.data(SimilarityRole)
        if distance is not None:
            parts.append(f"distance {distance}" + (f" · {similarity * 100:.0f}% similar"
                                                   if similarity is not None else ""))
        if note := index.data(NoteRole):
            parts.append(note)
        shown = _Shown(photo_id, path, name, size, " · ".join(parts), stamp,
                       index.data(GroupRole))
        old = self._shown
        if old is not None and (old.photo_id, old.path, old.stamp) == (photo_id, path, stamp):
            if old.details != shown.details:  # ticked, or its group numbered anew
                self._shown = shown
                self._name(shown)
            return
        renamed = self._only_renamed(shown)
        # Of a photo zoomed in its group: the next copy in it is shown the same way.
        looked_at = self._place_looked_at() if (
            old is not None and old.group is not None and old.group == shown.group) else None
        self._shown = shown
        self._name(shown)
        if renamed:
            self._follow_rename(path)
            return
        self._wanted = None  # what comes for the photo before is no longer shown
        self._asked = self._file_gives = None
        self._clear_note()  # it was of the photo before
        self.message.clear()
        self.stack.setCurrentWidget(self.picture)
        self.picture.set_photo(size)  # fitted
        self.picture.show_stand_in(_thumbnail(index))
        # Its size not known (a copy put back by Undo): looked at so once its first decode
        # tells it.
        self._look_later = looked_at if size is None else None
        if looked_at is not None and size is not None:
            self._look_at(*looked_at)
        if announced:
            self._say_shown()

    def _name(self, shown: _Shown) -> None:
        name = shown.name
        self.setWindowTitle(f"{name} – Lookalike")
        self.setAccessibleName(f"Preview of {name}")
        self.setAccessibleDescription(f"{shown.details}. {KEYS_HINT}")
        self.picture.setAccessibleName(name)
        self.details.setText(shown.details)

    def _place_looked_at(self) -> tuple[float, float, float] | None:
        """Zoomed: the width the photo takes (logical pixels) and the point at the room's
        centre, in shares of the photo's width and height. None: fitted."""
        view = self.picture
        area = view.photo_rect()
        if view.is_fitted() or area is None or area.isEmpty():
            return None
        return (area.width(), (view.width() / 2 - area.left()) / area.width(),
                (view.height() / 2 - area.top()) / area.height())

    def _look_at(self, width: float, x: float, y: float) -> None:
        """The photo just set zoomed to take `width` logical pixels, the point at shares `x`,
        `y` of it at the room's centre (within its edges). Its size not known: fitted.

        By width: copies of one shape line up. Of other shapes (one cropped or padded), the
        sizes cannot tell which rule keeps the scene's scale: a copy narrower than the other is
        its width cropped (its height to match) or the other's height cropped, or itself
        padded above and below (its width to match); only their pictures could tell."""
        view, full = self.picture, self.picture.photo_size()
        if full is None:
            return
        view.zoom_to(width * view.devicePixelRatioF() / full[0], keep=True)
        area = view.photo_rect()
        view.pan(view.width() / 2 - (area.left() + x * area.width()),
                 view.height() / 2 - (area.top() + y * area.height()))

    def _only_renamed(self, new: _Shown) -> bool:
        """Is `new` the photo shown at another path only (renamed in a file manager, its folder
        moved), its file's content the same? The library keeps a photo's id at a new path only
        for the same content; a rename changes the file's change time, not its size or mtime."""
        old = self._shown
        if (old is None or new.photo_id is None or new.photo_id != old.photo_id
                or new.path == old.path or new.size != old.size):
            return False
        if self.stack.currentWidget() is not self.picture:  # said unreadable: read it again
            return False
        return None in (old.stamp, new.stamp) or old.stamp[:2] == new.stamp[:2]

    def _follow_rename(self, path: str) -> None:
        """The photo shown renamed: its zoom and the picture held are kept, the same file's
        pixels (it went back to fitted, its 100% picture decoded again), and it is read at
        `path` from now on."""
        wanted = self._wanted
        if wanted is None:
            return
        if self.loader.is_asked(wanted):
            # Coming from the old path, not there now: asked again at the new one (_ask).
            held = self.picture.picture()
            self._wanted = None
            self._asked = (held.width(), held.height()) if held is not None else None
        else:  # what the picture held was decoded from
            self._wanted = replace(wanted, path=path)

    def _say_shown(self) -> None:
        self._say_later.stop()
        if self._shown is not None and self.isVisible():
            announce(self, self._shown.details)

    def _size_of(self, record, photo_id) -> tuple[int, int] | None:
        """Full and upright, from the row's record (a library photo's) or the library's."""
        if not isinstance(record, Photo) and photo_id is not None and self._photo_of:
            record = self._photo_of(int(photo_id))  # a result: the library has its size
        if isinstance(record, Photo) and record.width and record.height:
            return record.width, record.height
        return None

    # -- decoding --------------------------------------------------------------------------------
    def _ask(self) -> None:
        """Ask for the photo shown at the room it has now (again after a resize), or, zoomed,
        at the zoom's size when the picture held (or coming) has too few pixels for it."""
        if self._shown is None or not self.isVisible():
            return
        wanted = self._request()
        if wanted is not None and wanted[0] != self._wanted:
            self._wanted, self._asked = wanted
            self.loader.request(self._wanted)

    def _request(self) -> tuple[PreviewRequest, tuple[int, int] | None] | None:
        """The decode the photo shown needs now, and the picture's size it asks for (None: its
        size not known); None: zoomed, the picture held (or coming) is enough."""
        view = self.picture
        needed = view.needed_size()  # None: its size not known
        allowed = self._allowed(needed)[0] if needed is not None else None
        if view.is_fitted():
            box = view.box() if allowed == needed else allowed
            edge = max(allowed) if allowed is not None else max(box)
        elif allowed is None or self._asked is not None and enough(self._asked, allowed):
            return None
        else:
            box, edge = allowed, max(allowed)
        return PreviewRequest(self._shown.path, box, edge, view.devicePixelRatioF(),
                              view.photo_size()), allowed

    def _allowed(self, needed: tuple[int, int]) -> tuple[tuple[int, int], str]:
        return allowed_size(needed, self._file_gives, image_limits()[1])

    @Slot(object, object, object, object)
    def _on_loaded(self, request: PreviewRequest, image, error, full) -> None:
        if request != self._wanted:
            self.dropped += 1  # another photo (or size) is shown now
            return
        if error is not None:
            # Fitted: zoomed, the arrows would move about the picture out of sight, not on to
            # the next photo.
            self.picture.set_photo(self._shown.size)
            self.message.setText(error)
            self.stack.setCurrentWidget(self.message)
            announce(self, error, problem=True)
            return
        got, asked = (image.width(), image.height()), self._asked
        replaced = self._replaced(full)
        if replaced:  # what the old file gave says nothing of this one
            asked = self._file_gives = None
        if asked is not None and got[0] < asked[0] - 1 and got[1] < asked[1] - 1:
            # The file gives no more (a raw's embedded picture, or its sensor developed at half
            # size): not asked for again at each zoom step, and said. A picture held with more
            # pixels (a raw's full-size embedded one, fitted) stays.
            held = self.picture.picture()
            kept = held is not None and held.width() >= got[0]
            self._file_gives = self._asked = (held.width(), held.height()) if kept else got
            if not self.picture.is_fitted():
                self._show_note(self._zoom_text(), ZOOM_NOTE_MS)
            if kept:
                return
        pixmap = QPixmap.fromImage(image, Qt.ImageConversionFlag.NoFormatConversion)  # shared
        pixmap.setDevicePixelRatio(request.ratio)  # one picture pixel a screen pixel
        self.picture.show_picture(pixmap)
        if replaced:
            # Learnt anew, and asked for again at what its size needs (the picture held was
            # asked for at the old one's).
            self.picture.learn_size(full)
            self._asked = got
            self._ask()
        elif self.picture.photo_size() is None and full is not None:
            # Its size not known before (a photo put back by Undo): learnt now, so that its
            # 100% asks for its own pixels (not the fitted picture's, enlarged). The picture
            # held answers the fitted decode asked with it when it has the pixels that needs
            # (a JPEG's, decoded for the room's long side): not asked again. A raw's may not
            # (its embedded picture shorter than that side, it was developed at half size,
            # enlarged to fill its place): asked again, as a photo of known size is.
            self.picture.learn_size(full)
            look, self._look_later = self._look_later, None
            self._asked = got
            if look is not None:  # a copy of the group shown before: at its zoom and place
                self._look_at(*look)
            elif (now := self._request()) is not None and enough(got, now[1]):
                self._wanted, self._asked = now
            else:
                self._ask()

    def _replaced(self, full: tuple[int, int] | None) -> bool:
        """Is `full`, the size its decoder found, not the size learnt for the photo shown? Its
        size not known to the library (a photo put back by Undo, whose file the library does
        not follow): another file of another size was put at its path meanwhile."""
        learnt = self.picture.photo_size()
        return (self._shown.size is None and full is not None and learnt is not None
                and full != learnt)

    def shown_picture(self) -> QPixmap | None:
        """The decoded picture on screen (None while the thumbnail stands in)."""
        return self.picture.picture()

    def shown_path(self) -> str | None:
        return self._shown.path if self._shown is not None else None

    def _on_room_changed(self) -> None:
        # More room (or less), in device pixels: the photo is decoded again for it (zoomed:
        # if the zoom needs more pixels now).
        self._ask()

    # -- zoom ------------------------------------------------------------------------------------
    def _on_zoom_changed(self) -> None:
        if self._shown is None:
            return
        self._look_later = None  # zoomed (or fitted) by hand before its size was known
        self._ask()
        self._show_note(self._zoom_text(), ZOOM_NOTE_MS)
        self._say_zoom_later.start()

    def _zoom(self, act: Callable[[], object]) -> None:
        """A zoom key's `act`, unless the message why the photo cannot be shown is in the
        picture's place (the zoom of a picture out of sight, said over it)."""
        if self.stack.currentWidget() is self.picture:
            act()

    def _zoom_text(self) -> str:
        """"Zoom 200%", "Fitted, 31%", and why the picture has fewer pixels than it shows."""
        view = self.picture
        percent = zoom_percent(view.scale())
        text = f"Fitted, {percent}" if view.is_fitted() else f"Zoom {percent}"
        needed = view.needed_size()
        why = self._allowed(needed)[1] if needed is not None else ""
        return f"{text} · {why}" if why else text

    def _say_zoom(self) -> None:
        if self._shown is not None and self.isVisible():
            announce(self, self._zoom_text())

    # -- keys and closing ------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, plain = event.key(), event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                                        Qt.KeyboardModifier.KeypadModifier)
        if key == Qt.Key.Key_Space and plain or key == Qt.Key.Key_Escape:
            if not event.isAutoRepeat():  # Space held in the grid opened it: it stays open
                self.close()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            self._search()
        elif is_shift_f10(event):  # no Menu key (most laptops); on Windows it comes as one's
            self._menu(self._over_picture())
        elif (key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
              and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self._next_tab(event)
        elif key in (Qt.Key.Key_Z, Qt.Key.Key_1) and plain:
            self._zoom(self.picture.toggle_actual)
        elif key in ARROW_KEYS and plain and self.picture.can_pan():
            # Zoomed in past the window, the arrows move about the photo (as in other viewers);
            # at its edge they stop there, not on the next photo, which would lose the place.
            self.picture.pan_by_key(key)
        elif key in GRID_KEYS and plain and self._grid is not None:
            # The grid moves its current photo as its own arrows do (and asks for more
            # results past the last one); the window follows it (_on_current). The duplicate
            # groups' tree moves it from photo to photo (its own arrows stop on groups' rows).
            self._repeating = event.isAutoRepeat()
            move = getattr(self._grid, "preview_key", None)
            try:
                if move is not None:
                    move(key)
                else:
                    QApplication.sendEvent(self._grid, QKeyEvent(event.type(), key,
                                                                 Qt.KeyboardModifier.NoModifier))
            finally:
                self._repeating = False
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        # A right-click (on the picture, or anywhere in this window: all of it is the photo's),
        # or the Menu key: at the pointer, or from the keyboard over the picture (the pointer
        # may be anywhere, even outside this window).
        keyboard = event.reason() == QContextMenuEvent.Reason.Keyboard
        self._menu(self._over_picture() if keyboard else event.globalPos())

    def _over_picture(self) -> QPoint:
        return self.picture.mapToGlobal(self.picture.rect().center())

    def _menu(self, at: QPoint) -> None:
        """The grid's menu of a photo (less Preview), for the photo shown; what it says goes
        out as the grid's (the main window's status bar, and a screen reader)."""
        shown, grid = self._shown, self._grid
        if shown is None or grid is None:
            return
        menu = QMenu(self)
        for text, handler in photo_actions(shown.path, self._search, self._say,
                                           functools.partial(self._say, problem=True)):
            action = QAction(text, menu)
            action.triggered.connect(handler)
            menu.addAction(action)
        menu.exec(at)
        menu.deleteLater()

    def _copy(self) -> None:
        """Ctrl+C: the photo shown on the clipboard as a file, as the grid's Ctrl+C puts its
        selected photos, and said as it says it (a file that is not there: nothing copied)."""
        shown, grid = self._shown, self._grid
        if shown is None or grid is None:
            return
        if not os.path.isfile(shown.path):
            self._say(gone_message([shown.path], "copied", False), problem=True)
            return
        file_actions.copy_files([shown.path])
        self._say(f"Copied {shown.name}")

    def _say(self, text: str, problem: bool = False) -> None:
        """Said as the grid says it (the main window's status bar, and a screen reader), and
        over the picture: that bar is under this window (with a title bar, all of it)."""
        grid = self._grid
        if grid is not None:
            (grid.problem if problem else grid.message).emit(text)
        self._show_note(printable(text), NOTE_MS)  # as the status bar shows it

    def _show_note(self, text: str, shown_ms: int) -> None:
        self.note.setText(text)
        self._place_note()
        self.note.show()
        self.note.raise_()
        self._note_timer.start(shown_ms)

    def _clear_note(self) -> None:
        self._note_timer.stop()
        self.note.hide()

    def _place_note(self) -> None:
        """Across the foot of the picture's place (or of the message shown there), as high as
        its lines."""
        area = self.stack.geometry()
        height = min(self.note.heightForWidth(area.width()), area.height())
        self.note.setGeometry(area.left(), area.bottom() + 1 - height, area.width(), height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.note.isVisible():  # (the layout has placed the picture: it runs first)
            self._place_note()

    def _close_then(self, act: Callable[[], object]) -> None:
        """One of the window's keys: this window closed (the grid it was opened from focused
        again, in the window made active), then the key's action, as from there."""
        self.close()
        act()

    def _next_tab(self, event: QKeyEvent) -> None:
        """Ctrl+Tab, Ctrl+Shift+Tab: the next or previous tab, as from the grid (the tabs answer
        it from inside them); closed first, since the grid goes out of sight."""
        grid, key, modifiers = self._grid, event.key(), event.modifiers()
        self.close()
        if grid is not None:  # handed on by the grid to the tabs around it
            QApplication.sendEvent(grid, QKeyEvent(QEvent.Type.KeyPress, key, modifiers))

    def _quit(self) -> None:
        """Quit as the main window's Quit does: by closing the window this one is over (its
        closeEvent saves the settings and stops the work)."""
        owner = self.parentWidget()
        self.close()
        if owner is not None:
            owner.window().close()

    def _search(self) -> None:
        """Close, and search with the photo shown (as Enter on it in the grid)."""
        # Taken before closing: done() forgets the photo shown.
        grid, held, shown = self._grid, QPersistentModelIndex(self._index), self._shown
        self.close()
        if grid is None or shown is None:
            return
        if held.isValid():
            grid.search_requested.emit(_row_of(held))
            return
        # Its rows replaced meanwhile (the slider moved, the library read again): found again
        # by its id, or said to be gone.
        index = grid.photo_found_again(0, shown.photo_id, shown.path, "it was previewed")
        if index is not None:
            grid.search_requested.emit(index)

    def done(self, result: int) -> None:
        # Closed (every way ends here): nothing is decoded for it any more, no picture is held.
        super().done(result)
        self.loader.cancel()
        self._say_later.stop()
        self._say_zoom_later.stop()
        self._clear_note()
        self._wanted = self._asked = self._file_gives = None
        self._shown = None
        self.picture.set_photo(None)  # opened again: fitted
        grid = self._grid
        self._follow(None)
        if grid is not None:  # back where the preview was opened, on the photo it showed
            grid.window().activateWindow()
            grid.setFocus(Qt.FocusReason.OtherFocusReason)

    def shutdown(self) -> None:
        self.loader.shutdown()


def _row_of(held: QPersistentModelIndex) -> QModelIndex:
    """The index `held` stands for, in its first column (a tree's row: under its parent)."""
    return held.model().index(held.row(), 0, held.parent())


def _thumbnail(index: QModelIndex) -> QPixmap | None:
    """The row's thumbnail, if made: a thumbnail is its picture on a transparent square
    (thumbnails.ThumbnailCache._square); the models' placeholder until it comes is an opaque
    one (models.thumbnail_or_placeholder), which stood in as a grey square of the wrong shape."""
    picture = index.data(Qt.ItemDataRole.DecorationRole)
    if isinstance(picture, QPixmap) and picture.hasAlphaChannel():
        return picture
    return None
