"""A label whose text wraps and is never cut off: its minimum height is what the text takes at
the label's width.

Qt gives a wrapped QLabel the height its heightForWidth asks only where there is room: the
minimum sizes of a QMainWindow, a QSplitter and a QTabWidget (and of a dialog) are made of
their children's minimumSizeHint, which for a wrapped label is the height of its text at some
other width. At the window's smallest size (529x262 here) the last lines were cut off: the
results header's, the Unreadable photos intro's, the Model tab's note's, the Retrain dialog's
note's. With this minimum the window cannot be made that small: its minimum size grows to show
the whole text, and shrinks back as the label widens. A label hidden (its tab not current) or
narrower than its longest word (a splitter's pane dragged shut) asks no height: it shows no
text whole there.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QWidget


class WrappedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        # Hidden (its tab no longer current), it is not resized: the height of its lines at
        # its last width kept the window from being made as low as the tab shown allows.
        # Shown again, it fits its width then.
        if not event.spontaneous():  # not a window minimized
            self.setMinimumHeight(0)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()

    def _fit(self) -> None:
        # Only once shown, and so laid out: before, its width is Qt's default, 100 pixels, at
        # which the text is taller than at its own, and a dialog opened taller than asked.
        if self.isVisible():
            # QLabel's heightForWidth is at least the minimum height: dropped first, else a
            # label made narrow kept the height of its many lines once widened.
            self.setMinimumHeight(0)
            # Narrower than its longest word (minimumSizeHint's width), its layout gave it less
            # than it asks: a splitter's pane collapsed, 0 wide. No height shows the text
            # whole there, and a word a line made the window at least 596 pixels high.
            if self.width() >= self.minimumSizeHint().width():
                self.setMinimumHeight(max(self.heightForWidth(self.width()), 0))
