"""The photo menu opened from the keyboard acts on the current photo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication
from ui_helpers import pick_from_menu, wait_idle, wait_rows

from desktop_app.ui.models import PathRole


def copy_path_from_the_menu(qtbot, open_menu) -> str:
    """Open the menu with `open_menu()`, pick Copy path, and return what was copied."""
    pick_from_menu(qtbot, open_menu, "Copy path")
    return QGuiApplication.clipboard().text()


def test_shift_f10_and_the_menu_key_open_the_current_photos_menu(qtbot, make_window,
                                                                 library_photos):
    """Shift+F10 did nothing (Qt on Linux does not make it a context-menu event), so on a
    laptop without a Menu key the photo menu needed a mouse; the Menu key's event is placed
    at the mouse pointer by X11, and the menu must still be the current photo's."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    grid, model = window.grid, window.photos_model
    grid.setFocus()
    grid.setCurrentIndex(model.index(5))
    current = model.index(5).data(PathRole)
    assert copy_path_from_the_menu(qtbot, lambda: qtbot.keyClick(
        grid, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)) == current
    QGuiApplication.clipboard().clear()
    pointer = grid.visualRect(model.index(0)).center()  # over another photo
    assert copy_path_from_the_menu(qtbot, lambda: QApplication.sendEvent(
        grid, QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, pointer,
                                grid.mapToGlobal(pointer)))) == current
    # A screen reader says how, after "Library, list".
    for view in (grid, window.results_panel.grid):
        assert "Shift+F10" in QAccessible.queryAccessibleInterface(view).text(
            QAccessible.Text.Description)
