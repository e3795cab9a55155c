"""A zoom in the Duplicates tab: Ctrl+wheel over the groups zooms as over the grids (F1 says
Ctrl+wheel makes thumbnails bigger or smaller; Qt's own scrolled a page of groups), and the row
looked at stays in view though every row changed height."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractItemView, QApplication
from ui_helpers import ctrl_wheel

from desktop_app.core.records import Match
from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.thumbnails import ThumbnailCache


@pytest.fixture
def panel(qtbot, tmp_path, request):
    """40 groups of two photos (no file: placeholders, of the cache's size)."""
    cache = ThumbnailCache(edge=160, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(cache.shutdown)
    panel = DuplicatesPanel(cache)
    qtbot.addWidget(panel)
    panel.set_groups([[Match(2 * g, str(tmp_path / f"{g}-a.jpg"), 0, 64),
                       Match(2 * g + 1, str(tmp_path / f"{g}-b.jpg"), 1, 64)]
                      for g in range(40)])
    panel.resize(1200, 600)  # the photo column's 400 pixels wide fit: no horizontal bar
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def zoom(panel, edge: int) -> None:
    panel._thumbnails.set_edge(edge)
    panel.set_thumbnail_edge(edge)
    QApplication.processEvents()


def test_ctrl_wheel_over_the_groups_zooms(qtbot, make_window):
    window = make_window()
    window.tabs.setCurrentIndex(1)
    tree = window.duplicates_panel.tree
    bar = tree.verticalScrollBar()
    ctrl_wheel(tree, 120)
    assert window.thumbnails.edge == 208
    assert tree.iconSize().width() == 208
    ctrl_wheel(tree, -60)  # half a notch of a touchpad: not yet
    assert window.thumbnails.edge == 208
    ctrl_wheel(tree, -60)
    assert window.thumbnails.edge == 160
    assert bar.value() == 0  # not scrolled a page either


@pytest.mark.parametrize("mode", [QAbstractItemView.ScrollMode.ScrollPerItem,
                                  QAbstractItemView.ScrollMode.ScrollPerPixel])  # (a Mac's)
def test_the_current_row_stays_in_view(panel, mode):
    tree = panel.tree
    tree.setVerticalScrollMode(mode)
    item = tree.topLevelItem(20).child(0)
    tree.setCurrentItem(item)
    tree.scrollToItem(item, QAbstractItemView.ScrollHint.PositionAtCenter)
    QApplication.processEvents()
    for edge in (96, 400, 128):
        zoom(panel, edge)
        row = tree.visualItemRect(item)
        assert 0 <= row.top() and row.bottom() <= tree.viewport().height(), (mode, edge)


def test_the_top_row_stays_at_the_top(panel):
    tree = panel.tree
    tree.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    tree.scrollToItem(tree.topLevelItem(20).child(1),
                      QAbstractItemView.ScrollHint.PositionAtTop)
    QApplication.processEvents()
    first = tree.itemAt(0, 0)
    for edge in (96, 400):
        zoom(panel, edge)
        assert tree.visualItemRect(first).top() == 0, edge
