"""A result renamed while the preview shows it: the results follow it by searching again on the
new snapshot, which replaces their rows (no dataChanged, as the library grid sends). The preview
kept the old path: Ctrl+C and its menu said the file was not there, and the grid was left with
no current photo, so the next arrow went to the first result. In the real window offscreen,
with real photos indexed by the real model and the real watcher."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from ui_helpers import grid_names, indexed, pick_from_menu

from desktop_app.ui.dropped import local_path
from desktop_app.ui.models import exact_path

CTRL = Qt.KeyboardModifier.ControlModifier


def test_a_result_renamed_while_previewed_is_followed(qtbot, make_window, library_photos):
    window = indexed(qtbot, make_window, library_photos, 6)
    with qtbot.waitSignal(window.results_shown, timeout=20000):
        window.search_file(str(library_photos / "chelsea.jpg"))
    grid = window.results_panel.grid
    first, *others = grid_names(grid)
    assert others  # one to arrow to
    grid.setCurrentIndex(grid.model().index(0, 0))
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    preview = window.preview
    qtbot.waitUntil(preview.isActiveWindow, timeout=5000)
    renamed = library_photos / f"renamed {first}"
    decoded_before = len(preview.loader.started)
    os.rename(library_photos / first, renamed)
    qtbot.waitUntil(lambda: grid_names(grid)[0] == renamed.name, timeout=20000)  # searched again
    assert preview.shown_path() == str(renamed)
    assert preview.windowTitle().startswith(renamed.name)
    # Read at its new path from then on: a decode still coming from the old one is asked again
    # there, a picture decoded already is kept (the same file's pixels); either way a picture
    # is shown, not "not there".
    qtbot.waitUntil(lambda: preview.loader._pool.activeThreadCount() == 0, timeout=5000)
    assert preview.loader.started[decoded_before:] in ([], [str(renamed)])
    assert preview.stack.currentWidget() is preview.picture
    assert preview.shown_picture() is not None
    qtbot.keyClick(preview, Qt.Key.Key_C, CTRL)
    mime = QGuiApplication.clipboard().mimeData()
    assert [local_path(u) for u in mime.urls()] == [str(renamed)]
    assert window.statusBar().currentMessage() == f"Copied {renamed.name}"
    pick_from_menu(qtbot, lambda: qtbot.keyClick(
        preview, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier), "Copy path")
    assert QGuiApplication.clipboard().text() == str(renamed)
    # The grid's current photo is the one shown again: the arrows go on from it.
    assert grid.currentIndex().row() == 0
    qtbot.keyClick(preview, Qt.Key.Key_Right)
    assert os.path.basename(preview.shown_path()) == others[0]
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert exact_path(grid.currentIndex()) == str(library_photos / others[0])
