"""Photos that could not be read, each with the reason, and a way to try them again."""

from __future__ import annotations

import os

from PySide6.QtCore import (
    QAbstractItemModel,
    QIdentityProxyModel,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QContextMenuEvent, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import printable
from ..core.wording import count_of
from .models import ErrorRole, FailedPhotosModel, exact_path
from .photo_grid import is_shift_f10, photo_actions, show_menu
from .wrapped_label import WrappedLabel

NAME_LETTERS = 32  # the File column's width at first, in average letters: most names whole


def cell_text(path: str, reason: str | None, column: int) -> str:
    """What a row shows: the file's name (its whole path, elided at the folder, never showed
    the name), and the reason without the path it starts with (shown beside it). The cells'
    tooltips and the menu's Copy path keep the whole path."""
    if column == 0:
        # Cut from the exact path, then escaped: on Windows the \ of an escape would be taken
        # for a folder separator.
        return printable(os.path.basename(path) or path)
    text = printable(reason or "unknown reason")
    start = printable(path) + ": "
    if text.startswith(start) and len(text) > len(start):
        text = text[len(start):]
        text = text[0].upper() + text[1:]
    return text


class _ShownTexts(QIdentityProxyModel):
    """The rows as shown (cell_text): Qt's type-to-find matches the display text, which was the
    whole path, so typing a name's first letters found nothing. A screen reader still reads
    the whole path and reason (AccessibleTextRole), as before."""

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return super().data(index, Qt.ItemDataRole.DisplayRole)
        path = exact_path(index) if role == Qt.ItemDataRole.DisplayRole else None
        if path:
            return cell_text(path, index.data(ErrorRole), index.column())
        return super().data(index, role)

    def match(self, start: QModelIndex, role: int, value, hits: int = 1,
              flags=Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap) -> list:
        # Qt's own, on the texts above (the identity proxy's asks the source model's), and in
        # the names whichever cell is current: the rows are selected whole.
        return QAbstractItemModel.match(self, start.siblingAtColumn(0), role, value, hits,
                                        flags)


class _ShortTexts(QStyledItemDelegate):
    def initStyleOption(self, option, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        # A name too long for its column keeps its start and its extension; a reason reads on.
        option.textElideMode = (Qt.TextElideMode.ElideMiddle if index.column() == 0
                                else Qt.TextElideMode.ElideRight)


class FailedTable(QTableView):
    """The unreadable photos, with a menu (right click, the Menu key or Shift+F10) to open one,
    show it in the file manager or copy its path."""

    message = Signal(str)  # routine news (a path copied)
    problem = Signal(str)  # an action that failed (the file not there, no viewer)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_shift_f10(event):  # as in the library grid
            self._menu(self.currentIndex(), keyboard=True)
            return
        index = self.currentIndex()
        if event.matches(QKeySequence.StandardKey.Copy) and index.isValid():
            # Qt's own copies the cell's text as shown, now the name alone (or the reason
            # without its path): the whole path, or the whole reason, as before.
            QGuiApplication.clipboard().setText(self.model().mapToSource(index).data())
            return
        super().keyPressEvent(event)

    def rowsAboutToBeRemoved(self, parent: QModelIndex, start: int, end: int) -> None:
        # The current photo leaving (fixed, or its folder removed): the row that takes its
        # place is current, and selected if it was, as in a list of files (the one above when
        # it was the last). Qt's selection model made the row above current, none selected.
        current = self.currentIndex()
        super().rowsAboutToBeRemoved(parent, start, end)
        if not current.isValid() or not start <= current.row() <= end:
            return
        row = end + 1 if end + 1 < self.model().rowCount(parent) else start - 1
        if row < 0:
            return
        flags = QItemSelectionModel.SelectionFlag.NoUpdate
        if self.selectionModel().isRowSelected(current.row(), parent):
            flags = QItemSelectionModel.SelectionFlag.Select | \
                QItemSelectionModel.SelectionFlag.Rows
        # Not scrolled to: the table stays where the user scrolled it (the row picked out of
        # sight, it jumped there), and the next arrow key brings the row in sight.
        scrolls = self.hasAutoScroll()
        self.setAutoScroll(False)
        self.selectionModel().setCurrentIndex(current.siblingAtRow(row), flags)
        self.setAutoScroll(scrolls)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        keyboard = event.reason() == QContextMenuEvent.Reason.Keyboard
        # From the keyboard: the current row's, wherever the pointer is.
        self._menu(self.currentIndex() if keyboard else self.indexAt(event.pos()), keyboard,
                   event.pos())

    def _menu(self, index: QModelIndex, keyboard: bool, pos: QPoint | None = None) -> None:
        if not index.isValid():
            return
        if keyboard:
            self.scrollTo(index)
        show_menu(self, self.actions_for(index),
                  self.visualRect(index).center() if keyboard else pos)

    def actions_for(self, index: QModelIndex) -> list[tuple[str, object]]:
        path = exact_path(index)
        if not path:
            return []
        # Not "Find similar photos": a photo that cannot be read has no code to search with.
        return photo_actions(path, lambda: None, self.message.emit, self.problem.emit)[1:]


class FailedPanel(QWidget):
    retry_requested = Signal()
    message = Signal(str)
    problem = Signal(str)  # as FailedTable's

    def __init__(self, model: FailedPhotosModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        self.summary = WrappedLabel()  # its lines whole in a small window too
        layout.addWidget(self.summary)
        self.table = FailedTable()
        shown = _ShownTexts(self.table)
        shown.setSourceModel(model)
        self.table.setModel(shown)
        self.table.setItemDelegate(_ShortTexts(self.table))
        self.table.message.connect(self.message)
        self.table.problem.connect(self.problem)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, NAME_LETTERS * self.table.fontMetrics().averageCharWidth())
        self.table.setWordWrap(True)
        self.table.setAccessibleName("Photos that could not be read")
        # activated: a double-click, and Enter too (a double-click alone left the keyboard out).
        self.table.activated.connect(self._open)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.retry_button = QPushButton("Try these photos again")
        self.retry_button.clicked.connect(self.retry_requested)
        row.addWidget(self.retry_button)
        row.addStretch(1)
        layout.addLayout(row)
        # Once a list: the model changes only the rows that differ (the current row kept), and
        # the summary, a wrapped label, takes its height again at each text (0.2 ms).
        model.photos_set.connect(self._update_summary)
        self._update_summary()

    def _update_summary(self) -> None:
        n = self.model.rowCount()
        them = "it" if n == 1 else "them"
        # "photos", as the tab and the button name them (not "file(s)")
        self.summary.setText(
            "Every photo could be read." if n == 0 else
            f"{count_of(n, 'photo')} could not be read. Fix or replace {them}, then press "
            "Try these photos again; a photo still being copied is read again by itself when "
            "it changes. Double-click a photo (or press Enter) to open it; right-click it to "
            "show it in the file manager or copy its path.")
        self.retry_button.setEnabled(n > 0)

    def _open(self, index) -> None:
        path = exact_path(index)
        if path:
            # Opening tells only of a failure (the file not there, no viewer).
            dict(photo_actions(path, lambda: None, self.message.emit,
                               self.problem.emit))["Open with default viewer"]()
