"""A result picked (current and selected) that is renamed stays picked: the results follow a
rename by searching again on the new snapshot, which replaces their rows, and the pick was
found again by path, so the renamed photo lost it (the next arrow went to the first result, a
copy of the selection left it out). In the real window offscreen, with real photos indexed by
the real model and the real watcher."""

from __future__ import annotations

import os

from PySide6.QtCore import QItemSelectionModel
from ui_helpers import grid_names, indexed

from desktop_app.ui.models import exact_path


def test_a_picked_result_renamed_stays_picked(qtbot, make_window, library_photos):
    window = indexed(qtbot, make_window, library_photos, 6)
    with qtbot.waitSignal(window.results_shown, timeout=20000):
        window.search_file(str(library_photos / "chelsea.jpg"))
    grid = window.results_panel.grid
    shown = grid_names(grid)
    assert len(shown) >= 2
    other, picked = shown[0], shown[1]
    flags = QItemSelectionModel.SelectionFlag
    grid.selectionModel().setCurrentIndex(grid.model().index(1, 0), flags.ClearAndSelect)
    grid.selectionModel().select(grid.model().index(0, 0), flags.Select)
    renamed = library_photos / f"renamed {picked}"
    os.rename(library_photos / picked, renamed)
    qtbot.waitUntil(lambda: renamed.name in grid_names(grid), timeout=20000)  # searched again
    assert exact_path(grid.currentIndex()) == str(renamed)
    chosen = sorted(exact_path(i) for i in grid.selectionModel().selectedIndexes())
    assert chosen == sorted([str(renamed), str(library_photos / other)])
