"""Zooming the grids: Ctrl+Plus and Ctrl+Minus (Ctrl+=, Ctrl+wheel) step the thumbnails bigger
or smaller, Ctrl+0 brings back the usual size, and the size is kept for the next start. Before,
it could only be changed in settings.json, with a restart."""

from __future__ import annotations

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from ui_helpers import ctrl_wheel, wait_idle, wait_rows

from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier
QAccessibleAnnouncementEvent = getattr(QtGui, "QAccessibleAnnouncementEvent", None)


@pytest.fixture
def window(qtbot, make_window, library_photos):
    """The real window, active (its shortcuts answer), its six photos indexed and shown with
    their thumbnails."""
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    wait_thumbnails(qtbot, window.grid, 160)
    return window


def decorations(grid) -> list[int]:
    """The widths of the pictures the grid is handed for its photos, as it paints them."""
    model = grid.model()
    return [model.index(row).data(Qt.ItemDataRole.DecorationRole).width()
            for row in range(model.rowCount())]


def wait_thumbnails(qtbot, grid, edge: int) -> None:
    """Until every photo's thumbnail (not its placeholder) has `edge` pixels."""
    cache = grid.window().thumbnails

    def made() -> bool:
        model = grid.model()
        paths = [model.photo_at(row).path for row in range(model.rowCount())]
        return (all(cache.pixmap(p) is not None for p in paths)
                and decorations(grid) == [edge] * len(paths))

    qtbot.waitUntil(made, timeout=10000)


def press(qtbot, widget, key, modifier=CTRL) -> None:
    qtbot.keyClick(widget, key, modifier)


def test_ctrl_plus_makes_thumbnails_bigger_and_ctrl_0_brings_back_the_usual_size(
        qtbot, window):
    grid = window.grid
    grid.setFocus()
    cell = grid.gridSize()
    press(qtbot, grid, Qt.Key.Key_Plus)
    assert grid.iconSize().width() == 208
    assert grid.gridSize().width() > cell.width() and grid.gridSize().height() > cell.height()
    # Made again at that size, not the 160-pixel ones stretched.
    wait_thumbnails(qtbot, grid, 208)
    assert window.results_panel.grid.iconSize().width() == 208
    assert window.duplicates_panel.tree.iconSize().width() == 208
    assert Settings.load().thumbnail_size == 208
    assert QApplication.focusWidget() is grid  # the keys leave the focus where it was
    press(qtbot, grid, Qt.Key.Key_Equal)  # Ctrl+Plus without Shift on most keyboards
    assert grid.iconSize().width() == 256
    press(qtbot, grid, Qt.Key.Key_Minus, CTRL | Qt.KeyboardModifier.KeypadModifier)
    assert grid.iconSize().width() == 208  # the keypad's too
    press(qtbot, grid, Qt.Key.Key_0)
    assert grid.iconSize().width() == 160 and grid.gridSize() == cell
    wait_thumbnails(qtbot, grid, 160)
    assert Settings.load().thumbnail_size == 160


def test_ctrl_minus_steps_down_from_anywhere_in_the_window(qtbot, window):
    """The Duplicates tab's distance box has the focus: the keys still zoom."""
    window.tabs.setCurrentIndex(1)
    spin = window.duplicates_panel.distance_spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=5000)
    before = spin.value()
    press(qtbot, spin, Qt.Key.Key_Minus)
    assert window.thumbnails.edge == 128
    assert window.duplicates_panel.tree.iconSize().width() == 128
    assert spin.value() == before and spin.hasFocus()
    window.tabs.setCurrentIndex(0)
    wait_thumbnails(qtbot, window.grid, 128)


def test_the_size_is_used_at_the_next_start(qtbot, window):
    press(qtbot, window.grid, Qt.Key.Key_Plus)
    press(qtbot, window.grid, Qt.Key.Key_Plus)
    window.close()  # as the user quits
    again = MainWindow()  # the settings.json the first one saved
    qtbot.addWidget(again)
    try:
        again.show()
        qtbot.waitUntil(lambda: again._opened, timeout=60000)
        assert again.thumbnails.edge == 256
        assert again.grid.iconSize().width() == 256
        wait_rows(qtbot, again, 6)
        wait_thumbnails(qtbot, again.grid, 256)
    finally:
        again.shutdown()


def test_ctrl_wheel_over_a_grid_zooms_a_step_a_notch(qtbot, window):
    grid = window.results_panel.grid
    ctrl_wheel(grid, 120)
    assert window.thumbnails.edge == 208
    ctrl_wheel(grid, -60)  # half a notch of a touchpad: not yet
    assert window.thumbnails.edge == 208
    ctrl_wheel(grid, -60)
    assert window.thumbnails.edge == 160
    assert window.grid.iconSize().width() == 160


def test_the_smallest_and_largest_sizes_stop_the_keys(qtbot, window):
    for _ in range(10):
        press(qtbot, window.grid, Qt.Key.Key_Plus)
    assert window.thumbnails.edge == 400
    for _ in range(10):
        press(qtbot, window.grid, Qt.Key.Key_Minus)
    assert window.thumbnails.edge == 96


@pytest.mark.skipif(QAccessibleAnnouncementEvent is None,
                    reason="Qt before 6.8 has no announcements")
def test_a_screen_reader_is_told_the_new_size(qtbot, window, announced):
    press(qtbot, window.grid, Qt.Key.Key_Plus)
    assert announced[-1] == "Thumbnails 208 pixels"
    press(qtbot, window.grid, Qt.Key.Key_0)
    assert announced[-1] == "Thumbnails 160 pixels"
    window.zoom_thumbnails(-10)
    window.zoom_thumbnails(-1)
    assert announced[-1] == "Thumbnails 96 pixels (the smallest)"


def test_f1_lists_the_zoom_keys(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_F1)
    box = window.findChild(QMessageBox, "keyboard-shortcuts")
    for named in ("Ctrl++, Ctrl+-, Ctrl+wheel", "Ctrl+0"):
        assert f"<b>{named}</b>" in box.text(), named
    box.close()
