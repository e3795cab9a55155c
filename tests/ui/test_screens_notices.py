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


def test_a_name_with_no_space_does_not_widen_the_window(qtbot, make_window):
    """A name with nowhere to wrap (255 bytes not in UTF-8 show as 1,020 characters) was the
    label's least width: the window grew to thousands of pixels and stayed so."""
    window = make_window()
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.width() == 800, timeout=2000)
    name = "/photos/" + "\\xe9" * 255 + ".jpg"
    window.tell(f"{name} cannot be read: select it and press Remove.")
    label = window.statusBar().notice
    qtbot.waitUntil(lambda: label.text().endswith("press Remove."), timeout=2000)
    qtbot.wait(100)
    assert window.minimumSizeHint().width() < 800
    assert window.width() == 800
    assert window.rect().contains(label.mapTo(window, label.rect().bottomRight()))
    assert label.toolTip() == window.statusBar().currentMessage()  # the whole of it


def test_a_notice_of_many_lines_leaves_the_window_its_photos(qtbot, make_window):
    """A path of 4,000 characters wrapped onto 40 lines: the status bar took the window."""
    window = make_window()
    window.resize(800, 600)
    path = "/".join(f"folder{i:03d}" for i in range(400))
    window.tell(f"The watched folder {path} is not there any more: select it and press "
                "Remove to forget its photos.")
    label = window.statusBar().notice
    qtbot.waitUntil(lambda: label.text().endswith("forget its photos."), timeout=2000)
    qtbot.wait(100)
    assert label.text().startswith("The watched folder folder000/")
    lines = label.fontMetrics().lineSpacing()
    assert window.statusBar().height() < 5 * lines + 12
    assert window.tabs.height() > 300
    shown = label.text()
    window.resize(1600, 600)  # room for more of it
    qtbot.waitUntil(lambda: len(label.text()) > len(shown), timeout=2000)
