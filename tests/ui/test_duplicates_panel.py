"""The Duplicates panel on its own: real widgets (offscreen), real photo files, a real trash."""

from __future__ import annotations

import os

from photos import make_photo
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from ui_helpers import as_group, duplicates_panel, photo_copies, use_own_trash

from desktop_app.core.records import Match
from desktop_app.ui import file_actions
from desktop_app.ui.duplicates_panel import DuplicatesPanel, PathRole


def test_trashing_updates_the_headers_and_drops_groups_no_longer_duplicates(qtbot, tmp_path,
                                                                             monkeypatch):
    use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "copies"
    three, two, pair = (photo_copies(folder, "three", 3), photo_copies(folder, "two", 2),
                        photo_copies(folder, "pair", 2))
    panel = duplicates_panel(qtbot, [as_group(three, 0), as_group(two, 10), as_group(pair, 20)])
    tree = panel.tree

    def item_of(path):
        return next(top.child(j) for top in (tree.topLevelItem(i)
                                             for i in range(tree.topLevelItemCount()))
                    for j in range(top.childCount()) if top.child(j).data(0, PathRole) == path)

    item_of(three[2]).setCheckState(0, Qt.CheckState.Unchecked)  # one copy of three stays
    item_of(pair[0]).setCheckState(0, Qt.CheckState.Checked)  # the whole pair goes
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_button.click()
    # "three" keeps two photos (still duplicates); "two" keeps one and "pair" none: not shown.
    assert panel.groups_shown() == [[three[0], three[2]]]
    assert [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())] == \
        ["Group 1: 2 photos"]
    assert panel.checked_paths() == []
    assert panel.status.text().startswith("Moved 4 photos")



def test_a_photo_deleted_outside_the_app_is_said_gone_and_leaves_its_group(qtbot, tmp_path,
                                                                          monkeypatch):
    """Trashing it said "could not be moved to the trash (File not found ...); the file was
    left where it is", and the group kept it."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    three = photo_copies(tmp_path / "copies", "three", 3)
    panel = duplicates_panel(qtbot, [as_group(three, 0)])
    os.remove(three[2])  # by another program, while the groups are shown
    with qtbot.waitSignal(panel.trashed, timeout=20000) as trashed:
        panel.trash_button.click()
    assert trashed.args == [[three[1]]]  # only what really went to the trash
    assert panel.groups_shown() == []  # one photo left: no duplicate any more
    text = panel.status.text()
    assert text.startswith("Moved 1 photo ")
    assert f"{three[2]}: already gone" in text
    assert "left where it is" not in text and "could not be moved" not in text

def test_thumbnails_are_made_only_for_the_photos_in_view(qtbot, tmp_path):
    from desktop_app.ui.thumbnails import ThumbnailCache

    folder = tmp_path / "many"
    paths = photo_copies(folder, "IMG_", 1000)
    thumbnails = ThumbnailCache(edge=96, threads=1, disk_cache=False)
    asked, made = set(), set()
    real_pixmap = thumbnails.pixmap
    thumbnails.pixmap = lambda path: asked.add(path) or real_pixmap(path)
    thumbnails.ready.connect(made.add)
    panel = DuplicatesPanel(thumbnails)
    qtbot.addWidget(panel)
    panel.resize(700, 600)
    panel.show()
    panel.set_groups([as_group(paths[i:i + 2], i) for i in range(0, 1000, 2)])
    qtbot.waitUntil(lambda: paths[0] in made, timeout=30000)
    shown = QIcon(panel.tree.topLevelItem(0).child(0).data(0, Qt.ItemDataRole.DecorationRole))
    assert shown.pixmap(96).toImage() == real_pixmap(paths[0]).toImage()  # the thumbnail
    # A few screens' worth at most, not one per photo (5,000 groups started 10,000 jobs).
    assert len(asked) < 100
    panel.tree.scrollToBottom()
    qtbot.waitUntil(lambda: paths[-1] in made, timeout=30000)
    assert len(asked) < 200
    thumbnails.shutdown()


def test_photos_far_from_the_one_kept_are_shown_but_not_ticked(qtbot, tmp_path):
    """A group joins pairs, so a chain of them held photos 17-23 bits from the one kept at a
    distance of 12 (different trucks, found by an audit), all ticked for the trash."""
    paths = photo_copies(tmp_path, "truck", 4)
    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    group = [Match(1, paths[0], 0, 96), Match(2, paths[1], 8, 96), Match(3, paths[2], 12, 96),
             Match(4, paths[3], 19, 96)]
    panel.set_groups([group], max_distance=12)
    assert sorted(panel.checked_paths()) == sorted(paths[1:3])
    assert panel.groups_shown() == [paths]
    assert "at a distance of more than 12 from the one kept are not ticked" in panel.status.text()
    panel.set_groups([group[:3]], max_distance=12)
    assert "not ticked" not in panel.status.text()


def test_photos_whose_names_are_not_utf8_are_trashed_put_back_and_leave_their_groups(
        qtbot, tmp_path, monkeypatch):
    """A Latin-1 name (an old archive, a FAT drive). Undo said "the file is no longer in the
    trash (emptied or restored already)" while it was there: the trash entry's Path= was read
    as UTF-8. And a group's rows kept their paths as Qt strings, which drop such bytes: a copy
    left alone in its group (the kept photo deleted by another program) stayed ticked, unseen,
    and went to the trash with the next move."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "copies"
    keep, copy = photo_copies(folder, "cat", 2)
    latin1 = os.fsdecode(os.fsencode(folder) + b"/caf\xe9.jpg")
    os.rename(copy, latin1)
    other_keep, other_copy = photo_copies(folder, "dog", 2)
    other_latin1 = os.fsdecode(os.fsencode(folder) + b"/chien-\xe9t\xe9.jpg")
    os.rename(other_copy, other_latin1)
    panel = duplicates_panel(qtbot, [as_group([keep, latin1], 0),
                                     as_group([other_keep, other_latin1], 10)])
    assert sorted(panel.checked_paths()) == sorted([latin1, other_latin1])
    os.remove(other_keep)  # by another program: the copy is the only one left
    panel.drop_gone([other_keep])
    assert panel.groups_shown() == [[keep, latin1]]
    assert panel.checked_paths() == [latin1]
    with qtbot.waitSignal(panel.trashed, timeout=20000) as trashed:
        panel.trash_button.click()
    assert trashed.args == [[latin1]]
    assert os.path.exists(other_latin1) and not os.path.exists(latin1)
    with qtbot.waitSignal(panel.restored, timeout=20000) as restored:
        panel.undo_button.click()
    assert restored.args == [[latin1]]
    assert os.path.exists(latin1)
    assert panel.status.text() == "Put back 1 photo."


def test_two_ticked_names_of_one_file_both_go_to_the_trash(qtbot, tmp_path, monkeypatch):
    """copy1.jpg and copy2.jpg are hard links of one file, a copy of the kept photo: moving the
    first to the trash changes the file's change time (its link count), so the second was
    then said to have "changed since it was indexed" and left, although nobody touched it."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    keep, copy = photo_copies(tmp_path / "copies", "cat", 2)
    link = str(tmp_path / "copies" / "cat1-link.jpg")
    os.link(copy, link)
    indexed = {}
    for path in (keep, copy, link):  # as the library saw them
        st = os.stat(path)
        indexed[path] = (st.st_size, st.st_mtime, st.st_ctime_ns)
    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    panel.indexed_stamp = indexed.get
    panel.set_groups([as_group([keep, copy, link], 0)])
    assert sorted(panel.checked_paths()) == sorted([copy, link])
    with qtbot.waitSignal(panel.trashed, timeout=20000) as trashed:
        panel.trash_button.click()
    assert sorted(trashed.args[0]) == sorted([copy, link])
    assert not os.path.exists(copy) and not os.path.exists(link) and os.path.exists(keep)
    assert panel.status.text() == "Moved 2 photos to the trash."


def item_of(panel, path):
    tree = panel.tree
    return next(top.child(j) for top in (tree.topLevelItem(i)
                                         for i in range(tree.topLevelItemCount()))
                for j in range(top.childCount()) if top.child(j).path == path)


def trash_ticked(qtbot, panel) -> list[str]:
    with qtbot.waitSignal(panel.trashed, timeout=20000) as trashed:
        panel.trash_button.click()
    return sorted(trashed.args[0])


def undo_and_wait(qtbot, panel) -> list[str]:
    with qtbot.waitSignal(panel.restored, timeout=20000) as restored:
        panel.undo_button.click()
    return sorted(restored.args[0])


def test_undo_puts_back_only_the_last_move_to_the_trash_then_the_one_before(
        qtbot, tmp_path, monkeypatch):
    """Undo put back every photo trashed since the app started: copies trashed in one group,
    then in another, all came back at the first press."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "copies"
    group_a, group_b = photo_copies(folder, "a", 2), photo_copies(folder, "b", 3)
    panel = duplicates_panel(qtbot, [as_group(group_a, 0), as_group(group_b, 10)])
    for path in group_b[1:]:
        item_of(panel, path).setCheckState(0, Qt.CheckState.Unchecked)
    assert trash_ticked(qtbot, panel) == group_a[1:]
    assert panel.undo_button.text() == "Undo: put back 1 photo"
    for path in group_b[1:]:
        item_of(panel, path).setCheckState(0, Qt.CheckState.Checked)
    assert trash_ticked(qtbot, panel) == group_b[1:]
    assert panel.undo_button.text() == "Undo: put back 2 photos"
    assert undo_and_wait(qtbot, panel) == group_b[1:]
    assert all(os.path.exists(path) for path in group_b)
    assert not os.path.exists(group_a[1])
    assert panel.status.text() == "Put back 2 photos."
    assert panel.undo_button.isEnabled()
    assert panel.undo_button.text() == "Undo: put back 1 photo"
    assert undo_and_wait(qtbot, panel) == group_a[1:]
    assert os.path.exists(group_a[1])
    assert not panel.undo_button.isEnabled() and panel.undo_button.text() == "Undo"


def test_undo_never_puts_a_photo_over_a_file_now_at_its_name(qtbot, tmp_path, monkeypatch):
    """The rule kept with the undo stack: a name taken meanwhile (even by a broken link) is
    the user's; that photo stays in the trash, the others come back, and what has the name now
    does not join the group (it is not the photo)."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    keep, copy1, copy2 = photo_copies(tmp_path / "copies", "cat", 3)
    panel = duplicates_panel(qtbot, [as_group([keep, copy1, copy2], 0)])
    assert trash_ticked(qtbot, panel) == [copy1, copy2]
    os.symlink("nowhere.jpg", copy1)  # a new file by that name, here a link to nothing
    assert undo_and_wait(qtbot, panel) == [copy2]
    assert os.readlink(copy1) == "nowhere.jpg"
    assert f"{copy1}: another file now has this name" in panel.status.text()
    assert not panel.undo_button.isEnabled()
    assert panel.groups_shown() == [[keep, copy2]]


def test_undo_puts_back_a_trashed_link_whose_target_it_no_longer_reaches(
        qtbot, tmp_path, monkeypatch):
    """A copy that is a relative symbolic link to a photo elsewhere goes to the trash as a
    link, which the trash folder leaves pointing nowhere: Undo took it for a file no longer
    in the trash (its check followed the link) and left it there."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "copies"
    keep, elsewhere = photo_copies(folder, "cat", 2)
    link = str(folder / "shown" / "cat-link.jpg")
    os.makedirs(os.path.dirname(link))
    os.symlink(os.path.join("..", os.path.basename(elsewhere)), link)
    panel = duplicates_panel(qtbot, [as_group([keep, link], 0)])
    assert trash_ticked(qtbot, panel) == [link]
    assert not os.path.lexists(link) and os.path.exists(elsewhere)
    assert undo_and_wait(qtbot, panel) == [link]
    assert os.readlink(link) == os.path.join("..", os.path.basename(elsewhere))
    assert os.path.exists(link)


def test_photos_put_back_by_undo_return_to_the_groups_they_were_taken_from(
        qtbot, tmp_path, monkeypatch):
    """Undo put the files back, but not in their groups: the user had to find duplicates all
    over again to see them. A group still shown takes its photo back where it was; one gone
    for want of two photos is shown again; one whose other photo is gone meanwhile is not."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "copies"
    three, pair, lone = (photo_copies(folder, "three", 3), photo_copies(folder, "pair", 2),
                         photo_copies(folder, "lone", 2))
    panel = duplicates_panel(qtbot, [[Match(0, three[0], 0, 48), Match(1, three[1], 2, 48),
                       Match(2, three[2], 3, 48)], as_group(pair, 10), as_group(lone, 20)])
    item_of(panel, three[2]).setCheckState(0, Qt.CheckState.Unchecked)
    assert trash_ticked(qtbot, panel) == sorted([three[1], pair[1], lone[1]])
    assert panel.groups_shown() == [[three[0], three[2]]]
    os.remove(lone[0])  # by another program: the copy put back has no group left
    assert undo_and_wait(qtbot, panel) == sorted([three[1], pair[1], lone[1]])
    assert panel.groups_shown() == [three, pair]
    tree = panel.tree
    assert [tree.topLevelItem(i).text(0) for i in range(2)] == ["Group 1: 3 photos",
                                                                "Group 2: 2 photos"]
    assert tree.topLevelItem(1).isExpanded()
    assert item_of(panel, three[1]).text(1) == "2"  # its distance to the photo kept
    assert panel.checked_paths() == []  # wanted back: not offered to the trash again at once
    item_of(panel, pair[1]).setCheckState(0, Qt.CheckState.Checked)
    assert trash_ticked(qtbot, panel) == [pair[1]]  # and can go again
    assert panel.groups_shown() == [three]


def test_undo_after_a_new_search_does_not_put_a_photo_with_a_picture_it_does_not_copy(
        qtbot, tmp_path, monkeypatch):
    """The photo kept from a copy's group was edited meanwhile (another picture now) and a new
    search showed it in a group with copies of that picture: Undo put the copy into that group,
    among pictures it is no copy of, because the kept photo's path was shown there."""
    from desktop_app.core.scan import change_time

    use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "copies"
    keep, copy = photo_copies(folder, "cat", 2)
    other = str(make_photo(folder / "rocket.jpg", "rocket", size=(60, 40)))

    def stamp(path):
        st = os.stat(path)
        return (st.st_size, st.st_mtime, change_time(st))

    stamps = {path: stamp(path) for path in (keep, copy, other)}
    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    panel.indexed_stamp = stamps.get
    panel.set_groups([as_group([keep, copy], 0)])
    assert trash_ticked(qtbot, panel) == [copy]
    with open(other, "rb") as source, open(keep, "wb") as edited:  # saved over by an editor
        edited.write(source.read())
    stamps[keep] = stamp(keep)  # indexed again: a copy of the rocket now
    panel.set_groups([as_group([keep, other], 10)])  # Find duplicates again
    assert undo_and_wait(qtbot, panel) == [copy]
    assert os.path.exists(copy)
    assert panel.groups_shown() == [[keep, other]]


def test_an_unexpected_error_moving_to_the_trash_says_what_was_moved_and_what_stopped(
        qtbot, tmp_path, monkeypatch):
    """The trash's thread died on an error no file gives (a bug): nothing was said, the Trash
    button stayed off, and the photos moved before it stayed in their groups, not kept for
    Undo."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    three = photo_copies(tmp_path / "copies", "three", 3)
    panel = duplicates_panel(qtbot, [as_group(three, 0)])
    real_move = file_actions.move_to_trash

    def move_to_trash(path):
        if path == three[2]:
            raise RuntimeError("a bug")
        return real_move(path)

    monkeypatch.setattr(file_actions, "move_to_trash", move_to_trash)
    with qtbot.waitSignal(panel.trashed, timeout=20000) as trashed:
        panel.trash_button.click()
    assert trashed.args == [[three[1]]]
    assert not os.path.exists(three[1]) and os.path.exists(three[2])
    assert panel.groups_shown() == [[three[0], three[2]]]
    text = panel.status.text()
    assert text.startswith("Moved 1 photo ")
    assert (f"Moving stopped at {three[2]} by an unexpected error (RuntimeError('a bug'); "
            "details in the log): the photos not said moved were left where they are.") in text
    assert panel.trash_button.isEnabled()
