"""The Library tab as a new user first sees it: hints where there is nothing yet, lined up."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from ui_helpers import indexed

from desktop_app.ui.main_window import EMPTY_LIBRARY
from desktop_app.ui.models import ResultsModel
from desktop_app.ui.results_panel import HINT, ResultsPanel


def colours(image) -> set[int]:
    return {image.pixel(x, y) for x in range(0, image.width(), 3)
            for y in range(0, image.height(), 3)}


def test_an_empty_library_grid_says_what_to_do(qtbot, make_window):
    """Before any folder is added the grid was a blank white area, no hint in it."""
    window = make_window()
    window.resize(800, 600)
    viewport = window.grid.viewport()
    qtbot.waitUntil(lambda: viewport.width() > 100, timeout=2000)
    assert len(colours(viewport.grab().toImage())) > 1  # the hint's text is painted
    # All of it fits, in an 800-pixel window too.
    room = viewport.rect().adjusted(24, 24, -24, -24)
    needed = window.grid.fontMetrics().boundingRect(
        room, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), EMPTY_LIBRARY)
    assert room.contains(needed)


def test_a_library_with_folders_gets_no_hint_while_its_photos_come(qtbot, make_window,
                                                                   tmp_path):
    """At start the grid is empty until the library's photos are read (seconds at 200,000),
    and while a folder is walked: it said "No photos yet. Add a folder…" to such a library."""
    window = make_window()
    assert window.grid.empty_text == EMPTY_LIBRARY
    folder = tmp_path / "still-empty"
    folder.mkdir()
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.grid.empty_text == "", timeout=5000)
    window.shutdown()
    again = make_window()  # started with a watched folder: no hint from the start
    assert again.grid.empty_text == ""


def test_the_grid_with_photos_shows_no_hint(qtbot, make_window, library_photos):
    window = indexed(qtbot, make_window, library_photos, 6)
    window.grid.clearSelection()
    window.grid.setCurrentIndex(window.photos_model.index(-1))
    image = window.grid.viewport().grab().toImage()
    # The hint's spot, below the photos of a wide grid: plain background.
    last = window.grid.visualRect(window.photos_model.index(5))
    below = image.copy(0, last.bottom() + 20, image.width(),
                       max(image.height() - last.bottom() - 20, 1))
    assert len(colours(below)) == 1


def test_the_results_hint_starts_at_the_panel_edge(qtbot):
    """Before any search an empty 72-pixel picture square pushed the hint to the right of
    where "Max distance" starts below it."""
    panel = ResultsPanel(ResultsModel(None))
    qtbot.addWidget(panel)
    panel.resize(480, 600)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.query_label.text() == HINT
    max_label = next(label for label in panel.findChildren(QLabel)
                     if label.text() == "Max distance")
    assert panel.query_label.geometry().left() == max_label.geometry().left()
    panel.show_query("/photos/cat.jpg", None)  # its thumbnail on its way: its place kept
    assert panel.query_image.isVisible()
    panel.show_hint()
    assert not panel.query_image.isVisible()
