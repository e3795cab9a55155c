"""The duplicates tab without a mouse: Space ticks, Delete moves the ticked photos to the
trash, Ctrl+Z puts them back, and the focus stays on the groups throughout."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from ui_helpers import as_group, duplicates_panel, photo_copies, use_own_trash

from desktop_app.ui.duplicates_panel import DuplicatesPanel


def shown_panel(qtbot, groups) -> DuplicatesPanel:
    panel = duplicates_panel(qtbot, groups)
    panel.show()
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=5000)
    return panel


def test_space_delete_and_ctrl_z_work_the_groups_from_the_keyboard(qtbot, tmp_path,
                                                                   monkeypatch):
    """Delete and Ctrl+Z did nothing, and after a move to the trash (or an Undo) the tree had
    no current row: the arrow keys started again from the top, a screen reader said nothing."""
    trash = use_own_trash(monkeypatch, tmp_path / "xdg")
    three = photo_copies(tmp_path / "copies", "three", 3)
    pair = photo_copies(tmp_path / "copies", "pair", 2)
    panel = shown_panel(qtbot, [as_group(three, 0), as_group(pair, 10)])
    tree = panel.tree
    tree.setFocus()
    tree.setCurrentItem(tree.topLevelItem(0).child(2))  # three2: ticked
    qtbot.keyClick(tree, Qt.Key.Key_Space)  # unticked: it stays
    assert panel.checked_paths() == [three[1], pair[1]]
    tree.setCurrentItem(tree.topLevelItem(0).child(1))  # three1, going to the trash
    with qtbot.waitSignal(panel.trashed, timeout=20000) as moved:
        qtbot.keyClick(tree, Qt.Key.Key_Delete)
    assert sorted(moved.args[0]) == sorted([three[1], pair[1]])
    assert not Path(three[1]).exists() and len(list((trash / "files").iterdir())) == 2
    assert panel.groups_shown() == [[three[0], three[2]]]
    assert tree.hasFocus()
    assert tree.currentItem() is tree.topLevelItem(0).child(1)  # three2 took its place
    with qtbot.waitSignal(panel.restored, timeout=5000):
        qtbot.keyClick(tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert Path(three[1]).exists()
    assert panel.groups_shown() == [[three[0], three[1], three[2]], [pair[0], pair[1]]]
    assert tree.hasFocus() and tree.currentItem().path == three[2]
    said = QAccessible.queryAccessibleInterface(tree).text(QAccessible.Text.Description)
    assert "Delete" in said and "Ctrl+Z" in said  # a screen reader tells how


def test_the_focus_stays_on_the_groups_when_the_buttons_are_pressed_from_the_keyboard(
        qtbot, tmp_path, monkeypatch):
    """Each button is disabled while it cannot act (the trash button while photos are moved,
    Undo with nothing left to put back): the focus on it went on to the next control, out of
    the tab, in the window to the watched folders."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    pair = photo_copies(tmp_path / "copies", "pair", 2)
    panel = shown_panel(qtbot, [as_group(pair, 0)])
    panel.trash_button.setFocus()
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        qtbot.keyClick(panel.trash_button, Qt.Key.Key_Space)
    assert panel.tree.hasFocus()
    panel.undo_button.setFocus()
    with qtbot.waitSignal(panel.restored, timeout=5000):
        qtbot.keyClick(panel.undo_button, Qt.Key.Key_Space)
    assert not panel.undo_button.isEnabled()
    assert panel.tree.hasFocus()
