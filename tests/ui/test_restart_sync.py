"""Closing the app, changing things on disk, opening it again: the library follows the folders
(photos changed while it was closed) and a hand-damaged settings.json never stops the window."""

from __future__ import annotations

import json
import os
import shutil
import time

from photos import make_photo
from ui_helpers import wait_idle, wait_rows

from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models import PathRole


def open_again(qtbot, reports: list | None = None) -> MainWindow:
    """A new window on the settings the last one saved, as the next start of the app; the
    reports of its finished jobs go to `reports` (connected before any can arrive)."""
    window = MainWindow(Settings.load())
    if reports is not None:
        window.worker.finished_job.connect(lambda _label, report: reports.append(report))
    window.watcher._timer.setInterval(200)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._opened, timeout=60000)
    return window


def index_then_close(qtbot, window, folders, rows: int) -> dict[str, int]:
    """`folders` added and indexed in `window`, then the window closed (its settings saved, as
    quitting does); returns each photo's id by path."""
    for folder in folders:
        window.add_folder(str(folder))
    wait_rows(qtbot, window, rows)
    wait_idle(qtbot, window)
    ids = {p.path: p.id for p in map(window.photos_model.photo_at, range(rows))}
    window.close()
    return ids


def grid_paths(window) -> set[str]:
    model = window.photos_model
    return {model.index(row, 0).data(PathRole) for row in range(model.rowCount())}


def photos_on_disk(folder) -> set[str]:
    return {os.path.join(root, name) for root, _, names in os.walk(folder) for name in names}


def test_changes_made_while_closed_are_in_the_grid_at_the_next_start(qtbot, make_window,
                                                                     tmp_path):
    album, outside = tmp_path / "album", tmp_path / "outside"
    for i, name in enumerate(("chelsea", "coffee", "astronaut", "rocket", "retina")):
        make_photo(album / f"a{i}.jpg", name, size=(160, 120))
    make_photo(album / "trip" / "t0.jpg", "cat", size=(120, 120))
    make_photo(outside / "party" / "p0.jpg", "hubble_deep_field", size=(110, 100))
    window = make_window()
    window.add_folder(str(album))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    window.close()  # saves the settings, as quitting does
    # While Lookalike is closed:
    make_photo(album / "new.png", "colorwheel", size=(100, 100))  # added
    os.remove(album / "a0.jpg")  # deleted
    os.rename(album / "a1.jpg", album / "a1-renamed.jpg")  # renamed
    os.rename(album / "a2.jpg", album / "trip" / "a2.jpg")  # moved into a subfolder
    shutil.move(str(album / "trip"), str(outside / "trip"))  # a subfolder moved out...
    shutil.move(str(outside / "party"), str(album / "party"))  # ... and another one in
    time.sleep(0.01)
    make_photo(album / "a3.jpg", "immunohistochemistry", size=(160, 120))  # other content
    reports = []
    again = open_again(qtbot, reports)
    try:
        qtbot.waitUntil(lambda: bool(reports), timeout=60000)  # nothing pressed: checked at start
        wait_idle(qtbot, again)
        qtbot.waitUntil(lambda: grid_paths(again) == photos_on_disk(album), timeout=10000)
        report = reports[0]
        # Encoded again: the new photo, the one moved in and the changed one; the renamed one
        # keeps its code, the unchanged one is not read again.
        assert (report.added, report.updated, report.moved) == (2, 1, 1), report.summary()
        assert (report.removed, report.unchanged) == (3, 1), report.summary()
    finally:
        again.shutdown()


def test_out_of_range_numbers_in_the_settings_give_defaults_and_the_window_opens(
        qtbot, tiny_model_dir):
    Settings.path().parent.mkdir(parents=True, exist_ok=True)
    Settings.path().write_text(json.dumps({  # a hand-edited settings.json
        "model_dir": str(tiny_model_dir), "first_run_done": True, "max_distance": 10 ** 12,
        "duplicate_distance": 10 ** 9, "max_distance_bits": 0, "results_count": -3,
        "thumbnail_size": True}))
    loaded = Settings.load()
    defaults = Settings()
    for key in ("max_distance", "duplicate_distance", "max_distance_bits", "results_count",
                "thumbnail_size"):
        assert getattr(loaded, key) == getattr(defaults, key), key
    window = open_again(qtbot)  # was an OverflowError from the slider: no window at all
    try:
        assert window.results_panel.slider.value() == loaded.max_distance
    finally:
        window.shutdown()


def test_empty_or_relative_folders_in_the_settings_are_not_watched(qtbot, tiny_model_dir,
                                                                   tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "" or "relative" would be taken from here
    Settings.path().parent.mkdir(parents=True, exist_ok=True)
    Settings.path().write_text(json.dumps({
        "model_dir": str(tiny_model_dir), "first_run_done": True,
        "watched_folders": ["", "relative/photos"], "polling_folders": [""]}))
    loaded = Settings.load()
    assert loaded.watched_folders == [] and loaded.polling_folders == []
    window = open_again(qtbot)
    try:
        wait_idle(qtbot, window)
        assert str(tmp_path) not in window.watcher.watched()  # was: all of it, recursively
        assert window.watcher.unavailable() == []
    finally:
        window.shutdown()


def test_a_watched_folder_in_the_settings_that_is_a_file_says_so(qtbot, make_window,
                                                                 tmp_path):
    photo = make_photo(tmp_path / "photo.jpg", "rocket", size=(100, 100))
    window = make_window(watched_folders=[str(photo)])
    qtbot.waitUntil(lambda: "is a file, not a folder" in window.statusBar().currentMessage(),
                    timeout=10000)
    message = window.statusBar().currentMessage()
    assert str(photo) in message and "press Remove" in message
    assert "drive unplugged" not in message  # no drive to wait for


def test_a_photo_moved_between_watched_folders_while_closed_keeps_its_code(qtbot, make_window,
                                                                          tmp_path):
    """At start each folder was checked in a job of its own: a photo moved from one watched
    folder to another while the app was closed was removed from the first, then encoded again
    in the second under a new id. Checked in one job, it is a move."""
    first, second = tmp_path / "first", tmp_path / "second"
    make_photo(first / "p0.jpg", "chelsea", size=(160, 120))
    make_photo(first / "p1.jpg", "coffee", size=(160, 120))
    make_photo(second / "q0.jpg", "rocket", size=(160, 120))
    before = index_then_close(qtbot, make_window(), [first, second], 3)
    shutil.move(str(first / "p0.jpg"), str(second / "p0.jpg"))
    reports = []
    again = open_again(qtbot, reports)
    try:
        qtbot.waitUntil(lambda: bool(reports), timeout=60000)
        wait_idle(qtbot, again)
        qtbot.waitUntil(lambda: grid_paths(again) == photos_on_disk(tmp_path), timeout=10000)
        assert sum(r.moved for r in reports) == 1 and sum(r.added for r in reports) == 0
        assert sum(r.removed for r in reports) == 0, [r.summary() for r in reports]
        row = again.photos_model.row_of(before[str(first / "p0.jpg")])
        assert again.photos_model.photo_at(row).path == str(second / "p0.jpg")
    finally:
        again.shutdown()


def test_a_watched_folder_gone_while_closed_is_marked_in_the_folder_list(qtbot, make_window,
                                                                         tmp_path):
    album, gone = tmp_path / "album", tmp_path / "gone"
    make_photo(album / "a.jpg", "chelsea", size=(100, 100))
    make_photo(gone / "g.jpg", "coffee", size=(100, 100))
    index_then_close(qtbot, make_window(), [album, gone], 2)
    shutil.rmtree(gone)  # or its drive unplugged: its photos are kept
    again = open_again(qtbot)
    try:
        wait_idle(qtbot, again)
        # The status bar's notice is replaced by the next job's summary: the list keeps it.
        texts = [again.folders_panel.list.item(i).text()
                 for i in range(again.folders_panel.list.count())]
        assert texts == [str(album), f"{gone}  (not available)"]
        gone.mkdir()  # back (empty): checked, and no longer marked
        qtbot.waitUntil(lambda: again.folders_panel.list.item(1).text() == str(gone),
                        timeout=15000)
        qtbot.waitUntil(lambda: grid_paths(again) == photos_on_disk(album), timeout=15000)
    finally:
        again.shutdown()


def test_a_folder_in_place_of_the_settings_file_is_said_with_the_right_remedy(qtbot,
                                                                              tiny_model_dir):
    Settings.path().mkdir(parents=True)  # settings.json is a folder: unreadable, unsavable
    window = MainWindow(Settings(model_dir=str(tiny_model_dir)))
    qtbot.addWidget(window)
    try:
        window.settings.max_distance = 3
        assert not window.save_settings()
        message = window.statusBar().currentMessage()
        assert str(Settings.path()) in message and "Move the folder" in message, message
        assert "disk space" not in message  # the disk is not full
    finally:
        window.shutdown()


def test_a_damaged_settings_file_is_kept_aside_and_said_once(qtbot, make_window, tmp_path):
    """Defaults are used, as before, but the next save would have replaced the damaged file
    without a word: a copy is kept and the window says so, naming both files."""
    album = tmp_path / "album"
    make_photo(album / "a.jpg", "chelsea", size=(120, 100))
    window = make_window()
    window.add_folder(str(album))
    wait_rows(qtbot, window, 1)
    wait_idle(qtbot, window)
    window.close()
    damaged = Settings.path().read_text(encoding="utf-8")[:40]  # cut short, as by a crash
    Settings.path().write_text(damaged, encoding="utf-8")
    again = open_again(qtbot)
    try:
        copy = Settings.path().with_name("settings.json.damaged")
        assert copy.read_text(encoding="utf-8") == damaged
        message = again.statusBar().currentMessage()
        assert str(Settings.path()) in message and str(copy) in message
        assert "could not be read" in message and "defaults" in message
        again.save_settings()
        assert "load_problem" not in json.loads(Settings.path().read_text(encoding="utf-8"))
    finally:
        again.shutdown()
