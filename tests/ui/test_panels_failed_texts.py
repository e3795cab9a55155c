"""The Unreadable photos tab shows each file's name, and the reason without the path: the File
column was elided at the folder ("…/photos/broken/…"), so no name ever showed, and the
Reason column began with the whole path again. The whole path stays in the tooltip and the
row's menu (Copy path). Real FailedPanel (offscreen), real broken files, real clipboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from ui_helpers import pick_from_menu

from desktop_app.core.records import Photo
from desktop_app.ui.failed_panel import FailedPanel, cell_text
from desktop_app.ui.models import FailedPhotosModel

LONG = "a very long file name that goes on and on to see how the lists cope with it.jpg"


def drawn(table, row: int, column: int) -> QStyleOptionViewItem:
    """How the table draws a cell (its delegate's text and elision)."""
    option = QStyleOptionViewItem()
    table.itemDelegate().initStyleOption(option, table.model().index(row, column))
    return option


def shown(table, row: int, column: int) -> str:
    return drawn(table, row, column).text


def failed_panel(qtbot, tmp_path):
    folder = tmp_path / "shots" / "gen" / "broken"
    folder.mkdir(parents=True)
    long, empty = folder / LONG, folder / "empty.jpg"
    long.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    empty.write_bytes(b"")
    model = FailedPhotosModel()
    model.set_photos([
        Photo(1, str(long), 1, 20, 0.0, None, None, "failed",
              f"{long}: the image header is damaged (Truncated File Read)."),
        Photo(2, str(empty), 1, 0, 0.0, None, None, "failed",
              f"{empty}: the file is empty (0 bytes). It may still be copying."),
        Photo(3, str(folder / "locked.jpg"), 1, 9, 0.0, None, None, "failed", None)])
    panel = FailedPanel(model)
    qtbot.addWidget(panel)
    panel.resize(780, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return panel, folder


def test_rows_show_the_name_and_the_reason_without_the_path(qtbot, tmp_path):
    panel, folder = failed_panel(qtbot, tmp_path)
    table = panel.table
    assert [shown(table, row, 0) for row in range(3)] == [LONG, "empty.jpg", "locked.jpg"]
    assert shown(table, 0, 1) == "The image header is damaged (Truncated File Read)."
    assert shown(table, 1, 1) == "The file is empty (0 bytes). It may still be copying."
    assert shown(table, 2, 1) == "unknown reason"
    # The whole path is in the tooltips (and what a screen reader reads).
    assert table.model().index(1, 0).data(Qt.ItemDataRole.ToolTipRole) == str(folder / "empty.jpg")
    assert str(folder) in table.model().index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    # A short name is shown whole; a long one keeps its start and its extension.
    width = table.columnWidth(0)
    assert table.fontMetrics().horizontalAdvance("empty.jpg") < width
    assert drawn(table, 0, 0).textElideMode == Qt.TextElideMode.ElideMiddle
    assert drawn(table, 0, 1).textElideMode == Qt.TextElideMode.ElideRight


def test_copy_path_is_in_the_rows_menu(qtbot, tmp_path):
    panel, folder = failed_panel(qtbot, tmp_path)
    actions = dict(panel.table.actions_for(panel.table.model().index(1, 1)))
    assert list(actions) == ["Open with default viewer", "Show in file manager", "Copy path"]
    said = []
    panel.message.connect(said.append)
    actions["Copy path"]()
    assert QGuiApplication.clipboard().text() == str(folder / "empty.jpg")
    assert said == [f"Copied {folder / 'empty.jpg'}"]


def test_a_name_that_is_not_utf8_or_holds_an_override_is_cut_then_escaped():
    """As elsewhere: the name is cut from the exact path, then escaped, and the reason loses
    the path as it was shown (escaped)."""
    odd = "/p/holiday\udce9\u202egnp.jpg"
    assert cell_text(odd, None, 0) == "holiday\\xe9\\u202egnp.jpg"
    assert cell_text(odd, f"{odd}: cannot identify image file.", 1) == (
        "Cannot identify image file.")
    assert cell_text("/p/a.jpg", "/p/a.jpg: ", 1) == "/p/a.jpg: "  # nothing after it: kept
    assert cell_text("/p/a.jpg", "locked by another program", 1) == "locked by another program"


def copy_path_from_the_menu(qtbot, open_menu) -> str:
    """Open the menu (`open_menu`), choose Copy path in it: the text copied."""
    QGuiApplication.clipboard().clear()
    seen = pick_from_menu(qtbot, open_menu, "Copy path")
    assert seen == ["Open with default viewer", "Show in file manager", "Copy path"]
    return QGuiApplication.clipboard().text()


def test_the_keyboard_opens_the_current_rows_menu(qtbot, tmp_path):
    """The Menu key (a keyboard context-menu event) and Shift+F10, as in the library grid; the
    current row's menu, wherever the pointer is."""
    panel, folder = failed_panel(qtbot, tmp_path)
    table = panel.table
    table.setFocus()
    table.setCurrentIndex(table.model().index(1, 1))
    pointer = table.visualRect(table.model().index(0, 0)).center()  # over another row
    assert copy_path_from_the_menu(qtbot, lambda: QApplication.sendEvent(
        table, QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, pointer,
                                 table.viewport().mapToGlobal(pointer)))) == str(
        folder / "empty.jpg")
    assert copy_path_from_the_menu(qtbot, lambda: qtbot.keyClick(
        table, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)) == str(folder / "empty.jpg")
