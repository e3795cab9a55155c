"""The words the window says: counts that agree with their noun ("1 photo", never "1 photo(s)")
and carry thousands separators, one name for one thing, a remedy in every problem, no code
names, no sentence said twice, and no count left standing once it is wrong."""

from __future__ import annotations

import re

from photos import make_photo
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget
from ui_helpers import as_group, duplicates_panel, indexed, photo_copies, wait_idle, wait_rows

from desktop_app import paths
from desktop_app.core.records import IndexReport, Match, Photo
from desktop_app.core.wording import count_of
from desktop_app.ui.folders_panel import FoldersPanel
from desktop_app.ui.models import PhotoListModel
from desktop_app.ui.retrain_dialog import _what_else_was_found, comparison_note
from desktop_app.ui.workers import CHANGES_LABEL, changes_label

NOT_A_NOUN = re.compile(r"\(s\)")  # "photo(s)", "group(s)", "file(s)"...


def test_counts_agree_with_their_noun_and_have_thousands_separators():
    assert count_of(1, "photo") == "1 photo"
    assert count_of(0, "photo") == "0 photos"
    assert count_of(12345, "photo") == "12,345 photos"
    assert count_of(2, "photo file") == "2 photo files"
    assert changes_label(1) == "Indexing 1 change"
    assert changes_label(1500) == "Indexing 1,500 changes"
    # The window reads a watcher batch's summary out only when something went wrong: it knows
    # such a batch by its label, and a folder whose name ends alike is not one.
    assert CHANGES_LABEL.fullmatch(changes_label(1))
    assert CHANGES_LABEL.fullmatch("Indexing 3 changes")
    assert not CHANGES_LABEL.fullmatch("Indexing /home/ann/Indexing 3 changes")


def test_an_unreadable_photo_is_counted_in_words_and_named_as_the_tab_names_it(
        qtbot, make_window, library_photos):
    (library_photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "could not be read" in window.statusBar().currentMessage(),
                    timeout=20000)
    said = window.statusBar().currentMessage()
    assert said.endswith(". 1 photo could not be read: see the Unreadable photos tab")
    # Only the counts that are not 0: "6 added, 0 updated, 0 moved, 0 removed, 0 unchanged,
    # 1 failed" was mostly noise.
    assert said == (f"Indexed {library_photos}: 6 added, 1 failed. 1 photo could not be read: "
                    "see the Unreadable photos tab")
    assert not NOT_A_NOUN.search(said)
    summary = window.failed_panel.summary.text()
    assert summary.startswith("1 photo could not be read. Fix or replace it, then press Try "
                              "these photos again;")
    assert not NOT_A_NOUN.search(summary)
    assert window.tabs.tabText(2) == "Unreadable photos (1)"


def test_a_photo_that_cannot_be_read_says_why_first_then_what_to_do(qtbot, make_window,
                                                                    tmp_path):
    window = make_window()
    bad = tmp_path / "elsewhere" / "bad.jpg"
    bad.parent.mkdir()
    bad.write_bytes(b"plain text, not a photo")
    window.search_file(str(bad))
    qtbot.waitUntil(lambda: "cannot be read" in window.statusBar().currentMessage(),
                    timeout=20000)
    said = window.statusBar().currentMessage()
    assert said.startswith(f"{bad} cannot be read: ")
    assert said.endswith(". Drop or paste another photo.")


def test_a_job_that_fails_unexpectedly_is_said_in_the_users_words(qtbot, make_window,
                                                                  library_photos, monkeypatch):
    window = indexed(qtbot, make_window, library_photos, 6)

    def broken(*_args, **_kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(window.worker._library, "index_paths", broken)
    window._index_paths.emit([str(library_photos / "coffee.jpg")])
    qtbot.waitUntil(lambda: "unexpected" in window.statusBar().currentMessage(), timeout=20000)
    said = window.statusBar().currentMessage()
    # Not the job's code name ("index paths failed: ..."), and what to do, and where to look.
    assert said.startswith("Indexing the photos that changed failed on an unexpected error: "
                           "something nobody foresaw. Restart Lookalike to try again; the "
                           "details are in ")
    assert said.endswith("lookalike.log.") and "index paths" not in said


def test_no_model_is_said_once_with_the_remedy_in_the_tabs_words(qtbot, make_window, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setattr(paths, "default_model_dir", lambda: tmp_path / "no-default-model")
    window = make_window(model_dir=str(tmp_path / "no-model-here"), first_run_done=False)
    qtbot.waitUntil(window.banner.isVisible, timeout=5000)
    banner = window.banner.text()
    assert banner.count("No model is installed") == 1  # the headline, not said again
    # There is no menu bar: "Model > Import model folder..." named a menu that is not there.
    assert "Model >" not in banner and "can't" not in banner
    assert "in the Model tab, press Import model folder…" in banner
    window.search_file(str(make_photo(tmp_path / "x.jpg", "coffee", size=(64, 64))))
    said = window.statusBar().currentMessage()
    assert said.startswith("No model is installed, so photos cannot be searched yet: in the "
                           "Model tab, press Import model folder…")


def test_duplicate_counts_agree_and_the_trash_button_says_ticked(qtbot, tmp_path):
    one = photo_copies(tmp_path, "one", 2)
    panel = duplicates_panel(qtbot, [as_group(one, 1)])
    assert panel.status.text() == "1 group of near-identical photos."
    # "ticked", as the status line, the keys list (F1) and the screen reader's description say
    assert panel.trash_button.text() == "Move ticked photos to the trash"
    many = [as_group([f"/p/{n}-a.jpg", f"/p/{n}-b.jpg"], 10 * n) for n in range(1, 1235)]
    panel.set_groups(many)
    assert panel.status.text() == "1,234 groups of near-identical photos."


def test_the_group_count_follows_photos_that_leave_the_library(qtbot, tmp_path):
    """A photo deleted by another program leaves its group, and a group of one goes: the
    status line went on saying "2 groups" over one group, then over none."""
    first, second = photo_copies(tmp_path, "a", 2), photo_copies(tmp_path, "b", 2)
    panel = duplicates_panel(qtbot, [as_group(first, 1), as_group(second, 5)])
    assert panel.status.text() == "2 groups of near-identical photos."
    panel.drop_gone([first[1]])
    assert panel.groups_shown() == [second]
    assert panel.status.text() == "1 group of near-identical photos."
    panel.drop_gone([second[0]])
    assert panel.groups_shown() == []
    assert panel.status.text() == ("No groups left: photos in them left the library or "
                                   "changed since they were found.")


def test_a_status_line_about_something_else_is_left_as_it_is(qtbot, tmp_path):
    first, second = photo_copies(tmp_path, "a", 2), photo_copies(tmp_path, "b", 2)
    panel = duplicates_panel(qtbot, [as_group(first, 1), as_group(second, 5)])
    panel.status.setText("Moved 1 photo to the trash.")  # what the user did last
    panel.drop_gone([first[1]])
    assert panel.status.text() == "Moved 1 photo to the trash."


def test_the_grid_tooltip_has_thousands_separators(qtbot):
    model = PhotoListModel(None)
    model.upsert([Photo(1, "/p/big.jpg", 1, 1536 * 1024, 0.0, 4000, 3000, "ok", None)])
    tip = model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "/p/big.jpg\n4000x3000, 1,536 KiB"


def test_the_retrain_dialog_counts_in_words_with_separators():
    text = _what_else_was_found({"multi_label_photos": 1, "loose_photos": 1234,
                                 "empty_albums": ["/a/x"]},
                                [{"path": "/a/cats/bad.jpg"}])
    assert " 1 photo is in several albums" in text
    assert " 1,234 photos directly in the folder, in no album, are left out." in text
    assert "no readable photo in 1 album: x." in text
    assert " 1 photo file cannot be read and will be skipped: bad.jpg" in text
    assert not NOT_A_NOUN.search(text)
    note = comparison_note({"evaluation": {"queries": 1200, "database": 48000}}, True)
    assert "each of the 1,200 held-out photos" in note and "other 48,000 photos" in note


def test_the_slider_and_remove_say_what_they_do_in_plain_words(qtbot, make_window):
    window = make_window()
    tip = window.results_panel.slider.toolTip()
    assert "Hamming" not in tip
    assert tip == "Photos further than this from the one searched for are hidden: smaller is " \
                  "stricter"
    assert window.folders_panel.remove_button.toolTip() == (
        "Remove the selected folder from the library (its photo files stay on disk)")


def test_a_network_folder_is_marked_as_the_button_that_added_it_says(qtbot):
    from desktop_app.ui.folders_panel import FoldersPanel

    panel = FoldersPanel()
    qtbot.addWidget(panel)
    panel.set_folders(["/photos", "/mnt/share"], polling=["/mnt/share"], unavailable=["/photos"])
    assert panel.add_share_button.text() == "Add network folder…"
    assert [panel.list.item(i).text() for i in range(2)] == [
        "/photos  (not available)", "/mnt/share  (network folder)"]


def test_several_files_dropped_are_counted_with_separators():
    from desktop_app.ui.dropped import several_message

    assert several_message("/p/a.jpg", 1200, 1500) == (
        "Searching with a.jpg, the first of the 1,200 photos given: Lookalike searches with "
        "one photo at a time.")
    assert several_message("/p/a.jpg", 1, 2500).endswith("among the 2,500 files given.")


def test_the_retrain_dialog_counts_big_albums_with_separators(qtbot, tmp_path):
    from desktop_app.ui.retrain_dialog import RetrainDialog
    from desktop_app.ui.trainer_process import Readiness

    dialog = RetrainDialog(None, str(tmp_path), readiness=Readiness(True, "", False))
    qtbot.addWidget(dialog)
    dialog._inspected = str(tmp_path)
    dialog._on_inspected({"photos": 12345, "labels": 2,
                          "per_label": {"cats": 6000, "dogs": 6345}})
    assert dialog.found_label.text().startswith(
        "Found <b>12,345</b> photos in <b>2</b> albums: cats (6,000), dogs (6,345).")
    dialog.process._mode = "run"  # as once Start training is pressed
    dialog._on_event({"event": "start", "photos": 12345, "labels": 2, "device": "cpu"})
    assert dialog.status_label.text() == "Training on 12,345 photos in 2 albums, on the CPU."


def test_a_group_that_goes_because_its_copy_changed_is_not_said_to_have_left_the_library(
        qtbot, make_window, library_photos):
    """A copy whose file came to hold another picture leaves its group, though it is still in
    the library: with no group left, the status line said 'their photos left the library'."""
    import dataclasses

    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    panel = window.duplicates_panel
    panel.distance_spin.setValue(3)
    with qtbot.waitSignal(window.duplicates_shown, timeout=5000):
        panel.find_button.click()
    assert panel.status.text() == "1 group of near-identical photos."
    small = str(library_photos / "chelsea-small.jpg")
    now = window.photos_model.photo_at(window.photos_model.row_of_path(small))
    window._follow_in_duplicates([dataclasses.replace(now, mtime=now.mtime + 60)])  # rewritten
    assert panel.groups_shown() == []
    assert window.photos_model.rowCount() == 6  # still in the library
    # Not that they left the library (said alone, before): that, or changed.
    assert panel.status.text() == ("No groups left: photos in them left the library or "
                                   "changed since they were found.")


def window_on_one_photo(qtbot, make_window, folder):
    """A window with `folder`, holding one photo, added and in the grid."""
    make_photo(folder / "coffee.jpg", "coffee", size=(64, 48))
    window = make_window()
    window.add_folder(str(folder))
    wait_rows(qtbot, window, 1)
    return window


def test_the_window_counts_one_photo_as_one_photo(qtbot, make_window, tmp_path):
    window = window_on_one_photo(qtbot, make_window, tmp_path / "one")
    qtbot.waitUntil(lambda: window.count_label.text() != "", timeout=5000)
    assert window.count_label.text() == "1 photo"


def test_the_note_on_photos_left_unticked_goes_once_they_have_left(qtbot, tmp_path):
    """The status line said again "Photos at a distance of more than 6 from the one kept are not
    ticked: look at them first" after those photos had left the library."""
    first, second = photo_copies(tmp_path, "a", 3), photo_copies(tmp_path, "b", 2)
    near, far = as_group(first[:2], 1), Match(3, first[2], 10, 48)
    panel = duplicates_panel(qtbot, [])
    panel.set_groups([near + [far], as_group(second, 5)], max_distance=6)
    assert panel.status.text() == ("2 groups of near-identical photos. Photos at a distance of "
                                   "more than 6 from the one kept are not ticked: look at them "
                                   "first.")
    panel.drop_gone([second[1]])  # a group goes; the photo not ticked is still shown
    assert panel.status.text() == ("1 group of near-identical photos. Photos at a distance of "
                                   "more than 6 from the one kept are not ticked: look at them "
                                   "first.")
    panel.drop_gone([first[2]])  # the photo not ticked goes; its group stays
    assert panel.groups_shown() == [first[:2]]
    assert panel.status.text() == "1 group of near-identical photos."


def test_remove_is_offered_only_with_a_folder_chosen(qtbot, make_window, tmp_path):
    """Remove pressed with no folder chosen in the list did nothing and said nothing."""
    folder = tmp_path / "trip"
    panel = window_on_one_photo(qtbot, make_window, folder).folders_panel
    assert panel.folders() == [str(folder)] and not panel.remove_button.isEnabled()
    panel.list.setCurrentRow(0)
    assert panel.remove_button.isEnabled()
    panel.remove_button.click()
    qtbot.waitUntil(lambda: panel.folders() == [], timeout=20000)
    assert not panel.remove_button.isEnabled()  # the list is empty again


def test_remove_follows_the_folder_shown_chosen_by_mouse_and_keyboard(qtbot):
    """Remove followed the list's current row, not its selection: a folder unselected with
    Ctrl+click kept it offered, and pressing it removed that folder, shown as not chosen.
    Tabbing into the list selects its first row, so Remove is reached by keyboard."""
    before = QPushButton("before")
    panel = FoldersPanel()
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.addWidget(before)
    layout.addWidget(panel)
    qtbot.addWidget(holder)
    with qtbot.waitActive(holder):
        holder.show()
        holder.activateWindow()
    panel.set_folders(["/photos/a", "/photos/b"], [])
    removed = []
    panel.remove_requested.connect(removed.append)
    before.setFocus()
    qtbot.keyClick(before, Qt.Key.Key_Tab)  # Qt makes the first row current, not selected
    assert panel.list.hasFocus() and panel.list.currentRow() == 0
    assert [i.text() for i in panel.list.selectedItems()] == ["/photos/a"]
    assert panel.remove_button.isEnabled()
    second = panel.list.visualItemRect(panel.list.item(1)).center()
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=second)
    assert [i.text() for i in panel.list.selectedItems()] == ["/photos/b"]
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.ControlModifier, second)
    assert panel.list.selectedItems() == [] and not panel.remove_button.isEnabled()
    panel.remove_button.click()
    assert removed == []
    qtbot.keyClick(panel.list, Qt.Key.Key_Space)  # chosen again by keyboard
    assert panel.remove_button.isEnabled()
    panel.remove_button.click()
    assert removed == ["/photos/b"]


def test_a_finished_jobs_summary_reads_as_done_and_a_paused_ones_as_going_on(qtbot, make_window):
    """After indexing ended the status bar still said "Indexing /photos: 30 added", which read
    as work in progress."""
    window = make_window()
    wait_idle(qtbot, window)
    window._notice_until = 0  # no notice of the start's held against these summaries
    window._on_finished_job("Indexing /photos/Indexing 2", IndexReport(added=30))
    assert window.statusBar().currentMessage() == "Indexed /photos/Indexing 2: 30 added"
    window._on_finished_job("Checking 2 folders for changes", IndexReport(added=1))
    assert window.statusBar().currentMessage() == "Checked 2 folders for changes: 1 added"
    window._on_finished_job("Indexing /photos", IndexReport(added=62, stopped=True))
    assert window.statusBar().currentMessage().startswith("Indexing /photos: 62 added")
