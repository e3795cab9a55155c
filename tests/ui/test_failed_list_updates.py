"""The Unreadable photos tab keeps the row the user picked when a new list comes (another photo
fixed on disk, a new unreadable photo, the same list again): the model was reset whole, and the
current row and the selection went while the table kept the focus, so the next arrow key
started from the top and a screen reader had nothing to say. Real window with real broken
files (the watcher and the indexer send the list), or the real FailedPanel; real keys."""

from __future__ import annotations

import os

from photos import make_photo
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from ui_helpers import indexed

from desktop_app.core.records import Photo
from desktop_app.ui.failed_panel import FailedPanel
from desktop_app.ui.models import FailedPhotosModel, exact_path


def unreadable(path, copies: int = 20) -> None:
    path.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg" * copies)


def name_at(index) -> str:
    return os.path.basename(exact_path(index) or "") if index.isValid() else ""


def picked(table) -> tuple[str, list[str]]:
    """The current row's file name, and the names of the rows selected."""
    return name_at(table.currentIndex()), sorted(
        name_at(index) for index in table.selectionModel().selectedRows())


def click_row(qtbot, table, row: int) -> None:
    cell = table.visualRect(table.model().index(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)


def window_with_unreadable(qtbot, make_window, folder, names: list[str]):
    """The window on `folder` (six good photos) and the unreadable `names`, its Unreadable
    photos tab shown, the table focused; the window and the table."""
    for name in names:
        unreadable(folder / name)
    window = indexed(qtbot, make_window, folder, 6)
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == len(names), timeout=20000)
    window.tabs.setCurrentWidget(window.failed_panel)
    table = window.failed_panel.table
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    return window, table


def assert_kept_then_down_goes_on(qtbot, table, name: str, next_name: str) -> None:
    assert picked(table) == (name, [name])
    assert table.hasFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert picked(table) == (next_name, [next_name])


def test_another_photo_fixed_keeps_the_row_picked(qtbot, make_window, library_photos,
                                                  watch_returns_started):
    window, table = window_with_unreadable(qtbot, make_window, library_photos,
                                           ["a-bad.jpg", "m-bad.jpg", "t-bad.jpg", "z-bad.jpg"])
    click_row(qtbot, table, 1)
    assert picked(table) == ("m-bad.jpg", ["m-bad.jpg"])
    make_photo(library_photos / "a-bad.jpg", "rocket", size=(120, 90))  # fixed in an editor
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 3, timeout=20000)
    assert "3 photos could not be read" in window.failed_panel.summary.text()
    assert_kept_then_down_goes_on(qtbot, table, "m-bad.jpg", "t-bad.jpg")
    # The photo picked is fixed itself: the row that took its place is picked, as in the grids.
    make_photo(library_photos / "t-bad.jpg", "coffee", size=(120, 90))
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 2, timeout=20000)
    assert_kept_then_down_goes_on(qtbot, table, "z-bad.jpg", "z-bad.jpg")  # (the last row)


def test_a_new_unreadable_photo_keeps_the_row_picked(qtbot, make_window, library_photos,
                                                     watch_returns_started):
    window, table = window_with_unreadable(qtbot, make_window, library_photos,
                                           ["m-bad.jpg", "t-bad.jpg", "z-bad.jpg"])
    click_row(qtbot, table, 1)
    unreadable(library_photos / "a-new-bad.jpg")  # an import brings one, listed above
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 4, timeout=20000)
    assert "4 photos could not be read" in window.failed_panel.summary.text()
    assert_kept_then_down_goes_on(qtbot, table, "t-bad.jpg", "z-bad.jpg")


def test_the_same_list_again_keeps_the_row_picked(qtbot, make_window, library_photos,
                                                  watch_returns_started):
    window, table = window_with_unreadable(qtbot, make_window, library_photos,
                                           ["m-bad.jpg", "t-bad.jpg", "z-bad.jpg"])
    click_row(qtbot, table, 0)
    # The photo picked rewritten, unreadable still but otherwise (empty): its new reason comes.
    rewritten = library_photos / "m-bad.jpg"
    reason = table.model().index(0, 1).data()
    rewritten.write_bytes(b"")
    qtbot.waitUntil(lambda: table.model().index(0, 1).data() != reason, timeout=20000)
    assert_kept_then_down_goes_on(qtbot, table, "m-bad.jpg", "t-bad.jpg")
    # The very same list again, as the indexer sent it after every change.
    window.worker.failed_changed.emit(window.failed_model.photos())
    assert_kept_then_down_goes_on(qtbot, table, "t-bad.jpg", "z-bad.jpg")


def record(photo_id: int, path: str, reason: str = "cannot identify image file.") -> Photo:
    return Photo(photo_id, path, 1, 20, 0.0, None, None, "failed", f"{path}: {reason}")


def panel_of(qtbot, records: list[Photo]) -> FailedPanel:
    model = FailedPhotosModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal, model)
    model.set_photos(records)
    panel = FailedPanel(model)
    qtbot.addWidget(panel)
    panel.resize(700, 300)
    panel.show()
    qtbot.waitExposed(panel)
    panel.table.setFocus()
    return panel


def test_the_last_row_picked_leaving_picks_the_row_before(qtbot, tmp_path):
    paths = [str(tmp_path / f"{letter}.jpg") for letter in "abc"]
    panel = panel_of(qtbot, [record(i, path) for i, path in enumerate(paths)])
    table = panel.table
    click_row(qtbot, table, 2)
    panel.model.set_photos([record(0, paths[0]), record(1, paths[1])])
    assert picked(table) == ("b.jpg", ["b.jpg"])
    panel.model.set_photos([])
    assert picked(table) == ("", [])
    assert panel.summary.text() == "Every photo could be read."
    assert not panel.retry_button.isEnabled()


def test_a_new_reason_is_shown_and_the_table_stays_where_it_was_scrolled(qtbot, tmp_path):
    paths = [str(tmp_path / f"{n:03}.jpg") for n in range(200)]
    records = [record(n, path) for n, path in enumerate(paths)]
    panel = panel_of(qtbot, records)
    table = panel.table
    table.scrollTo(table.model().index(120, 0), table.ScrollHint.PositionAtTop)
    click_row(qtbot, table, 121)
    scrolled = table.verticalScrollBar().value()
    assert scrolled > 0
    # The picked photo read again: another reason; a photo far below fixed.
    changed = records[:121] + [record(121, paths[121], "truncated: the file ends early.")] + \
        records[122:199]
    panel.model.set_photos(changed)
    assert picked(table) == ("121.jpg", ["121.jpg"])
    assert table.verticalScrollBar().value() == scrolled
    assert table.model().index(121, 1).data() == "Truncated: the file ends early."
    assert table.model().index(121, 0).data(Qt.ItemDataRole.AccessibleTextRole) == paths[121]
    panel.model.set_photos(changed)  # the same list again
    assert table.verticalScrollBar().value() == scrolled
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert picked(table) == ("122.jpg", ["122.jpg"])


def test_the_row_picked_leaving_out_of_sight_leaves_the_table_where_it_was_scrolled(qtbot,
                                                                                    tmp_path):
    """The user scrolled away from the row picked (the wheel, the scroll bar) and it was fixed:
    the table jumped back to the row that took its place."""
    paths = [str(tmp_path / f"{n:03}.jpg") for n in range(200)]
    records = [record(n, path) for n, path in enumerate(paths)]
    panel = panel_of(qtbot, records)
    table = panel.table
    click_row(qtbot, table, 10)
    table.scrollTo(table.model().index(150, 0), table.ScrollHint.PositionAtTop)
    scrolled = table.verticalScrollBar().value()
    panel.model.set_photos(records[:10] + records[11:])
    assert picked(table) == ("011.jpg", ["011.jpg"])
    assert table.verticalScrollBar().value() == scrolled
    qtbot.keyClick(table, Qt.Key.Key_Down)  # the arrow key brings the row picked in sight
    assert picked(table) == ("012.jpg", ["012.jpg"])
    assert table.visualRect(table.currentIndex()).intersects(table.viewport().rect())


def test_a_list_changed_in_many_places_is_counted_once(qtbot, tmp_path):
    """The summary was written again for each span of rows removed or inserted: a wrapped
    label measures its height at each text, and 5,000 photos fixed one in two (a folder read
    again) held the window up for 0.9 s."""
    paths = [str(tmp_path / f"{n:03}.jpg") for n in range(200)]
    records = [record(n, path) for n, path in enumerate(paths)]
    panel = panel_of(qtbot, records[::2])
    written: list[str] = []
    write = panel.summary.setText
    panel.summary.setText = lambda text: (written.append(text), write(text))
    # Photos 2, 6, 10... fixed, 1, 5, 9... new: 50 spans of rows removed, 50 inserted.
    panel.model.set_photos(records[::4] + records[1::4])
    assert panel.model.rowCount() == 100
    assert len(written) == 1 and written[0].startswith("100 photos could not be read.")
    assert panel.summary.text() == written[0]
