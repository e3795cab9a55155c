"""A zoom in the grid itself and in the thumbnail cache: one layout, the photo looked at kept in
view, and thumbnails made anew at the new size (the memory's count for that size)."""

from __future__ import annotations

import pytest
from photos import make_photo
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QApplication

from desktop_app.core.records import Match, Photo
from desktop_app.ui import thumbnails
from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.thumbnails import ThumbnailCache, zoomed

DECORATION = Qt.ItemDataRole.DecorationRole


@pytest.fixture
def grid(qtbot):
    """The real grid on the real model, 2,000 photos (no thumbnails: no file is read)."""
    model = PhotoListModel()
    model.set_photos([Photo(i, f"/photos/photo-{i:05d}.jpg", 1, 2_000_000, 1.0 + i, 400, 300,
                            "ok", None) for i in range(1, 2001)])
    grid = PhotoGrid(160)
    grid.setModel(model)
    qtbot.addWidget(grid)
    grid.resize(800, 600)
    grid.show()
    qtbot.waitExposed(grid)
    grid.executeDelayedItemsLayout()
    bar = grid.verticalScrollBar()
    bar.setValue(bar.maximum() // 2 + 37)  # a row partly scrolled past
    return grid


def top_left(grid):
    cell = grid.gridSize()
    return next(i for y in (0, cell.height() // 2) if (i := grid.indexAt(
        QPoint(cell.width() // 2, y))).isValid())


def test_a_zoom_lays_out_once(grid, monkeypatch):
    """At 200,000 photos a layout takes about 70 ms: setting the icon and the cell size each
    asked for one."""
    layouts = []
    original = PhotoGrid.doItemsLayout
    monkeypatch.setattr(grid, "doItemsLayout", lambda: (layouts.append(1), original(grid)))
    grid.set_edge(256)
    QApplication.processEvents()
    assert len(layouts) == 1
    assert grid.gridSize().width() >= 256 + 16


def test_the_photo_at_the_top_left_stays_at_the_top(grid):
    """In the top row, whole (it was partly scrolled past): the columns change with the size,
    so the row may start with another photo."""
    for edge in (96, 400, 208):
        first = top_left(grid)
        grid.set_edge(edge)
        assert 0 <= grid.visualRect(first).top() <= grid.spacing(), edge


def test_the_current_photo_in_view_stays_where_it_was(grid):
    cell = grid.gridSize()
    current = grid.indexAt(QPoint(cell.width() * 3 + cell.width() // 2, 300))
    grid.setCurrentIndex(current)
    top = grid.visualRect(current).top()
    grid.set_edge(128)
    assert grid.visualRect(current).top() == top
    grid.set_edge(400)  # grown past the bottom: scrolled back into view
    assert grid.viewport().rect().contains(grid.visualRect(current))


def test_zoom_steps():
    assert [zoomed(160, s) for s in (-2, -1, 0, 1, 2)] == [96, 128, 160, 208, 256]
    assert zoomed(200, 1) == 208 and zoomed(200, -1) == 160  # a size set by hand
    assert zoomed(400, 1) == 400 and zoomed(96, -1) == 96 and zoomed(1024, -1) == 400


@pytest.fixture
def photo(tmp_path) -> str:
    return str(make_photo(tmp_path / "chelsea.jpg", "chelsea", size=(300, 200)))


def loaded(qtbot, cache: ThumbnailCache, path: str):
    qtbot.waitUntil(lambda: cache.pixmap(path) is not None, timeout=5000)
    return cache.pixmap(path)


def test_the_cache_makes_thumbnails_again_at_the_new_size(qtbot, photo, request):
    cache = ThumbnailCache(edge=160, threads=1, scale=1.0)
    request.addfinalizer(cache.shutdown)
    assert loaded(qtbot, cache, photo).width() == 160
    assert cache._memory_items == thumbnails.MEMORY_BYTES // (4 * 160 ** 2)
    with qtbot.waitSignal(cache.ready) as said, qtbot.waitSignal(cache.rescaled):
        cache.set_edge(320)  # the views ask again (and the results header)
    assert said.args == [photo]
    assert loaded(qtbot, cache, photo).width() == 320
    # A quarter of the thumbnails: the same bytes.
    assert cache._memory_items == thumbnails.MEMORY_BYTES // (4 * 320 ** 2)
    # Each size its own files on disk: back at 160, the first one is read, not made again.
    files = sorted(cache.cache_root.rglob("*.jpg"))
    assert len(files) == 2
    cache.set_edge(160)
    assert loaded(qtbot, cache, photo).width() == 160
    assert sorted(cache.cache_root.rglob("*.jpg")) == files


def test_the_duplicates_rows_follow(qtbot, photo, request):
    cache = ThumbnailCache(edge=160, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(cache.shutdown)
    panel = DuplicatesPanel(cache)
    qtbot.addWidget(panel)
    panel.set_groups([[Match(1, photo, 0, 64), Match(2, photo, 0, 64)]])
    item = panel.tree.topLevelItem(0).child(0)
    width = panel.tree.columnWidth(0)
    cache.set_edge(96)
    panel.set_thumbnail_edge(96)
    assert panel.tree.iconSize() == QSize(96, 96)
    assert panel.tree.columnWidth(0) == width - 64
    # The square shown until the thumbnail comes: the new size too.
    assert item.data(0, DECORATION).width() == 96
    qtbot.waitUntil(lambda: cache.pixmap(photo) is not None, timeout=5000)
    assert item.data(0, DECORATION).width() == 96
