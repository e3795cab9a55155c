"""The window's status bar, with its notices wrapped onto as many lines as they need."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar

# The most lines a notice takes: one naming a path of 4,000 characters filled the window.
MAX_LINES = 4


def _mixed(a: QColor, b: QColor, share: float) -> QColor:
    """`a` with `share` of `b` in it."""
    return QColor.fromRgbF(*(x + (y - x) * share for x, y in zip(a.getRgbF()[:3],
                                                                  b.getRgbF()[:3])))


class _Notice(QLabel):
    """The message in a frame tinted with the palette's highlight (as KDE's KMessageWidget):
    plain text on the window's background read as part of the window, not as something said.
    The colours are taken when painted, so they follow a theme changed while the app runs."""

    def paintEvent(self, event) -> None:
        if self.text():
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            window = self.palette().color(QPalette.ColorRole.Window)
            highlight = self.palette().color(QPalette.ColorRole.Highlight)
            painter.setPen(QPen(_mixed(window, highlight, 0.6), 1))
            painter.setBrush(_mixed(window, highlight, 0.15))
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
            painter.end()
        super().paintEvent(event)


class NoticeBar(QStatusBar):
    """A QStatusBar whose message (showMessage, currentMessage, timeouts: Qt's own) is shown
    by a word-wrapped label. Qt paints it on one line, clipped: most notices end with what to
    do ("...select it and press Remove"), which a window under about 1,300 pixels cut off.
    A notice longer than MAX_LINES loses its middle (its start says what happened, its end
    what to do; the whole of it is the label's tooltip)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.notice = _Notice()
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)  # names may hold < or &
        self.notice.setContentsMargins(6, 2, 6, 2)  # the text clear of its frame
        # As wide as the bar leaves it, whatever it says: a name with no space to wrap at (a
        # file name of 255 bytes not in UTF-8 shows as 1,020 characters) made its width the
        # window's least, thousands of pixels, kept after the notice went.
        policy = self.notice.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.notice.setSizePolicy(policy)
        # Permanent, so a message does not hide it; first, so the count stays on the right.
        self.addPermanentWidget(self.notice, 1)
        self.notice.installEventFilter(self)  # its width changed: the notice fitted again
        self.messageChanged.connect(self._show)

    def _show(self, message: str) -> None:
        shown = fitted(self.notice, message)
        if self.notice.text() != shown:
            self.notice.setText(shown)
        self.notice.setToolTip(message if shown != message else "")

    def eventFilter(self, watched, event) -> bool:
        if watched is self.notice and event.type() == QEvent.Type.Resize:
            self._show(self.currentMessage())
        return super().eventFilter(watched, event)

    def paintEvent(self, event) -> None:
        """Nothing: the label shows the message (Qt would paint it once more, on one line)."""


def fitted(label: QLabel, text: str, lines: int = MAX_LINES) -> str:
    """`text` as `label` shows it wrapped in `lines` lines at its width at most: whole, or its
    middle left out ("…")."""
    width = label.contentsRect().width()
    if not text or width <= 0:
        return text
    metrics = label.fontMetrics()
    room = QRect(0, 0, width, 1_000_000)
    most = metrics.lineSpacing() * (lines - 1) + metrics.height()

    def fits(candidate: str) -> bool:
        needed = metrics.boundingRect(room, int(Qt.TextFlag.TextWordWrap), candidate)
        return needed.width() <= width and needed.height() <= most

    if fits(text):
        return text

    def kept(n: int) -> str:
        head = (n + 1) // 2
        return text[:head] + "…" + text[len(text) - (n - head):]

    low, high = 0, len(text) - 1  # kept(low) fits ("…" alone, in any label wide enough)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(kept(middle)):
            low = middle
        else:
            high = middle - 1
    return kept(low)
