"""Duplicate groups and the library changing under them: while Find duplicates runs (it works on
the library as it was when pressed, and takes minutes on a big library at a large distance) a
photo is deleted, its folder removed, another picture saved over a copy, a copy renamed; and
groups shown that lose their kept photo, or whose copy the library indexed anew unseen by them.
Real window offscreen, real library, real photos and model; the search held in its last step
(keeper_first, the header reads) until the library has changed."""

from __future__ import annotations

import os
import threading

import pytest
from photos import make_photo
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
