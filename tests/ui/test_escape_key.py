"""Escape steps back: from the results to the library grid, then clears the search. It never
stops a job or drops what was chosen elsewhere."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QMessageBox
from ui_helpers import wait_idle, wait_rows

from desktop_app.ui.results_panel import HINT


def indexed_window(qtbot, make_window, library_photos):
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # the focus follows the keys
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    return window


def row_named(window, name: str) -> int:
    model = window.photos_model
    return next(r for r in range(model.rowCount())
                if model.photo_at(r).path.endswith(f"/{name}"))


def test_escape_goes_from_the_results_to_the_photo_searched_for_then_clears_the_search(
        qtbot, make_window, library_photos, monkeypatch):
    """Escape did nothing: there was no key back from the results, nor one to put the
    results away."""
    said: list[str] = []  # announcements (Qt 6.8+): the focus stays, so nothing else is read
    announcement = getattr(QtGui, "QAccessibleAnnouncementEvent", None)
    send = QAccessible.updateAccessibility
    monkeypatch.setattr(QAccessible, "updateAccessibility", lambda event: (
        said.append(event.message()) if announcement and isinstance(event, announcement)
        else None, send(event)))
    window = indexed_window(qtbot, make_window, library_photos)
    window.results_panel.slider.setValue(window.results_panel.slider.maximum())
    grid, results = window.grid, window.results_panel.grid
    grid.setFocus()
    grid.setCurrentIndex(window.photos_model.index(row_named(window, "chelsea.jpg")))
    with qtbot.waitSignal(window.results_shown, timeout=5000):
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    grid.setCurrentIndex(window.photos_model.index(row_named(window, "coffee.jpg")))
    results.setFocus()
    results.setCurrentIndex(window.results_model.index(2))
    assert QApplication.focusWidget() is results

    qtbot.keyClick(results, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is grid
    assert grid.currentIndex().row() == row_named(window, "chelsea.jpg")  # searched for
    assert window.results_model.rowCount() == 5  # the results stay, to go back to (Ctrl+R)
    assert "chelsea.jpg" in window.results_panel.query_label.text()

    with qtbot.waitSignal(window.results_shown, timeout=5000) as shown:
        qtbot.keyClick(grid, Qt.Key.Key_Escape)
    assert shown.args[0] == []
    assert window.results_model.rowCount() == 0
    assert window.results_panel.query_label.text() == HINT
    assert said[-1] == "Search cleared." or announcement is None
    assert grid.hasFocus() and grid.currentIndex().row() == row_named(window, "chelsea.jpg")
    assert window.photos_model.rowCount() == 6  # the library is untouched
    qtbot.keyClick(grid, Qt.Key.Key_Escape)  # nothing left to clear: nothing happens
    assert window.photos_model.rowCount() == 6 and grid.hasFocus()
    # Enter searches again with the photo, as before.
    with qtbot.waitSignal(window.results_shown, timeout=5000) as shown:
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert len(shown.args[0]) == 5


def test_escape_elsewhere_keeps_the_duplicates_and_their_ticks(qtbot, make_window,
                                                               library_photos):
    window = indexed_window(qtbot, make_window, library_photos)
    window.tabs.setCurrentIndex(1)
    panel = window.duplicates_panel
    with qtbot.waitSignal(window.duplicates_shown, timeout=10000) as found:
        panel.find_button.click()
    assert len(found.args[0]) == 1
    ticked = panel.checked_paths()
    assert ticked  # the copy to move to the trash is ticked
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Escape)
    assert window.tabs.currentIndex() == 1
    assert panel.checked_paths() == ticked and panel.shows_groups()


def test_escape_is_in_the_keys_list(qtbot, make_window):
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    box = window.findChild(QMessageBox, "keyboard-shortcuts")
    assert "<b>Esc</b></td><td>From the results: back to the library grid" in box.text()


def test_escape_clears_what_was_said_about_a_photo_named_with_an_override(qtbot, make_window,
                                                                          library_photos,
                                                                          tmp_path):
    """The status bar shows the notice escaped (\\u202e), the search kept it as said: the two
    never matched, so the notice about a photo that could not be read stayed after Escape."""
    window = indexed_window(qtbot, make_window, library_photos)
    bad = tmp_path / "scan\u202egpj.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_file(str(bad))
    assert "scan\\u202egpj.jpg cannot be read" in window.statusBar().currentMessage()
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_Escape)
    assert window.results_panel.query_label.text() == HINT
    assert window.statusBar().currentMessage() == ""
