"""The window's status bar, with its notices wrapped onto as many lines as they need."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStatusBar


class NoticeBar(QStatusBar):
    """A QStatusBar whose message (showMessage, currentMessage, timeouts: Qt's own) is shown
    by a word-wrapped label. Qt paints it on one line, clipped: most notices end with what to
    do ("...select it and press Remove"), which a window under about 1,300 pixels cut off."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)  # names may hold < or &
        self.notice.setContentsMargins(4, 0, 0, 0)  # where Qt's own line started
        # Permanent, so a message does not hide it; first, so the count stays on the right.
        self.addPermanentWidget(self.notice, 1)
        self.messageChanged.connect(self.notice.setText)

    def paintEvent(self, event) -> None:
        """Nothing: the label shows the message (Qt would paint it once more, on one line)."""
