"""A search that could not be made (a dropped photo that cannot be read, a drop that is not a
photo, no model to search with) and a photo menu action that failed in the Unreadable photos
tab (the file not there) said so in the status bar as routine news: no warning look, not said
as a problem to a screen reader. In the real window offscreen, with real photo files, SQLite
and the tiny real ONNX model."""

from __future__ import annotations

import os

import pytest
from PySide6 import QtGui
from ui_helpers import drop_on, dropped_files, wait_idle, wait_rows

from desktop_app import paths
from desktop_app.core.errors import printable
from desktop_app.ui.models import exact_path

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint)

QAccessibleAnnouncementEvent = getattr(QtGui, "QAccessibleAnnouncementEvent", None)


def said_as_a_problem(window, announced: list[str], start: str) -> None:
    bar = window.statusBar()
    assert bar.currentMessage().startswith(start)
    assert bar.is_problem()
    if QAccessibleAnnouncementEvent is not None:
        assert f"Problem: {bar.currentMessage()}" in announced


def test_a_dropped_photo_that_cannot_be_read_is_a_problem(qtbot, make_window, tmp_path,
                                                          announced):
    broken = tmp_path / "elsewhere" / "broken.jpg"
    broken.parent.mkdir()
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    window = make_window()
    with qtbot.waitSignal(window.results_shown, timeout=20000):
        drop_on(window.grid.viewport(), dropped_files(broken))
    said_as_a_problem(window, announced, f"{broken} cannot be read")


def test_a_drop_that_is_not_a_photo_is_a_problem(qtbot, make_window, tmp_path, announced):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    window = make_window()
    drop_on(window.grid.viewport(), dropped_files(notes))
    said_as_a_problem(window, announced, "notes.txt is not a photo Lookalike can search with")


def test_a_photo_dropped_with_no_model_is_a_problem(qtbot, make_window, library_photos,
                                                    tmp_path, monkeypatch, announced):
    monkeypatch.setattr(paths, "default_model_dir", lambda: tmp_path / "no-default-model")
    window = make_window(model_dir=str(tmp_path / "no-model-here"))
    drop_on(window.grid.viewport(), dropped_files(library_photos / "rocket.jpg"))
    said_as_a_problem(window, announced, "No model is installed")


def test_which_of_several_photos_is_searched_is_routine(qtbot, make_window, library_photos):
    """What is only news keeps the plain look."""
    window = make_window()
    with qtbot.waitSignal(window.results_shown, timeout=20000):
        drop_on(window.grid.viewport(), dropped_files(library_photos / "rocket.jpg",
                                                      library_photos / "coffee.jpg"))
    assert window.statusBar().currentMessage().startswith("Searching with rocket.jpg")
    assert not window.statusBar().is_problem()


def test_the_unreadable_photos_menu_says_a_missing_file_as_a_problem(
        qtbot, make_window, library_photos, announced):
    broken = library_photos / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    window = make_window()
    window.add_folder(str(library_photos))
    table = window.failed_panel.table
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=60000)
    wait_idle(qtbot, window)
    broken.unlink()  # deleted since (or its drive unplugged)
    index = table.model().index(0, 0)
    actions = dict(table.actions_for(index))
    actions["Copy path"]()  # routine
    assert window.statusBar().currentMessage() == f"Copied {broken}"
    assert not window.statusBar().is_problem()
    actions["Show in file manager"]()
    said_as_a_problem(window, announced, f"{broken}: the file is not there")
    window.statusBar().clearMessage()
    table.activated.emit(index)  # Enter, or a double-click: opened
    said_as_a_problem(window, announced, f"{broken}: the file is not there")


def test_the_grids_photo_menu_says_a_missing_file_as_a_problem(
        qtbot, make_window, library_photos, announced):
    """The library grid's (and the results grid's) menu told its failures as routine news."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    index = window.grid.model().index(0, 0)
    actions = dict(window.grid.actions_for(index))
    actions["Copy path"]()  # routine
    assert window.statusBar().currentMessage().startswith("Copied ")
    assert not window.statusBar().is_problem()
    os.unlink(exact_path(index))  # deleted since (or its drive unplugged)
    actions["Open with default viewer"]()
    said_as_a_problem(window, announced, printable(exact_path(index)) + ": the file is not there")
