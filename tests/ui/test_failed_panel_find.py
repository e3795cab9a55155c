"""Typing in the Unreadable photos tab finds a photo by the name it shows: Qt's type-to-find
matched the File column's data, the whole path, so a name's first letters found nothing. Real
FailedPanel (offscreen), real broken files, real key presses."""

from __future__ import annotations

from PySide6.QtGui import QAccessible

from desktop_app.core.records import Photo
from desktop_app.ui.failed_panel import FailedPanel
from desktop_app.ui.models import FailedPhotosModel


def panel_of(qtbot, tmp_path, names: list[str]) -> tuple[FailedPanel, list[str]]:
    paths = []
    for i, name in enumerate(names):  # rows go by path: folders 0, 1, 2... keep this order
        folder = tmp_path / str(i)
        folder.mkdir(parents=True)
        (folder / name).write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
        paths.append(str(folder / name))
    model = FailedPhotosModel()
    model.set_photos([Photo(i + 1, path, 1, 20, 0.0, None, None, "failed",
                            f"{path}: cannot identify image file.")
                      for i, path in enumerate(paths)])
    panel = FailedPanel(model)
    qtbot.addWidget(panel)
    panel.resize(780, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return panel, paths


def current_name(table) -> str:
    index = table.currentIndex()
    return index.siblingAtColumn(0).data() if index.isValid() else ""


def test_typing_a_letter_finds_the_first_name_it_starts(qtbot, tmp_path):
    panel, paths = panel_of(qtbot, tmp_path, ["zebra.jpg", "banana.jpg", "apple.jpg",
                                              "blue.jpg"])
    table = panel.table
    table.setFocus()
    qtbot.keyClicks(table, "b")
    assert current_name(table) == "banana.jpg"
    # A screen reader still reads the whole path.
    table_said = QAccessible.queryAccessibleInterface(table)
    cells = [table_said.child(i) for i in range(table_said.childCount())]
    assert [c.text(QAccessible.Text.Name) for c in cells
            if c.role() == QAccessible.Role.Cell][::2] == paths


def test_typing_finds_in_the_names_whichever_cell_is_current(qtbot, tmp_path):
    """The rows are selected whole: the reason cell current looked among the reasons."""
    panel, _paths = panel_of(qtbot, tmp_path, ["zebra.jpg", "banana.jpg", "apple.jpg"])
    table = panel.table
    table.setFocus()
    table.setCurrentIndex(table.model().index(1, 1))
    qtbot.keyClicks(table, "a")
    assert current_name(table) == "apple.jpg"
