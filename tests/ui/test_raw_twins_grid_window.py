"""The library grid of the real window (offscreen, real SQLite, the tiny real ONNX model, real
DNGs that LibRaw reads as a camera's, the real folder watcher) shows a RAW+JPEG pair once, as
the results do: its JPEG, which Enter searches with and Ctrl+C copies; the status bar counts
pictures and files. It listed both files of every pair."""

from __future__ import annotations

import os

from photos import make_camera_raw, make_photo
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from ui_helpers import header, wait_idle

from desktop_app.ui.dropped import local_path
from desktop_app.ui.models import PathRole


def indexed_files(qtbot, make_window, folder, files: int, tiles: int):
    """A window with `folder` added, its `files` indexed and shown as `tiles`."""
    window = make_window()
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: len(window.snapshot) == files, timeout=60000)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not window.row_feeder.pending()
                    and window.photos_model.rowCount() == tiles, timeout=10000)
    return window


def names(window) -> list[str]:
    model = window.photos_model
    return sorted(os.path.basename(model.photo_at(r).path) for r in range(model.rowCount()))


def test_the_grid_shows_a_pair_as_its_jpeg_searched_and_copied_as_the_results_do(
        qtbot, make_window, tmp_path):
    card = tmp_path / "card"
    raw = make_camera_raw(card / "IMG_0001.CR2", "chelsea")
    jpeg = make_photo(card / "IMG_0001.JPG", "chelsea", quality=85)
    make_camera_raw(card / "IMG_0002.NEF", "coffee")
    make_photo(card / "IMG_0002.JPG", "coffee", quality=85)
    make_photo(card / "rocket.jpg", "rocket")
    window = indexed_files(qtbot, make_window, card, 5, 3)
    model, grid = window.photos_model, window.grid
    assert names(window) == ["IMG_0001.JPG", "IMG_0002.JPG", "rocket.jpg"]
    assert window.count_label.text() == "3 pictures (5 files)"
    assert "2 raw files are counted among the files only" in window.count_label.toolTip()
    tile = model.index(model.row_of_path(str(raw)))  # the raw's picture: its JPEG's tile
    assert tile.data(PathRole) == str(jpeg)
    assert tile.data(Qt.ItemDataRole.DisplayRole) == "IMG_0001.JPG\nRAW+JPEG"
    assert tile.data(Qt.ItemDataRole.ToolTipRole).endswith(
        "\nShot RAW+JPEG: its raw file IMG_0001.CR2 is the same photo")
    # Enter searches with the JPEG, as a click on the pair's result does.
    grid.setFocus()
    grid.setCurrentIndex(tile)
    with qtbot.waitSignal(window.results_shown, timeout=20000):
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert header(window).startswith("Photos like IMG_0001.JPG")
    # Ctrl+C (and a drag: the same files) gives the JPEG alone, as on a result.
    grid.selectionModel().clear()
    grid.setCurrentIndex(tile)
    qtbot.keyClick(grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert [local_path(u) for u in QGuiApplication.clipboard().mimeData().urls()] == [str(jpeg)]
    # The Duplicates tab lists raws: the raw's own record is still known to it (a ticked
    # file is trashed only if it is as indexed).
    stamp = window.duplicates_panel.indexed_stamp(str(raw))
    assert stamp is not None and stamp[:2] == (os.path.getsize(raw), os.path.getmtime(raw))


def test_a_raws_tile_gives_way_to_its_jpeg_indexed_later_and_comes_back_when_it_goes(
        qtbot, make_window, tmp_path):
    card = tmp_path / "card"
    raw = make_camera_raw(card / "IMG_0001.CR2", "chelsea")
    make_photo(card / "rocket.jpg", "rocket")
    window = indexed_files(qtbot, make_window, card, 2, 2)
    model, grid = window.photos_model, window.grid
    assert names(window) == ["IMG_0001.CR2", "rocket.jpg"]
    assert window.count_label.text() == "2 photos"
    row = model.row_of_path(str(raw))
    grid.setFocus()
    grid.setCurrentIndex(model.index(row))
    # The camera's JPEG copied in after it (a card read in two goes): the same tile, now the
    # JPEG's, still the one picked.
    jpeg = make_photo(card / "IMG_0001.JPG", "chelsea", quality=85)
    qtbot.waitUntil(lambda: grid.currentIndex().data(PathRole) == str(jpeg), timeout=30000)
    assert grid.currentIndex().row() == row and model.rowCount() == 2
    qtbot.waitUntil(lambda: window.count_label.text() == "2 pictures (3 files)", timeout=5000)
    # The JPEG deleted: the raw is back in its place.
    os.remove(jpeg)
    qtbot.waitUntil(lambda: grid.currentIndex().data(PathRole) == str(raw), timeout=30000)
    assert grid.currentIndex().row() == row and model.rowCount() == 2
    qtbot.waitUntil(lambda: window.count_label.text() == "2 photos", timeout=5000)
