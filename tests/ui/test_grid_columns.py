"""The grid's columns fill its width: cells of the least width left the spare pixels as an empty
strip on the right, of any width up to a cell's, changing as the window was resized."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QProxyStyle, QStyle

from desktop_app.core.records import Photo
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.photo_grid import PhotoGrid

EDGE = 160


@pytest.fixture
def grid(qtbot) -> PhotoGrid:
    model = PhotoListModel()
    model.set_photos([Photo(i, f"/p/photo-{i:04d}.jpg", 1, 2048, 1.0, 30, 20, "ok", None)
                      for i in range(1, 301)])  # more than a screenful: the scroll bar shows
    grid = PhotoGrid(EDGE)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.resize(600, 600)
    grid.show()
    qtbot.waitExposed(grid)
    return grid


def first_row(grid: PhotoGrid, width: int) -> list:
    """The cells of the first row once the grid is `width` pixels wide."""
    grid.resize(width, 600)
    grid.executeDelayedItemsLayout()
    grid.doItemsLayout()
    rects = [grid.visualRect(grid.model().index(row)) for row in range(30)]
    return [r for r in rects if r.y() == rects[0].y()]


@pytest.mark.parametrize("width", [700, 1000, 1280, 1333])
def test_the_columns_fill_the_width(grid, width):
    row = first_row(grid, width)
    assert len(row) > 1
    strip = grid.viewport().width() - 1 - row[-1].right()
    assert 0 <= strip <= len(row) + 1, (width, strip)  # what dividing by the columns leaves


def test_cells_are_never_narrower_than_their_least(grid):
    least = first_row(grid, 1280)[0].width()
    assert [len(first_row(grid, w)) for w in (1280, 1280 + least, 1280)] == [7, 8, 7]
    narrow = first_row(grid, EDGE + 40)
    assert len(narrow) == 1 and narrow[0].width() >= EDGE + 16


def test_a_row_added_keeps_the_scroll_position_in_a_spread_grid(grid, qtbot):
    first_row(grid, 1000)
    bar = grid.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    place = bar.value()
    grid.model().upsert([Photo(999, "/p/new.jpg", 1, 2048, 1.0, 30, 20, "ok", None)])
    grid.executeDelayedItemsLayout()
    assert bar.value() == place


class _OverlayScrollBars(QProxyStyle):
    """Scroll bars drawn over the cells, as macOS's overlay ones: Qt leaves them no room."""

    def pixelMetric(self, metric, option=None, widget=None):
        if metric == QStyle.PixelMetric.PM_ScrollView_ScrollBarOverlap:
            return 1
        return super().pixelMetric(metric, option, widget)


@pytest.mark.parametrize("width", [700, 1000, 1333])
def test_overlay_scroll_bars_leave_no_strip(grid, width):
    """The scroll bar's room was taken off anyway: a strip of its width (15-20 pixels) was
    left on the right at every width."""
    style = _OverlayScrollBars("Fusion")
    grid.setStyle(style)
    grid.verticalScrollBar().setStyle(style)
    row = first_row(grid, width)
    strip = grid.viewport().width() - 1 - row[-1].right()
    assert 0 <= strip <= len(row) + 1, (width, strip)
