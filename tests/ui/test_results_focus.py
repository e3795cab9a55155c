"""Searching again from a result keeps the focus on the results, on a row."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui_helpers import wait_idle, wait_rows


def test_enter_on_a_result_leaves_the_focus_on_the_first_new_result(qtbot, make_window,
                                                                    library_photos):
    """The new results replaced the list under the focus and it had no current row: nothing
    was highlighted, a screen reader said nothing, and the arrows started from the top."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    window.results_panel.slider.setValue(window.results_panel.slider.maximum())
    grid, results = window.grid, window.results_panel.grid
    grid.setFocus()
    grid.setCurrentIndex(window.photos_model.index(0))
    with qtbot.waitSignal(window.results_shown, timeout=5000):
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    results.setFocus()
    results.setCurrentIndex(window.results_model.index(2))
    with qtbot.waitSignal(window.results_shown, timeout=5000) as shown:
        qtbot.keyClick(results, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert shown.args[0] and results.hasFocus()
    assert results.currentIndex().row() == 0
    assert results.selectionModel().isSelected(results.currentIndex())
