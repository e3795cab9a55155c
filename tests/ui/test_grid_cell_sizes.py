"""The results grid remembers each cell's size (measuring all 40 at every layout held up the
window): a cell still follows its own name when the results change under it, and a new style."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QProxyStyle, QStyle

from desktop_app.core.records import Match
from desktop_app.ui.models import ResultsModel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.results_panel import WIDEST_DETAIL
from desktop_app.ui.thumbnails import ThumbnailCache

EDGE = 96
SHORT = "short.jpg"
LONG = "holiday photos from the beach at sunset with friends and family.jpg"


def make_grid(qtbot, cache: ThumbnailCache) -> PhotoGrid:
    """A results grid as the results panel makes it, each cell sized for its text."""
    grid = PhotoGrid(EDGE, text_lines=3, widest_line=WIDEST_DETAIL)
    grid.setUniformItemSizes(False)
    grid.setModel(ResultsModel(cache))
    qtbot.addWidget(grid)
    grid.resize(420, 800)
    grid.show()
    qtbot.waitExposed(grid)
    return grid


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


def test_a_cell_follows_the_name_now_in_its_row(qtbot, cache):
    grid = make_grid(qtbot, cache)
    short, long_ = heights(grid, SHORT, LONG)
    assert long_ > short  # two lines of name against one
    assert heights(grid, LONG, SHORT) == [long_, short]
    assert heights(grid, SHORT, SHORT) == [short, short]


class _Tighter(QProxyStyle):
    """A style whose cells are 10 pixels less tall than Fusion's."""

    def sizeFromContents(self, kind, option, size, widget=None):
        size = super().sizeFromContents(kind, option, size, widget)
        if kind == QStyle.ContentsType.CT_ItemViewItem:
            size.setHeight(size.height() - 10)
        return size


def test_a_new_style_measures_the_cells_again(qtbot, cache):
    grid = make_grid(qtbot, cache)
    before = heights(grid, SHORT, LONG)
    grid.setStyle(_Tighter("Fusion"))
    fresh = make_grid(qtbot, cache)
    fresh.setStyle(_Tighter("Fusion"))
    after = heights(grid, SHORT, LONG)
    assert after == heights(fresh, SHORT, LONG)  # as a grid that never had the other style
    assert after[0] == before[0] - 10
