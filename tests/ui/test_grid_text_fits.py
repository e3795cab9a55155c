"""Every grid cell's text stays inside its cell, in the default font and a large one (16 pt, a
desktop's "large text"), also when the font changes while the app runs: a long name is
shortened in its middle to the lines its cell has, and a result's distance line is always
shown whole, last. A long name wrapped to three lines pushed the distance line out of a result
cell, and in the library grid (every cell sized as its last row's) ran over the photo below."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionViewItem

from desktop_app.core.records import Match, Photo
from desktop_app.ui.models import PhotoListModel, ResultsModel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.results_panel import ResultsPanel
from desktop_app.ui.thumbnails import ThumbnailCache

EDGE = 96
NAMES = ["IMG_20240712_183455_HDR_edited_final_version_2.jpg",  # no space to wrap at
         "holiday photos from the beach at sunset with friends and family.jpg",
         "short.jpg",
         "a very long name with many short words in it to fill three lines or more.png"]
DISTANCE = "distance 13 · 73%"


@pytest.fixture(params=[None, 16], ids=["default font", "16 pt"])
def font_size(request, qapp):
    kept = QApplication.font()
    if request.param:
        font = QApplication.font()
        font.setPointSize(request.param)
        QApplication.setFont(font)
    yield request.param
    QApplication.setFont(kept)


@pytest.fixture
def cache(request):
    """Real thumbnails of files that are not there: each cell gets its placeholder square,
    at the thumbnail's size, as a photo still loading does."""
    cache = ThumbnailCache(edge=EDGE, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(cache.shutdown)
    return cache


def shown_text(grid: PhotoGrid, row: int) -> tuple[str, QRect]:
    """The text the grid draws in `row`'s cell (as its delegate gives it to the style), and
    the cell's rectangle."""
    index = grid.model().index(row, 0)
    option = QStyleOptionViewItem()
    grid.initViewItemOption(option)
    option.rect = grid.visualRect(index)
    grid.itemDelegate().initStyleOption(option, index)
    return option.text.replace("\u2028", "\n"), QRect(option.rect)  # the option's goes with it


def assert_texts_fit(grid: PhotoGrid) -> list[list[str]]:
    """Each row's text, wrapped as Qt wraps it in its cell, fits under the thumbnail in the
    cell, and no cell runs into another. Returns each row's lines."""
    grid.executeDelayedItemsLayout()
    model, cell = grid.model(), grid.gridSize()
    margin = grid.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, grid) + 1
    rows = []
    for row in range(model.rowCount()):
        text, rect = shown_text(grid, row)
        metrics = QFontMetrics(grid.font())
        needed = metrics.boundingRect(QRect(0, 0, rect.width() - 2 * margin, 10000),
                                      int(Qt.TextFlag.TextWordWrap), text)
        assert needed.width() <= rect.width() - 2 * margin, (row, text)
        assert EDGE + needed.height() <= rect.height(), (row, text, rect)
        assert rect.height() <= cell.height(), (row, rect, cell)
        for other in range(row):
            assert not rect.intersects(grid.visualRect(model.index(other, 0))), (row, other)
        rows.append(text.split("\n"))
    return rows


def results_grid(qtbot, cache, names: list[str] = NAMES) -> PhotoGrid:
    model = ResultsModel(cache)
    model.set_results([Match(i + 1, f"/p/{name}", 13, 48) for i, name in enumerate(names)])
    panel = ResultsPanel(model, EDGE)
    qtbot.addWidget(panel)
    panel.resize(420, 800)
    panel.show()
    qtbot.waitExposed(panel)
    panel.grid.panel = panel  # kept with its grid (qtbot holds it weakly)
    return panel.grid


def library_grid(qtbot, cache, last: str) -> PhotoGrid:
    """The library grid; `last`: the last row's name (Qt sizes every cell as that row's)."""
    model = PhotoListModel(cache)
    names = NAMES + [last]
    model.set_photos([Photo(i + 1, f"/p/{name}", 1, 2048, 1.0, 30, 20, "ok", None)
                      for i, name in enumerate(names)])
    grid = PhotoGrid(EDGE)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.resize(420, 800)
    grid.show()
    qtbot.waitExposed(grid)
    return grid


def test_a_result_shows_its_distance_line_whole_and_last(qtbot, cache, font_size):
    grid = results_grid(qtbot, cache)
    rows = assert_texts_fit(grid)
    for name, lines in zip(NAMES, rows):
        assert lines[-1] == DISTANCE  # on a line of its own, never cut or wrapped
        assert len(lines) <= 3
        shown = "".join(lines[:-1])
        if len(lines) == 2 and "…" not in shown:
            assert shown == name
        else:  # shortened in its middle: its start and its end (the type) are shown
            assert shown.startswith(name[:2]) and shown.endswith(name[-2:]), shown
    assert rows[NAMES.index("short.jpg")] == ["short.jpg", DISTANCE]


def test_a_long_name_uses_the_lines_it_has(qtbot, cache, font_size):
    """A name without spaces took one line, shortened by Qt, with a second line free."""
    grid = results_grid(qtbot, cache)
    lines = assert_texts_fit(grid)[0]
    assert len(lines) == 3 and lines[0].startswith("IMG_2024"), lines


def test_names_with_characters_beyond_the_bmp_are_broken_between_words(qtbot, cache,
                                                                      font_size):
    """Emoji and rare CJK characters are two UTF-16 units each (Qt's count), one Python
    character: the lines were cut at Qt's offsets in the Python text, a word and the distance
    line broken in two ("lake h" "ouse.jpg", "d" "istance 13 · 73%"), a line left empty."""
    names = ["🎉 party at the lake house.jpg", "𠀀𠀁𠀂𠀃𠀄.jpg"]
    grid = results_grid(qtbot, cache, names)
    rows = assert_texts_fit(grid)
    for name, lines in zip(names, rows):
        assert lines[-1] == DISTANCE, lines
        assert " ".join(lines[:-1]) == name, lines


@pytest.mark.parametrize("last", NAMES)
def test_library_cells_never_run_into_the_photo_below(qtbot, cache, font_size, last):
    grid = library_grid(qtbot, cache, last)
    for lines in assert_texts_fit(grid):
        assert len(lines) <= 2


def test_the_cells_follow_a_font_change_while_the_app_runs(qtbot, cache):
    """The cell height was computed from the font once, when the grid was made: a larger
    system font then cut names off (or a smaller one left gaps)."""
    grid = results_grid(qtbot, cache)
    before = grid.gridSize()
    kept = QApplication.font()
    large = QApplication.font()
    large.setPointSize(16)
    try:
        QApplication.setFont(large)  # a FontChange event for each widget
        qtbot.waitUntil(lambda: grid.font().pointSize() == 16, timeout=5000)
        after = grid.gridSize()
        metrics = QFontMetrics(large)
        line = max(metrics.lineSpacing(), metrics.height())
        assert after.height() == EDGE + 12 + 3 * line > before.height()
        rows = assert_texts_fit(grid)
        assert all(lines[-1] == DISTANCE for lines in rows)
    finally:
        QApplication.setFont(kept)
    qtbot.waitUntil(lambda: grid.gridSize() == before, timeout=5000)


def test_a_font_set_on_the_grid_resizes_its_cells(qtbot, cache):
    grid = library_grid(qtbot, cache, NAMES[-1])
    before = grid.gridSize()
    font = grid.font()
    font.setPointSize(font.pointSize() * 2)
    grid.setFont(font)
    assert grid.gridSize().height() > before.height()
    for lines in assert_texts_fit(grid):
        assert len(lines) <= 2
    # every cell as tall as the grid's, whatever the last row's name: none cut short
    heights = {grid.visualRect(grid.model().index(r, 0)).height()
               for r in range(grid.model().rowCount())}
    assert heights == {grid.gridSize().height()}
