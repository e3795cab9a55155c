"""The start-up notice of an unfinished training, by keyboard: its buttons in the status bar
are reached with Tab, pressed with Enter as well as Space, and when the notice goes the focus
lands on the library grid, not on the first widget of the window (or nowhere)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from ui_helpers import three_albums

from desktop_app.ui import unfinished_runs


def remembered_run(albums):
    out = unfinished_runs.new_output_dir()
    (out / "training").mkdir(parents=True)
    (out / "training" / "checkpoint.pt").write_bytes(b"a checkpoint")
    unfinished_runs.remember(str(albums), out)
    return out


def notice_button(window, text: str) -> QPushButton:
    [button] = [b for b in window.statusBar().findChildren(QPushButton)
                if b.text().startswith(text) and b.isVisible()]
    return button


def tab_to(qtbot, window, button: QPushButton, most: int = 60) -> None:
    """Press Tab from the library grid until `button` has the focus (it must come)."""
    window.grid.setFocus(Qt.FocusReason.TabFocusReason)
    for _ in range(most):
        if QApplication.focusWidget() is button:
            return
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    pytest.fail(f"Tab never reached {button.text()!r}")


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space])
def test_dismiss_by_keyboard_leaves_the_focus_on_the_library(qtbot, make_window, tmp_path, key):
    remembered_run(three_albums(tmp_path / "albums"))
    window = make_window()
    with qtbot.waitActive(window):
        window.activateWindow()
    dismiss = notice_button(window, "Dismiss")
    tab_to(qtbot, window, dismiss)
    qtbot.keyClick(dismiss, key)
    qtbot.waitUntil(lambda: not dismiss.isVisible(), timeout=2000)
    assert window.settings.dismissed_training  # pressed, not only focused
    assert QApplication.focusWidget() is window.grid


def test_continue_by_enter_opens_the_dialog_and_the_focus_comes_back_to_the_library(
        qtbot, make_window, tmp_path):
    albums = three_albums(tmp_path / "albums")
    remembered_run(albums)
    window = make_window()
    with qtbot.waitActive(window):
        window.activateWindow()
    button = notice_button(window, "Continue training")
    tab_to(qtbot, window, button)
    qtbot.keyClick(button, Qt.Key.Key_Return)
    dialog = window.retrain_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.albums_edit.text() == str(albums)
    dialog.process.stop_and_wait()  # its look inside
    dialog.close()
    with qtbot.waitActive(window):
        window.activateWindow()
    assert QApplication.focusWidget() is window.grid  # not the button, gone with the notice
