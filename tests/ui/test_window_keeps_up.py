"""The window keeps up with what happens around it: files changing under the results, a model
switch, folders removed while indexing or nested in others, a full disk, shortcuts across tabs,
drops and pastes of every kind. Real MainWindow (offscreen), real SQLite, the tiny real model."""

from __future__ import annotations

import errno
import os
import shutil

import pytest
from photos import make_photo
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication
from tiny_model import make_tiny_model
from ui_helpers import answer_question, wait_idle, wait_rows, window_on_nested_folders

from desktop_app import paths
from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models import PathRole


def row_of_path(window, path) -> int:
    model = window.photos_model
    return next(r for r in range(model.rowCount()) if model.photo_at(r).path == str(path))


def result_names(window) -> list[str]:
    return sorted(os.path.basename(m.path) for m in window.results_model.matches())


def indexed_window(qtbot, make_window, folder, count: int):
    window = make_window()
    window.add_folder(str(folder))
    wait_rows(qtbot, window, count)
    qtbot.waitUntil(lambda: len(window.snapshot) == count, timeout=20000)
    wait_idle(qtbot, window)
    return window


def search_library_photo(qtbot, window, path) -> list:
    index = window.photos_model.index(row_of_path(window, path))
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.search_index(index)
    return blocker.args[0]


def url_mime(*paths_) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl(str(p)) if str(p).startswith("http") else QUrl.fromLocalFile(str(p))
                  for p in paths_])
    return mime


def switch_to_new_model(qtbot, window, bits: int = 32) -> None:
    other = make_tiny_model(paths.data_dir() / "incoming", bits=bits, seed=3, name="tiny-new")
    window.model_panel.import_requested.emit(str(other))
    combo = window.model_panel.models_combo
    qtbot.waitUntil(lambda: "tiny-new" in (combo.currentText() or ""), timeout=20000)
    window.model_panel.switch_button.click()
    qtbot.waitUntil(lambda: window.card.bits == bits and window.snapshot.bits == bits,
                    timeout=30000)


# -- 1. results follow the files ----------------------------------------------------------------
def test_results_follow_deleted_and_renamed_photos(qtbot, make_window, library_photos):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    window.results_panel.slider.setValue(48)  # every other photo is a result
    search_library_photo(qtbot, window, library_photos / "chelsea.jpg")
    assert result_names(window) == ["astronaut.png", "chelsea-small.jpg", "coffee.jpg",
                                    "hubble.jpg", "rocket.jpg"]
    os.remove(library_photos / "chelsea-small.jpg")
    os.rename(library_photos / "coffee.jpg", library_photos / "coffee-renamed.jpg")
    qtbot.waitUntil(lambda: result_names(window) == ["astronaut.png", "coffee-renamed.jpg",
                                                     "hubble.jpg", "rocket.jpg"], timeout=20000)
    # The photo searched for is renamed: the label follows; then deleted: the results go.
    os.rename(library_photos / "chelsea.jpg", library_photos / "kitty.jpg")
    qtbot.waitUntil(lambda: "kitty.jpg" in window.results_panel.query_label.text(),
                    timeout=20000)
    assert len(result_names(window)) == 4
    os.remove(library_photos / "kitty.jpg")
    qtbot.waitUntil(lambda: window.results_model.rowCount() == 0, timeout=20000)
    assert "no longer in the library" in window.results_panel.query_label.text()


def test_the_result_picked_stays_picked_when_the_results_follow_the_files(qtbot, make_window,
                                                                         library_photos):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    window.results_panel.slider.setValue(48)  # every other photo is a result
    search_library_photo(qtbot, window, library_photos / "chelsea.jpg")
    grid = window.results_panel.grid
    grid.setFixedHeight(160)  # shorter than the results: they scroll
    qtbot.waitUntil(lambda: grid.verticalScrollBar().maximum() > 40, timeout=5000)
    model = window.results_model
    picked = next(r for r in range(model.rowCount())
                  if model.matches()[r].path == str(library_photos / "rocket.jpg"))
    grid.setCurrentIndex(model.index(picked))  # the user moves to rocket.jpg among the results
    grid.verticalScrollBar().setValue(30)
    os.rename(library_photos / "coffee.jpg", library_photos / "coffee-renamed.jpg")
    qtbot.waitUntil(lambda: "coffee-renamed.jpg" in result_names(window), timeout=20000)
    assert grid.current_path() == str(library_photos / "rocket.jpg")
    assert [i.data(PathRole) for i in grid.selectionModel().selectedIndexes()] == [
        str(library_photos / "rocket.jpg")]
    assert grid.verticalScrollBar().value() == 30


# -- 2. a model switch ----------------------------------------------------------------------------
def test_a_dropped_photo_is_encoded_again_after_a_model_switch(qtbot, make_window,
                                                               library_photos, tmp_path):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    outside = tmp_path / "elsewhere" / "coffee-copy.jpg"
    outside.parent.mkdir()
    shutil.copy(library_photos / "coffee.jpg", outside)  # same pixels: distance 0 in any model
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.search.search_mime(url_mime(outside))
    first = blocker.args[0][0]
    assert (first.path, first.distance, first.bits) == (str(library_photos / "coffee.jpg"), 0, 48)
    switch_to_new_model(qtbot, window, bits=32)

    def shows_new_codes() -> bool:
        matches = window.results_model.matches()
        return bool(matches) and all(m.bits == 32 for m in matches) and \
            matches[0].path == str(library_photos / "coffee.jpg") and matches[0].distance == 0

    qtbot.waitUntil(shows_new_codes, timeout=20000)
    # The slider reuses the new code (no stale 48-bit code against the 32-bit index).
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.results_panel.slider.setValue(20)
    assert blocker.args[0] and all(m.bits == 32 for m in blocker.args[0])


def test_a_photo_search_and_the_duplicates_follow_a_model_switch(qtbot, make_window,
                                                                 library_photos):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    window.duplicates_panel.distance_spin.setValue(3)
    with qtbot.waitSignal(window.duplicates_shown, timeout=10000):
        window.duplicates_panel.find_button.click()
    assert window.duplicates_panel.groups_shown()
    search_library_photo(qtbot, window, library_photos / "chelsea.jpg")
    switch_to_new_model(qtbot, window, bits=32)
    qtbot.waitUntil(lambda: window.results_model.matches() and
                    all(m.bits == 32 for m in window.results_model.matches()), timeout=20000)
    assert all(m.distance <= window.results_panel.max_distance()
               for m in window.results_model.matches())
    assert window.duplicates_panel.groups_shown() == []
    assert "model changed" in window.duplicates_panel.status.text()


# -- 3. a folder removed while indexing stays removed -------------------------------------------
def test_a_folder_removed_while_its_indexing_is_queued_does_not_come_back(qtbot, make_window,
                                                                          library_photos,
                                                                          tmp_path):
    window = make_window()
    reports = []
    window.worker.folders_changed.connect(lambda folders: reports.append(folders),
                                          Qt.ConnectionType.DirectConnection)
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(200, 200))
    window.worker.pause()  # as if a big folder were indexing: the requests wait in the queue
    window.add_folder(str(other))
    window.add_folder(str(library_photos))
    window.remove_folder(str(library_photos))  # runs while paused; the add queued goes
    assert window.folders_panel.folders() == [str(other)]
    qtbot.waitUntil(lambda: len(reports) == 1, timeout=30000)
    assert window.worker.is_paused()  # the other folder still waits
    window.toggle_pause()
    qtbot.waitUntil(lambda: len(reports) == 2, timeout=30000)  # the other one added
    wait_idle(qtbot, window)
    wait_rows(qtbot, window, 1)
    qtbot.wait(200)  # the GUI handles the last report
    assert window.folders_panel.folders() == [str(other)]
    assert window.settings.watched_folders == [str(other)]
    qtbot.waitUntil(lambda: window.watcher.watched() == [str(other)], timeout=10000)
    saved = Settings.load()
    assert saved.watched_folders == [str(other)] and saved.removed_folders == []
    assert [f.path for f in reports[-1]] == [str(other)]



def test_removing_a_folder_stops_its_indexing_at_once(qtbot, make_window, tmp_path):
    folder = tmp_path / "big"
    first = make_photo(folder / "p0000.jpg", "chelsea", size=(1600, 1200))
    for i in range(1, 1500):  # distinct files (one byte differs), each decoded in full
        (folder / f"p{i:04d}.jpg").write_bytes(first.read_bytes() + bytes([i % 251]))
    window = make_window()
    done, reports = [0], []
    window.worker.progress.connect(lambda n, total, rate, eta: done.append(n),
                                   Qt.ConnectionType.DirectConnection)
    window.worker.finished_job.connect(lambda label, report: reports.append(label),
                                       Qt.ConnectionType.DirectConnection)
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: max(done) > 0, timeout=60000)
    window.remove_folder(str(folder))
    wait_idle(qtbot, window, timeout=120000)
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == 0, timeout=30000)
    assert max(done) < 1500  # not indexed to the end before being removed
    assert not any(label.startswith(f"Indexing {folder}") for label in reports)
    assert window.settings.watched_folders == []


def test_a_removal_cut_short_by_quitting_is_finished_at_the_next_start(qtbot, make_window,
                                                                       library_photos, tmp_path):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    window.close()
    # Quit before the queued removal ran: the library still has the folder, settings do not.
    other = tmp_path / "other"
    make_photo(other / "retina.jpg", "retina", size=(200, 200))
    again = make_window(watched_folders=[], removed_folders=[str(library_photos)])
    again.add_folder(str(other))
    wait_rows(qtbot, again, 1)
    wait_idle(qtbot, again)
    assert again.photos_model.photo_at(0).path == str(other / "retina.jpg")
    assert again.settings.watched_folders == [str(other)]
    assert Settings.load().removed_folders == []  # the library confirmed it


# -- 4. nested folders ----------------------------------------------------------------------------
def test_removing_a_folder_keeps_a_watched_folder_inside_it(qtbot, make_window, tmp_path):
    root = tmp_path / "photos"
    inner = root / "b"
    window = window_on_nested_folders(qtbot, make_window, root, inner)
    window.remove_folder(str(root))
    assert window.folders_panel.folders() == [str(inner)]
    qtbot.waitUntil(lambda: window.photos_model.rowCount() == 2 and
                    window.folders_panel.activity.text() == "", timeout=30000)
    assert {window.photos_model.photo_at(r).path for r in range(2)} == {
        str(inner / "rocket.jpg"), str(inner / "astronaut.png")}
    make_photo(inner / "hubble.jpg", "hubble_deep_field", size=(180, 180))
    wait_rows(qtbot, window, 3, timeout=20000)
    assert "Unreadable photos" not in window.statusBar().currentMessage()



def test_a_folder_already_in_the_library_by_another_name_or_inside_one_is_not_added(
        qtbot, make_window, library_photos, tmp_path):
    """A symlink to a watched folder made a second entry; removing it forgot all the real
    folder's photos, which were then encoded again."""
    window = indexed_window(qtbot, make_window, library_photos, 6)
    link = tmp_path / "link"
    link.symlink_to(library_photos)
    inner = library_photos / "inner"
    inner.mkdir()
    for folder, says in ((link, "the same folder by another name"),
                         (inner, "which is already in the library")):
        window.add_folder(str(folder))
        message = window.statusBar().currentMessage()
        assert message.startswith(str(folder)) and str(library_photos) in message, message
        assert says in message and "nothing was added" in message
    assert window.settings.watched_folders == [str(library_photos)]
    assert window.folders_panel.folders() == [str(library_photos)]
    # Its watch may start after add_folder returned (a busy machine): waited for.
    qtbot.waitUntil(lambda: window.watcher.watched() == [str(library_photos)], timeout=10000)
    window.remove_folder(str(link))  # not watched: nothing to forget
    qtbot.wait(500)
    wait_idle(qtbot, window)
    assert window.photos_model.rowCount() == 6

def test_a_problem_that_is_not_a_photo_is_said_in_the_status_bar(qtbot, make_window, tmp_path):
    window = make_window()
    outside = make_photo(tmp_path / "not-watched" / "coffee.jpg", "coffee", size=(120, 90))
    window._index_paths.emit([str(outside)])
    qtbot.waitUntil(lambda: "not inside a library folder" in
                    window.statusBar().currentMessage(), timeout=20000)
    assert "Unreadable photos" not in window.statusBar().currentMessage()


# -- 5. a full disk -------------------------------------------------------------------------------
def test_a_full_disk_is_said_clearly_and_the_folder_is_still_indexed(qtbot, make_window,
                                                                     library_photos,
                                                                     monkeypatch):
    window = make_window()

    def disk_full(self, path=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Settings, "save", disk_full)
    window.add_folder(str(library_photos))
    message = window.statusBar().currentMessage()
    assert "settings.json" in message and "No space left on device" in message
    assert "Free some disk space" in message
    # Its watch may start after add_folder returned (a busy machine): waited for.
    qtbot.waitUntil(lambda: window.watcher.watched() == [str(library_photos)], timeout=10000)
    assert window.folders_panel.folders() == [str(library_photos)]
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    window.close()  # the save fails again; the indexer thread is still stopped
    assert not window.thread_.isRunning()


def test_a_library_that_cannot_be_opened_on_a_full_disk_is_not_called_a_damaged_model(
        qtbot, make_window, monkeypatch):
    """On a full disk SQLite cannot even open the library (no room for its -shm file; seen for
    real on a full tmpfs). The window said "The active model is damaged", with "Reinstall
    Lookalike" for the default model, and the real cause flashed by in the status bar. Here
    the Store raises the error it raises then."""
    import sqlite3

    from desktop_app.core import store as store_module

    database = paths.database_path()

    def full_disk(*args, **kwargs):
        raise store_module.store_error(database, sqlite3.OperationalError(
            "database or disk is full"))

    monkeypatch.setattr(store_module, "Store", full_disk)
    window = make_window()
    banner = window.banner.text()
    assert window.banner.isVisible()
    assert "damaged" not in banner and "Reinstall" not in banner, banner
    assert "The library cannot be opened" in banner
    assert str(database) in banner and "the disk is full" in banner
    assert "Free some disk space, then restart Lookalike." in banner
    assert "run it again" not in banner and banner.count("restart Lookalike") == 1, banner
    card = window.model_panel.card_view.toPlainText()
    assert "damaged" not in card and "the disk is full" in card, card


def test_a_library_that_can_only_be_read_is_shown_and_searched_not_changed(
        qtbot, make_window, library_photos, tmp_path, monkeypatch):
    """Opened for writing, the library fails (here the Store raises what a full disk makes it
    raise; tests/test_full_disk.py does it on a real full disk); opened read-only it works. The
    window shows the photos, searches them, says why nothing is indexed, and does not take in
    folders it could not add."""
    import sqlite3

    from desktop_app.core import store as store_module

    indexed_window(qtbot, make_window, library_photos, 6).close()
    database = paths.database_path()
    real_store = store_module.Store

    def full_disk(path=None, readonly=False):
        if not readonly:
            raise store_module.store_error(database, sqlite3.OperationalError(
                "database or disk is full"))
        return real_store(path, readonly=True)

    monkeypatch.setattr(store_module, "Store", full_disk)
    before = database.read_bytes()
    window = make_window(watched_folders=[str(library_photos)])
    banner = window.banner.text()
    assert window.banner.isVisible() and "The library is open read-only" in banner, banner
    assert "the disk is full" in banner and banner.endswith(
        "Free some disk space, then restart Lookalike."), banner
    wait_rows(qtbot, window, 6)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    names = [os.path.basename(m.path) for m in search_library_photo(
        qtbot, window, library_photos / "chelsea.jpg")]
    assert names[0] == "chelsea-small.jpg", names
    other = tmp_path / "other-photos"
    make_photo(other / "cat.jpg", "chelsea")
    window.add_folder(str(other))
    message = window.statusBar().currentMessage()
    assert message.startswith(f"Read-only library: {other} was not added."), message
    assert window.settings.watched_folders == [str(library_photos)]
    window.remove_folder(str(library_photos))
    assert window.settings.watched_folders == [str(library_photos)]
    assert "was not removed" in window.statusBar().currentMessage()
    make_photo(library_photos / "new.jpg", "coffee")  # the watcher sees it; nothing is indexed
    qtbot.wait(1500)
    assert window.photos_model.rowCount() == 6
    assert "Read-only library" in window.statusBar().currentMessage()  # no indexing error said
    assert database.read_bytes() == before


# -- 6. shortcuts ---------------------------------------------------------------------------------
def test_ctrl_l_and_ctrl_r_show_the_library_tab(qtbot, make_window):
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.tabs.setCurrentIndex(3)  # Model
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    qtbot.waitUntil(window.grid.hasFocus, timeout=5000)
    window.tabs.setCurrentIndex(1)  # Duplicates
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    qtbot.waitUntil(window.results_panel.grid.hasFocus, timeout=5000)


# -- 7. drops and pastes --------------------------------------------------------------------------
def drop_on_window(window, mime) -> bool:
    target = window.grid.viewport()
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    if enter.isAccepted():
        QApplication.sendEvent(target, QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction,
                                                  mime, Qt.MouseButton.LeftButton,
                                                  Qt.KeyboardModifier.NoModifier))
    return enter.isAccepted()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint) in PySide
def test_a_dropped_library_photo_is_searched_as_itself(qtbot, make_window, library_photos):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        assert drop_on_window(window, url_mime(library_photos / "chelsea.jpg"))
    matches = blocker.args[0]
    assert matches[0].path == str(library_photos / "chelsea-small.jpg")
    assert all(m.path != str(library_photos / "chelsea.jpg") for m in matches)
    assert "not in the library" not in window.results_panel.query_label.text()
    assert "chelsea.jpg" in window.results_panel.query_label.text()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_dropped_photo_indexed_while_shown_never_lists_itself(qtbot, make_window,
                                                                 library_photos):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    window.results_panel.slider.setValue(48)  # every photo is a result, itself too if let in
    window.worker.pause()  # the new photo waits to be indexed while its results are shown
    new = make_photo(library_photos / "retina.jpg", "retina", size=(300, 300))
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        assert drop_on_window(window, url_mime(new))
    assert "not in the library" in window.results_panel.query_label.text()
    assert str(new) not in [m.path for m in blocker.args[0]]
    window.toggle_pause()
    qtbot.waitUntil(lambda: window.search.library_id(str(new)) is not None, timeout=30000)
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.results_panel.slider.setValue(47)
    assert len(blocker.args[0]) == 6 and str(new) not in [m.path for m in blocker.args[0]]
    assert str(new) not in [m.path for m in window.results_model.matches()]
    assert "not in the library" not in window.results_panel.query_label.text()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_drops_that_cannot_be_searched_say_why(qtbot, make_window, library_photos, tmp_path):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    broken = elsewhere / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not a real jpeg")
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        drop_on_window(window, url_mime(broken))
    message = window.statusBar().currentMessage()
    assert "Drop or paste another photo" in message and "broken.jpg" in message
    assert "retried" not in message and "lookalike index" not in message
    assert "cannot be read" in window.results_panel.query_label.text()
    notes = elsewhere / "notes.txt"
    notes.write_text("hello")
    assert drop_on_window(window, url_mime(notes))
    assert "notes.txt is not a photo" in window.statusBar().currentMessage()
    asked: list[str] = []
    answer_question("Cancel", asked)  # a folder dropped is offered to be watched
    assert drop_on_window(window, url_mime(elsewhere))
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert asked == [f"Watch {elsewhere} and index its photos?"]
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5000)
    assert str(elsewhere) not in window.settings.watched_folders
    assert drop_on_window(window, url_mime("https://example.com/cat.jpg"))
    assert "on this computer" in window.statusBar().currentMessage()
    plain = QMimeData()
    plain.setText("hello")
    assert drop_on_window(window, plain)
    assert "Drop or paste a photo" in window.statusBar().currentMessage()
    assert window.photos_model.rowCount() == 6


def test_a_pasted_path_is_searched_and_old_pasted_images_are_deleted(qtbot, make_window,
                                                                     library_photos):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    QGuiApplication.clipboard().setText(str(library_photos / "chelsea.jpg"))
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.paste()
    assert blocker.args[0][0].path == str(library_photos / "chelsea-small.jpg")
    pasted = paths.cache_dir() / "pasted"
    pasted.mkdir(parents=True)
    for i in range(8):
        (pasted / f"pasted-{i:04d}.png").write_bytes(b"old")
    QGuiApplication.clipboard().setImage(QImage(str(library_photos / "rocket.jpg")))
    with qtbot.waitSignal(window.results_shown, timeout=10000) as blocker:
        window.paste()
    assert blocker.args[0][0].path == str(library_photos / "rocket.jpg")
    left = sorted(p.name for p in pasted.iterdir())
    assert len(left) == 5 and "pasted-0000.png" not in left
    assert not left[-1].startswith("pasted-000")  # the new one is kept



def test_pasted_text_that_cannot_be_searched_says_why(qtbot, make_window, library_photos):
    window = indexed_window(qtbot, make_window, library_photos, 6)
    clipboard = QGuiApplication.clipboard()
    missing = library_photos / "renamed-since.jpg"
    for text, expected in ((str(missing), f"{missing}: there is no such file"),
                           (missing.as_uri(), f"{missing}: there is no such file"),
                           (str(library_photos), "is already watched"),
                           ("https://example.com/cat.jpg", "on this computer"),
                           ("hello", "Drop or paste a photo")):
        clipboard.setText(text)
        window.paste()
        assert expected in window.statusBar().currentMessage(), text
    assert window.results_model.rowCount() == 0


# -- nitpicks -------------------------------------------------------------------------------------
def test_a_damaged_active_model_is_called_damaged(qtbot, tmp_path, tiny_model_dir):
    damaged = tmp_path / "damaged-model"
    shutil.copytree(tiny_model_dir, damaged)
    (damaged / "model.onnx").write_bytes(b"not a model")
    window = MainWindow(Settings(model_dir=str(damaged), first_run_done=True))
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window._opened, timeout=10000)
        qtbot.waitUntil(window.banner.isVisible, timeout=5000)
        text = window.banner.text()
        assert "active model is damaged" in text and str(damaged) in text
        assert "default model" in text and "No model is installed" not in text
        assert "damaged" in window.model_panel.card_view.toPlainText()
    finally:
        window.shutdown()


def test_the_pictures_button_is_off_without_a_pictures_folder(qtbot, make_window, tmp_path,
                                                              monkeypatch):
    monkeypatch.setattr(paths, "pictures_dir", lambda: tmp_path / "no-pictures-here")
    window = make_window(first_run_done=False)
    assert window.first_run.isVisible()
    assert not window.use_pictures.isEnabled()


def test_app_main_on_a_missing_folder_exits_cleanly(tmp_path, tiny_model_dir):
    import subprocess
    import sys

    Settings(model_dir=str(tiny_model_dir), first_run_done=True).save()
    result = subprocess.run([sys.executable, "-m", "desktop_app.app",
                             str(tmp_path / "nonexistent")],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"{tmp_path / 'nonexistent'}: there is no folder or photo here" in result.stderr
    assert "QThread" not in result.stderr


def test_a_photo_given_at_start_is_searched_once_the_library_is_open(qtbot, tmp_path,
                                                                     tiny_model_dir,
                                                                     library_photos):
    """`lookalike PHOTO` (and "Open with Lookalike" on a photo): app.main asks for the search
    before the library and model are open; it runs when they are, and follows the indexing."""
    settings = Settings(model_dir=str(tiny_model_dir), first_run_done=True,
                        watched_folders=[str(library_photos)])
    window = MainWindow(settings)
    qtbot.addWidget(window)
    outside = make_photo(tmp_path / "elsewhere" / "cat.jpg", "chelsea", size=(200, 133))
    assert not window._opened
    window.search_when_ready(str(outside))
    window.show()
    try:
        qtbot.waitUntil(lambda: window.photos_model.rowCount() == 6, timeout=60000)
        qtbot.waitUntil(lambda: window.results_model.rowCount() > 0, timeout=20000)
        top = window.results_model.index(0).data(PathRole)
        assert os.path.basename(top).startswith("chelsea"), top
        assert window.settings.watched_folders == [str(library_photos)]  # not added
        coffee = str(library_photos / "coffee.jpg")
        with qtbot.waitSignal(window.results_shown, timeout=20000) as shown:
            window.search_when_ready(coffee)  # open now: searched at once, as itself
        assert shown.args[0] and coffee not in [m.path for m in shown.args[0]]
    finally:
        window.shutdown()


def test_a_photo_dropped_while_the_library_opens_is_searched_once_it_is_open(
        qtbot, tmp_path, tiny_model_dir, library_photos):
    """A drop (or paste) before the model was loaded used to be answered "No model is
    installed" (with one installed) and forgotten."""
    settings = Settings(model_dir=str(tiny_model_dir), first_run_done=True,
                        watched_folders=[str(library_photos)])
    window = MainWindow(settings)
    qtbot.addWidget(window)
    outside = make_photo(tmp_path / "elsewhere" / "cat.jpg", "chelsea", size=(200, 133))
    try:
        assert not window._opened
        drop_on_window(window, url_mime(outside))
        assert "No model" not in window.statusBar().currentMessage()
        window.show()
        qtbot.waitUntil(lambda: window.photos_model.rowCount() == 6, timeout=60000)
        qtbot.waitUntil(lambda: window.results_model.rowCount() > 0, timeout=20000)
        top = window.results_model.index(0).data(PathRole)
        assert os.path.basename(top).startswith("chelsea"), top
        assert "cat.jpg" in window.results_panel.query_label.text()
    finally:
        window.shutdown()


def test_photos_and_a_folder_dropped_while_the_library_opens_say_the_folder_once_open(
        qtbot, tmp_path, tiny_model_dir, library_photos):
    """Replayed once the library is open as a drop then is: the photo searched and the folder
    said not added (it was counted among the 'files given')."""
    settings = Settings(model_dir=str(tiny_model_dir), first_run_done=True,
                        watched_folders=[str(library_photos)])
    window = MainWindow(settings)
    qtbot.addWidget(window)
    outside = make_photo(tmp_path / "elsewhere" / "cat.jpg", "chelsea", size=(200, 133))
    trip = tmp_path / "Trip"
    trip.mkdir()
    try:
        assert not window._opened
        drop_on_window(window, url_mime(outside, trip))
        window.show()
        qtbot.waitUntil(lambda: window.results_model.rowCount() > 0, timeout=60000)
        assert "cat.jpg" in window.results_panel.query_label.text()
        message = window.statusBar().currentMessage()
        assert "the folder Trip was not added" in message, message
        assert str(trip) not in window.settings.watched_folders
    finally:
        window.shutdown()


def test_a_deleted_active_model_is_called_missing_and_the_default_can_be_chosen(
        qtbot, make_window, tmp_path, tiny_model_dir, library_photos):
    imported = tmp_path / "imported-model"
    shutil.copytree(tiny_model_dir, imported)
    window = make_window(model_dir=str(imported))
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    window.close()
    # Its model files removed (a training run into the folder, say: the banner said "No model
    # is installed. No model is installed (...)"), then the folder deleted.
    for name in ("model.onnx", "model.json"):
        (imported / name).unlink()
    (imported / "16bit").mkdir()
    emptied = make_window(model_dir=str(imported), watched_folders=[str(library_photos)])
    banner = emptied.banner.text()
    assert "The active model is missing" in banner and "No model is installed" not in banner
    assert "holds no model any more" in banner and "switch to the default model" in banner
    emptied.close()
    shutil.rmtree(imported)  # the user deleted the imported model's folder
    again = make_window(model_dir=str(imported), watched_folders=[str(library_photos)])
    assert again.card is None
    banner = again.banner.text()
    assert "The active model is missing" in banner and "No model is installed" not in banner
    assert str(imported) in banner and "switch to the default model" in banner
    assert "The active model is missing" in again.model_panel.card_view.toPlainText()
    combo = again.model_panel.models_combo
    assert combo.findData(str(paths.default_model_dir())) >= 0  # the remedy is at hand


def test_library_errors_name_a_restart_in_the_window(tmp_path):
    """The window opens the library at start only: the command line's "run it again" would
    send the user nowhere."""
    import sqlite3

    from desktop_app.core import store as store_module
    from desktop_app.core.errors import StoreError
    from desktop_app.ui.workers import restart_remedy

    database = tmp_path / "library.sqlite3"
    full = store_module.store_error(database, sqlite3.OperationalError("database or disk is full"))
    assert str(full).endswith("Free some disk space and run it again.")  # the CLI's wording
    assert restart_remedy(full) == str(full).replace(
        "Free some disk space and run it again.", "Free some disk space, then restart Lookalike.")
    locked = store_module.store_error(database, sqlite3.OperationalError("database is locked"))
    assert restart_remedy(locked).endswith("Close the other one, then restart Lookalike.")
    newer = StoreError(database, "this library was saved by a newer version", "Update Lookalike")
    assert restart_remedy(newer) == (f"{database}: this library was saved by a newer version. "
                                     "Update Lookalike, then restart Lookalike.")
    bare = StoreError(database, "a database error happened (x)")
    assert restart_remedy(bare).endswith("x). Restart Lookalike once it is fixed.")

