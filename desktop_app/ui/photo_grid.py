"""A thumbnail grid view (QListView in icon mode) with keyboard search and a photo menu."""

from __future__ import annotations

import itertools
import os

from PySide6.QtCore import QEvent, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu

from ..core.errors import printable
from . import file_actions
from .models import PhotoIdRole, exact_path


class PhotoGrid(QListView):
    """Model/view grid: one delegate paints every cell, only visible rows are asked for data,
    so it stays smooth with 100,000 photos. Enter (or a click) asks for a search."""

    search_requested = Signal(QModelIndex)
    message = Signal(str)

    def __init__(self, edge: int = 160, text_lines: int = 2, parent=None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(edge, edge))
        line = self.fontMetrics().lineSpacing()
        self.setGridSize(QSize(edge + 16, edge + 12 + text_lines * line))
        self.setUniformItemSizes(True)  # no per-row size queries: constant-time layout
        # In one pass (70 ms at 200,000 photos): a batched layout starts again from the first
        # row after every row added or removed, shrinking the scroll range meanwhile, and so
        # threw a view scrolled down back to about the thousandth photo.
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.clicked.connect(self.search_requested)
        self.setSpacing(4)
        self.setAccessibleDescription("Enter shows the photos that look like the current one; "
                                      "Shift+F10 or the Menu key opens its menu.")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.search_requested.emit(self.currentIndex())
            return
        # Shift+F10 opens the menu where there is no Menu key (most laptops); Qt on Linux
        # does not turn it into a context-menu event as Windows does.
        if (event.key() == Qt.Key.Key_F10
                and event.modifiers() == Qt.KeyboardModifier.ShiftModifier):
            self._keyboard_menu()
            return
        super().keyPressEvent(event)

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

    def _search_photo_at(self, row: int, photo_id: int, path: str) -> None:
        """Search with the photo a menu was opened on, found again by its id: the rows may
        have changed while the menu was open (the results follow the library every second
        while it is indexed), and its row may hold another photo by now."""
        model = self.model()
        count = model.rowCount()
        for r in itertools.chain([row] if row < count else [], range(count)):
            index = model.index(r, 0)
            if index.data(PhotoIdRole) == photo_id:
                self.search_requested.emit(index)
                return
        self.message.emit(f"{printable(path)} is no longer shown here (it left the library or "
                          "the results while the menu was open). Pick another photo.")

    def current_path(self) -> str | None:
        index = self.currentIndex()
        return exact_path(index) if index.isValid() else None

    def _menu(self, pos) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            return
        menu = QMenu(self)
        for text, handler in self.actions_for(index):
            action = QAction(text, menu)
            action.triggered.connect(handler)
            menu.addAction(action)
        menu.exec(self.viewport().mapToGlobal(pos))

    def actions_for(self, index: QModelIndex) -> list[tuple[str, object]]:
        """The photo menu's (label, handler) for the photo at `index`."""
        path = exact_path(index)
        photo_id, row = index.data(PhotoIdRole), index.row()
        return photo_actions(path, lambda: self._search_photo_at(row, photo_id, path),
                             self.message.emit)


def photo_actions(path: str, search, tell) -> list[tuple[str, object]]:
    """(label, handler) for the things one can do with a photo; `tell` reports a problem."""
    shown = printable(path)  # a name that is not UTF-8 with its odd bytes as \xNN

    def missing() -> bool:
        # A photo kept in the library while its drive is unplugged (or deleted just now).
        if os.path.exists(path):
            return False
        tell(f"{shown}: the file is not there (deleted, moved, or on a drive that is not "
             "connected). Connect the drive, or pick another photo.")
        return True

    def opened() -> None:
        if not missing() and not file_actions.open_with_default_viewer(path):
            tell(f"{shown}: {file_actions.no_viewer_reason()}.")

    def revealed() -> None:
        def failed() -> None:
            tell(f"{shown}: no file manager could be opened (is a desktop session running?). "
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
