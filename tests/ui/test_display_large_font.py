"""The window in a large system font (16 pt, as a desktop's "large text" setting gives): the
results' distance slider stays long enough to drag, the duplicates' column titles are not
cut off."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.models import ResultsModel
from desktop_app.ui.results_panel import ResultsPanel


@pytest.fixture
def large_font(qapp):
    kept = QApplication.font()
    font = QApplication.font()
    font.setPointSize(16)
    QApplication.setFont(font)
    yield
    QApplication.setFont(kept)


def test_the_distance_slider_stays_long_enough_to_drag(qtbot, large_font):
    """Beside its label and its value, the slider was 15 pixels wide in a 360-pixel panel."""
    panel = ResultsPanel(ResultsModel(None))
    qtbot.addWidget(panel)
    panel.resize(360, 500)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.slider.width() >= 200
    # The value is all shown: on two lines in a narrow panel, never cut off.
    value = panel.slider_label
    assert value.height() >= value.heightForWidth(value.width())
    # The panel can be made narrower than the words beside the slider (it was 437 at least).
    assert panel.minimumSizeHint().width() <= 300


def test_the_duplicates_columns_fit_their_titles(qtbot, large_font):
    """Fixed at 80 pixels, "Distance" was cut to "Distanc" in a 16-point font."""
    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    tree, header = panel.tree, panel.tree.header()
    assert tree.columnWidth(1) >= header.sectionSizeHint(1)
    # A name has as many letters of room as in the default font, not fewer.
    letters = tree.fontMetrics().averageCharWidth()
    assert tree.columnWidth(0) - tree.iconSize().width() >= 40 * letters
