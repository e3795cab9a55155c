"""A file where Lookalike keeps a folder (LOOKALIKE_HOME set to a file, a stray file named `data`
or `config`): the message names that file, where it said "File exists" of a database that is
not there, or told the user to free disk space."""

from __future__ import annotations

import html

from desktop_app import cli, paths
from desktop_app.settings import Settings
from desktop_app.ui.main_window import MainWindow


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
