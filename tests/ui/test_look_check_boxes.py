"""Every check box and radio button shows unticked, in a dark palette too: Fusion (Qt's style
for a desktop without one of its own) edged them in a colour 1.3:1 against the dialog's
background, so the Retrain dialog's *Mirror images*, unticked, showed no box at all. The
application's style (`visible_boxes`, as app.main sets it) outlines them."""

from __future__ import annotations

import pytest
from app_look import DARK, app_look, dark_palette
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QStyle, QStyleOptionButton

from desktop_app.ui.notice_bar import contrast
from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.visible_boxes import use_visible_boxes


@pytest.fixture(params=["light", "dark"])
def themed_app(request, qapp):
    """The application's style and style sheet as app.main sets them, in Fusion's light
    palette or a dark one."""
    with app_look(qapp, dark=request.param == "dark", app_style=True) as palette:
        yield palette


def box_edge_contrast(button, element: QStyle.SubElement) -> float:
    """The most any pixel of the button's box stands out from the dialog's background."""
    option = QStyleOptionButton()
    button.initStyleOption(option)
    box = button.style().subElementRect(element, option, button)
    image = button.grab().toImage()
    background = button.palette().color(QPalette.ColorRole.Window)
    return max(contrast(image.pixelColor(x, y), background)
               for x in range(box.left(), box.right() + 1)
               for y in range(box.top(), box.bottom() + 1)
               if QRect(0, 0, image.width(), image.height()).contains(x, y))


def test_the_retrain_dialogs_unticked_boxes_show(qtbot, themed_app):
    dialog = RetrainDialog(None)
    qtbot.addWidget(dialog)
    dialog.resume_choice.setVisible(True)  # its radio buttons too
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.flip_check.isChecked()
    assert box_edge_contrast(dialog.flip_check, QStyle.SubElement.SE_CheckBoxIndicator) >= 3.0
    unticked = dialog.afresh_radio
    assert not unticked.isChecked()
    assert box_edge_contrast(unticked, QStyle.SubElement.SE_RadioButtonIndicator) >= 3.0


def test_a_ticked_box_keeps_its_edge_and_a_focused_one_its_focus(qtbot, themed_app):
    """The outline is the unticked box's: a ticked box has it too. The keyboard's focus, which
    Fusion shows by edging the box in the highlight colour, is not drawn over."""
    dialog = RetrainDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    box = dialog.flip_check
    option = QStyleOptionButton()
    box.initStyleOption(option)
    place = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    unticked = box.grab().toImage().copy(place)
    box.setChecked(True)
    ticked = box.grab().toImage().copy(place)
    assert ticked != unticked
    for x in range(place.width()):  # the top edge, unchanged by the tick below it
        assert ticked.pixelColor(x, 0) == unticked.pixelColor(x, 0)
    box.setChecked(False)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    dialog.bits_spin.setFocus()
    qtbot.keyClick(dialog.bits_spin, Qt.Key.Key_Tab)  # Fusion edges a box Tab moved to
    qtbot.waitUntil(box.hasFocus, timeout=2000)
    focused = box.grab().toImage().copy(place)
    highlight = themed_app.color(QPalette.ColorRole.Highlight)
    assert focused != unticked
    assert any(contrast(focused.pixelColor(x, 0), highlight) < 1.5
               for x in range(place.width()))


def test_a_palette_changed_while_the_app_runs_is_measured_anew(qtbot, qapp):
    """A desktop switched from light to dark while Lookalike runs: the box measured in the
    light palette is measured again in the dark one, not outlined as before."""
    kept, style = qapp.palette(), qapp.style().name()
    use_visible_boxes(qapp)
    try:
        dialog = RetrainDialog(None)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        box = dialog.flip_check
        assert box_edge_contrast(box, QStyle.SubElement.SE_CheckBoxIndicator) >= 3.0
        qapp.setPalette(dark_palette())
        qtbot.waitUntil(lambda: box.palette().color(QPalette.ColorRole.Window) == QColor(
            DARK[QPalette.ColorRole.Window]), timeout=2000)
        assert box_edge_contrast(box, QStyle.SubElement.SE_CheckBoxIndicator) >= 3.0
    finally:
        qapp.setStyle(style)
        qapp.setPalette(kept)
