"""The results grid's cells are of one size, the grid's, as the library grid's (each of 40 rows
was measured at every layout, holding up the window), and its texts are fitted again for a new
style."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOptionViewItem

from desktop_app.core.records import Match
from desktop_app.ui.models import ResultsModel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.results_panel import ResultsPanel
from desktop_app.ui.thumbnails import ThumbnailCache

EDGE = 96
SHORT = "short.jpg"
LONG = "holiday photos from the beach at sunset with friends and family.jpg"


@pytest.fixture
def cache(request) -> ThumbnailCache:
    """Placeholder squares of the thumbnail's size (the files are not there)."""
    cache = ThumbnailCache(edge=EDGE, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(cache.shutdown)
    return cache


def heights(grid: PhotoGrid, *names: str) -> list[int]:
    """Each cell's height once the results are `names`, in that order."""
    grid.model().set_results([Match(i + 1, f"/p/{name}", 3, 48) for i, name in enumerate(names)])
    grid.executeDelayedItemsLayout()
    return [grid.visualRect(grid.model().index(row)).height() for row in range(len(names))]


class _Roomier(QProxyStyle):
    """A style that leaves the text of a cell 10 pixels less than Fusion does."""

    def sizeFromContents(self, kind, option, size, widget=None):
        size = super().sizeFromContents(kind, option, size, widget)
        if kind == QStyle.ContentsType.CT_ItemViewItem:
            size.setHeight(size.height() + 10)
        return size


def panel_grid(qtbot, cache) -> PhotoGrid:
    """The results grid of a results panel."""
    panel = ResultsPanel(ResultsModel(cache), EDGE)
    qtbot.addWidget(panel)
    panel.resize(420, 800)
    panel.show()
    qtbot.waitExposed(panel)
    panel.grid.panel = panel  # kept with its grid (qtbot holds it weakly)
    return panel.grid


def test_the_results_cells_are_all_the_grids_size(qtbot, cache):
    grid = panel_grid(qtbot, cache)
    assert heights(grid, SHORT, LONG) == [grid.gridSize().height()] * 2
    widths = {grid.visualRect(grid.model().index(row)).width() for row in range(2)}
    assert widths == {grid.gridSize().width()}  # a selection fills its cell


def shown_lines(grid: PhotoGrid, row: int) -> list[str]:
    """The lines the grid draws in `row`'s cell, as its delegate gives them to the style."""
    option = QStyleOptionViewItem()
    grid.initViewItemOption(option)
    index = grid.model().index(row)
    option.rect = grid.visualRect(index)
    grid.itemDelegate().initStyleOption(option, index)
    return option.text.split("\u2028")


def test_a_new_style_fits_the_results_texts_again(qtbot, cache):
    """The room under the picture was remembered by cell and font: with a style that takes
    more of the cell, a name kept the lines it had, and the distance line went out of it."""
    grid = panel_grid(qtbot, cache)
    heights(grid, LONG)
    before = shown_lines(grid, 0)
    grid.setStyle(_Roomier("Fusion"))
    fresh = panel_grid(qtbot, cache)
    fresh.setStyle(_Roomier("Fusion"))
    heights(fresh, LONG)
    after = shown_lines(grid, 0)
    assert after == shown_lines(fresh, 0)  # as a grid that never had the other style
    assert len(after) < len(before) and after[-1] == before[-1]  # the distance line kept
