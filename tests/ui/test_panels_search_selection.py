"""The library grid shows which photo the results are for: after a photo from outside the
library was dropped or pasted, the photo clicked before stayed selected (and current) in the
grid, as if the results were its look-alikes. Real MainWindow (offscreen), tiny ONNX model,
real photo files."""

from __future__ import annotations

from photos import make_photo
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QGuiApplication, QImage
from ui_helpers import drop_on, dropped_files, header, indexed

from desktop_app.ui.models import PhotoIdRole


def click_photo(qtbot, window, row: int):
    grid = window.grid
    index = window.photos_model.index(row)
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton,
                         pos=grid.visualRect(index).center())
    assert grid.selectionModel().selectedIndexes() == [index]
    assert grid.currentIndex() == index
    return index


def test_a_photo_from_outside_clears_the_grids_choice(qtbot, make_window, library_photos,
                                                      tmp_path):
    window = indexed(qtbot, make_window, library_photos, 6)
    grid = window.grid
    click_photo(qtbot, window, 2)
    outside = make_photo(tmp_path / "elsewhere" / "my-rocket.jpg", "rocket", size=(300, 400))
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        drop_on(grid.viewport(), dropped_files(outside))
    assert "my-rocket.jpg" in header(window)
    assert grid.selectionModel().selectedIndexes() == []
    assert not grid.currentIndex().isValid()  # no focus frame left on it either
    # Pasted image data is not a library photo either.
    click_photo(qtbot, window, 1)
    mime = QMimeData()
    mime.setImageData(QImage(str(outside)))
    QGuiApplication.clipboard().setMimeData(mime)
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.paste()
    assert "the pasted image" in header(window)
    assert grid.selectionModel().selectedIndexes() == [] and not grid.currentIndex().isValid()


def test_a_library_photo_searched_keeps_the_grids_choice(qtbot, make_window, library_photos):
    """A click (the photo picked is the one searched), and a library photo dropped: it is
    searched as itself, and the grid is left as the user left it."""
    window = indexed(qtbot, make_window, library_photos, 6)
    grid = window.grid
    index = click_photo(qtbot, window, 3)
    clicked = window.photos_model.index(3).data(Qt.ItemDataRole.DisplayRole)
    assert clicked in header(window)
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        drop_on(grid.viewport(), dropped_files(library_photos / "coffee.jpg"))
    assert window.search.searched_photo_id is not None
    assert grid.selectionModel().selectedIndexes() == [index] and grid.currentIndex() == index


def row_named(window, name: str) -> int:
    model = window.photos_model
    return next(r for r in range(model.rowCount())
                if model.photo_at(r).path.endswith(f"/{name}"))


def test_another_library_photo_searched_clears_the_grids_choice(qtbot, make_window,
                                                                library_photos):
    """Found in review: a library photo dropped (from a file manager) that is not the one
    picked, or a look-alike clicked in the results, left the photo clicked before picked beside
    results that were not its. Escape from the results still goes to the photo searched."""
    window = indexed(qtbot, make_window, library_photos, 6)
    grid, results = window.grid, window.results_panel.grid
    click_photo(qtbot, window, row_named(window, "chelsea.jpg"))
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        drop_on(grid.viewport(), dropped_files(library_photos / "rocket.jpg"))
    assert "rocket.jpg" in header(window)
    assert grid.selectionModel().selectedIndexes() == [] and not grid.currentIndex().isValid()
    # A look-alike clicked in the results: the grid's photo is not the one searched either.
    click_photo(qtbot, window, row_named(window, "chelsea.jpg"))
    window.results_panel.slider.setValue(window.results_panel.slider.maximum())
    qtbot.waitUntil(lambda: window.results_model.rowCount() == 5, timeout=10000)
    result = window.results_model.index(0)
    searched = result.data(PhotoIdRole)
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        qtbot.mouseClick(results.viewport(), Qt.MouseButton.LeftButton,
                         pos=results.visualRect(result).center())
    assert window.search.searched_photo_id == searched
    assert grid.selectionModel().selectedIndexes() == [] and not grid.currentIndex().isValid()
    results.setFocus()
    qtbot.keyClick(results, Qt.Key.Key_Escape)  # back to the grid, on the photo searched
    assert grid.hasFocus()
    assert grid.currentIndex().data(PhotoIdRole) == searched
