"""The window's status bar, with its notices wrapped onto as many lines as they need; a
problem (something the user must act on) stands out from routine news."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QStyle

# The most lines a notice takes: one naming a path of 4,000 characters filled the window.
MAX_LINES = 4
# Qt has no warning role in its palettes: Breeze's "neutral" amber, mixed into the window's.
WARNING = QColor(0xF6, 0x74, 0x00)
MARGIN = 6  # the text clear of its frame (left and right)


def _mixed(a: QColor, b: QColor, share: float) -> QColor:
    """`a` with `share` of `b` in it."""
    return QColor.fromRgbF(*(x + (y - x) * share for x, y in zip(a.getRgbF()[:3],
                                                                  b.getRgbF()[:3])))


def _luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(x) for x in color.getRgbF()[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    """WCAG's contrast ratio, 1 to 21."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def warning_fill(palette: QPalette) -> QColor:
    """The window's colour tinted amber as far as its text still reads (4.5:1): a theme with
    a mid-grey window gets less tint, never text that cannot be read."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    for share in (0.3, 0.25, 0.2, 0.15, 0.1, 0.05):
        fill = _mixed(window, WARNING, share)
        if contrast(text, fill) >= 4.5:
            return fill
    return window


class _Notice(QLabel):
    """The message in a frame tinted with the palette's highlight (as KDE's KMessageWidget):
    plain text on the window's background read as part of the window, not as something said.
    A problem's frame is amber with the standard warning icon before the text (colour alone
    is lost on a colour-blind user). The colours are taken when painted, so they follow a
    theme changed while the app runs."""

    problem = False

    def paintEvent(self, event) -> None:
        if self.text():
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            window = self.palette().color(QPalette.ColorRole.Window)
            if self.problem:
                painter.setPen(QPen(_mixed(window, WARNING, 0.8), 1))
                painter.setBrush(warning_fill(self.palette()))
            else:
                highlight = self.palette().color(QPalette.ColorRole.Highlight)
                painter.setPen(QPen(_mixed(window, highlight, 0.6), 1))
                painter.setBrush(_mixed(window, highlight, 0.15))
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
            if self.problem:  # the text's height, in the margin left for it, centred as it is
                edge = self.fontMetrics().height()
                icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
                top = self.contentsRect().center().y() - edge // 2
                icon.paint(painter, QRect(MARGIN, top, edge, edge))
            painter.end()
        super().paintEvent(event)

    def set_problem(self, problem: bool) -> None:
        """The look, the room for the icon and what a screen reader says of the notice."""
        self.problem = problem
        icon_room = self.fontMetrics().height() + MARGIN if problem else 0
        self.setContentsMargins(MARGIN + icon_room, 2, MARGIN, 2)
        self.setAccessibleDescription("Problem" if problem else "")
        self.update()


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
        self.notice.set_problem(False)
        self._problem = ""  # the message shown as a problem, while it is shown
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

    def showMessage(self, message: str, timeout: int = 0) -> None:
        """Routine news (Qt's own; its status tips and clearMessage too): the plain look."""
        self._say(message, timeout, "")

    def show_problem(self, message: str, timeout: int = 0) -> None:
        """Something went wrong that the user must act on: the warning look, until the next
        message (or the timeout) takes it down."""
        self._say(message, timeout, message)

    def is_problem(self) -> bool:
        return bool(self._problem) and self._problem == self.currentMessage()

    def _say(self, message: str, timeout: int, problem: str) -> None:
        self._problem = problem
        unchanged = message == self.currentMessage()
        super().showMessage(message, timeout)
        if unchanged:  # the same text again: Qt says no change (else messageChanged shows it)
            self._show(message)

    def _show(self, message: str) -> None:
        # Compared by text: a message put by Qt itself (a status tip) never says a problem.
        problem = bool(message) and message == self._problem
        if problem != self.notice.problem:
            self.notice.set_problem(problem)  # first: the icon narrows the text's room
        shown = fitted(self.notice, message)
        if self.notice.text() != shown:
            self.notice.setText(shown)
        self.notice.setToolTip(message if shown != message else "")
        # A screen reader reads the label: the whole message, not the one shortened to fit.
        self.notice.setAccessibleName(message if shown != message else "")

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
