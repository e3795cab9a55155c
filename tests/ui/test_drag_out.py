"""Photos dragged out of the library grid and the results as files (to a file manager, a mail,
a chat), in the real window offscreen with real photos, SQLite and the tiny real ONNX model.
QDrag.exec would wait for a real drag: what it carries (the grid's drag_mime, the models'
mimeData), the actions offered and the drops back on the window are tested instead."""

from __future__ import annotations

import os
import shlex

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from ui_helpers import drop_on, dropped_files, header, indexed

from desktop_app.ui.dropped import local_path
from desktop_app.ui.models import RecordRole

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint)

CAFE = b"caf\xe9.jpg"  # a name that is not UTF-8


@pytest.fixture
def library(library_photos):
    with open(os.fsencode(library_photos) + b"/" + CAFE, "wb") as f:
        f.write((library_photos / "coffee.jpg").read_bytes())
    return library_photos


@pytest.fixture
def window(qtbot, make_window, library):
    return indexed(qtbot, make_window, library, 7)


def exact(model, name: bytes | str) -> str:
    """The photo's path as the library holds it (its record's: Qt's string loses odd bytes)."""
    want = os.fsencode(name) if isinstance(name, str) else name
    for r in range(model.rowCount()):
        path = model.photo_at(r).path if hasattr(model, "photo_at") else model.matches()[r].path
        if os.fsencode(os.path.basename(path)) == want:
            return path
    raise AssertionError(name)


def index_of(model, name) -> QModelIndex:
    path = exact(model, name)
    for r in range(model.rowCount()):
        if model.index(r).data(RecordRole).path == path:
            return model.index(r)
    raise AssertionError(name)


def pick(grid, *names) -> None:
    chosen = grid.selectionModel()
    chosen.clear()
    for name in names:
        chosen.select(index_of(grid.model(), name), QItemSelectionModel.SelectionFlag.Select)


def test_the_library_gives_the_selected_photos_as_files(window):
    """No photo could be dragged out: the models gave no mimeData and the grids no drag."""
    model, library = window.photos_model, window.grid
    picked = [index_of(model, "rocket.jpg"), index_of(model, CAFE)]
    mime = model.mimeData(picked)
    rocket, cafe = exact(model, "rocket.jpg"), exact(model, CAFE)
    in_rows = sorted([rocket, cafe], key=lambda p: model.row_of_path(p))  # the grid's order
    assert [local_path(url) for url in mime.urls()] == in_rows
    # The odd byte percent-encoded, as a file manager writes it (not U+FFFD: another file).
    assert mime.urls()[in_rows.index(cafe)].toEncoded().endsWith(b"/caf%E9.jpg")
    # The paths as text, one a line; the odd name quoted for a shell, as Copy path writes it.
    lines = mime.text().splitlines()
    assert lines[in_rows.index(cafe)] == f"$'{os.path.dirname(rocket)}/caf\\xe9.jpg'"
    assert shlex.split(lines[in_rows.index(rocket)]) == [rocket]
    assert bytes(mime.data("x-special/gnome-copied-files")).startswith(b"copy\nfile://")
    assert model.flags(picked[0]) & Qt.ItemFlag.ItemIsDragEnabled
    assert library.dragEnabled()
    assert library.selectionMode() == library.SelectionMode.ExtendedSelection


def test_a_drag_is_a_copy_never_a_move(qtbot, window):
    """QStringListModel offers a move: a file manager would have moved the user's photo out of
    its folder (and the view removed its row)."""
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_index(index_of(window.photos_model, "rocket.jpg"))
    for model in (window.photos_model, window.results_panel.model):
        assert model.supportedDragActions() == Qt.DropAction.CopyAction
        assert model.supportedDropActions() == Qt.DropAction.IgnoreAction
    assert window.grid.defaultDropAction() == Qt.DropAction.CopyAction


def test_the_results_give_their_photos_as_files(qtbot, window):
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_index(index_of(window.photos_model, "chelsea.jpg"))
    results = window.results_panel.grid
    model = results.model()
    first, second = model.index(0), model.index(1)
    results.selectionModel().select(first, QItemSelectionModel.SelectionFlag.Select)
    results.selectionModel().select(second, QItemSelectionModel.SelectionFlag.Select)
    mime = results.drag_mime()
    assert [local_path(u) for u in mime.urls()] == [m.path for m in model.matches()[:2]]
    assert mime.text().splitlines()[0] == model.matches()[0].path


def test_a_photo_whose_file_is_gone_is_left_out_and_said(window, library):
    pick(window.grid, "rocket.jpg", "hubble.jpg")
    os.remove(library / "hubble.jpg")
    mime = window.grid.drag_mime()
    assert [local_path(u) for u in mime.urls()] == [str(library / "rocket.jpg")]
    assert window.statusBar().currentMessage() == (
        f"{library / 'hubble.jpg'}: the file is not there (deleted, moved, or on a drive that "
        "is not connected): left out of the photos dragged. Connect the drive, or pick other "
        "photos.")
    assert [local_path(u) for u in window.photos_model.mimeData(
        window.grid.selectedIndexes()).urls()] == [str(library / "rocket.jpg")]
    # None there: no drag at all.
    os.remove(library / "rocket.jpg")
    assert window.grid.drag_mime() is None
    assert window.photos_model.mimeData(window.grid.selectedIndexes()) is None
    said = window.statusBar().currentMessage()
    assert said.startswith(f"2 of the photos are not there ({library}")
    assert "nothing was dragged" in said


def test_a_drag_let_go_on_its_own_grid_searches_nothing(qtbot, window):
    """A drag given up over the grid it started from searched with the photo, replacing the
    results; over the other grid it searches, as a photo dropped from elsewhere does."""
    pick(window.grid, "rocket.jpg")
    mime = window.grid.drag_mime()
    with qtbot.assertNotEmitted(window.search.searching):
        drop_on(window.grid.viewport(), mime)
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_index(index_of(window.photos_model, "chelsea.jpg"))
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        drop_on(window.results_panel.grid.viewport(), mime)
    assert header(window).startswith("Photos like rocket.jpg")
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_index(index_of(window.photos_model, "chelsea.jpg"))
    # A result dragged and let go on the results: nothing; on the library: searched.
    results = window.results_panel.grid
    results.selectionModel().select(results.model().index(0),
                                    QItemSelectionModel.SelectionFlag.ClearAndSelect)
    dragged = results.model().matches()[0].path
    mime = results.drag_mime()
    with qtbot.assertNotEmitted(window.search.searching):
        drop_on(results.viewport(), mime)
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        drop_on(window.grid.viewport(), mime)
    assert header(window).startswith(f"Photos like {os.path.basename(dragged)}")


def test_files_dropped_from_elsewhere_still_search(qtbot, window, library):
    """The grid's mark is what tells its own drag: files from a file manager carry none."""
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        drop_on(window.grid.viewport(), dropped_files(library / "rocket.jpg"))
    assert header(window).startswith("Photos like rocket.jpg")
