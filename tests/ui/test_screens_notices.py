"""What the status bar says is shown whole, in a small window too."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QLabel


def test_a_long_notice_is_shown_whole_in_an_800_pixel_window(qtbot, make_window, tmp_path):
    """A folder gone away is said with its remedy last ("...select it and press Remove to
    forget its photos"): painted on one line, it was cut off past about 1,300 pixels."""
    window = make_window()
    window.resize(800, 600)
    folder = tmp_path / "gone"
    folder.mkdir()
    window._on_folder_unavailable(str(folder))
    message = window.statusBar().currentMessage()
    assert message.endswith("press Remove to forget its photos.")
    qtbot.waitUntil(lambda: any(label.text() == message for label in
                                window.statusBar().findChildren(QLabel)), timeout=2000)
    label = next(label for label in window.statusBar().findChildren(QLabel)
                 if label.text() == message)
    qtbot.waitUntil(lambda: label.isVisible() and label.width() > 0, timeout=2000)

    def fits() -> bool:
        needed = label.fontMetrics().boundingRect(
            QRect(0, 0, label.contentsRect().width(), 10000),
            int(Qt.TextFlag.TextWordWrap), message)
        return (needed.height() <= label.contentsRect().height()
                and window.rect().contains(label.mapTo(window, label.rect().bottomRight())))

    qtbot.waitUntil(fits, timeout=2000)
    # The photo count keeps its place beside it.
    assert label.geometry().right() < window.count_label.geometry().left()


def test_the_status_bar_goes_back_to_one_line(qtbot, make_window):
    window = make_window()
    window.resize(800, 600)
    one_line = window.statusBar().height()
    window.tell("word " * 200)
    qtbot.waitUntil(lambda: window.statusBar().height() > one_line, timeout=2000)
    window.statusBar().clearMessage()
    qtbot.waitUntil(lambda: window.statusBar().height() == one_line, timeout=2000)
