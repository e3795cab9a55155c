"""The preview from the Duplicates tab: Enter or a double-click on a photo opens it, its arrows go
from copy to copy over the groups' rows (the tree's current photo following), a zoom kept
between copies of a group (in shares of the photo, so copies of other sizes line up) and fitted
in another group, the details saying whether the copy is ticked and where it is in its group,
Escape leaving the tree on the photo seen last, and a photo leaving its group while shown. Real
Qt offscreen, real photo files decoded on the preview's thread."""

from __future__ import annotations

import os

import pytest
from photos import make_photo
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from ui_helpers import keys_list_text, use_own_trash

from desktop_app.core.records import Match, Photo
from desktop_app.ui import file_actions
from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.photo_preview import PhotoPreview


@pytest.fixture
def groups_previewed(qtbot, tmp_path):
    """Two groups shown in a Duplicates panel in a window of its own: a photo and a copy of half
    its size, then three same-size copies of another photo; the library's records of them
    (their sizes), and a preview opened from the groups as the main window opens it. Closed
    afterwards, its decode waited for."""
    big = make_photo(tmp_path / "a" / "big.jpg", "coffee", size=(1600, 1200))
    half = make_photo(tmp_path / "a" / "half.jpg", "coffee", size=(800, 600))
    others = [make_photo(tmp_path / "b" / f"rocket{i}.jpg", "rocket", size=(900, 1200))
              for i in range(3)]
    sizes = {1: (1600, 1200), 2: (800, 600), 3: (900, 1200), 4: (900, 1200), 5: (900, 1200)}
    paths = [str(p) for p in (big, half, *others)]
    records = {i: Photo(i, paths[i - 1], 1, 1000, 1.0, *sizes[i], "ok", None) for i in sizes}
    groups = [[Match(1, paths[0], 0, 64), Match(2, paths[1], 2, 64)],
              [Match(3, paths[2], 0, 64), Match(4, paths[3], 1, 64), Match(5, paths[4], 1, 64)]]
    host = QWidget()
    qtbot.addWidget(host)
    panel = DuplicatesPanel(None, parent=host)
    QVBoxLayout(host).addWidget(panel)
    host.resize(1000, 700)
    host.show()
    qtbot.waitExposed(host)
    panel.set_groups(groups)
    preview = PhotoPreview(photo_of=records.get, parent=host)
    panel.tree.preview_requested.connect(lambda index: preview.show_for(panel.tree, index))
    yield panel, preview, paths
    preview.close()
    preview.shutdown()


def photo_item(panel: DuplicatesPanel, group: int, row: int):
    return panel.tree.topLevelItem(group).child(row)


def open_on(qtbot, panel: DuplicatesPanel, preview: PhotoPreview, group: int, row: int) -> None:
    """Enter on the photo at `row` of `group` (counted from 0), its picture decoded."""
    tree = panel.tree
    tree.setCurrentItem(photo_item(panel, group, row))
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert preview.isVisible()
    qtbot.waitUntil(lambda: preview.shown_picture() is not None, timeout=20000)


def current_path(panel: DuplicatesPanel) -> str | None:
    return getattr(panel.tree.currentItem(), "path", None)


def test_enter_and_a_double_click_open_the_preview_on_the_photo(qtbot, groups_previewed):
    panel, preview, paths = groups_previewed
    open_on(qtbot, panel, preview, 1, 1)
    assert preview.shown_path() == paths[3]
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    tree = panel.tree
    item = photo_item(panel, 0, 1)
    rect = tree.visualItemRect(item)
    # On its name, not its box: a double-click on the box still ticks it twice.
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton,
                      pos=rect.center())
    assert preview.isVisible() and preview.shown_path() == paths[1]
    assert item.checkState(0) == Qt.CheckState.Checked  # as set_groups ticked it
    # A screen reader says so, as it says the grids' Space.
    assert tree.accessibleDescription().startswith("Enter shows a photo large; Space ticks it;")


def test_the_arrows_go_from_copy_to_copy_across_the_groups(qtbot, groups_previewed):
    panel, preview, paths = groups_previewed
    open_on(qtbot, panel, preview, 0, 1)  # the last photo of group 1
    qtbot.keyClick(preview, Qt.Key.Key_Down)  # over group 2's row, to its first photo
    assert preview.shown_path() == paths[2] and current_path(panel) == paths[2]
    qtbot.keyClick(preview, Qt.Key.Key_Down)
    assert preview.shown_path() == paths[3] and current_path(panel) == paths[3]
    qtbot.keyClick(preview, Qt.Key.Key_Up)
    qtbot.keyClick(preview, Qt.Key.Key_Up)  # back into group 1, on its last photo
    assert preview.shown_path() == paths[1] and current_path(panel) == paths[1]
    qtbot.keyClick(preview, Qt.Key.Key_PageDown)  # as Down
    assert preview.shown_path() == paths[2]
    qtbot.keyClick(preview, Qt.Key.Key_End)  # its group's last photo
    assert preview.shown_path() == paths[4]
    qtbot.keyClick(preview, Qt.Key.Key_Home)  # its group's first: the one kept
    assert preview.shown_path() == paths[2] and current_path(panel) == paths[2]
    for _ in range(3):
        qtbot.keyClick(preview, Qt.Key.Key_PageUp)  # the first photo: stays there
    assert preview.shown_path() == paths[0] and preview.isVisible()


def test_the_zoom_and_place_are_kept_between_copies_of_a_group(qtbot, groups_previewed):
    """At 100% on the big copy, moved off centre: its half-size copy is shown enlarged to the
    same width (200%), the same point of the photo in the middle; the next group fitted."""
    panel, preview, paths = groups_previewed
    open_on(qtbot, panel, preview, 0, 0)
    view = preview.picture
    qtbot.keyClick(preview, Qt.Key.Key_Z)  # 100%
    for key in (Qt.Key.Key_Left, Qt.Key.Key_Left, Qt.Key.Key_Up):
        qtbot.keyClick(preview, key)  # moved about it
    before = view.photo_rect()
    assert not view.is_fitted()
    assert before.width() == pytest.approx(1600 / view.devicePixelRatioF())

    def looked_at(area):
        return ((view.width() / 2 - area.left()) / area.width(),
                (view.height() / 2 - area.top()) / area.height())

    qtbot.keyClick(preview, Qt.Key.Key_Down)  # zoomed in: the arrows move about the photo
    assert preview.shown_path() == paths[0]
    before = view.photo_rect()
    qtbot.keyClick(preview, Qt.Key.Key_PageDown)  # the half-size copy, same group
    assert preview.shown_path() == paths[1] and not view.is_fitted()
    assert view.scale() == pytest.approx(2.0)
    after = view.photo_rect()
    assert after.width() == pytest.approx(before.width())
    assert looked_at(after) == pytest.approx(looked_at(before), abs=2 / after.width())
    qtbot.keyClick(preview, Qt.Key.Key_PageUp)  # and back: the big copy as it was left
    assert preview.shown_path() == paths[0] and view.scale() == pytest.approx(1.0)
    assert looked_at(view.photo_rect()) == pytest.approx(looked_at(before),
                                                        abs=2 / before.width())
    qtbot.keyClick(preview, Qt.Key.Key_PageDown)
    qtbot.keyClick(preview, Qt.Key.Key_PageDown)  # another group: fitted
    assert preview.shown_path() == paths[2] and view.is_fitted()


def test_the_details_say_ticked_or_kept_and_the_place_in_the_group(qtbot, groups_previewed):
    panel, preview, _paths = groups_previewed
    trash = file_actions.trash_name()
    open_on(qtbot, panel, preview, 1, 0)
    assert preview.details.text().endswith("Kept (not ticked) · Group 2, 1 of 3")
    qtbot.keyClick(preview, Qt.Key.Key_Down)
    assert preview.details.text().endswith(f"Ticked for the {trash} · Group 2, 2 of 3")
    assert "900 x 1200 pixels" in preview.details.text()
    photo_item(panel, 1, 1).setCheckState(0, Qt.CheckState.Unchecked)  # in the tab, while shown
    assert preview.details.text().endswith("Kept (not ticked) · Group 2, 2 of 3")
    assert "Kept (not ticked)" in preview.accessibleDescription()


def test_escape_leaves_the_tree_on_the_photo_seen_last(qtbot, groups_previewed):
    panel, preview, paths = groups_previewed
    open_on(qtbot, panel, preview, 0, 0)
    for _ in range(3):
        qtbot.keyClick(preview, Qt.Key.Key_Down)
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert not preview.isVisible()
    assert current_path(panel) == paths[3]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.tree, timeout=5000)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)  # the tab's Space ticks the photo seen
    assert photo_item(panel, 1, 1).checkState(0) == Qt.CheckState.Unchecked


def test_a_photo_leaving_its_group_while_shown_is_followed_by_the_next(qtbot, groups_previewed):
    """Deleted by another program (or trashed from the tab): the preview moves on, as it does
    when a grid's row goes; its whole group gone, to the next group's first photo."""
    panel, preview, paths = groups_previewed
    open_on(qtbot, panel, preview, 1, 1)
    panel.drop_gone([paths[3]])
    assert preview.isVisible() and preview.shown_path() == paths[4]
    assert current_path(panel) == paths[4]
    assert preview.details.text().endswith("Group 2, 2 of 2")
    qtbot.keyClick(preview, Qt.Key.Key_Up)
    qtbot.keyClick(preview, Qt.Key.Key_Up)
    qtbot.keyClick(preview, Qt.Key.Key_Up)
    assert preview.shown_path() == paths[0]
    panel.drop_gone([paths[0]])  # group 1 is left with one photo: no group any more
    assert preview.shown_path() == paths[2] and current_path(panel) == paths[2]
    assert preview.details.text().endswith("Group 1, 1 of 2")


def test_the_window_opens_the_preview_from_the_groups(qtbot, make_window, tmp_path):
    """As from the grids: one preview, over the window, its notes said in the status bar."""
    paths = [str(make_photo(tmp_path / f"copy{i}.jpg", "chelsea", size=(300, 200)))
             for i in range(2)]
    window = make_window()
    window.tabs.setCurrentWidget(window.duplicates_panel)
    panel = window.duplicates_panel
    panel.set_groups([[Match(1, paths[0], 0, 64), Match(2, paths[1], 1, 64)]])
    panel.tree.setCurrentItem(photo_item(panel, 0, 1))
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Enter)
    preview = window.preview
    assert preview is not None and preview.isVisible()
    assert preview.shown_path() == paths[1] and preview.parentWidget() is window
    qtbot.waitUntil(preview.isActiveWindow, timeout=5000)
    qtbot.keyClick(preview, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert window.statusBar().currentMessage() == "Copied copy1.jpg"
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert not preview.isVisible()


def test_the_keys_list_names_the_duplicates_preview_keys(qtbot):
    text = keys_list_text(qtbot)
    assert "<b>Enter, double-click</b></td><td>Duplicates: the current photo large" in text
    assert "<td>Preview from the duplicates: the next or previous copy" in text
    assert "<b>Home, End</b></td><td>Preview from the duplicates: the first photo" in text


def test_groups_found_again_keep_the_preview_on_its_photo(qtbot, groups_previewed):
    """A new search while the preview is open (it can take minutes): the photo shown, in the
    new groups, stays the tree's current, and the arrows go on from it (they went nowhere: the
    tree had no current photo any more). Found again without it: the arrows go to the first."""
    panel, preview, paths = groups_previewed
    open_on(qtbot, panel, preview, 1, 1)
    groups = [[Match(3, paths[2], 0, 64), Match(4, paths[3], 1, 64), Match(5, paths[4], 1, 64)],
              [Match(1, paths[0], 0, 64), Match(2, paths[1], 2, 64)]]
    panel.set_groups(groups)
    assert current_path(panel) == paths[3] and preview.shown_path() == paths[3]
    assert preview.details.text().endswith("Group 1, 2 of 3")  # numbered anew
    qtbot.keyClick(preview, Qt.Key.Key_Down)
    assert preview.shown_path() == paths[4] and current_path(panel) == paths[4]
    panel.set_groups(groups[1:])
    assert preview.isVisible() and preview.shown_path() == paths[4]  # still shown
    qtbot.keyClick(preview, Qt.Key.Key_Down)
    assert preview.shown_path() == paths[0] and current_path(panel) == paths[0]


def test_a_photo_put_back_by_undo_is_shown_at_its_exact_path(qtbot, groups_previewed,
                                                             tmp_path, monkeypatch):
    """Its row has no library id then, and the preview read its path from PathRole's Qt
    string, which drops a name's bytes that are not UTF-8: "café.jpg" in Latin-1 was said not
    to be there."""
    panel, preview, paths = groups_previewed
    use_own_trash(monkeypatch, tmp_path / "xdg")
    latin1 = os.fsdecode(os.fsencode(tmp_path / "b") + b"/caf\xe9.jpg")
    os.rename(paths[3], latin1)
    panel.set_groups([[Match(3, paths[2], 0, 64), Match(4, latin1, 1, 64)]])
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_checked()
    with qtbot.waitSignal(panel.restored, timeout=20000):
        panel.undo()
    assert panel.groups_shown() == [[paths[2], latin1]]
    open_on(qtbot, panel, preview, 0, 1)
    assert preview.shown_path() == latin1
    assert preview.stack.currentWidget() is preview.picture
    assert preview.details.text().endswith("Kept (not ticked) · Group 1, 2 of 2")


def test_enter_on_a_photo_put_back_by_undo_searches_with_its_file(qtbot, make_window, tmp_path,
                                                                  monkeypatch):
    """Its row has no library id: Enter in the preview closed it and searched nothing (the
    window searched only a row with an id)."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    paths = [str(make_photo(tmp_path / f"copy{i}.jpg", "chelsea", size=(300, 200)))
             for i in range(2)]
    window = make_window()
    window.tabs.setCurrentWidget(window.duplicates_panel)
    panel = window.duplicates_panel
    panel.set_groups([[Match(1, paths[0], 0, 64), Match(2, paths[1], 1, 64)]])
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_checked()
    with qtbot.waitSignal(panel.restored, timeout=20000):
        panel.undo()
    panel.tree.setCurrentItem(photo_item(panel, 0, 1))
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Enter)
    preview = window.preview
    assert preview.shown_path() == paths[1]
    qtbot.waitUntil(preview.isActiveWindow, timeout=5000)
    qtbot.keyClick(preview, Qt.Key.Key_Enter)
    assert not preview.isVisible()
    assert window.results_panel.query_label.toolTip() == paths[1]
