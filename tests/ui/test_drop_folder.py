"""A folder dropped or pasted on the window is offered for watching, and added as Add… under
Watched folders adds one; in the real window offscreen with real photo files, SQLite and the
tiny real ONNX model."""

from __future__ import annotations

import pytest
from photos import make_photo
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from ui_helpers import answer_question, drop_on, dropped_files, header, indexed, wait_rows

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint)


def trip(folder, *names):
    for i, name in enumerate(names):
        make_photo(folder / f"{i}.jpg", name, size=(200 + 10 * i, 150))
    return folder


def test_a_folder_dropped_is_watched_and_indexed_when_asked(qtbot, make_window, tmp_path):
    """A folder dropped was only explained ("That is a folder: … add the folder under Watched
    folders"): the user had to find Add… and pick the same folder again."""
    folder = trip(tmp_path / "Trip to Oslo", "rocket", "coffee")
    window = make_window()
    asked: list[str] = []
    answer_question("Watch", asked)
    drop_on(window.grid.viewport(), dropped_files(folder))
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert asked == [f"Watch {folder} and index its photos?"]
    assert window.settings.watched_folders == [str(folder)]
    assert window.folders_panel.folders() == [str(folder)]
    wait_rows(qtbot, window, 2)


def test_a_folder_pasted_as_a_path_is_asked_about_and_cancel_adds_nothing(qtbot, make_window,
                                                                          tmp_path):
    folder = trip(tmp_path / "pasted", "rocket")
    window = make_window()
    asked: list[str] = []
    answer_question("Cancel", asked)
    QGuiApplication.clipboard().setText(f"{folder}/\n")  # as a file manager's Copy path may
    window.paste()
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5000)
    assert asked == [f"Watch {folder} and index its photos?"]
    assert window.settings.watched_folders == []
    assert window.photos_model.rowCount() == 0


def test_several_folders_dropped_are_one_question(qtbot, make_window, tmp_path):
    first = trip(tmp_path / "one", "rocket", "coffee")
    second = trip(tmp_path / "two", "chelsea")
    window = make_window()
    asked: list[str] = []
    answer_question("Watch", asked)
    drop_on(window.grid.viewport(), dropped_files(first, second))
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert asked == ["Watch these 2 folders and index their photos?"]
    assert sorted(window.settings.watched_folders) == [str(first), str(second)]
    wait_rows(qtbot, window, 3)


def test_a_folder_already_watched_is_said_not_asked(qtbot, make_window, library_photos):
    window = indexed(qtbot, make_window, library_photos, 6)
    inner = library_photos / "inner"
    inner.mkdir()
    inside = f"{inner} is inside {library_photos}, which is already watched"
    for folder, said in ((library_photos, f"{library_photos} is already watched"),
                         (inner, inside)):
        drop_on(window.grid.viewport(), dropped_files(folder))
        assert QApplication.activeModalWidget() is None  # nothing asked
        assert window.statusBar().currentMessage() == (
            f"{said}: its photos are in the library. Drop one photo to search with it.")
    assert window.settings.watched_folders == [str(library_photos)]


def test_photos_dropped_with_a_folder_search_the_first_and_say_the_folder(qtbot, make_window,
                                                                         library_photos,
                                                                         tmp_path):
    window = indexed(qtbot, make_window, library_photos, 6)
    folder = trip(tmp_path / "Trip", "chelsea")
    rocket = make_photo(tmp_path / "out" / "my rocket.jpg", "rocket", size=(300, 400))
    mime = dropped_files(folder, rocket, library_photos / "coffee.jpg")
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        drop_on(window.grid.viewport(), mime)
    assert QApplication.activeModalWidget() is None  # nothing asked
    assert blocker.args[0][0].path == str(library_photos / "rocket.jpg")
    assert header(window).startswith("Photos like my rocket.jpg (not in the library)")
    assert window.statusBar().currentMessage() == (
        "Searching with my rocket.jpg, the first of the 2 photos given; the folder Trip was "
        "not added (drop a folder on its own to watch it).")
    assert window.settings.watched_folders == [str(library_photos)]
    # A new search takes the line down, as the search's own notes.
    window.grid.setCurrentIndex(window.photos_model.index(0))
    window.search_index(window.photos_model.index(0))
    assert window.statusBar().currentMessage() == ""


def test_a_dropped_folder_goes_through_the_panels_add(qtbot, make_window, tmp_path):
    """Watch adds the folder the way the Watched folders panel's Add… does (its checks and
    messages), not by a way of its own."""
    folder = trip(tmp_path / "via panel", "rocket")
    window = make_window()
    added: list = []
    window.folders_panel.add_requested.connect(lambda *args: added.append(args))
    answer_question("Watch", [])
    mime = QMimeData()
    mime.setText(str(folder))
    drop_on(window.grid.viewport(), mime)
    qtbot.waitUntil(lambda: bool(added), timeout=5000)
    assert added == [(str(folder), False)]
    wait_rows(qtbot, window, 1)
