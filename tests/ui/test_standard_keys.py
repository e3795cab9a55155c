"""The platform's standard keys for help and quitting."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.settings import Settings


def active_window(qtbot, make_window):
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    return window


def test_f1_lists_the_keys_and_escape_closes_the_list(qtbot, make_window):
    """F1 did nothing, and with no menu bar the keys (Shift+F10, Delete in the duplicates...)
    could only be found in the docs."""
    window = active_window(qtbot, make_window)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    box = window.findChild(QMessageBox, "keyboard-shortcuts")
    assert box is not None and box.isVisible()
    for named in ("Ctrl+O", "Ctrl+V", "Shift+F10", "Del", "Ctrl+Z", "F1"):
        assert f"<b>{named}" in box.text(), named
    assert "Unreadable photos: open the photo" in box.text()  # every key the app answers
    # The list stays open beside the window, which it does not block: open() made it
    # window-modal, so the window took no key (F1 again, Ctrl+L) until it was closed.
    assert box.windowModality() == Qt.WindowModality.NonModal
    assert QApplication.activeModalWidget() is None
    qtbot.keyClick(window, Qt.Key.Key_F1)  # again: the same list, not a second one
    assert window.findChildren(QMessageBox) == [box]
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is None, timeout=5000)


def test_the_quit_key_closes_the_window_and_saves_its_settings(qtbot, make_window):
    """Ctrl+Q (Cmd+Q on a Mac) did nothing."""
    window = active_window(qtbot, make_window)
    assert Settings.load().window_geometry == ""
    keys = QKeySequence(QKeySequence.StandardKey.Quit)
    shortcut = next(s for s in window.findChildren(QShortcut) if s.key() == keys)
    if keys.isEmpty():  # Windows has none (Alt+F4 is the window manager's); nor has offscreen
        shortcut.activated.emit()
    else:
        qtbot.keyClick(window, keys[0].key(), keys[0].keyboardModifiers())
    assert not window.isVisible()
    assert Settings.load().window_geometry != ""
    assert not window.thread_.isRunning()  # the indexer stopped, as when the window is closed
