"""A name holding a line break (or another line or paragraph separator) is shown on one line,
the break as its code, wherever the window shows a name: the grids and their tooltips, the
results header, the duplicates tree, the status bar. Shown as it is, "new\\nline.jpg" read as
two names in the library grid, and as "new" in the one-line status bar."""

from __future__ import annotations

import pytest
from photos import make_photo
from PySide6.QtCore import Qt
from ui_helpers import duplicates_panel, wait_rows

from desktop_app.core.errors import printable
from desktop_app.core.records import Match, Photo
from desktop_app.ui.models import PhotoListModel, ResultsModel
from desktop_app.ui.photo_grid import photo_actions
from desktop_app.ui.results_panel import ResultsPanel

# Each breaks a line in Qt's text layout (or in a terminal), and is what the CLI shows.
SEPARATORS = {"\n": "\\x0a", "\r": "\\x0d", "\x0b": "\\x0b", "\x0c": "\\x0c",
              "\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
BREAKS = set(SEPARATORS) | {"\r\n"}


def one_line(text: str) -> bool:
    return not any(b in text for b in BREAKS)


@pytest.mark.parametrize("separator", SEPARATORS)
def test_printable_shows_each_separator_as_its_code(separator):
    assert printable(f"/p/new{separator}line.jpg") == f"/p/new{SEPARATORS[separator]}line.jpg"


@pytest.mark.parametrize("separator", SEPARATORS)
def test_the_grids_the_header_and_the_duplicates_show_the_name_on_one_line(qtbot, separator):
    path = f"/p/new{separator}line.jpg"
    shown = f"new{SEPARATORS[separator]}line.jpg"
    photos = PhotoListModel()
    photos.set_photos([Photo(1, path, 1, 2048, 1.0, 30, 20, "ok", None)])
    label = photos.data(photos.index(0), Qt.ItemDataRole.DisplayRole)
    tip = photos.data(photos.index(0), Qt.ItemDataRole.ToolTipRole)
    assert label == shown
    assert tip.split("\n") == [f"/p/{shown}", "30x20, 2 KiB"]
    results = ResultsModel()
    results.set_results([Match(1, path, 3, 48)])
    name_line, distance_line = results.data(results.index(0),
                                            Qt.ItemDataRole.DisplayRole).split("\n")
    assert name_line == shown and distance_line.startswith("distance 3")
    assert results.data(results.index(0), Qt.ItemDataRole.ToolTipRole).split("\n")[0] == \
        f"/p/{shown}"
    panel = ResultsPanel(results, 96, 12)
    qtbot.addWidget(panel)
    panel.show_query(path, None, external=True)
    assert panel.query_label.text() == f"Photos like <b>{shown}</b> (not in the library)"
    assert panel.query_label.toolTip() == f"/p/{shown}"
    tree = duplicates_panel(qtbot, [[Match(2, "/p/kept.jpg", 0, 48), Match(1, path, 3, 48)]])
    row = tree.tree.topLevelItem(0).child(1)
    assert row.text(0) == shown and one_line(row.toolTip(0))


def test_the_status_bar_names_the_photo_on_one_line(qtbot, make_window, tmp_path):
    """A real photo named with a line break, indexed by the real window: its grid label, and
    what the photo menu tells about it in the status bar."""
    folder = tmp_path / "odd"
    photo = make_photo(folder / "new\nline.jpg", "chelsea", size=(120, 80))
    window = make_window()
    window.add_folder(str(folder))
    wait_rows(qtbot, window, 1)
    index = window.photos_model.index(0)
    assert index.data(Qt.ItemDataRole.DisplayRole) == "new\\x0aline.jpg"
    photo.unlink()
    actions = dict(photo_actions(str(photo), lambda: None, window.tell))
    actions["Open with default viewer"]()
    message = window.statusBar().currentMessage()
    assert message.startswith(f"{folder}/new\\x0aline.jpg: the file is not there")
    assert one_line(message)
