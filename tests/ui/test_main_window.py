"""The real main window, offscreen, on real photos and the tiny real ONNX model."""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest
from photos import make_photo, pad_to_same_size, rewrite_keeping_size_and_time
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QTextDocument
from PySide6.QtWidgets import QApplication
from ui_helpers import use_own_trash, wait_idle, wait_rows

from desktop_app.settings import Settings
from desktop_app.ui.models import RecordRole


def row_of_path(window, path) -> int:
    model = window.photos_model
    return next(r for r in range(model.rowCount()) if model.photo_at(r).path == str(path))


def test_window_title_and_adding_a_folder_indexes_it(qtbot, make_window, library_photos):
    window = make_window()
    assert window.windowTitle() == "Lookalike"
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    names = sorted(p.rsplit("/", 1)[1] for p in (window.photos_model.photo_at(r).path
                                                  for r in range(6)))
    assert names == ["astronaut.png", "chelsea-small.jpg", "chelsea.jpg", "coffee.jpg",
                     "hubble.jpg", "rocket.jpg"]
    assert Settings.load().watched_folders == [str(library_photos)]
    assert len(window.snapshot) == 6


def test_a_photo_copied_into_the_watched_folder_appears(qtbot, make_window, library_photos,
                                                        tmp_path):
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    outside = make_photo(tmp_path / "outside" / "retina.jpg", "retina", size=(300, 300))
    shutil.copy(outside, library_photos / "retina.jpg")
    wait_rows(qtbot, window, 7)
    assert window.photos_model.photo_at(6).path == str(library_photos / "retina.jpg")


def test_click_shows_the_near_copy_first_then_enter_searches(qtbot, make_window,
                                                             library_photos):
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    grid = window.grid
    index = window.photos_model.index(row_of_path(window, library_photos / "chelsea.jpg"))
    grid.scrollTo(index)
    with qtbot.waitSignal(window.results_shown, timeout=5000) as blocker:
        qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton,
                         pos=grid.visualRect(index).center())
    matches = blocker.args[0]
    assert matches[0].path == str(library_photos / "chelsea-small.jpg")
    assert window.results_model.rowCount() == len(matches)
    assert [m.distance for m in matches] == sorted(m.distance for m in matches)
    assert all(m.path != str(library_photos / "chelsea.jpg") for m in matches)
    # Keyboard: Enter on the current photo searches with it.
    other = window.photos_model.index(row_of_path(window, library_photos / "chelsea-small.jpg"))
    grid.setCurrentIndex(other)
    grid.setFocus()
    with qtbot.waitSignal(window.results_shown, timeout=5000) as blocker:
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert blocker.args[0][0].path == str(library_photos / "chelsea.jpg")
    # The slider narrows the results to the closest ones.
    with qtbot.waitSignal(window.results_shown, timeout=5000) as blocker:
        window.results_panel.slider.setValue(0)
    assert all(m.distance == 0 for m in blocker.args[0])


def test_a_moved_photo_keeps_its_code(qtbot, make_window, library_photos):
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    old = library_photos / "rocket.jpg"
    photo = window.photos_model.photo_at(row_of_path(window, old))
    code = bytes(window.snapshot.index.code_of(photo.id))
    reports = []
    window.worker.finished_job.connect(lambda label, report: reports.append(report))
    new = library_photos / "album" / "rocket-renamed.jpg"
    new.parent.mkdir()
    shutil.move(old, new)
    qtbot.waitUntil(lambda: window.photos_model.photo(photo.id) is not None
                    and window.photos_model.photo(photo.id).path == str(new), timeout=20000)
    qtbot.waitUntil(lambda: window.snapshot.paths.get(photo.id) == str(new), timeout=20000)
    assert bytes(window.snapshot.index.code_of(photo.id)) == code
    assert window.photos_model.rowCount() == 6
    assert sum(r.added + r.updated for r in reports) == 0  # nothing was encoded again
    assert sum(r.moved for r in reports) == 1


def test_a_photo_rewritten_in_place_keeping_its_size_and_time_gets_its_new_code(
        qtbot, make_window, library_photos, tmp_path):
    """exiftool -P, `cp -p` over the file, an editor that keeps the file's date: the watcher
    sees the write, and the inode change time tells the library that the content is new."""
    path = library_photos / "chelsea.jpg"
    outside = make_photo(tmp_path / "outside" / "retina.jpg", "retina", size=(451, 300))
    pad_to_same_size(path, outside)
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    photo = window.photos_model.photo_at(row_of_path(window, path))
    code = bytes(window.snapshot.index.code_of(photo.id))
    reports = []
    window.worker.finished_job.connect(lambda label, report: reports.append(report))
    rewrite_keeping_size_and_time(path, outside.read_bytes())
    qtbot.waitUntil(lambda: bytes(window.snapshot.index.code_of(photo.id)) != code,
                    timeout=20000)
    wait_idle(qtbot, window)
    assert sum(r.updated for r in reports) == 1 and window.photos_model.rowCount() == 6
    # The grid's record follows too (its change time: the picture at the path is new).
    assert window.photos_model.photo(photo.id).ctime_ns == os.stat(path).st_ctime_ns


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint) in PySide
def test_a_dropped_photo_from_outside_gives_results_and_is_not_added(qtbot, make_window,
                                                                     library_photos, tmp_path):
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    external = make_photo(tmp_path / "elsewhere" / "my-coffee.jpg", "coffee", size=(360, 240),
                          quality=80)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(external))])
    # Dragged over the library grid: the grid does not take drops, the window does.
    target = window.grid.viewport()
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    assert QApplication.sendEvent(target, enter) and enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        QApplication.sendEvent(target, drop)
    assert blocker.args[0][0].path == str(library_photos / "coffee.jpg")
    assert "not in the library" in window.results_panel.query_label.text()
    qtbot.waitUntil(lambda: window.results_panel.query_image.pixmap() is not None
                    and not window.results_panel.query_image.pixmap().isNull(), timeout=5000)
    wait_idle(qtbot, window)
    assert window.photos_model.rowCount() == 6


def duplicates_found(qtbot, window, folder, photos: int = 6, distance: int = 3):
    """The folder's photos (the library photos: 6) indexed, and Find duplicates pressed at
    `distance`."""
    window.add_folder(str(folder))
    wait_rows(qtbot, window, photos)
    qtbot.waitUntil(lambda: len(window.snapshot) == photos, timeout=20000)
    panel = window.duplicates_panel
    panel.distance_spin.setValue(distance)
    with qtbot.waitSignal(window.duplicates_shown, timeout=5000):
        qtbot.mouseClick(panel.find_button, Qt.MouseButton.LeftButton)
    return panel


def test_duplicates_view_groups_the_near_copies(qtbot, make_window, library_photos, tmp_path,
                                                monkeypatch):
    use_own_trash(monkeypatch, tmp_path / "xdg")
    window = make_window()
    panel = duplicates_found(qtbot, window, library_photos)
    (group,) = panel.groups_shown()
    assert sorted(group) == [str(library_photos / "chelsea-small.jpg"),
                             str(library_photos / "chelsea.jpg")]
    # The biggest file is kept; the others are checked, go to the trash and come back on Undo.
    keep, copy = group
    assert keep == str(library_photos / "chelsea.jpg")
    assert panel.checked_paths() == [copy]
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        qtbot.mouseClick(panel.trash_button, Qt.MouseButton.LeftButton)
    assert not os.path.exists(copy) and os.path.exists(keep)
    assert list((tmp_path / "xdg" / "Trash" / "files").iterdir())
    wait_rows(qtbot, window, 5)
    qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
    assert os.path.exists(copy)
    wait_rows(qtbot, window, 6)


def test_the_duplicate_groups_follow_a_photo_deleted_by_another_program(qtbot, make_window,
                                                                       library_photos):
    """The groups kept offering a file deleted outside the app until Find duplicates was
    pressed again."""
    window = make_window()
    panel = duplicates_found(qtbot, window, library_photos)
    assert len(panel.groups_shown()) == 1
    os.remove(library_photos / "chelsea-small.jpg")  # the watcher sees it go
    wait_rows(qtbot, window, 5)
    qtbot.waitUntil(lambda: panel.groups_shown() == [], timeout=5000)  # one left: no group


def test_the_duplicate_groups_follow_a_photo_renamed_then_rewritten(qtbot, make_window,
                                                                   library_photos, tmp_path):
    """A renamed copy kept its old path in its group (trashing it then said 'already gone' and
    left the file), and a copy whose file came to hold another picture stayed ticked."""
    window = make_window()
    panel = duplicates_found(qtbot, window, library_photos)
    small = library_photos / "chelsea-small.jpg"
    assert sorted(map(sorted, panel.groups_shown())) == [
        sorted([str(library_photos / "chelsea.jpg"), str(small)])]
    renamed = library_photos / "chelsea-renamed.jpg"
    small.rename(renamed)
    qtbot.waitUntil(lambda: str(renamed) in panel.groups_shown()[0], timeout=10000)
    assert str(small) not in panel.groups_shown()[0]
    assert panel.checked_paths() == [str(renamed)]
    # Another picture written over it (to a temporary name, then renamed over: as editors do).
    make_photo(tmp_path / "other.jpg", "rocket", size=(320, 427))
    shutil.copy2(tmp_path / "other.jpg", library_photos / "incoming.tmp")
    (library_photos / "incoming.tmp").replace(renamed)
    qtbot.waitUntil(lambda: panel.groups_shown() == [], timeout=10000)
    assert panel.checked_paths() == []


def test_a_copy_given_its_first_change_time_stays_in_its_group(qtbot, make_window,
                                                                library_photos):
    """A library indexed before change times were kept has none; the first scan after the
    upgrade gives each unchanged photo its change time, unread. The groups on screen took that
    new record for another picture and dropped the copy from its group."""
    window = make_window()
    panel = duplicates_found(qtbot, window, library_photos)
    small = str(library_photos / "chelsea-small.jpg")
    row = window.photos_model.row_of_path(small)
    now = window.photos_model.photo_at(row)
    assert now.ctime_ns is not None
    before = dataclasses.replace(now, ctime_ns=None)  # as an old library's record
    window.photos_model.upsert([before])
    window._follow_in_duplicates([now])
    assert small in panel.groups_shown()[0]
    assert panel.checked_paths() == [small]
    # Another size or time is another picture, whatever the change times say.
    window._follow_in_duplicates([dataclasses.replace(now, mtime=now.mtime + 60)])
    assert panel.groups_shown() == []


def trash_and_wait(qtbot, panel) -> str:
    """Press *Move ticked photos to the trash* and wait for the status line that ends the move."""
    panel.trash_button.click()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Moved "), timeout=20000)
    return panel.status.text()


def test_a_ticked_copy_that_changed_since_it_was_indexed_is_left_where_it_is(
        qtbot, make_window, library_photos, tmp_path, monkeypatch):
    """The ticked path was trashed whatever it held by then: with indexing paused (or before
    the library saw the change) another picture written over the copy went to the trash as a
    "duplicate"."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    window = make_window()
    panel = duplicates_found(qtbot, window, library_photos)
    wait_idle(qtbot, window)
    small = library_photos / "chelsea-small.jpg"
    assert panel.checked_paths() == [str(small)]
    window.toggle_pause()  # the change is not indexed: the group still offers the path
    other = make_photo(tmp_path / "other.jpg", "rocket", size=(320, 427))
    shutil.copy2(other, library_photos / "incoming.tmp")
    (library_photos / "incoming.tmp").replace(small)  # as editors save
    text = trash_and_wait(qtbot, panel)
    assert small.read_bytes() == other.read_bytes()  # the other picture is still there
    assert not (tmp_path / "xdg" / "Trash" / "files").exists()
    assert text.startswith("Moved 0 photos")
    assert f"{small} changed since it was indexed" in text
    assert panel.groups_shown() == []  # no longer known to be a copy


def test_a_ticked_photo_that_is_the_kept_one_by_another_name_is_left_where_it_is(
        qtbot, make_window, tmp_path, monkeypatch):
    """A link and the file it points to are two photos of one group, at distance 0. The link
    was kept (first indexed: same size) and the file itself ticked and trashed: the kept photo
    was then a broken link, and the picture only in the trash."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "photos"
    original = make_photo(folder / "z-original.jpg", "chelsea", size=(300, 200))
    make_photo(folder / "coffee.jpg", "coffee", size=(300, 200))
    link = folder / "a-link.jpg"
    link.symlink_to(original.name)
    panel = duplicates_found(qtbot, make_window(), folder, photos=3, distance=0)
    assert panel.groups_shown() == [[str(link), str(original)]]
    assert panel.checked_paths() == [str(original)]
    text = trash_and_wait(qtbot, panel)
    assert original.exists() and link.exists()
    assert text.startswith("Moved 0 photos")
    assert f"{original} is the same file as {link}, which is kept" in text


def test_undo_into_a_folder_removed_from_the_library_does_not_ask_to_add_it(
        qtbot, make_window, library_photos, tmp_path, monkeypatch):
    """The photo put back was sent to the indexer, which answered in the status bar that it
    "is not inside a library folder. Add its folder to the library first."."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    window = make_window()
    panel = duplicates_found(qtbot, window, library_photos)
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_button.click()
    wait_rows(qtbot, window, 5)
    window.remove_folder(str(library_photos))
    wait_rows(qtbot, window, 0)
    wait_idle(qtbot, window)
    said = []
    window.statusBar().messageChanged.connect(said.append)
    with qtbot.waitSignal(panel.restored, timeout=5000):
        panel.undo_button.click()
    assert (library_photos / "chelsea-small.jpg").exists()
    qtbot.wait(2000)  # what the indexer would answer, and the watcher (not watching it) see
    wait_idle(qtbot, window)
    assert not [text for text in said if "not inside a library folder" in text]
    assert window.photos_model.rowCount() == 0
    assert panel.status.text() == "Put back 1 photo."


def test_a_photo_put_back_by_undo_returns_to_its_group_with_its_code(
        qtbot, make_window, library_photos, tmp_path, monkeypatch):
    """Undo put the copy back and the library took it in again, but the groups did not show
    it until Find duplicates was pressed again (and its new record, had the view kept it,
    read as another picture at that path and took it out)."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    window = make_window()
    panel = duplicates_found(qtbot, window, library_photos)
    keep, copy = panel.groups_shown()[0]
    search = window.search

    def code_of(path):
        return bytes(search.snapshot.index.code_of(search.library_id(path)))

    code = code_of(copy)
    searched = []
    window.duplicates_shown.connect(searched.append)
    for wait_for_the_library in (True, False):  # Undo after the library forgot it, or before
        item = panel.tree.topLevelItem(0).child(1)
        item.setCheckState(0, Qt.CheckState.Checked)
        assert panel.checked_paths() == [copy]
        with qtbot.waitSignal(panel.trashed, timeout=20000):
            panel.trash_button.click()
        assert panel.groups_shown() == []
        if wait_for_the_library:
            wait_rows(qtbot, window, 5)
        with qtbot.waitSignal(panel.restored, timeout=5000):
            panel.undo_button.click()
        assert panel.groups_shown() == [[keep, copy]]
        assert panel.checked_paths() == []
        qtbot.waitUntil(lambda: search.library_id(copy) is not None
                        and window.photos_model.stamp_of_path(copy) is not None,
                        timeout=20000)
        wait_idle(qtbot, window)
        qtbot.wait(300)  # the grid's last updates
        assert panel.groups_shown() == [[keep, copy]]
        assert code_of(copy) == code
    assert searched == []  # no new search for duplicates
    # Back in the library, it is followed as any photo: another picture saved over it leaves.
    make_photo(tmp_path / "other.jpg", "rocket", size=(320, 427))
    shutil.copy2(tmp_path / "other.jpg", library_photos / "incoming.tmp")
    (library_photos / "incoming.tmp").replace(copy)
    qtbot.waitUntil(lambda: panel.groups_shown() == [], timeout=10000)


def test_the_unreadable_photos_panel_lists_a_broken_file_and_retries(qtbot, make_window,
                                                                     library_photos):
    (library_photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a real jpeg")
    window = make_window()
    window.add_folder(str(library_photos))
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 1, timeout=20000)
    panel = window.failed_panel
    assert panel.model.data(panel.model.index(0, 0)) == str(library_photos / "broken.jpg")
    reason = panel.model.data(panel.model.index(0, 1))
    assert "broken.jpg" in reason and len(reason) > 20
    assert window.tabs.tabText(2) == "Unreadable photos (1)"
    wait_rows(qtbot, window, 6)
    # Repaired behind the app's back (write to a temp name, then replace), then retried.
    wait_idle(qtbot, window)
    make_photo(library_photos / "fixed.tmp.jpg", "colorwheel", size=(200, 200))
    window.watcher.stop()
    (library_photos / "fixed.tmp.jpg").replace(library_photos / "broken.jpg")
    qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 0, timeout=20000)
    wait_rows(qtbot, window, 7)


def test_a_half_written_photo_is_retried_when_the_copy_finishes(qtbot, make_window,
                                                                library_photos, tmp_path):
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    data = make_photo(tmp_path / "camera" / "IMG_0001.jpg", "astronaut",
                      size=(400, 400)).read_bytes()
    target = library_photos / "IMG_0001.jpg"
    with open(target, "wb") as f:  # a slow copy: the first half, flushed, then a pause
        f.write(data[: len(data) // 2])
        f.flush()
        qtbot.waitUntil(lambda: window.failed_model.rowCount() == 1, timeout=20000)
        f.write(data[len(data) // 2:])
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 0, timeout=20000)
    wait_rows(qtbot, window, 7)


def test_a_pasted_image_gives_results(qtbot, make_window, library_photos):
    from PySide6.QtGui import QGuiApplication, QImage

    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    image = QImage(str(library_photos / "rocket.jpg")).scaledToWidth(200)
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.paste()
    assert blocker.args[0][0].path == str(library_photos / "rocket.jpg")


def test_a_pasted_image_is_searched_even_where_it_cannot_be_kept(qtbot, make_window,
                                                                 library_photos):
    """The pasted image is kept in the cache for the results header. Where it cannot be
    written (a full or read-only disk; here a file stands where its folder should be) the
    search failed with "Search failed: [Errno 17] File exists". It is encoded from memory."""
    from PySide6.QtGui import QGuiApplication, QImage

    from desktop_app import paths

    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    blocked = paths.cache_dir() / "pasted"
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("not a folder")
    image = QImage(str(library_photos / "rocket.jpg")).scaledToWidth(200)
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.paste()
    assert blocker.args[0] and blocker.args[0][0].path == str(library_photos / "rocket.jpg")
    assert blocked.read_text() == "not a folder"
    # no half-written file beside it (temporary files start with a dot)
    assert [p for p in blocked.parent.iterdir() if "pasted" in p.name] == [blocked]


def test_the_results_header_shows_a_name_with_html_characters_as_it_is(qtbot, make_window,
                                                                       tmp_path):
    folder = tmp_path / "odd names"
    odd = make_photo(folder / "cat<3 & dogs.jpg", "chelsea", size=(300, 200))
    make_photo(folder / "chelsea.jpg", "chelsea", size=(200, 150))
    window = make_window()
    window.add_folder(str(folder))
    wait_rows(qtbot, window, 2)
    qtbot.waitUntil(lambda: len(window.snapshot) == 2, timeout=20000)
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_index(window.photos_model.index(row_of_path(window, odd)))
    shown = QTextDocument()
    shown.setHtml(window.results_panel.query_label.text())
    assert shown.toPlainText().startswith("Photos like cat<3 & dogs.jpg\n1 found")


def test_photos_go_to_the_trash_off_the_gui_thread(qtbot, make_window, tmp_path, monkeypatch):
    import threading

    from desktop_app.core.records import Match
    from desktop_app.ui import file_actions

    use_own_trash(monkeypatch, tmp_path / "xdg")
    folder = tmp_path / "copies"
    groups = []
    for i in range(50):
        keep = make_photo(folder / f"keep{i}.jpg", "chelsea", size=(60, 40))
        copy = folder / f"copy{i}.jpg"
        copy.write_bytes(keep.read_bytes()[:-10] + b"\xff\xd9")
        groups.append([Match(2 * i, str(keep), 0, 48), Match(2 * i + 1, str(copy), 0, 48)])
    moved_on = set()
    real_move = file_actions.move_to_trash
    monkeypatch.setattr(file_actions, "move_to_trash",
                        lambda path: moved_on.add(threading.current_thread()) or real_move(path))
    window = make_window()
    panel = window.duplicates_panel
    panel.set_groups(groups)
    with qtbot.waitSignal(panel.trashed, timeout=60000) as blocker:
        panel.trash_button.click()
        assert "Moving 50 photos" in panel.status.text()
    assert threading.main_thread() not in moved_on  # the window kept responding meanwhile
    assert sorted(blocker.args[0]) == sorted(g[1].path for g in groups)
    assert not any(os.path.exists(g[1].path) for g in groups)
    assert panel.status.text().startswith("Moved 50 photos")
    assert panel.undo_button.isEnabled() and panel.trash_button.isEnabled()
    with qtbot.waitSignal(panel.restored, timeout=20000):
        panel.undo_button.click()
    assert all(os.path.exists(g[1].path) for g in groups)


def test_trying_unreadable_photos_again_can_be_paused(qtbot, make_window, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    for i in range(40):
        (folder / f"broken{i}.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg %d" % i)
    window = make_window()
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 40, timeout=30000)
    wait_idle(qtbot, window)
    finished, armed = [], []
    window.worker.finished_job.connect(
        lambda label, report: finished.append((label, report.stopped)),
        Qt.ConnectionType.DirectConnection)
    # Paused as the retry starts (on the worker thread, before its first photo is read).
    window.worker.progress.connect(lambda *_: armed and window.worker.pause(),
                                   Qt.ConnectionType.DirectConnection)
    armed.append(True)
    window.failed_panel.retry_button.click()
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=30000)
    label, stopped = finished[0]
    assert label.startswith("Retrying photos") and stopped  # not run to the end while paused
    armed.clear()
    window.toggle_pause()  # resumes the retry where it stopped
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=30000)
    assert finished[1] == (label, False)
    assert window.failed_model.rowCount() == 40


def window_with_a_latin1_named_photo(qtbot, make_window, library_photos):
    """A window on library_photos, to which a photo named "caf\\xe9.jpg" in Latin-1 (not
    UTF-8) was then added and indexed: the window, and the photo's path."""
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    latin1 = os.fsdecode(os.fsencode(library_photos) + b"/caf\xe9.jpg")
    shutil.copy(library_photos / "coffee.jpg", latin1)
    wait_rows(qtbot, window, 7)
    return window, latin1


def test_a_photo_whose_name_is_not_utf8_is_indexed_renamed_and_shown(qtbot, make_window,
                                                                      library_photos):
    """A Latin-1 name (an old archive, a FAT drive): Python keeps its bytes as surrogate
    escapes, which Qt string signals dropped, so the watcher's new photo was never indexed and
    its thumbnail failed."""
    window, latin1 = window_with_a_latin1_named_photo(qtbot, make_window, library_photos)
    assert window.photos_model.photo_at(row_of_path(window, latin1)).path == latin1
    renamed = os.fsdecode(os.fsencode(library_photos) + b"/caf\xe9-2.jpg")
    os.rename(latin1, renamed)
    qtbot.waitUntil(lambda: any(window.photos_model.photo_at(r).path == renamed
                                for r in range(window.photos_model.rowCount())), timeout=20000)
    assert window.photos_model.rowCount() == 7
    window.thumbnails.pixmap(renamed)  # asked for, as a repaint would
    qtbot.waitUntil(lambda: window.thumbnails.pixmap(renamed) is not None, timeout=20000)
    assert not window.thumbnails.is_broken(renamed)


def test_the_photo_menu_acts_on_a_photo_whose_name_is_not_utf8(qtbot, make_window,
                                                               library_photos, monkeypatch):
    """The menu took the path from the grid as a Qt string, which drops the bytes that are not
    UTF-8: "caf\\xe9.jpg" became "caf.jpg", the menu said the photo was not there (or opened
    and copied another file's name)."""
    from PySide6.QtGui import QGuiApplication

    window, latin1 = window_with_a_latin1_named_photo(qtbot, make_window, library_photos)
    told = []
    window.grid.message.connect(told.append)
    actions = dict(window.grid.actions_for(window.photos_model.index(row_of_path(window,
                                                                                 latin1))))
    actions["Copy path"]()
    clipboard = QGuiApplication.clipboard()
    # As a shell word with the byte as \\xe9 (bash, zsh).
    assert clipboard.text() == f"$'{library_photos}/caf\\xe9.jpg'"
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: opened.append(bytes(url.toEncoded())) or True)
    actions["Open with default viewer"]()
    assert opened == [b"file://" + os.fsencode(library_photos) + b"/caf%E9.jpg"]
    assert len(told) == 1 and "not there" not in told[0]
    assert told[0].startswith(f"Copied $'{library_photos}/caf\\xe9.jpg' (quoted for a terminal")


@pytest.mark.parametrize("odd", ["\u0085", "\u009b31m", "\u202e", "\u200b", "\u2028"])
def test_copy_path_quotes_a_name_with_an_invisible_character(qtbot, tmp_path, odd):
    """Only ASCII control characters were quoted: a C1 control (U+0085 next line, U+009B the
    terminal's command introducer) or another invisible one (a right-to-left override, a zero
    width space, a line separator) went to the clipboard as it was, unseen in the status bar
    and acted on by the terminal it was pasted in."""
    import subprocess

    from PySide6.QtGui import QGuiApplication

    from desktop_app.ui.photo_grid import photo_actions

    photo = str(make_photo(tmp_path / f"it's{odd}me.jpg", "chelsea", size=(60, 40)))
    told = []
    dict(photo_actions(photo, lambda: None, told.append))["Copy path"]()
    text = QGuiApplication.clipboard().text()
    assert text.startswith("$'") and text.isprintable()
    assert told[0].startswith(f"Copied {text} (quoted for a terminal")
    # Pasted in bash (whatever its locale), it names the photo.
    shell = subprocess.run(["bash", "-c", f"printf %s {text}"], capture_output=True,
                           check=True, env={"PATH": os.environ["PATH"], "LC_ALL": "C"})
    assert shell.stdout == os.fsencode(photo)
    assert os.path.exists(os.fsdecode(shell.stdout))


def test_clicking_a_photo_whose_name_is_not_utf8_shows_it_in_the_results_header(
        qtbot, make_window, library_photos):
    """The click took the path from the grid as a Qt string: the header named "caf.jpg" and
    showed no picture (the thumbnail of a file that is not there)."""
    window, latin1 = window_with_a_latin1_named_photo(qtbot, make_window, library_photos)
    window.search_index(window.photos_model.index(row_of_path(window, latin1)))
    panel = window.results_panel
    assert window.search._query.path == latin1
    qtbot.waitUntil(lambda: not panel.query_image.pixmap().isNull(), timeout=20000)
    # Named with its bytes (as the folder list and notices do), not "caf.jpg".
    assert panel.query_label.text().startswith("Photos like <b>caf\\xe9.jpg</b>")
    assert panel.query_label.toolTip() == f"{library_photos}/caf\\xe9.jpg"


def test_a_result_whose_name_is_not_utf8_stays_picked_when_the_results_change(
        qtbot, make_window, library_photos):
    """The results kept what the user picked by Qt string paths: a name that is not UTF-8 lost
    its bytes and was no longer picked after the results were refreshed."""
    window, latin1 = window_with_a_latin1_named_photo(qtbot, make_window, library_photos)
    coffee = row_of_path(window, library_photos / "coffee.jpg")
    window.search_index(window.photos_model.index(coffee))
    model, grid = window.results_model, window.results_panel.grid
    qtbot.waitUntil(lambda: any(model.index(r).data(RecordRole).path == latin1
                                for r in range(model.rowCount())), timeout=20000)
    row = next(r for r in range(model.rowCount()) if model.index(r).data(RecordRole).path == latin1)
    grid.setCurrentIndex(model.index(row))
    assert grid.current_path() == latin1
    state = window.results_panel.view_state()
    grid.clearSelection()
    window.results_panel.restore_view_state(state)
    assert grid.current_path() == latin1
    assert [i.row() for i in grid.selectionModel().selectedIndexes()] == [row]


def test_a_notice_is_not_replaced_at_once_by_a_routine_summary(qtbot, make_window):
    """A notice told at start (a damaged settings file, a model switch continued) was replaced
    within milliseconds by the first indexing summary ("0 added, ... 6 unchanged")."""
    from desktop_app.core.records import IndexReport

    window = make_window()
    wait_idle(qtbot, window)
    window.tell("Something the user should read.")
    window._on_finished_job("Indexing /photos", IndexReport(unchanged=6))
    assert window.statusBar().currentMessage() == "Something the user should read."
    trouble = IndexReport(errors=[("/photos", "/photos: the folder disappeared.")])
    window._on_finished_job("Indexing /photos", trouble)  # something wrong: said at once
    assert "the folder disappeared" in window.statusBar().currentMessage()
