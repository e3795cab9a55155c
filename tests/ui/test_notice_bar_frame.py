"""A notice in the status bar reads as something said: plain text on the window's background
looked like part of the window. Real NoticeBar in a real window (offscreen), grabbed as the
screen shows it, in Qt's light Fusion palette and in its dark one."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from desktop_app.ui.notice_bar import NoticeBar

ROLES = QPalette.ColorRole


def fusion_dark() -> QPalette:
    """Qt's Fusion palette for a dark colour scheme (qt_fusionPalette, Qt >= 6.5)."""
    window, text = QColor(50, 50, 50), QColor(240, 240, 240)
    palette = QPalette(text, window, window.lighter(150), window.darker(150),
                       window.darker(130), text, window.darker(140))
    palette.setColor(ROLES.Button, window)
    palette.setColor(ROLES.ButtonText, text)
    palette.setColor(ROLES.Highlight, QColor(48, 140, 198))
    palette.setColor(ROLES.HighlightedText, text)
    return palette


@pytest.fixture(params=["light", "dark"])
def palette(request, qapp):
    kept = QApplication.palette()
    QApplication.setPalette(qapp.style().standardPalette() if request.param == "light"
                            else fusion_dark())
    yield QApplication.palette()
    QApplication.setPalette(kept)


def luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(x) for x in color.getRgbF()[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def window_with_bar(qtbot) -> tuple[QMainWindow, NoticeBar]:
    window = QMainWindow()
    bar = NoticeBar()
    window.setStatusBar(bar)
    bar.addPermanentWidget(QLabel("1,234 photos"))
    qtbot.addWidget(window)
    window.resize(700, 300)
    window.show()
    qtbot.waitExposed(window)
    return window, bar


def edge_and_inside(bar: NoticeBar) -> tuple[QColor, QColor]:
    """The colours of the notice's right edge and just inside it, halfway down (no text there:
    the notice is short)."""
    image = bar.grab().toImage()
    area = bar.notice.geometry()
    y = area.center().y()
    return image.pixelColor(area.right(), y), image.pixelColor(area.right() - 4, y)


def test_a_notice_has_a_tinted_frame_that_follows_the_palette(qtbot, palette):
    _window, bar = window_with_bar(qtbot)
    window_colour = palette.color(ROLES.Window)
    bar.showMessage("Ready")
    qtbot.waitUntil(lambda: bar.notice.text() == "Ready", timeout=2000)
    edge, inside = edge_and_inside(bar)
    assert contrast(edge, window_colour) >= 1.5  # a frame one sees
    assert inside != window_colour  # tinted inside
    # toward the highlight, not just any colour: blue in both palettes here
    assert inside.blue() > inside.red()
    assert contrast(palette.color(ROLES.WindowText), inside) >= 4.5  # the text still reads
    bar.clearMessage()
    qtbot.waitUntil(lambda: bar.notice.text() == "", timeout=2000)
    edge, inside = edge_and_inside(bar)
    assert edge == window_colour and inside == window_colour  # nothing said, nothing shown
