"""Duplicate groups and the library changing under them: while Find duplicates runs (it works on
the library as it was when pressed, and takes minutes on a big library at a large distance) a
photo is deleted, its folder removed, another picture saved over a copy, a copy renamed; and
groups shown that lose their kept photo (told, or unseen by the library), whose copy the library
indexed anew unseen by them, or whose photos are renamed in a chain; the preview of a copy as
the app ends. Real window offscreen, real library, real photos and model; the search held in
its last step (keeper_first, the header reads) until the library has changed."""

from __future__ import annotations

import os
import threading

import pytest
from photos import make_photo
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from shiboken6 import Shiboken
from ui_helpers import (
    as_group,
    duplicates_panel,
    indexed,
    photo_copies,
    use_own_trash,
    wait_rows,
)

from desktop_app.core.scan import change_time
from desktop_app.ui import search_controller
from desktop_app.ui.duplicates_panel import DuplicatesPanel
from desktop_app.ui.photo_preview import PhotoPreview

NO_GROUPS_LEFT = ("No groups left: photos in them left the library or changed since they were "
                  "found.")


@pytest.fixture
def held_search(monkeypatch):
    """Find duplicates held at its first group's keeper_first (started: set once there) until
    `release` is set; the search then ends as usual."""
    started, release = threading.Event(), threading.Event()
    real = search_controller.keeper_first

    def held(group, snapshot, should_stop):
        started.set()
        while not release.wait(0.05) and not should_stop():
            pass
        return real(group, snapshot, should_stop)

    monkeypatch.setattr(search_controller, "keeper_first", held)
    yield started, release
    release.set()


def searching(qtbot, make_window, folder, held_search):
    """The window on the library photos (chelsea.jpg and its copy chelsea-small.jpg are the one
    group at distance 3), Find duplicates pressed and held in its last step."""
    window = indexed(qtbot, make_window, folder, 6)
    panel = window.duplicates_panel
    panel.distance_spin.setValue(3)
    panel.find_button.click()
    started, _release = held_search
    assert started.wait(30)
    return window, panel


def released(qtbot, window, held_search) -> list:
    """Let the search end; the groups it says it shows."""
    _started, release = held_search
    with qtbot.waitSignal(window.duplicates_shown, timeout=30000) as shown:
        release.set()
    return shown.args[0]


def stamp_of(path: str) -> tuple:
    st = os.stat(path)
    return st.st_size, st.st_mtime, change_time(st)


def test_a_photo_deleted_during_the_search_is_not_in_its_group(
        qtbot, make_window, library_photos, held_search, watch_returns_started):
    """The group came as it was found: the deleted copy shown, ticked, its file gone."""
    window, panel = searching(qtbot, make_window, library_photos, held_search)
    os.remove(library_photos / "chelsea-small.jpg")  # in a file manager
    wait_rows(qtbot, window, 5)
    assert released(qtbot, window, held_search) == []
    assert panel.groups_shown() == [] and panel.checked_paths() == []
    # Not "No near-identical photos at this distance": there were, and they left.
    assert panel.status.text() == NO_GROUPS_LEFT


def test_a_folder_removed_during_the_search_takes_its_photos_out_of_the_groups(
        qtbot, make_window, library_photos, held_search):
    window, panel = searching(qtbot, make_window, library_photos, held_search)
    window.remove_folder(str(library_photos))
    wait_rows(qtbot, window, 0)
    assert released(qtbot, window, held_search) == []
    assert panel.groups_shown() == []
    assert panel.status.text() == NO_GROUPS_LEFT  # the photos are still there: not "deleted"
    assert (library_photos / "chelsea-small.jpg").exists()


def test_a_copy_saved_over_during_the_search_is_neither_offered_nor_trashed(
        qtbot, make_window, library_photos, held_search, watch_returns_started, tmp_path,
        monkeypatch):
    """Another picture saved over the ticked copy while the search ran, and indexed before it
    ended: the group came with the copy ticked, and Move ticked photos to the trash moved the
    other picture (the file as the library had indexed it by then)."""
    trash = use_own_trash(monkeypatch, tmp_path / "xdg")
    window, panel = searching(qtbot, make_window, library_photos, held_search)
    small = str(library_photos / "chelsea-small.jpg")
    before = window.photos_model.stamp_of_path(small)
    make_photo(library_photos / "chelsea-small.jpg", "rocket", size=(300, 200))
    rocket = (library_photos / "chelsea-small.jpg").read_bytes()
    qtbot.waitUntil(lambda: window.photos_model.stamp_of_path(small) not in (before, None),
                    timeout=30000)
    assert released(qtbot, window, held_search) == []
    assert panel.groups_shown() == [] and panel.checked_paths() == []
    assert panel.status.text() == NO_GROUPS_LEFT
    panel.trash_button.click()
    panel.wait_trashed()
    assert (library_photos / "chelsea-small.jpg").read_bytes() == rocket
    assert not trash.exists()


def test_a_copy_renamed_during_the_search_is_shown_and_trashed_by_its_new_name(
        qtbot, make_window, library_photos, held_search, watch_returns_started, tmp_path,
        monkeypatch):
    trash = use_own_trash(monkeypatch, tmp_path / "xdg")
    window, panel = searching(qtbot, make_window, library_photos, held_search)
    renamed = str(library_photos / "chelsea-renamed.jpg")
    os.rename(library_photos / "chelsea-small.jpg", renamed)
    qtbot.waitUntil(lambda: window.photos_model.row_of_path(renamed) is not None, timeout=30000)
    (group,) = released(qtbot, window, held_search)
    keep = str(library_photos / "chelsea.jpg")
    assert [m.path for m in group] == [keep, renamed]
    assert panel.groups_shown() == [[keep, renamed]] and panel.checked_paths() == [renamed]
    with qtbot.waitSignal(panel.trashed, timeout=20000) as trashed:
        panel.trash_button.click()
    assert trashed.args == [[renamed]]
    assert os.listdir(trash / "files") == ["chelsea-renamed.jpg"]


def test_a_group_whose_kept_photo_left_goes(qtbot, tmp_path):
    """Deleted by another program, the photo kept of three left the other two in their group,
    both ticked: Move ticked photos to the trash then took every copy of the picture."""
    three, two = photo_copies(tmp_path, "a", 3), photo_copies(tmp_path, "b", 2)
    panel = duplicates_panel(qtbot, [as_group(three, 1), as_group(two, 10)])
    assert len(panel.checked_paths()) == 3
    os.remove(three[0])
    panel.drop_gone([three[0]])
    assert panel.groups_shown() == [two]
    assert panel.checked_paths() == [two[1]]
    assert panel.status.text() == "1 group of near-identical photos."
    panel.drop_gone([two[1]])
    assert panel.status.text() == NO_GROUPS_LEFT


def test_a_copy_indexed_anew_unseen_by_its_group_is_left_where_it_is(qtbot, tmp_path,
                                                                      monkeypatch):
    """The trash's check compared the file with the library's stamp now: a copy whose new
    content the library had indexed before its group heard of it (its change not yet followed)
    matched, and went to the trash. It is compared with the stamp its group was found with."""
    trash = use_own_trash(monkeypatch, tmp_path / "xdg")
    keep, copy = photo_copies(tmp_path / "photos", "cat", 2)
    indexed_now = {path: stamp_of(path) for path in (keep, copy)}  # the library's stamps
    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    panel.indexed_stamp = indexed_now.get
    panel.set_groups([as_group([keep, copy], 1)])
    assert panel.checked_paths() == [copy]
    make_photo(tmp_path / "photos" / "cat1.jpg", "rocket", size=(60, 40))  # saved over it
    indexed_now[copy] = stamp_of(copy)  # and indexed
    panel.trash_button.click()
    panel.wait_trashed()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Moved "), timeout=10000)
    assert os.path.exists(copy) and not trash.exists()
    assert f"{copy} changed since it was indexed" in panel.status.text()
    assert panel.groups_shown() == []


def test_the_preview_leaves_the_group_details_once_the_groups_are_cleared(
        qtbot, make_window, library_photos):
    """The model switched (or the groups emptied): the preview of a ticked copy went on saying
    "distance 0 · 100% similar · Ticked for the Trash · Group 1, 2 of 2", to a screen reader
    too, of groups no longer there."""
    window = indexed(qtbot, make_window, library_photos, 6)
    panel = window.duplicates_panel
    panel.distance_spin.setValue(3)
    with qtbot.waitSignal(window.duplicates_shown, timeout=20000):
        panel.find_button.click()
    window.tabs.setCurrentWidget(panel)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0).child(1))
    preview = window.open_preview(panel.tree, panel.tree.currentIndex())
    qtbot.waitUntil(lambda: preview.shown_picture() is not None, timeout=20000)
    assert "Ticked for the" in preview.details.text()
    window.search.clear_duplicates("The model changed: press Find duplicates to look again "
                                   "with the new codes.")
    assert preview.isVisible() and preview.shown_path() == str(library_photos /
                                                               "chelsea-small.jpg")
    assert preview.details.text() == "chelsea-small.jpg · 300 x 200 pixels"
    assert "Ticked" not in preview.accessibleDescription()
    assert "Group" not in preview.accessibleDescription()
    preview.close()


def test_a_copy_changed_while_the_search_ran_is_checked_against_the_stamp_it_was_found_with(
        qtbot, tmp_path, monkeypatch):
    """The second line of defence behind show_found's following: a copy the search found, saved
    over and indexed anew before the groups came (the window notes the stamp it had), is not
    trashed even were its group never told that it changed."""
    trash = use_own_trash(monkeypatch, tmp_path / "xdg")
    keep, copy = photo_copies(tmp_path / "photos", "cat", 2)
    indexed_now = {path: stamp_of(path) for path in (keep, copy)}
    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    panel.indexed_stamp = indexed_now.get
    panel.begin_search()
    make_photo(tmp_path / "photos" / "cat1.jpg", "rocket", size=(60, 40))  # saved over it
    panel.note_indexed(copy, indexed_now[copy])  # as the window does before its grid takes
    indexed_now[copy] = stamp_of(copy)  # the new record
    panel.show_found([as_group([keep, copy], 1)])
    assert panel.checked_paths() == [copy]
    panel.trash_button.click()
    panel.wait_trashed()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Moved "), timeout=10000)
    assert os.path.exists(copy) and not trash.exists()
    assert f"{copy} changed since it was indexed" in panel.status.text()


def test_a_chain_of_renames_told_at_once_leaves_each_photo_in_its_own_group(
        qtbot, tmp_path, monkeypatch):
    """A renaming tool shifting numbers up (IMG_2 -> IMG_3, then IMG_1 -> IMG_2), the library
    telling both moves at once, IMG_1's first: IMG_1's row joined IMG_2's and went on with them
    to IMG_3, so its group's tick sent IMG_3, the photo kept of the other group, to the trash
    with that group's copy: every file of that picture."""
    trash = use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "photos"
    keep = str(make_photo(folder / "chelsea.jpg", "chelsea", size=(60, 40)))
    img = {n: str(folder / f"IMG_{n}.jpg") for n in (1, 2, 3)}
    (folder / "IMG_1.jpg").write_bytes((folder / "chelsea.jpg").read_bytes())
    make_photo(folder / "IMG_2.jpg", "rocket", size=(40, 60))
    other = str(folder / "rocket.jpg")
    (folder / "rocket.jpg").write_bytes((folder / "IMG_2.jpg").read_bytes())
    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    indexed_now = {path: stamp_of(path) for path in (keep, img[1], img[2], other)}
    panel.indexed_stamp = indexed_now.get
    panel.set_groups([as_group([keep, img[1]], 1), as_group([img[2], other], 10)])
    assert panel.checked_paths() == [img[1], other]
    os.rename(img[2], img[3])
    os.rename(img[1], img[2])
    indexed_now.update({img[2]: stamp_of(img[2]), img[3]: stamp_of(img[3])})
    del indexed_now[img[1]]
    panel.follow_moves({img[1]: img[2], img[2]: img[3]})
    assert panel.groups_shown() == [[keep, img[2]], [img[3], other]]
    assert sorted(panel.checked_paths()) == [img[2], other]
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_button.click()
    assert sorted(os.listdir(trash / "files")) == ["IMG_2.jpg", "rocket.jpg"]
    assert (folder / "IMG_3.jpg").read_bytes() == (trash / "files" / "rocket.jpg").read_bytes()


def test_the_window_deleted_with_the_preview_of_a_copy_still_shown_says_nothing(qtbot, tmp_path):
    """Ctrl-C or SIGTERM (a logout) end the app without closing the preview (app.exit: Quit and
    the close button close every window). The main window, deleted as Python ends, deletes the
    groups' tree before the preview, and the tree's rows are cleared as it goes: the preview
    asked the deleted tree for its model, "RuntimeError: Internal C++ object (GroupsTree)
    already deleted", said in the unexpected error's dialog, which kept the app from ending."""
    host = QWidget()  # the main window: not qtbot's to close, it is deleted here
    panel = DuplicatesPanel(None, parent=host)
    panel.set_groups([as_group(photo_copies(tmp_path, "cat", 2), 1)])
    preview = PhotoPreview(parent=host)  # made after the tree, as the window makes it
    host.show()
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0).child(1))
    preview.show_for(panel.tree, panel.tree.currentIndex())
    qtbot.waitUntil(lambda: preview.shown_picture() is not None, timeout=20000)
    preview.shutdown()
    assert preview.isVisible()
    Shiboken.delete(host)  # (pytest-qt fails the test on an error raised in a slot meanwhile)
    assert not Shiboken.isValid(preview)


@pytest.mark.parametrize("change", ["deleted", "saved over"])
def test_copies_of_a_kept_photo_gone_unseen_by_the_library_are_left_where_they_are(
        qtbot, tmp_path, monkeypatch, change):
    """The photo kept deleted or saved over while indexing is paused (or before the library saw
    it, or in a folder it polls): its group still shown, Move ticked photos to the trash moved
    both copies, the last files of the picture. Another photo left to stay, they go."""
    trash = use_own_trash(monkeypatch, tmp_path / "xdg")
    keep, *copies = photo_copies(tmp_path / "photos", "cat", 3)
    panel = DuplicatesPanel(None)
    qtbot.addWidget(panel)
    panel.indexed_stamp = {path: stamp_of(path) for path in (keep, *copies)}.get
    panel.set_groups([as_group([keep, *copies], 1)])
    if change == "deleted":
        os.remove(keep)
    else:
        make_photo(tmp_path / "photos" / "cat0.jpg", "rocket", size=(60, 40))
    panel.trash_button.click()
    panel.wait_trashed()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Moved "), timeout=10000)
    assert all(map(os.path.exists, copies)) and not trash.exists()
    assert (f"{copies[0]} is a copy of {keep}, which is gone or changed since the group was "
            "found") in panel.status.text()
    assert panel.groups_shown() == []
    # The user keeping another copy instead: that one stays, the others may go.
    panel.set_groups([as_group(copies, 1)])
    first, second = map(panel.tree.topLevelItem(0).child, (0, 1))
    first.setCheckState(0, Qt.CheckState.Checked)
    second.setCheckState(0, Qt.CheckState.Unchecked)
    with qtbot.waitSignal(panel.trashed, timeout=20000) as trashed:
        panel.trash_button.click()
    assert trashed.args == [[copies[0]]]


def test_a_chain_of_renames_in_the_window_trashes_the_copies_it_ticked(
        qtbot, make_window, tmp_path, monkeypatch, watch_returns_started):
    """The same with the real library and watcher: IMG_2 (the photo kept of its group) renamed
    IMG_3, then IMG_1 (a copy in another group) renamed IMG_2. Both groups' ticks took IMG_3
    and the other group's copy: no file of that picture was left."""
    trash = use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "photos"
    make_photo(folder / "chelsea.jpg", "chelsea", size=(451, 300))
    make_photo(folder / "IMG_1.jpg", "chelsea", size=(300, 200), quality=70)
    make_photo(folder / "IMG_2.jpg", "coffee", size=(400, 266))
    make_photo(folder / "coffee-small.jpg", "coffee", size=(300, 200), quality=70)
    window = indexed(qtbot, make_window, folder, 4)
    panel = window.duplicates_panel
    panel.distance_spin.setValue(3)
    with qtbot.waitSignal(window.duplicates_shown, timeout=30000):
        panel.find_button.click()
    path = {name: str(folder / name) for name in ("chelsea.jpg", "coffee-small.jpg", "IMG_1.jpg",
                                                  "IMG_2.jpg", "IMG_3.jpg")}
    assert panel.groups_shown() == [[path["chelsea.jpg"], path["IMG_1.jpg"]],
                                    [path["IMG_2.jpg"], path["coffee-small.jpg"]]]
    coffee = (folder / "IMG_2.jpg").read_bytes()
    os.rename(path["IMG_2.jpg"], path["IMG_3.jpg"])
    os.rename(path["IMG_1.jpg"], path["IMG_2.jpg"])
    qtbot.waitUntil(lambda: window.photos_model.row_of_path(path["IMG_3.jpg"]) is not None
                    and window.photos_model.row_of_path(path["IMG_1.jpg"]) is None,
                    timeout=30000)
    assert panel.groups_shown() == [[path["chelsea.jpg"], path["IMG_2.jpg"]],
                                    [path["IMG_3.jpg"], path["coffee-small.jpg"]]]
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_button.click()
    assert sorted(os.listdir(trash / "files")) == ["IMG_2.jpg", "coffee-small.jpg"]
    assert (folder / "IMG_3.jpg").read_bytes() == coffee
