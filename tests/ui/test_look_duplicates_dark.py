"""The Duplicates tab in a dark palette (Fusion, as Qt uses it for a dark desktop without a
style of its own): an unticked photo's box must show against the list's background."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem
from ui_helpers import as_group, duplicates_panel, photo_copies

from desktop_app.paths import resources_dir
from desktop_app.ui.visible_boxes import use_visible_boxes

DARK = {QPalette.ColorRole.Window: "#353535", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#232323", QPalette.ColorRole.AlternateBase: "#2d2d2d",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#2a82da",
        QPalette.ColorRole.HighlightedText: "#ffffff"}


def luminance(colour: QColor) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in colour.getRgbF()[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.fixture
def dark_app(qapp):
    """The application in a dark palette, with the app's style and style sheet as app.main sets
    them (the style is then Qt's style sheet style over VisibleBoxes over Fusion); all taken
    off again."""
    light, style = qapp.palette(), qapp.style().name()
    palette = QPalette()
    for role, colour in DARK.items():
        palette.setColor(role, QColor(colour))
    qapp.setPalette(palette)
    use_visible_boxes(qapp)
    qapp.setStyleSheet((resources_dir() / "style" / "app.qss").read_text(encoding="utf-8"))
    yield palette
    qapp.setStyleSheet("")
    qapp.setStyle(style)
    qapp.setPalette(light)


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
