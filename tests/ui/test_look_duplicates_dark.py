"""The Duplicates tab in a dark palette (Fusion, as Qt uses it for a dark desktop without a
style of its own): an unticked photo's box must show against the list's background."""

from __future__ import annotations

import pytest
from app_look import app_look
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem
from ui_helpers import as_group, duplicates_panel, photo_copies

from desktop_app.ui.notice_bar import contrast


@pytest.fixture
def dark_app(qapp):
    """The application in a dark palette, with the app's style and style sheet as app.main sets
    them (the style is then Qt's style sheet style over VisibleBoxes over Fusion)."""
    with app_look(qapp, dark=True, app_style=True) as palette:
        yield palette


def test_an_unticked_box_shows_in_a_dark_palette(qtbot, tmp_path, qapp, dark_app):
    """Fusion outlined it in a colour 1.0:1 against the list's background: the photo kept in
    each group (never ticked) showed no box at all."""
    panel = duplicates_panel(qtbot, [as_group(photo_copies(tmp_path, "cat", 2), 1)])
    panel.resize(700, 500)
    panel.show()
    qtbot.waitExposed(panel)
    tree = panel.tree
    kept = tree.topLevelItem(0).child(0)
    tree.setCurrentItem(tree.topLevelItem(0))
    tree.clearSelection()
    option = QStyleOptionViewItem()
    tree.initViewItemOption(option)
    option.rect = tree.visualItemRect(kept)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, tree)
    image = tree.viewport().grab().toImage()
    background = dark_app.color(QPalette.ColorRole.Base)
    edge = [image.pixelColor(x, box.top()) for x in range(box.left(), box.right())] + [
        image.pixelColor(box.left(), y) for y in range(box.top(), box.bottom())]
    assert max(contrast(c, background) for c in edge) >= 3.0  # WCAG's for a control's edge
