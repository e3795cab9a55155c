"""settings.json as users meet it: written by a newer Lookalike, there but unreadable, or made
read-only. Nothing in it may be lost when the window saves (adding a folder, closing)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest
from photos import make_photo
from ui_helpers import wait_idle, wait_rows

from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow


def open_window(qtbot) -> MainWindow:
    window = MainWindow(Settings.load())  # as app.main does
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._opened, timeout=60000)
    return window


def test_keys_from_a_newer_version_are_kept_when_the_window_saves(qtbot, tmp_path,
                                                                  tiny_model_dir):
    newer = {"version": 2, "watched_folders": [], "model_dir": str(tiny_model_dir),
             "first_run_done": True, "theme": "dark",
             "sync": {"cloud": True, "every_s": [60, None], "note": "caf\u00e9"}}
    Settings.path().parent.mkdir(parents=True)
    Settings.path().write_text(json.dumps(newer), encoding="utf-8")
    album = tmp_path / "album"
    make_photo(album / "a.jpg", "coffee", size=(120, 90))
    window = open_window(qtbot)
    try:
        window.add_folder(str(album))  # saves
        window.close()  # saves again
    finally:
        window.shutdown()
    saved = json.loads(Settings.path().read_text(encoding="utf-8"))
    assert saved["theme"] == "dark" and saved["sync"] == newer["sync"]
    assert saved["version"] == 2  # the newer version's file stays its file
    assert saved["watched_folders"] == [str(album)]
    assert "unknown_keys" not in saved and "unreadable" not in saved


def test_an_empty_settings_file_is_called_empty(tmp_path):
    Settings.path().parent.mkdir(parents=True)
    Settings.path().write_text("", encoding="utf-8")
    problem = Settings.load().load_problem
    assert "(it is empty)" in problem and "cannot be read (it cannot be read" not in problem


def _without_read_permission(path) -> list[str]:
    """A command prefix under which `path` (mode 0) cannot be read, also as root."""
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv(1) to drop root's rights")
        prefix = [shutil.which("setpriv"), "--bounding-set=-dac_override,-dac_read_search"]
    probe = subprocess.run([*prefix, sys.executable, "-c",
                            f"import os, sys; sys.exit(os.access({str(path)!r}, os.R_OK))"],
                           check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make {path} unreadable here")
    return prefix


# The window opened on Settings.load(), a folder added, the window closed: two saves.
ADD_AND_CLOSE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow
qt = QApplication([])
window = MainWindow(Settings.load())
window.show()
def step():
    if not window._opened:
        QTimer.singleShot(50, step)
        return
    print("NOTICE:", window.statusBar().currentMessage())
    window.add_folder({album!r})
    window.close()
    qt.quit()
QTimer.singleShot(50, step)
qt.exec()
"""


def test_a_settings_file_that_cannot_be_read_is_never_saved_over(tmp_path, tiny_model_dir):
    """Without read permission (another user's file, a bad chmod) settings.json is no damaged
    file: it holds the user's folders, and they come back once the permission is fixed."""
    album = tmp_path / "album"
    make_photo(album / "a.jpg", "coffee", size=(120, 90))
    theirs = json.dumps({"watched_folders": [str(tmp_path / "Pictures")],
                         "polling_folders": [str(tmp_path / "Pictures")],
                         "model_dir": str(tiny_model_dir), "results_count": 77})
    path = Settings.path()
    path.parent.mkdir(parents=True)
    path.write_text(theirs, encoding="utf-8")
    path.chmod(0)
    try:
        done = subprocess.run(
            [*_without_read_permission(path), sys.executable, "-c",
             textwrap.dedent(ADD_AND_CLOSE.format(album=str(album)))],
            capture_output=True, text=True, check=False, timeout=120)
    finally:
        path.chmod(0o600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert path.read_text(encoding="utf-8") == theirs  # not replaced by the defaults
    notice = done.stdout.split("NOTICE:", 1)[1]
    assert f"{path}: your settings cannot be read (Permission denied)" in notice
    assert "will not save over that file" in notice and "Make it readable" in notice
    assert "then restart Lookalike" in notice
    assert not list(path.parent.glob("*.damaged")) and not list(path.parent.glob("*.tmp"))


def test_a_file_in_place_of_the_config_folder_is_named_and_left_alone(tmp_path, monkeypatch):
    home = tmp_path / "lookalike-home"
    home.write_text("LOOKALIKE_HOME was set to this file by mistake\n")
    monkeypatch.setenv("LOOKALIKE_HOME", str(home))
    settings = Settings.load()
    assert (f"{home} is a file, where Lookalike keeps a folder: move that file aside, then "
            "restart Lookalike") in settings.load_problem
    settings.add_folder(str(tmp_path / "Pictures"))
    settings.save()  # nothing to save over, and nothing said twice
    assert home.read_text() == "LOOKALIKE_HOME was set to this file by mistake\n"


def test_a_settings_file_saved_with_a_bom_is_read(tmp_path):
    """Windows editors (Notepad's "UTF-8 with BOM", PowerShell 5's Set-Content) put a BOM before
    the JSON: the file was called damaged, and the next save replaced the user's folders and
    options with the defaults."""
    pictures = str(tmp_path / "Pictures")
    mine = {"watched_folders": [pictures], "polling_folders": [pictures], "results_count": 77}
    Settings.path().parent.mkdir(parents=True)
    Settings.path().write_bytes(b"\xef\xbb\xbf" + json.dumps(mine).encode("utf-8"))
    settings = Settings.load()
    assert not settings.load_problem
    assert settings.watched_folders == settings.polling_folders == [pictures]
    assert settings.results_count == 77


def test_values_of_the_wrong_kind_are_said_and_the_file_is_kept(qtbot, tmp_path,
                                                                  tiny_model_dir):
    """A hand edit that gave a folder as text instead of a list, or a size out of range: the
    value was dropped without a word and the next save wrote the defaults over the file."""
    path = Settings.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    original = json.dumps({"version": 1, "watched_folders": str(tmp_path / "photos"),
                           "thumbnail_size": 5000, "results_count": 25,
                           "model_dir": str(tiny_model_dir), "first_run_done": True})
    path.write_text(original, encoding="utf-8")
    window = open_window(qtbot)
    said = window.settings.load_problem
    assert said.startswith(f"{path}: watched_folders (not a list of folders), thumbnail_size "
                           "(out of range) could not be used"), said
    assert f"kept as {path}.damaged" in said
    assert window.settings.results_count == 25  # the rest is used
    qtbot.waitUntil(lambda: said in window.statusBar().currentMessage(), timeout=5000)
    window.close()  # saves
    assert path.with_name("settings.json.damaged").read_text(encoding="utf-8") == original


def test_a_copy_kept_before_is_not_written_over(tmp_path):
    """The second time the file was found damaged its copy replaced the first one's, whose
    options the user may not have put back yet."""
    path = Settings.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"watched_folders": ["/photos/a"', encoding="utf-8")  # cut short
    first = Settings.load()
    assert f"kept as {path}.damaged" in first.load_problem
    path.write_text("", encoding="utf-8")  # damaged again, otherwise
    second = Settings.load()
    assert f"kept as {path}.damaged-2" in second.load_problem
    assert path.with_name("settings.json.damaged").read_text() == '{"watched_folders": ["/photos/a"'
    assert Settings.load().load_problem.endswith(f"kept as {path}.damaged-2. Your watched "
                                                 "folders come back from the library; set other "
                                                 "options again (or copy them back from the kept "
                                                 "file).")  # the same contents: kept once


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_read_only_settings_file_is_used_and_never_written(qtbot, tmp_path, tiny_model_dir,
                                                             caplog):
    """A user who locks settings.json (chmod 0444) means "do not change them": the atomic save
    renamed a new file over it all the same (a rename ignores the file's mode). The app opens
    with those settings, says once that changes are not saved and how to unlock the file, and
    writes nothing (also as root, who may write any file: the mode is what the user meant)."""
    album, other = tmp_path / "album", tmp_path / "other"
    make_photo(album / "a.jpg", "coffee", size=(120, 90))
    make_photo(other / "b.jpg", "chelsea", size=(120, 90))
    path = Settings.path()
    path.parent.mkdir(parents=True)
    locked = json.dumps({"watched_folders": [str(album)], "model_dir": str(tiny_model_dir),
                         "results_count": 77, "first_run_done": True})
    path.write_text(locked, encoding="utf-8")
    path.chmod(0o444)
    window = open_window(qtbot)
    try:
        assert window.settings.results_count == 77
        said = (f"{path} is read-only, so Lookalike does not save changes to your settings: "
                "options changed apply only until it is closed, and a folder removed comes "
                "back (indexed again) at the next start. To have them saved, make the file "
                f"writable (chmod u+w {path}).")
        qtbot.waitUntil(lambda: said in window.statusBar().currentMessage(), timeout=5000)
        window.add_folder(str(other))  # saves
        assert str(other) in window.settings.watched_folders  # in use all the same
        window.close()  # saves again
    finally:
        window.shutdown()
    assert path.read_text(encoding="utf-8") == locked
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert not list(path.parent.glob(".*.tmp")) and not list(path.parent.glob("*.damaged"))
    warnings = [r for r in caplog.records
                if r.levelno == logging.WARNING and "is read-only" in r.getMessage()]
    assert len(warnings) == 1  # said once, not at every save


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_what_the_read_only_notice_says_is_what_the_next_start_does(qtbot, tmp_path,
                                                                     tiny_model_dir):
    """The notice said "folders added or removed ... apply only until it is closed", but the
    library keeps a folder added (the next start takes it back from there), and a folder
    removed, still in the locked file, is watched and indexed again."""
    album, other = tmp_path / "album", tmp_path / "other"
    make_photo(album / "a.jpg", "coffee", size=(120, 90))
    make_photo(other / "b.jpg", "chelsea", size=(120, 90))
    path = Settings.path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"watched_folders": [str(album)], "first_run_done": True,
                                "model_dir": str(tiny_model_dir)}), encoding="utf-8")
    path.chmod(0o444)
    window = open_window(qtbot)
    try:
        qtbot.waitUntil(lambda: "read-only" in window.statusBar().currentMessage(),
                        timeout=5000)
        notice = window.statusBar().currentMessage()
        wait_rows(qtbot, window, 1)
        window.add_folder(str(other))
        wait_rows(qtbot, window, 2)
        window.remove_folder(str(album))
        wait_rows(qtbot, window, 1)
        wait_idle(qtbot, window)
        window.close()
    finally:
        window.shutdown()
    window = open_window(qtbot)
    try:
        qtbot.waitUntil(lambda: set(window.settings.watched_folders) == {str(album), str(other)},
                        timeout=10000)
        wait_rows(qtbot, window, 2)  # the removed folder's photo, indexed again
        window.close()
    finally:
        window.shutdown()
    assert "folders added" not in notice
    assert "a folder removed comes back (indexed again) at the next start" in notice


def test_settings_locked_while_the_app_runs_are_kept_and_unlocked_are_saved(caplog):
    path = Settings.path()
    path.parent.mkdir(parents=True)
    path.write_text('{"results_count": 12}', encoding="utf-8")
    settings = Settings.load()
    assert not settings.load_problem
    path.chmod(0o400)  # locked after the start
    settings.results_count = 30
    settings.save()
    settings.save()
    assert path.read_text(encoding="utf-8") == '{"results_count": 12}'
    assert sum("is read-only" in r.getMessage() for r in caplog.records) == 1
    path.chmod(0o600)  # unlocked: the next save writes
    settings.save()
    assert json.loads(path.read_text(encoding="utf-8"))["results_count"] == 30


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_damaged_read_only_settings_file_says_both(tmp_path):
    path = Settings.path()
    path.parent.mkdir(parents=True)
    path.write_text('{"results_count": ', encoding="utf-8")
    path.chmod(0o444)
    settings = Settings.load()
    assert settings.load_problem.startswith(f"{path}: your settings could not be read")
    assert settings.load_problem.endswith(f"make the file writable (chmod u+w {path}).")
    settings.save()
    assert path.read_text(encoding="utf-8") == '{"results_count": '
