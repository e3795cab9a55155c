"""settings.json edited by hand (or restored, or synced) while Lookalike runs: the app's next
save keeps what the user changed and the app did not, instead of writing its memory over it."""

from __future__ import annotations

import json

from photos import make_photo
from ui_helpers import wait_idle, wait_rows

from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow


def _edit(path, **changes) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_hand_edit_of_keys_the_app_did_not_change_is_kept(tmp_path):
    path = tmp_path / "settings.json"
    Settings(results_count=40, watched_folders=["/photos/a"]).save(path)
    settings = Settings.load(path)
    _edit(path, results_count=99, polling_folders=["/mnt/share"], from_newer={"x": 1})
    settings.first_run_done = True  # what the app changes meanwhile
    settings.save(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["results_count"] == 99 and saved["polling_folders"] == ["/mnt/share"]
    assert saved["from_newer"] == {"x": 1}
    assert saved["first_run_done"] is True
    settings.save(path)  # and again: the edit stays (it is used from the next start)
    assert json.loads(path.read_text(encoding="utf-8"))["results_count"] == 99


def test_folders_added_by_hand_and_by_the_app_are_all_kept(tmp_path):
    path = tmp_path / "settings.json"
    Settings(watched_folders=["/photos/a", "/photos/b"]).save(path)
    settings = Settings.load(path)
    _edit(path, watched_folders=["/photos/a", "/photos/hand"])  # b dropped, hand added
    settings.add_folder("/photos/app")
    settings.save(path)
    settings.add_folder("/photos/app2")  # a later save keeps the hand-added folder too
    settings.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["watched_folders"] == [
        "/photos/a", "/photos/app", "/photos/app2", "/photos/hand"]


def test_a_key_both_changed_gets_the_apps_value(tmp_path):
    path = tmp_path / "settings.json"
    Settings(results_count=40).save(path)
    settings = Settings.load(path)
    _edit(path, results_count=99)
    settings.results_count = 12  # the slider moved after the edit
    settings.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["results_count"] == 12


def test_a_settings_file_broken_while_running_is_copied_aside(tmp_path):
    path = tmp_path / "settings.json"
    Settings().save(path)
    settings = Settings.load(path)
    path.write_text('{"results_count": 5,', encoding="utf-8")  # saved half-way by an editor
    settings.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["results_count"] == 40
    kept = path.with_name("settings.json.damaged")
    assert kept.read_text(encoding="utf-8") == '{"results_count": 5,'


def test_settings_deleted_while_running_are_written_anew(tmp_path):
    path = tmp_path / "settings.json"
    Settings().save(path)
    settings = Settings.load(path)
    path.unlink()  # a cleaner
    settings.results_count = 7
    settings.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["results_count"] == 7


def test_quitting_the_window_keeps_a_hand_edit(qtbot, tiny_model_dir, tmp_path):
    Settings(model_dir=str(tiny_model_dir), first_run_done=True).save()
    path = Settings.path()
    window = MainWindow(Settings.load())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._opened, timeout=60000)
    folder = tmp_path / "photos"
    make_photo(folder / "chelsea.jpg", "chelsea", size=(200, 150))
    _edit(path, results_count=77, polling_folders=["/mnt/share"])  # by hand, in an editor
    window.add_folder(str(folder))  # the app saves its own change meanwhile
    wait_rows(qtbot, window, 1)
    wait_idle(qtbot, window)
    window.close()  # saves the settings (window geometry) on quit
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["results_count"] == 77 and saved["polling_folders"] == ["/mnt/share"]
    assert saved["watched_folders"] == [str(folder)]


def test_a_file_unchanged_since_its_load_problem_is_not_said_again(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text('{"results_count": 0, "watched_folders": ["/photos/a"]}', encoding="utf-8")
    settings = Settings.load(path)
    assert "results_count (out of range)" in settings.load_problem
    caplog.clear()
    settings.first_run_done = True
    settings.save(path)
    assert not [r for r in caplog.records if "changed while Lookalike ran" in r.getMessage()]
    assert json.loads(path.read_text(encoding="utf-8"))["watched_folders"] == ["/photos/a"]


def test_a_hand_edit_saved_in_another_encoding_is_copied_aside(tmp_path, caplog):
    path = tmp_path / "settings.json"
    Settings(watched_folders=["/photos/a"]).save(path)
    settings = Settings.load(path)
    edited = '{"watched_folders": ["/photos/a", "/photos/\xc9t\xe9"]}'.encode("latin-1")
    path.write_bytes(edited)  # Notepad's ANSI: not UTF-8
    settings.first_run_done = True
    settings.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["first_run_done"] is True
    assert path.with_name("settings.json.damaged").read_bytes() == edited
    assert "it is not UTF-8 text" in caplog.text


def test_distances_are_merged_with_the_code_length_they_are_of(tmp_path):
    path = tmp_path / "settings.json"
    Settings(max_distance=32, max_distance_bits=96, duplicate_distance=12).save(path)
    backup = {"max_distance": 8, "max_distance_bits": 48, "duplicate_distance": 6}
    settings = Settings.load(path)
    _edit(path, **backup)  # a backup from a 48-bit model's time, put back while it runs
    settings.max_distance = 20  # the results slider: 20 of 96 bits (never 20 of 48)
    settings.save(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [saved[k] for k in backup] == [20, 96, 12]
    settings = Settings.load(path)
    _edit(path, **backup)  # the app changes none of them: the backup's, all three
    settings.first_run_done = True
    settings.save(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [saved[k] for k in backup] == [8, 48, 6]
