"""A file where Lookalike keeps a folder (LOOKALIKE_HOME set to a file, a stray file named `data`
or `config`): the message names that file, where it said "File exists" of a database that is
not there, or told the user to free disk space."""

from __future__ import annotations

import errno
import html
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app import cli, paths
from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow, settings_save_problem


def test_a_file_named_data_is_named_in_the_banner_and_by_the_commands(qtbot, tiny_model_dir,
                                                                      lookalike_home, capsys):
    stray = lookalike_home / "data"
    stray.write_text("not a folder\n")
    expected = (f"{paths.database_path()}: {stray} is a file, where Lookalike keeps the "
                "library's folder. Move that file aside")
    window = MainWindow(Settings(model_dir=str(tiny_model_dir), first_run_done=True))
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window._opened, timeout=60000)
        banner = html.unescape(window.banner.text())
        assert "The library cannot be opened." in banner
        assert expected + ", then restart Lookalike." in banner
        assert "File exists" not in banner
    finally:
        window.shutdown()
    assert cli.main(["status"]) == cli.EXIT_STORE
    assert cli.main(["--no-progress", "index", str(lookalike_home)]) == cli.EXIT_STORE
    err = capsys.readouterr().err
    assert err.count(expected) == 2 and "File exists" not in err


def test_a_file_in_place_of_the_config_folder_is_named_when_saving(qtbot, make_window):
    window = make_window()
    assert window.save_settings()
    config = paths.config_dir()
    config.rename(config.with_name("config.moved"))
    config.write_text("a file where the config folder was\n")
    assert not window.save_settings()
    message = window.statusBar().currentMessage()
    assert (f"Could not save your settings to {Settings.path()} (File exists). {config} is a "
            "file, where Lookalike keeps a folder: move that file aside") in message
    assert "disk space" not in message


def test_a_folder_that_cannot_be_looked_into_is_no_file_in_the_way(tmp_path, monkeypatch):
    """Path.exists() raises PermissionError (Python 3.11, 3.12) for a path inside a folder the
    user may not enter: file_in_the_way, called while handling the error, raised it again, so
    the settings save message became an unexpected error."""
    locked = tmp_path / "locked"
    monkeypatch.setenv("LOOKALIKE_HOME", str(locked / "home"))
    real_stat = Path.stat

    def stat(self, *args, **kwargs):
        if self == locked or locked in self.parents:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    assert paths.file_in_the_way(Settings.path()) is None
    message = settings_save_problem(PermissionError(errno.EACCES, "Permission denied"))
    assert message.startswith(f"Could not save your settings to {Settings.path()} "
                              f"(Permission denied). Make {paths.config_dir()} writable")


def test_a_library_in_a_folder_that_cannot_be_entered_is_said_not_a_crash(tmp_path):
    """LOOKALIKE_HOME inside a folder the user may not enter (another user's home): `lookalike
    index` printed a traceback and "This is a bug in Lookalike" instead of the store's message."""
    locked = tmp_path / "locked"
    locked.mkdir()
    prefix = []
    if os.geteuid() == 0:  # root enters any folder: drop that right
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv(1) to drop root's rights")
        prefix = [shutil.which("setpriv"), "--bounding-set=-dac_override,-dac_read_search"]
    locked.chmod(0)
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "desktop_app", "--no-progress", "index",
             str(tmp_path)], capture_output=True, text=True, check=False, timeout=120,
            env={**os.environ, "LOOKALIKE_HOME": str(locked / "home")})
    finally:
        locked.chmod(0o700)
    if done.returncode == cli.EXIT_OK:
        pytest.skip("the folder could be entered all the same here")
    assert done.returncode == cli.EXIT_STORE, done.stderr[-3000:]
    assert "cannot create the library folder (Permission denied)" in done.stderr
    assert "Traceback" not in done.stderr and "is a file" not in done.stderr
