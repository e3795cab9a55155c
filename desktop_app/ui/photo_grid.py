"""A thumbnail grid view (QListView in icon mode) with keyboard search and a photo menu."""

from __future__ import annotations

import itertools
import os
import time

from PySide6.QtCore import QEvent, QMimeData, QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QDrag,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
    QTextLayout,
    QTextOption,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from ..core.errors import printable
from . import file_actions
from .models import PhotoIdRole, exact_path, present_paths

# The drag's own format: which grid it started from (this process and that grid), so that a
# drop back on that grid, a drag let go where it began, searches nothing.
DRAGGED_FROM = "application/x-lookalike-grid"


class CellTextDelegate(QStyledItemDelegate):
    """Fits each cell's text into the grid's cell, so none runs past it: over the photo below
    (the library grid sizes every cell as its last row's), or, in the results, pushing the
    distance line out of sight. The text's first line (the name) is shortened in the middle
    to the lines the others (the distance) leave; those are kept whole. Lines are broken here,
    anywhere in a word if need be, so a name with no spaces takes all its lines too."""

    _KEPT = 4096  # fitted texts remembered: more than a screenful, for scrolling back

    def __init__(self, grid: QListView) -> None:
        super().__init__(grid)
        self._grid = grid
        self._fitted: dict[tuple, str] = {}
        self._rooms: dict[tuple, float] = {}  # the text's height in a cell, by cell and font

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        if option.text:
            option.text = self._fit(option)
        # Right under the photo: a cell of the library grid is as tall as the longest name.
        option.displayAlignment = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        untinted(option, index)  # paint() marks the selection with the cell's background

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex) -> None:
        if option.state & QStyle.StateFlag.State_Selected:
            # The whole cell in the highlight colour, the photo on it, as photo apps mark the
            # selection (the style marks only the name in a grid of icons). Inside the cell,
            # which is all Qt repaints of it; a pixel short of its sides and bottom, so two
            # selected cells side by side stay two.
            group = (QPalette.ColorGroup.Active if option.state & QStyle.StateFlag.State_Active
                     else QPalette.ColorGroup.Inactive)
            painter.fillRect(option.rect.adjusted(1, 0, -1, -1),
                             option.palette.color(group, QPalette.ColorRole.Highlight))
        super().paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        cell = self._grid.gridSize()
        if self._grid.uniformItemSizes():
            # Asked once, of the last row (Qt's guess at the largest): the whole cell, whatever
            # that row's name, so that every row's fitted text has the room it was fitted to.
            return cell
        return super().sizeHint(option, index).boundedTo(cell)

    def forget_fitting(self) -> None:
        """The style changed: text room measured with the old one is stale."""
        self._rooms.clear()
        self._fitted.clear()

    def _fit(self, option: QStyleOptionViewItem) -> str:
        cell, font = self._grid.gridSize(), option.font
        # The width Qt wraps a cell's text to: the cell's, less the style's margin either side.
        width = cell.width() - 2 * text_margin(self._grid)
        where = (width, cell.height(), option.decorationSize.height(), font.key())
        fitted = self._fitted.get((option.text, where))
        if fitted is None:
            room = self._rooms.get(where)
            if room is None:
                room = self._rooms[where] = cell.height() - self._overhead(option, width)
            fitted = fit_text(option.text, font, width, room)
            if len(self._fitted) >= self._KEPT:
                self._fitted.clear()
            self._fitted[(option.text, where)] = fitted
        return fitted

    def _overhead(self, option: QStyleOptionViewItem, width: int) -> float:
        """The cell's height besides its text's (the thumbnail, the style's margins), as the
        style measures a cell: this delegate's sizeHint is the style's size of the option."""
        probe = QStyleOptionViewItem(option)
        probe.text = "x"
        size = self._grid.style().sizeFromContents(QStyle.ContentsType.CT_ItemViewItem, probe,
                                                   QSize(), self._grid)
        return size.height() - _laid_out("x", option.font, width)[1]


def untinted(option: QStyleOptionViewItem, index: QModelIndex) -> None:
    """A selected row's photo drawn as it is: styles draw a selected icon tinted with the
    highlight colour (QIcon.Mode.Selected), and the current photo looked washed out, as if
    disabled. Its selected look is its own pixmap."""
    if not option.state & QStyle.StateFlag.State_Selected or option.icon.isNull():
        return
    pixmap = index.data(Qt.ItemDataRole.DecorationRole)
    if isinstance(pixmap, QPixmap) and not pixmap.isNull():
        icon = QIcon(pixmap)
        icon.addPixmap(pixmap, QIcon.Mode.Selected)
        option.icon = icon


def text_margin(view: QAbstractItemView) -> int:
    """The margin the style leaves either side of a cell's text (Qt wraps the text to the
    cell's width less twice this)."""
    return view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1


def _laid_out(text: str, font: QFont, width: int) -> tuple[list[str], float]:
    """`text`'s lines wrapped to `width` (at spaces, else anywhere) and their height."""
    layout = QTextLayout(text.replace("\n", "\u2028"), font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    # Qt counts a line's start and length in UTF-16 units: an emoji or a rare CJK character
    # is two of them, one Python character (sliced by those, lines broke mid-word).
    units = text.encode("utf-16-le", "surrogatepass")
    lines, height = [], 0.0
    layout.beginLayout()
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        height += line.height()
        start, end = 2 * line.textStart(), 2 * (line.textStart() + line.textLength())
        lines.append(units[start:end].decode("utf-16-le", "surrogatepass"))
    layout.endLayout()
    return [line.rstrip(" \n") for line in lines], height


def fit_text(text: str, font: QFont, width: int, room: float) -> str:
    """`text` in lines of at most `width` pixels, `room` pixels high in all: its first line (a
    name) shortened in the middle ("IMG_2024…final.jpg") as much as needed, its other lines
    (details) kept whole. The lines are joined by line separators, so that Qt breaks them
    there and nowhere else."""
    # The delegate has turned the model's line breaks into line separators already.
    name, _, details = text.replace("\u2028", "\n").partition("\n")
    tail = f"\n{details}" if details else ""
    lines, height = _laid_out(name + tail, font, width)
    if height <= room:
        return "\u2028".join(lines)
    # First as many letters as the lines left would hold filled to the end (wrapping at
    # spaces leaves some room unused, never more), then fewer till it fits: two or three
    # layouts, not the eight of a bisection (0.26 ms a name here).
    details_lines = len(_laid_out(details, font, width)[0]) if details else 0
    name_lines = max(1, int(room // (height / len(lines))) - details_lines)
    widest = QFontMetricsF(font).elidedText(name, Qt.TextElideMode.ElideMiddle,
                                            name_lines * width)
    keep = min(len(widest) - 1, len(name) - 1)
    while keep > 0:
        lines, height = _laid_out(_elided(name, keep) + tail, font, width)
        if height <= room:
            return "\u2028".join(lines)
        keep -= max(1, keep // 8)
    return "\u2028".join(_laid_out(_elided(name, 0) + tail, font, width)[0])


def _elided(name: str, keep: int) -> str:
    """`name` with all but `keep` of its letters cut from its middle, an ellipsis there."""
    head = (keep + 1) // 2
    return f"{name[:head]}…{name[len(name) - (keep - head):]}"


class WheelZoom:
    """Ctrl+wheel as zoom steps, as in other photo apps (Qt's own scrolls a page): a step a
    notch (120 eighths of a degree), a touchpad's small turns added up until they make one."""

    def __init__(self, zoom) -> None:
        self._zoom = zoom  # called with the steps, more than 0 for bigger thumbnails
        self._turned = 0  # short of a notch

    def took(self, event: QWheelEvent) -> bool:
        """True if `event` was a Ctrl+wheel, taken for the zoom; else it is to scroll."""
        if not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._turned = 0
            return False
        self._turned += event.angleDelta().y()
        steps = int(self._turned / 120)  # towards 0, either way
        if steps:
            self._turned -= 120 * steps
            self._zoom(steps)
        event.accept()
        return True


class PhotoGrid(QListView):
    """Model/view grid: one delegate paints every cell, only visible rows are asked for data,
    so it stays smooth with 100,000 photos. Enter (or a click) asks for a search, Space for a
    preview (a window the main window opens)."""

    search_requested = Signal(QModelIndex)
    preview_requested = Signal(QModelIndex)  # Space (or the menu's Preview): the photo large
    message = Signal(str)  # routine news (a path copied)
    problem = Signal(str)  # what the user must act on (the file not there, no viewer)
    zoom_requested = Signal(int)  # Ctrl+wheel: steps, more than 0 for bigger thumbnails

    def __init__(self, edge: int = 160, text_lines: int = 2, parent=None,
                 widest_line: str = "") -> None:
        """`widest_line`: a line the cells are made wide enough for (the results' distance)."""
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(edge, edge))
        self._text_lines, self._widest_line = text_lines, widest_line
        self._fit_cell()
        # Each cell's text fitted into its cell: a long name wrapped past it (over the photo
        # below, or pushing a results cell's distance line out of sight).
        self.setItemDelegate(CellTextDelegate(self))
        self.setUniformItemSizes(True)  # no per-row size queries: constant-time layout
        # In one pass (70 ms at 200,000 photos): a batched layout starts again from the first
        # row after every row added or removed, shrinking the scroll range meanwhile, and so
        # threw a view scrolled down back to about the thousandth photo.
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)  # (which turns dragging off: on again)
        # Photos are dragged out as files (a copy, never a move); nothing is dropped on the
        # grid itself: a drop goes to the window, which searches with it.
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.drag_mark = f"{os.getpid()}:{id(self)}".encode()
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # Several photos picked (Ctrl+click, Shift+click, Shift+arrows) to drag or copy them.
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.clicked.connect(self._clicked)
        self.setSpacing(4)
        self.setAccessibleDescription("Enter shows the photos that look like the current one; "
                                      "Space shows it large; Shift+F10 or the Menu key opens its "
                                      "menu; Ctrl+C copies the selected photos.")
        # Said in the middle of the grid while it has no photo: a blank white area gave a new
        # user no hint (the window's own hint for the results is beside it).
        self.empty_text = ""
        self._wheel_zoom = WheelZoom(self.zoom_requested.emit)
        self._typed_at = -1e9  # monotonic seconds of the last letter typed to find a name

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        model = self.model()
        if self.empty_text and (model is None or model.rowCount() == 0):
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(24, 24, -24, -24),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.empty_text)
            painter.end()

    def _fit_cell(self) -> None:
        """A cell: the thumbnail and `text_lines` lines of the grid's font under it."""
        edge, metrics = self.iconSize().width(), self.fontMetrics()
        # A line takes its height (ascent + descent), which can exceed the spacing of lines
        # (negative leading): 26 pixels a line in a 16-point font spaced 24 apart.
        line = max(metrics.lineSpacing(), metrics.height())
        # Wider for `widest_line` in a large font: on two lines it left the name one.
        width = max(edge + 16,
                    metrics.horizontalAdvance(self._widest_line) + 2 * text_margin(self) + 2)
        self._least_cell = QSize(width, edge + 12 + self._text_lines * line)
        self._spread_columns()

    def _spread_columns(self) -> None:
        """Cells widened so that their columns fill the grid's width: at the least width the
        spare pixels were left as an empty strip on the right, wider or narrower with the
        window. The width is the one Qt lays out in (the viewport, less the scroll bar
        it always leaves room for, shown or not, unless the style draws it over the cells, as
        macOS's overlay scroll bars), less one: it wraps at its last pixel."""
        room = self.maximumViewportSize().width() - 1
        bar = self.verticalScrollBar()
        if (self.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
                and not self.style().pixelMetric(
                    QStyle.PixelMetric.PM_ScrollView_ScrollBarOverlap, None, bar)):
            room -= self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, bar)
            if self.style().styleHint(QStyle.StyleHint.SH_ScrollView_FrameOnlyAroundContents,
                                      None, self):
                room -= 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth)
        least = self._least_cell
        columns = max(1, room // least.width())
        cell = QSize(max(least.width(), room // columns), least.height())
        if cell != self.gridSize():
            self.setGridSize(cell)

    def set_edge(self, edge: int) -> None:
        """Cells for thumbnails of `edge` pixels (a zoom), laid out once, now: the photo at the
        top left stays in the top row (the columns change), or the current one, if in view,
        stays where it was (or as near as its new size lets it)."""
        if edge == self.iconSize().width():
            return
        anchor, top = self._anchor()
        self.setIconSize(QSize(edge, edge))
        self._fit_cell()  # both only ask for a layout: this one does it
        self.executeDelayedItemsLayout()
        if anchor.isValid():
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + self.visualRect(anchor).top() - top)
            self.scrollTo(anchor)  # grown past the bottom: in view again

    def _anchor(self) -> tuple[QModelIndex, int]:
        """The photo a zoom keeps in view, and the height of its top in the viewport to keep."""
        current, view = self.currentIndex(), self.viewport().rect()
        if current.isValid() and self.visualRect(current).intersects(view):
            return current, self.visualRect(current).top()
        cell = self.gridSize()
        for y in (0, cell.height() // 2, cell.height()):  # (0 may be the gap between rows)
            index = self.indexAt(QPoint(cell.width() // 2, y))
            if index.isValid():  # whole, at the top, though it was partly scrolled past
                return index, max(0, self.visualRect(index).top())
        return QModelIndex(), 0

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self._wheel_zoom.took(event):
            super().wheelEvent(event)

    def doItemsLayout(self) -> None:
        # Here, not on each resize: Qt lays out once a resize is over (a window dragged wider
        # lays out every 100 ms, not at each step: 30-70 ms each at 200,000 photos), and a
        # grid size set now is taken by this layout, not by another.
        self._spread_columns()
        super().doItemsLayout()

    def changeEvent(self, event: QEvent) -> None:
        # The system font changed while the app runs (QApplication.setFont, a desktop's
        # "large text"): cells sized for the old font cut the new one off, or leave gaps.
        if event.type() == QEvent.Type.FontChange:
            self._fit_cell()
        elif event.type() == QEvent.Type.StyleChange:  # other margins, other measures
            self._fit_cell()
            if isinstance(self.itemDelegate(), CellTextDelegate):
                self.itemDelegate().forget_fitting()
        super().changeEvent(event)

    def _clicked(self, index: QModelIndex) -> None:
        # A Ctrl+click or Shift+click picks one more photo (to drag or copy them): searching
        # with each would replace the results at every photo added.
        held = QGuiApplication.keyboardModifiers()
        if not held & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            self.search_requested.emit(index)

    # -- photos out as files: drag and Ctrl+C -----------------------------------------------------
    def _picked(self) -> list[QModelIndex]:
        # The current photo when none is selected (a search cleared the selection).
        picked = self.selectedIndexes()
        return picked or ([self.currentIndex()] if self.currentIndex().isValid() else [])

    def _files(self, doing: str) -> tuple[list[str], bool]:
        """The paths of the picked photos whose file is there, and whether some are not; those
        are said (`doing`: "dragged", "copied")."""
        there, gone = present_paths(self._picked())
        if gone:
            self.problem.emit(gone_message(gone, doing, bool(there)))
        return there, bool(gone)

    def drag_mime(self) -> QMimeData | None:
        """What a drag of the picked photos carries (what the model's mimeData gives, from the
        files already found there, marked with this grid); None if no file of theirs is there:
        no drag then."""
        there, _ = self._files("dragged")
        if not there:
            return None
        mime = file_actions.files_mime(there)
        mime.setData(DRAGGED_FROM, self.drag_mark)
        return mime

    def startDrag(self, supportedActions: Qt.DropAction) -> None:
        # Not QAbstractItemView's: it removes the rows of a drag the target took as a move.
        mime = self.drag_mime()
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        picture = self.currentIndex().data(Qt.ItemDataRole.DecorationRole)
        if isinstance(picture, QPixmap) and not picture.isNull():
            drag.setPixmap(picture.scaled(96, 96, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)

    def copy_files(self) -> None:
        """Ctrl+C: the picked photos on the clipboard as files, to paste them in a file manager
        or a document (the menu's Copy path copies one path as text)."""
        there, gone = self._files("copied")
        if not there:
            return
        file_actions.copy_files(there)
        if not gone:  # (else what was left out stays said)
            self.message.emit(f"Copied {printable(os.path.basename(there[0]))}"
                              if len(there) == 1 else f"Copied {len(there):,} photos")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            # Not Qt's: it copied the current photo's shown name as text.
            self.copy_files()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.search_requested.emit(self.currentIndex())
            return
        if (event.key() == Qt.Key.Key_Space and self.currentIndex().isValid()
                and event.modifiers() == Qt.KeyboardModifier.NoModifier
                and not self._typing_a_name()):
            # Qt's selected the current photo (Ctrl+Space still does: picking several). Held
            # down: once, not again at each repeat (the preview, focused, closed at the next).
            if not event.isAutoRepeat():
                self.preview_requested.emit(self.currentIndex())
            return
        if is_shift_f10(event):  # no Menu key (most laptops)
            self._keyboard_menu()
            return
        super().keyPressEvent(event)

    def keyboardSearch(self, search: str) -> None:
        # Qt's: the letters typed find the photo whose name starts with them. Noted, so that a
        # space typed among them ("beach d") goes on with the name instead of opening a preview.
        self._typed_at = time.monotonic()
        super().keyboardSearch(search)

    def _typing_a_name(self) -> bool:
        return (time.monotonic() - self._typed_at) * 1000 < QApplication.keyboardInputInterval()

    def event(self, event: QEvent) -> bool:
        # The Menu key (and Shift+F10 on Windows) arrive as a keyboard context-menu event:
        # its menu is the current photo's, shown by it even when it is scrolled out of view.
        if (event.type() == QEvent.Type.ContextMenu
                and event.reason() == QContextMenuEvent.Reason.Keyboard):
            self._keyboard_menu()
            return True
        return super().event(event)

    def _keyboard_menu(self) -> None:
        index = self.currentIndex()
        if index.isValid():
            self.scrollTo(index)
            self._menu(self.visualRect(index).center())

    def photo_found_again(self, row: int, photo_id: int, path: str,
                          during: str = "the menu was open") -> QModelIndex | None:
        """The photo a menu (or the preview) was opened on, found again by its id: the rows may
        have changed meanwhile (the results follow the library every second while it is
        indexed), and its row may hold another photo by now. None (said) if it is gone."""
        index = index_of_photo(self.model(), photo_id, row)
        if index is not None:
            return index
        self.problem.emit(f"{printable(path)} is no longer shown here (it left the library or "
                          f"the results while {during}). Pick another photo.")
        return None

    def _search_photo_at(self, row: int, photo_id: int, path: str) -> None:
        index = self.photo_found_again(row, photo_id, path)
        if index is not None:
            self.search_requested.emit(index)

    def _preview_photo_at(self, row: int, photo_id: int, path: str) -> None:
        index = self.photo_found_again(row, photo_id, path)
        if index is not None:
            if index != self.currentIndex():  # the preview shows the current photo
                self.setCurrentIndex(index)
            self.preview_requested.emit(index)

    def current_path(self) -> str | None:
        index = self.currentIndex()
        return exact_path(index) if index.isValid() else None

    def _menu(self, pos) -> None:
        index = self.indexAt(pos)
        if index.isValid():
            show_menu(self, self.actions_for(index), pos)

    def actions_for(self, index: QModelIndex) -> list[tuple[str, object]]:
        """The photo menu's (label, handler) for the photo at `index`."""
        path = exact_path(index)
        photo_id, row = index.data(PhotoIdRole), index.row()
        actions = photo_actions(path, lambda: self._search_photo_at(row, photo_id, path),
                                self.message.emit, self.problem.emit)
        # After Find similar photos (Enter's); the key after a tab, as Qt shows a shortcut.
        actions.insert(1, ("Preview\tSpace", lambda: self._preview_photo_at(row, photo_id, path)))
        return actions


def index_of_photo(model, photo_id: int, row: int = 0) -> QModelIndex | None:
    """The index of the photo `photo_id` in a grid's `model`, or None: the library's own look-up
    (a raw whose JPEG came meanwhile is behind the JPEG's tile now, which row by row said it
    gone, and its rows may be hundreds of thousands), else row by row from `row`, where it was
    (the results: hundreds at most)."""
    row_of = getattr(model, "row_of", None)
    if row_of is not None:
        found = row_of(photo_id)
        return None if found is None else model.index(found, 0)
    count = model.rowCount()
    for r in itertools.chain([row] if row < count else [], range(count)):
        index = model.index(r, 0)
        if index.data(PhotoIdRole) == photo_id:
            return index
    return None


def gone_message(gone: list[str], doing: str, some_there: bool) -> str:
    """Said when photos dragged or copied (`doing`) are not there: which, and that they were
    left out (or that nothing was, when none is there)."""
    what = (f"{printable(gone[0])}: the file is not there" if len(gone) == 1 else
            f"{len(gone):,} of the photos are not there ({printable(gone[0])} first)")
    result = (f"left out of the photos {doing}" if some_there
              else f"nothing was {doing}")
    return (f"{what} (deleted, moved, or on a drive that is not connected): {result}. "
            "Connect the drive, or pick other photos.")


def dragged_back(mime, widget) -> bool:
    """Whether `mime`, dropped on `widget`, is a drag let go on the grid it started from:
    no search then (the user changed their mind, or missed the window's edge)."""
    mark = bytes(mime.data(DRAGGED_FROM)) if mime is not None else b""
    while mark and widget is not None:
        if isinstance(widget, PhotoGrid):
            return widget.drag_mark == mark
        widget = widget.parentWidget()
    return False


def is_shift_f10(event: QKeyEvent) -> bool:
    """Shift+F10, the menu key where there is no Menu key (most laptops); Qt on Linux does not
    turn it into a context-menu event as Windows does."""
    return (event.key() == Qt.Key.Key_F10
            and event.modifiers() == Qt.KeyboardModifier.ShiftModifier)


def show_menu(view: QAbstractItemView, actions: list[tuple[str, object]], pos) -> None:
    """A menu of `actions` ((label, handler), as photo_actions gives them), shown at `pos` in
    `view`'s viewport."""
    menu = QMenu(view)
    for text, handler in actions:
        action = QAction(text, menu)
        action.triggered.connect(handler)
        menu.addAction(action)
    menu.exec(view.viewport().mapToGlobal(pos))


def photo_actions(path: str, search, tell, warn=None) -> list[tuple[str, object]]:
    """(label, handler) for the things one can do with a photo; `tell` says routine news (a
    path copied), `warn` (`tell` if not given) a failure the user must act on."""
    warn = warn or tell
    shown = printable(path)  # a name that is not UTF-8 with its odd bytes as \xNN

    def missing() -> bool:
        # A photo kept in the library while its drive is unplugged (or deleted just now).
        if os.path.exists(path):
            return False
        warn(f"{shown}: the file is not there (deleted, moved, or on a drive that is not "
             "connected). Connect the drive, or pick another photo.")
        return True

    def opened() -> None:
        if not missing() and not file_actions.open_with_default_viewer(path):
            warn(f"{shown}: {file_actions.no_viewer_reason()}.")

    def revealed() -> None:
        def failed() -> None:
            warn(f"{shown}: no file manager could be opened (is a desktop session running?). "
                 f"The photo is in {printable(os.path.dirname(path))}.")

        if not missing() and not file_actions.reveal_in_file_manager(path, failed):
            failed()

    def copied() -> None:
        text = file_actions.copy_path(path)
        tell(f"Copied {text}" if text == path else
             f"Copied {text} (quoted for a terminal: the name holds bytes that are not UTF-8 "
             "or characters a terminal would not show as they are)")

    return [("Find similar photos", search), ("Open with default viewer", opened),
            ("Show in file manager", revealed), ("Copy path", copied)]
