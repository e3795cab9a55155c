"""The Watched folders list selects a folder on focus-in only when the user tabbed into it: at
start, and whenever another tab was chosen, the list got the focus and its first folder was
selected, Remove enabled, though the user chose nothing (a stray click forgot its photos).
Real FoldersPanel and MainWindow (offscreen), real focus changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget
from ui_helpers import indexed

from desktop_app.ui.folders_panel import FoldersPanel


def panel_between_buttons(qtbot):
    """A FoldersPanel with two folders between a button before it and one after it, shown in an
    active window (returned too: qtbot keeps only a weak reference)."""
    holder = QWidget()
    before, panel, after = QPushButton("before"), FoldersPanel(), QPushButton("after")
    layout = QVBoxLayout(holder)
    for widget in (before, panel, after):
        layout.addWidget(widget)
    qtbot.addWidget(holder)
    with qtbot.waitActive(holder):
        holder.show()
        holder.activateWindow()
    panel.set_folders(["/photos/a", "/photos/b"], [])
    return holder, panel, before, after


def chosen(panel) -> list[str]:
    return [item.text() for item in panel.list.selectedItems()]


@pytest.mark.parametrize("reason", [Qt.FocusReason.ActiveWindowFocusReason,
                                    Qt.FocusReason.OtherFocusReason,
                                    Qt.FocusReason.ShortcutFocusReason,
                                    Qt.FocusReason.PopupFocusReason])
def test_focus_not_from_the_keyboard_chooses_no_folder(qtbot, reason):
    _holder, panel, before, _ = panel_between_buttons(qtbot)
    before.setFocus()
    panel.list.setFocus(reason)
    assert panel.list.hasFocus()
    assert chosen(panel) == [] and not panel.remove_button.isEnabled()


@pytest.mark.parametrize("key, start", [(Qt.Key.Key_Tab, 0), (Qt.Key.Key_Backtab, 1)])
def test_tabbing_into_the_list_chooses_its_current_folder(qtbot, key, start):
    """Kept: a keyboard user reaches Remove, shown which folder it removes. Backtab from Add…
    (after the list), once a focus from elsewhere made the second row current."""
    _holder, panel, before, _ = panel_between_buttons(qtbot)
    panel.list.setFocus(Qt.FocusReason.OtherFocusReason)
    panel.list.setCurrentRow(start)
    panel.list.clearSelection()
    assert not panel.remove_button.isEnabled()
    source = before if key == Qt.Key.Key_Tab else panel.add_button
    source.setFocus()
    qtbot.keyClick(source, key)
    assert panel.list.hasFocus()
    assert chosen(panel) == [f"/photos/{'ab'[start]}"] and panel.remove_button.isEnabled()


def test_choosing_another_tab_chooses_no_folder(qtbot, make_window, library_photos):
    """Another tab chosen while a photo of the grid had the focus: Qt hands the focus on, as for
    a Tab, before the new tab's page takes it; the list was left with its first folder
    selected. At start the window's focus went there too (window activation)."""
    window = indexed(qtbot, make_window, library_photos, 6)
    panel = window.folders_panel
    with qtbot.waitActive(window):
        window.activateWindow()
    grid = window.grid
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton,
                     pos=grid.visualRect(window.photos_model.index(0)).center())
    assert grid.hasFocus()
    for tab in (1, 2, 3, 0):
        window.tabs.setCurrentIndex(tab)
        assert chosen(panel) == [] and not panel.remove_button.isEnabled(), tab
    panel.list.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
    assert chosen(panel) == [] and not panel.remove_button.isEnabled()
