"""F1's list of keys fits on the screen: QMessageBox fixed its size to the whole list, 1,480
pixels tall at its width, its last rows and its Close button below any laptop's screen."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

from desktop_app.ui.keys_help import show_keys


def test_the_keys_list_and_its_close_button_fit_on_the_screen(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    box = show_keys(parent)
    qtbot.waitExposed(box)
    screen = box.screen().availableGeometry()
    assert box.frameGeometry().height() <= screen.height()
    assert box.frameGeometry().width() <= screen.width()
    # Every row is still there, the last reached by scrolling.
    scroll = box.findChild(QScrollArea, "keys-list")
    assert scroll is not None and scroll.isVisible()
    assert scroll.widget().findChild(QLabel) is None  # the list is the scrolled label itself
    assert scroll.widget().text() == box.text()
    assert "This list" in box.text()
    bar = scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert scroll.widget().height() - bar.value() <= scroll.viewport().height()
    box.close()
