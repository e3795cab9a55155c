"""A selected photo in the grids is drawn as it is, its selection marked by a frame: the style
tinted a selected cell's thumbnail with the highlight colour (QIcon.Mode.Selected), and the
current photo looked washed out, as if disabled."""

from __future__ import annotations

import pytest
from app_look import app_look
from PySide6.QtCore import QItemSelectionModel, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QLineEdit, QStyle, QStyleOptionViewItem
from ui_helpers import as_group, photo_copies

from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.photo_grid import PhotoGrid
from desktop_app.ui.thumbnails import ThumbnailCache

EDGE = 96


def thumbnail() -> QPixmap:
    """A landscape thumbnail of four coloured quarters (a tint shows in each)."""
    image = QImage(EDGE, EDGE * 2 // 3, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    half_w, half_h = image.width() // 2, image.height() // 2
    for x, y, colour in ((0, 0, "#c03020"), (half_w, 0, "#20a040"), (0, half_h, "#e0c020"),
                         (half_w, half_h, "#101010")):
        painter.fillRect(x, y, image.width() - half_w, image.height() - half_h, QColor(colour))
    painter.end()
    return QPixmap.fromImage(image)


@pytest.fixture(params=["light", "dark"])
def palette(request, qapp):
    with app_look(qapp, dark=request.param == "dark") as palette:
        yield palette


def photo_place(grid: PhotoGrid, index, pixmap: QPixmap) -> QRect:
    """Where the cell's photo is drawn: its size centred in the style's room for it."""
    option = QStyleOptionViewItem()
    grid.initViewItemOption(option)
    option.rect = grid.visualRect(index)
    grid.itemDelegate().initStyleOption(option, index)
    room = grid.style().subElementRect(QStyle.SubElement.SE_ItemViewItemDecoration, option, grid)
    return QStyle.alignedRect(Qt.LayoutDirection.LeftToRight, Qt.AlignmentFlag.AlignCenter,
                              pixmap.size(), room)


@pytest.mark.parametrize("focused", [True, False])
def test_a_selected_photo_is_drawn_unaltered_and_framed(qtbot, palette, focused):
    pixmap = thumbnail()
    model = QStandardItemModel()
    for name in ("a.jpg", "b.jpg"):
        item = QStandardItem(name)
        item.setData(pixmap, Qt.ItemDataRole.DecorationRole)
        model.appendRow(item)
    grid = PhotoGrid(EDGE)
    grid.setModel(model)
    elsewhere = QLineEdit()
    qtbot.addWidget(grid)
    qtbot.addWidget(elsewhere)
    grid.resize(500, 300)
    grid.show()
    elsewhere.show()
    qtbot.waitExposed(grid)
    selected = model.index(0, 0)
    grid.selectionModel().setCurrentIndex(selected,
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect)
    (grid if focused else elsewhere).activateWindow()
    (grid if focused else elsewhere).setFocus()
    image = grid.viewport().grab().toImage()
    place = photo_place(grid, selected, pixmap)
    assert place.size() == QSize(pixmap.width(), pixmap.height())
    drawn = image.copy(place)
    own = pixmap.toImage().convertToFormat(drawn.format())
    assert drawn == own  # the thumbnail's own pixels, no tint
    # The selection shows around the photo: the cell's background is the highlight colour
    # (the inactive one in a window not active, as the style's own selection follows it).
    background = grid.viewport().palette().color(QPalette.ColorRole.Base)
    group = QPalette.ColorGroup.Active if grid.isActiveWindow() else QPalette.ColorGroup.Inactive
    highlight = palette.color(group, QPalette.ColorRole.Highlight)
    cell = grid.visualRect(selected)
    beside = (place.left() - 4, place.center().y()), (place.right() + 4, place.center().y())
    below = (place.center().x(), place.bottom() + 3)
    for x, y in (*beside, below):
        assert cell.contains(x, y)
        assert image.pixelColor(x, y).rgb() == highlight.rgb()
    assert highlight.rgb() != background.rgb()
    # An unselected cell keeps the list's background.
    other = photo_place(grid, model.index(1, 0), pixmap)
    assert image.pixelColor(other.left() - 4, other.center().y()).rgb() == background.rgb()


def test_the_duplicates_selected_photo_is_drawn_unaltered(qtbot, tmp_path, request, palette):
    """The copies of a group are compared by eye: the selected one was tinted too."""
    cache = ThumbnailCache(edge=EDGE, threads=1, disk_cache=False, scale=1.0)
    request.addfinalizer(cache.shutdown)
    paths = photo_copies(tmp_path, "cat", 2)
    panel = DuplicatesPanel(cache)
    qtbot.addWidget(panel)
    panel.set_groups([as_group(paths, 1)])
    panel.resize(700, 500)
    panel.show()
    qtbot.waitExposed(panel)
    tree = panel.tree
    row = tree.topLevelItem(0).child(1)
    qtbot.waitUntil(lambda: cache.pixmap(paths[1]) is not None, timeout=10000)
    tree.setCurrentItem(row)
    assert row.isSelected()
    pixmap = row.data(0, Qt.ItemDataRole.DecorationRole)
    index = tree.indexFromItem(row)
    option = QStyleOptionViewItem()
    tree.initViewItemOption(option)
    option.rect = tree.visualRect(index)
    tree.itemDelegate().initStyleOption(option, index)
    room = tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemDecoration, option, tree)
    place = QStyle.alignedRect(Qt.LayoutDirection.LeftToRight, Qt.AlignmentFlag.AlignCenter,
                               pixmap.deviceIndependentSize().toSize(), room)
    drawn = tree.viewport().grab().toImage().copy(place)
    own = pixmap.toImage()
    # The photo's pixels (a thumbnail is square, the photo's margins clear).
    photo = [(x, y) for y in range(own.height()) for x in range(own.width())
             if own.pixelColor(x, y).alpha() == 255]
    assert len(photo) >= 60 * 40  # the whole photo (not enlarged)
    assert all(drawn.pixelColor(x, y).rgb() == own.pixelColor(x, y).rgb() for x, y in photo)
