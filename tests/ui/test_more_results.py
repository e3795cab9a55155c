"""More results than are shown at once: scrolling to the end of the results (Qt's fetchMore),
End there, or Show more in the header appends the next closest, until none are left within
the distance. The header showed "the 40 closest shown; there may be more within this
distance" and the user had no way to see them."""

from __future__ import annotations

import pytest
from photos import sample_image
from PIL import ImageEnhance
from PySide6 import QtGui
from PySide6.QtCore import QCoreApplication, QItemSelectionModel, Qt
from ui_helpers import header, indexed

QAccessibleAnnouncementEvent = getattr(QtGui, "QAccessibleAnnouncementEvent", None)
NEAR = 6  # the cats lie within 4 of each other with the tiny model, the coffees 9 or more away


@pytest.fixture
def many_cats(tmp_path):
    """95 crops of one cat at several brightnesses, and 5 of a coffee cup: far more near photos
    than the 40 a search shows at first."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(100):
        base = sample_image("chelsea" if i < 95 else "coffee").resize((120, 80))
        crop = base.crop((i % 7, (i // 7) % 5, 120 - i % 3, 80 - i % 4))
        ImageEnhance.Brightness(crop).enhance(0.8 + (i % 9) * 0.05).save(folder / f"{i:03d}.png")
    return folder


def library_window(qtbot, make_window, folder):
    window = indexed(qtbot, make_window, folder, 100)
    window.results_panel.slider.setValue(NEAR)
    return window


def search(qtbot, window, row: int) -> list:
    with qtbot.waitSignal(window.results_shown, timeout=10000) as shown:
        window.search_index(window.photos_model.index(row))
    return shown.args[0]


def more(qtbot, window, ask) -> list:
    """The matches shown once `ask()` asked for more."""
    with qtbot.waitSignal(window.results_shown, timeout=10000) as shown:
        ask()
    return shown.args[0]


def scroll_to_end(window) -> None:
    grid = window.results_panel.grid
    grid.executeDelayedItemsLayout()  # the scroll range of the rows shown, as a user sees it
    bar = grid.verticalScrollBar()
    bar.setValue(bar.maximum())


def all_within(window, row: int) -> list:
    """Every match of the photo at `row` within the distance, closest first (ties by id)."""
    photo_id = window.photos_model.photo_at(row).id
    return window.snapshot.similar(photo_id, 1000, NEAR)


def test_scrolling_to_the_end_appends_the_next_closest_until_none_are_left(
        qtbot, make_window, many_cats):
    window = library_window(qtbot, make_window, many_cats)
    model, grid = window.results_model, window.results_panel.grid
    expected = all_within(window, 0)
    assert len(expected) == 94  # the other cats, not the coffee cups
    first = search(qtbot, window, 0)
    assert first == expected[:40]
    assert header(window).endswith("the 40 closest shown; there may be more within this "
                                   "distance")
    assert model.canFetchMore()
    # The user picked a result and scrolled down: both stay while more come in below.
    picked = model.index(37)
    grid.selectionModel().setCurrentIndex(picked, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    scroll_to_end(window)
    qtbot.waitUntil(lambda: model.rowCount() == 80, timeout=10000)
    assert model.matches() == expected[:80]  # by distance; none shown twice
    assert grid.currentIndex().row() == 37 and grid.selectionModel().isSelected(picked)
    assert grid.verticalScrollBar().value() < grid.verticalScrollBar().maximum()
    assert header(window).endswith("the 80 closest shown; there may be more within this "
                                   "distance")
    scroll_to_end(window)
    qtbot.waitUntil(lambda: model.rowCount() == 94, timeout=10000)
    assert model.matches() == expected
    assert len({m.photo_id for m in model.matches()}) == 94
    assert header(window).endswith("\n94 found")
    assert not model.canFetchMore() and window.results_panel.more_button.isHidden()
    # A new search starts again from its 40 closest.
    assert search(qtbot, window, 50) == all_within(window, 50)[:40]
    assert model.rowCount() == 40 and model.canFetchMore()


def test_show_more_and_the_end_key_append_and_a_screen_reader_is_told(
        qtbot, make_window, many_cats, announced):
    window = library_window(qtbot, make_window, many_cats)
    model, panel, grid = window.results_model, window.results_panel, window.results_panel.grid
    expected = all_within(window, 3)
    search(qtbot, window, 3)
    button = panel.more_button
    assert button.isVisible() and button.text() == "Show more"
    assert more(qtbot, window, button.click) == expected[:80]
    # Pressed up in the header: the photos it brought are scrolled into view.
    assert grid.viewport().rect().intersects(grid.visualRect(model.index(40)))
    if QAccessibleAnnouncementEvent is not None:
        assert announced[-1] == "40 more shown"
    # End goes to the last result shown; being at the end, the rest come in after it.
    grid.setFocus()
    grid.setCurrentIndex(model.index(0))
    qtbot.keyClick(grid, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: model.rowCount() == 94, timeout=10000)
    assert model.matches() == expected
    assert grid.currentIndex().row() == 79
    if QAccessibleAnnouncementEvent is not None:
        assert announced[-1] == "14 more shown; 94 found in all"
    assert button.isHidden()


def test_more_of_an_older_search_never_lands_in_a_newer_list(qtbot, make_window, many_cats):
    window = library_window(qtbot, make_window, many_cats)
    model = window.results_model
    search(qtbot, window, 0)
    dropped = window.tasks.dropped
    scroll_to_end(window)  # more asked for photo 0...
    newer = search(qtbot, window, 60)  # ...and another photo searched before they came
    window.tasks.wait()
    QCoreApplication.processEvents()  # any answer still on its way is in
    assert window.tasks.dropped == dropped + 1  # the older one's, thrown away
    assert newer == all_within(window, 60)[:40]
    assert model.matches() == newer
    # The old list scrolled to its end while a new search is on its way: nothing is fetched
    # for it, and the new search shows its own 40 closest.
    with qtbot.waitSignal(window.results_shown, timeout=10000) as shown:
        window.search_index(window.photos_model.index(20))
        scroll_to_end(window)
    window.tasks.wait()
    QCoreApplication.processEvents()
    assert shown.args[0] == model.matches() == all_within(window, 20)[:40]
    # A slider move is a new search too: its 40 closest.
    assert more(qtbot, window, lambda: scroll_to_end(window)) == all_within(window, 20)[:80]
    with qtbot.waitSignal(window.results_shown, timeout=10000) as shown:
        window.results_panel.slider.setValue(NEAR - 1)
    assert len(shown.args[0]) == 40 and model.rowCount() == 40


def test_photos_indexed_meanwhile_keep_the_results_asked_for(qtbot, make_window, many_cats):
    """A new snapshot searches again for as many as are shown: the list neither shrinks back
    to 40 under the user nor moves; and one that comes while a new search is on its way
    does not make that search's answer keep the old list's scroll position."""
    window = library_window(qtbot, make_window, many_cats)
    model, grid = window.results_model, window.results_panel.grid
    search(qtbot, window, 0)
    more(qtbot, window, lambda: scroll_to_end(window))
    scrolled = grid.verticalScrollBar().value()
    assert scrolled > 0 and model.rowCount() == 80
    with qtbot.waitSignal(window.results_shown, timeout=10000) as shown:
        window.search.set_snapshot(window.snapshot)
    assert len(shown.args[0]) == 80 and grid.verticalScrollBar().value() == scrolled
    with qtbot.waitSignal(window.results_shown, timeout=10000) as shown:
        window.search_index(window.photos_model.index(70))
        window.search.set_snapshot(window.snapshot)  # before the search's answer came
    assert shown.args[0] == all_within(window, 70)[:40]
    assert grid.verticalScrollBar().value() == 0


def test_show_more_pressed_for_the_last_ones_leaves_the_focus_on_the_results(
        qtbot, make_window, many_cats):
    """The button goes once none are left: the focus it had went on to the slider."""
    window = library_window(qtbot, make_window, many_cats)
    panel = window.results_panel
    search(qtbot, window, 0)
    button = panel.more_button
    button.setFocus()
    assert len(more(qtbot, window, lambda: qtbot.keyClick(button, Qt.Key.Key_Space))) == 80
    assert button.hasFocus()
    more(qtbot, window, lambda: qtbot.keyClick(button, Qt.Key.Key_Space))
    assert window.results_model.rowCount() == 94 and button.isHidden()
    assert panel.grid.hasFocus()
    # On the first of them, in view: not on the first result, scrolled away above (a screen
    # reader said that one, and the next arrow jumped the list back to the top).
    grid, bar = panel.grid, panel.grid.verticalScrollBar()
    assert grid.currentIndex().row() == 80
    assert grid.viewport().rect().intersects(grid.visualRect(grid.currentIndex()))
    scrolled = bar.value()
    assert scrolled > 0
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.currentIndex().row() == 81 and bar.value() == scrolled
