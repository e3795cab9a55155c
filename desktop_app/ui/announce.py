"""Say a message to a screen reader when it appears. The status bar and the results header
change away from the focus, so a screen reader read neither: the user heard nothing after
pressing Enter on a photo, or when something went wrong."""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QTextDocumentFragment

try:
    from PySide6.QtGui import QAccessibleAnnouncementEvent
except ImportError:  # Qt before 6.8: the text can still be read where it is shown
    QAccessibleAnnouncementEvent = None


def announce(widget, text: str, rich: bool = False, problem: bool = False) -> None:
    """Politely (after what is being read). `rich`: `text` is a QLabel's rich text. A
    `problem` is said as one: its warning look is not seen."""
    plain = QTextDocumentFragment.fromHtml(text).toPlainText() if rich and text else text
    plain = plain.strip()
    if plain and problem:
        plain = f"Problem: {plain}"
    if plain and QAccessibleAnnouncementEvent is not None:
        QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(widget, plain))
