"""A folder given twice in one drop or paste (its path and the same path with a trailing
separator, or its path and a link to it) is one folder to watch: the question names it once.
In the real window offscreen with real photo files, SQLite and the tiny real ONNX model."""

from __future__ import annotations

import os

import pytest
from photos import make_photo
from PySide6.QtGui import QGuiApplication
from ui_helpers import answer_question, drop_on, dropped_files, wait_rows

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint)


def test_a_folder_pasted_twice_is_asked_about_once(qtbot, make_window, tmp_path):
    """"Watch these 2 folders and index their photos?" was asked for one folder pasted as
    "/p/Trip" and "/p/Trip/" (two lines of a file manager's Copy path)."""
    folder = tmp_path / "Trip"
    make_photo(folder / "rocket.jpg", "rocket", size=(200, 150))
    window = make_window()
    asked: list[str] = []
    answer_question("Watch", asked)
    QGuiApplication.clipboard().setText(f"{folder}\n{folder}/\n")
    window.paste()
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert asked == [f"Watch {folder} and index its photos?"]
    assert window.settings.watched_folders == [str(folder)]
    wait_rows(qtbot, window, 1)


def test_a_folder_dropped_with_a_link_to_it_is_asked_about_once(qtbot, make_window, tmp_path):
    folder = tmp_path / "Trip"
    make_photo(folder / "rocket.jpg", "rocket", size=(200, 150))
    link = tmp_path / "Trip link"
    os.symlink(folder, link)
    window = make_window()
    asked: list[str] = []
    answer_question("Watch", asked)
    drop_on(window.grid.viewport(), dropped_files(folder, link))
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert asked == [f"Watch {folder} and index its photos?"]
    assert window.settings.watched_folders == [str(folder)]
    wait_rows(qtbot, window, 1)
