"""Finding similar photos in the real window, as a user does it: a click, a menu, a drop or a
paste, from whichever tab is showing (the real main window offscreen, real photos, SQLite and
the tiny real ONNX model)."""

from __future__ import annotations

import os
import shutil

import pytest
from photos import make_photo
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu
from ui_helpers import drop_on, dropped_files, header, indexed, wait_rows

from desktop_app.ui.models import PathRole

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint)


def row_of(model, path) -> int:
    return next(r for r in range(model.rowCount())
                if model.index(r).data(PathRole) == str(path))


def test_a_photo_dropped_on_another_tab_shows_its_results(qtbot, make_window, library_photos,
                                                          tmp_path):
    """Dropped on the Duplicates tab (or handed over by `lookalike PHOTO` while the Model tab
    showed), the photo was searched on the hidden Library tab: nothing seemed to happen."""
    window = indexed(qtbot, make_window, library_photos, 6)
    outside = make_photo(tmp_path / "elsewhere" / "my-coffee.jpg", "coffee", size=(360, 240))
    window.tabs.setCurrentIndex(1)  # Duplicates
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        drop_on(window.duplicates_panel, dropped_files(outside))
    assert blocker.args[0][0].path == str(library_photos / "coffee.jpg")
    assert window.tabs.currentIndex() == 0 and window.results_panel.isVisible()
    window.tabs.setCurrentIndex(3)  # Model
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_when_ready(str(library_photos / "rocket.jpg"))
    assert window.tabs.currentIndex() == 0 and window.results_panel.isVisible()


def test_a_library_photo_dropped_by_a_symlinked_path_is_searched_as_itself(qtbot, make_window,
                                                                          library_photos,
                                                                          tmp_path):
    """The library keeps real paths; a folder added through a symbolic link (a Pictures link
    to another drive) has its photos dropped by the link's path. Such a photo was called "not
    in the library" and listed itself first, at distance 0."""
    link = tmp_path / "Pictures"
    link.symlink_to(library_photos, target_is_directory=True)
    window = indexed(qtbot, make_window, link, 6)
    assert str(library_photos / "chelsea.jpg") in window.snapshot.paths.values()
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        drop_on(window.grid.viewport(), dropped_files(link / "chelsea.jpg"))
    matches = blocker.args[0]
    assert str(library_photos / "chelsea.jpg") not in [m.path for m in matches]
    assert matches[0].path == str(library_photos / "chelsea-small.jpg")
    assert "not in the library" not in header(window)


def test_the_count_says_when_there_is_nothing_to_compare_with(qtbot, make_window, tmp_path):
    """A photo alone in the library (or one dropped on an empty library) said "none within
    this distance; move the slider right", even with the slider all the way right."""
    window = make_window()
    dropped = make_photo(tmp_path / "elsewhere" / "cat.jpg", "chelsea", size=(300, 200))
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        drop_on(window.grid.viewport(), dropped_files(dropped))
    assert blocker.args[0] == []
    assert "nothing in the library to compare it with yet" in header(window)
    assert "slider" not in header(window)
    folder = tmp_path / "one"
    make_photo(folder / "rocket.jpg", "rocket", size=(300, 400))
    window.add_folder(str(folder))
    wait_rows(qtbot, window, 1)
    qtbot.waitUntil(lambda: len(window.snapshot) == 1, timeout=20000)
    window.results_panel.slider.setValue(window.results_panel.slider.maximum())
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.search_index(window.photos_model.index(0))
    assert blocker.args[0] == []
    assert header(window) == "Photos like rocket.jpg\nnothing in the library to compare it with yet"


def test_the_count_says_when_the_results_were_cut_at_the_most_shown(qtbot, make_window,
                                                                   library_photos):
    """With more look-alikes within the distance than are shown at once, it said "2 found"."""
    window = indexed(qtbot, make_window, library_photos, 6, results_count=2)
    window.results_panel.slider.setValue(window.results_panel.slider.maximum())
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.search_index(window.photos_model.index(
            row_of(window.photos_model, library_photos / "chelsea.jpg")))
    assert len(blocker.args[0]) == 2
    assert header(window).endswith("the 2 closest shown; there may be more within this "
                                   "distance")


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_pasted_quoted_path_is_searched(qtbot, make_window, library_photos, tmp_path, quote):
    """Windows' "Copy as path" puts the path in double quotes, a terminal's dragged file in
    single ones: it was answered "Drop or paste a photo file…" although it named one."""
    window = indexed(qtbot, make_window, library_photos, 6)
    outside = make_photo(tmp_path / "my photos" / "a rocket.jpg", "rocket", size=(300, 400))
    QGuiApplication.clipboard().setText(f"{quote}{outside}{quote}")
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.paste()
    assert blocker.args[0][0].path == str(library_photos / "rocket.jpg")
    assert header(window).startswith("Photos like a rocket.jpg (not in the library)")
    # And a quoted path to nothing is named as such.
    QGuiApplication.clipboard().setText(f"{quote}{tmp_path / 'gone.jpg'}{quote}")
    window.paste()
    assert window.statusBar().currentMessage().startswith(
        f"{tmp_path / 'gone.jpg'}: there is no such file")


def test_a_new_search_takes_down_what_was_said_about_the_last_one(qtbot, make_window,
                                                                  library_photos, tmp_path):
    """"… cannot be read" stayed in the status bar for 20 s over the next photo's results."""
    window = indexed(qtbot, make_window, library_photos, 6)
    broken = tmp_path / "elsewhere" / "broken.jpg"
    broken.parent.mkdir()
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        drop_on(window.grid.viewport(), dropped_files(broken))
    assert "broken.jpg cannot be read" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.search_index(window.photos_model.index(0))
    assert blocker.args[0]
    assert window.statusBar().currentMessage() == ""
    # The message taken down no longer holds the status bar: the next summary is shown (it
    # was only logged for 8 s, as if the message were still there to be read).
    from desktop_app.core.records import IndexReport

    window._on_finished_job("Indexing the album", IndexReport(unchanged=6))
    assert window.statusBar().currentMessage().startswith("Indexed the album: ")
    # A message that is not about the search (another notice since) is left alone.
    window.tell("Imported the model x.")
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_index(window.photos_model.index(1))
    assert window.statusBar().currentMessage() == "Imported the model x."


def test_the_header_shows_the_new_picture_of_a_photo_saved_over(qtbot, make_window,
                                                                library_photos, tmp_path):
    """The results followed the new picture of the file searched with (another photo saved
    over it), but the header kept showing the old picture, unless the library grid happened
    to show that photo."""
    window = indexed(qtbot, make_window, library_photos, 6)
    window.resize(400, 300)  # the library grid shows its first photo or two only
    model, grid = window.photos_model, window.grid
    query = model.photo_at(model.rowCount() - 1)
    qtbot.waitUntil(lambda: not grid.visualRect(model.index(model.rowCount() - 1))
                    .intersects(grid.viewport().rect()), timeout=5000)
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_index(model.index(model.rowCount() - 1))
    label = window.results_panel.query_image
    qtbot.waitUntil(lambda: label.pixmap() is not None and not label.pixmap().isNull(),
                    timeout=10000)
    before = label.pixmap().toImage()
    other = "colorwheel" if "rocket" not in query.path else "astronaut"
    make_photo(tmp_path / "new.jpg", other, size=(300, 300))
    shutil.copy(tmp_path / "new.jpg", library_photos / "incoming.tmp")
    os.replace(library_photos / "incoming.tmp", query.path)  # as editors save
    code = bytes(window.snapshot.index.code_of(query.id))
    qtbot.waitUntil(lambda: bytes(window.snapshot.index.code_of(query.id)) != code,
                    timeout=20000)
    qtbot.waitUntil(lambda: label.pixmap() is not None and not label.pixmap().isNull()
                    and label.pixmap().toImage() != before, timeout=10000)


def while_the_menu_is_open(grid, point, change) -> None:
    """Open the photo menu at `point` of `grid`; while it is open, `change()` the rows, then
    pick Find similar photos (the menu runs its own event loop)."""
    def pick() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, pick)
            return
        change()
        action = next(a for a in menu.actions() if a.text() == "Find similar photos")
        menu.close()
        action.trigger()

    QTimer.singleShot(20, pick)
    grid.customContextMenuRequested.emit(point)


def test_find_similar_in_the_menu_searches_the_photo_it_was_opened_on(qtbot, make_window,
                                                                      library_photos):
    """The menu kept the row it was opened on; the results changed under it while it was open
    (they follow the library every second while it is indexed), and Find similar photos then
    searched whichever photo had come to that row."""
    window = indexed(qtbot, make_window, library_photos, 6)
    window.results_panel.slider.setValue(window.results_panel.slider.maximum())
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_index(window.photos_model.index(
            row_of(window.photos_model, library_photos / "chelsea.jpg")))
    results, grid = window.results_model, window.results_panel.grid
    wanted = results.matches()[0]
    point = grid.visualRect(results.index(0)).center()

    def reordered() -> None:  # as a re-run on a new snapshot may do
        results.set_results(list(reversed(results.matches())))
        assert results.matches()[0] != wanted

    with qtbot.waitSignal(window.results_shown, timeout=10000):
        while_the_menu_is_open(grid, point, reordered)
    assert header(window).startswith(f"Photos like {os.path.basename(wanted.path)}\n")
    # Gone from the list meanwhile: said so, and nothing else is searched.
    first = results.matches()[0]
    before = header(window)
    while_the_menu_is_open(grid, grid.visualRect(results.index(0)).center(),
                           lambda: results.set_results(results.matches()[1:]))
    qtbot.wait(200)
    assert header(window) == before
    assert window.statusBar().currentMessage().startswith(f"{first.path} is no longer shown")
