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


def test_a_problem_has_the_warning_look_and_routine_news_after_it_the_plain_one(qtbot,
                                                                                 palette):
    """'3 photos could not be read', 'the folder is gone', 'the disk is full' looked as
    'Indexing: 12 added' did, and were read past. A problem is amber with the warning icon
    (colour alone is lost on a colour-blind user); the next routine message is plain again."""
    _window, bar = window_with_bar(qtbot)
    window_colour = palette.color(ROLES.Window)
    bar.show_problem("/photos/trip is not available (drive unplugged?).")
    qtbot.waitUntil(lambda: bar.notice.text().startswith("/photos/trip"), timeout=2000)
    assert bar.is_problem()
    edge, inside = edge_and_inside(bar)
    assert contrast(edge, window_colour) >= 1.5
    assert inside.red() > inside.blue() + 20  # amber, light or dark; not the highlight's blue
    assert contrast(palette.color(ROLES.WindowText), inside) >= 4.5
    image = bar.grab().toImage()
    area, text_left = bar.notice.geometry(), bar.notice.contentsRect().left()
    assert text_left >= bar.notice.fontMetrics().height()  # room for the icon before the text
    icon = {image.pixelColor(area.left() + x, area.center().y()).name()
            for x in range(6, text_left - 6)}
    assert icon - {inside.name()}  # something painted there: the icon
    assert bar.notice.accessibleDescription() == "Problem"

    bar.showMessage("Indexing /photos: 12 added")
    qtbot.waitUntil(lambda: bar.notice.text().startswith("Indexing"), timeout=2000)
    assert not bar.is_problem()
    _edge, inside = edge_and_inside(bar)
    assert inside.blue() > inside.red()  # the highlight's tint again
    assert bar.notice.contentsRect().left() < bar.notice.fontMetrics().height()
    assert bar.notice.accessibleDescription() == ""


def test_the_same_words_said_as_routine_after_a_problem_look_routine(qtbot, palette):
    """Qt says nothing when a message is shown again with the same text: the look follows the
    level given all the same; a timeout or clearMessage takes the problem down."""
    _window, bar = window_with_bar(qtbot)
    bar.show_problem("Search failed")
    assert bar.is_problem() and bar.notice.problem
    bar.showMessage("Search failed")
    assert not bar.is_problem() and not bar.notice.problem
    bar.show_problem("Search failed")
    bar.clearMessage()
    assert not bar.is_problem() and not bar.notice.problem
    bar.showMessage("Search failed")  # the words come back as routine news
    assert not bar.notice.problem


def test_a_screen_reader_reads_the_whole_notice_and_its_level(qtbot, palette):
    """A notice too long for its 4 lines loses its middle on screen (the whole in its
    tooltip): a screen reader read the shortened one, the remedy's start cut out."""
    from PySide6.QtGui import QAccessible

    def said(what) -> str:
        return QAccessible.queryAccessibleInterface(bar.notice).text(what)

    window, bar = window_with_bar(qtbot)
    window.resize(300, 300)
    long = "/photos/" + "a-very-long-folder-name/" * 30 + " is not available. Press Remove."
    bar.show_problem(long)
    qtbot.waitUntil(lambda: "…" in bar.notice.text(), timeout=2000)
    assert said(QAccessible.Text.Name) == long
    assert said(QAccessible.Text.Description) == "Problem"
    bar.showMessage("Ready")
    qtbot.waitUntil(lambda: bar.notice.text() == "Ready", timeout=2000)
    assert said(QAccessible.Text.Name) == "Ready"
    assert said(QAccessible.Text.Description) == ""
