"""The preview answers the keys a user expects there: Ctrl+C copies the photo shown (not the
grid's other selected photos), the photo's menu (Shift+F10, the Menu key, a right-click) is the
photo shown's, and the main window's own keys (Ctrl+V, Ctrl+O, Ctrl+L, Ctrl+R, Ctrl+D,
Ctrl+Tab) close it and act as in the window; the zoom keys leave the thumbnails behind it
alone. In the real window offscreen, with real photos indexed by the real model."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog
from ui_helpers import header, indexed, keys_list_text, pick_from_menu

from desktop_app.ui.dropped import local_path
from desktop_app.ui.models import exact_path

CTRL = Qt.KeyboardModifier.ControlModifier


def index_named(model, name: str):
    return next(model.index(row, 0) for row in range(model.rowCount())
                if os.path.basename(exact_path(model.index(row, 0))) == name)


def open_preview(qtbot, window, grid, name: str, also_selected: tuple[str, ...] = ()):
    """The preview of the photo `name` of `grid`, opened by Space, with the photos
    `also_selected` selected in the grid too (as Ctrl+click leaves them); active, as a window
    shown by Space is."""
    model, chosen = grid.model(), grid.selectionModel()
    chosen.clear()
    for other in (name, *also_selected):
        chosen.select(index_named(model, other), QItemSelectionModel.SelectionFlag.Select)
    chosen.setCurrentIndex(index_named(model, name), QItemSelectionModel.SelectionFlag.NoUpdate)
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    preview = window.preview
    assert preview.isVisible() and os.path.basename(preview.shown_path()) == name
    qtbot.waitUntil(preview.isActiveWindow, timeout=5000)
    return preview


def test_ctrl_c_copies_the_photo_shown_not_the_other_selected(qtbot, make_window,
                                                               library_photos):
    """Ctrl+C in the preview did nothing (the grid's copy is the grid's key). It copies the
    photo looked at, not the photos selected in the grid behind it."""
    window = indexed(qtbot, make_window, library_photos, 6)
    preview = open_preview(qtbot, window, window.grid, "rocket.jpg",
                           also_selected=("coffee.jpg", "hubble.jpg"))
    qtbot.keyClick(preview, Qt.Key.Key_C, CTRL)
    mime = QGuiApplication.clipboard().mimeData()
    assert [local_path(u) for u in mime.urls()] == [str(library_photos / "rocket.jpg")]
    assert window.statusBar().currentMessage() == "Copied rocket.jpg"
    assert preview.isVisible()  # a copy moves nothing: the photo stays in view
    # Gone from the disk since: nothing copied, said naming the file, as in the grid.
    gone = str(library_photos / "rocket.jpg")
    os.remove(gone)
    QGuiApplication.clipboard().setText("before")
    qtbot.keyClick(preview, Qt.Key.Key_C, CTRL)
    assert QGuiApplication.clipboard().text() == "before"
    assert window.statusBar().currentMessage() == (
        f"{gone}: the file is not there (deleted, moved, or on a drive that is not "
        "connected): nothing was copied. Connect the drive, or pick other photos.")


def test_the_photo_menu_is_the_photo_shown(qtbot, make_window, library_photos):
    """Shift+F10, the Menu key and a right-click on the picture did nothing in the preview:
    the photo's menu (open it, show it in the file manager, copy its path) needed the grid."""
    window = indexed(qtbot, make_window, library_photos, 6)
    preview = open_preview(qtbot, window, window.grid, "coffee.jpg", also_selected=("rocket.jpg",))
    shown = str(library_photos / "coffee.jpg")
    entries = pick_from_menu(qtbot, lambda: qtbot.keyClick(
        preview, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier), "Copy path")
    assert entries == ["Find similar photos", "Open with default viewer", "Show in file manager",
                       "Copy path"]  # no Preview: it is open
    assert QGuiApplication.clipboard().text() == shown
    assert window.statusBar().currentMessage() == f"Copied {shown}"
    # The Menu key, wherever the pointer is.
    QGuiApplication.clipboard().clear()
    corner = preview.rect().topLeft()
    pick_from_menu(qtbot, lambda: QApplication.sendEvent(preview, QContextMenuEvent(
        QContextMenuEvent.Reason.Keyboard, corner, preview.mapToGlobal(corner))), "Copy path")
    assert QGuiApplication.clipboard().text() == shown
    # A right-click on the picture.
    QGuiApplication.clipboard().clear()
    middle = preview.picture.rect().center()
    pick_from_menu(qtbot, lambda: QApplication.sendEvent(preview.picture, QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, middle, preview.picture.mapToGlobal(middle))),
        "Copy path")
    assert QGuiApplication.clipboard().text() == shown
    assert preview.isVisible()
    # Find similar photos: as Enter, closed and searched with the photo shown.
    pick_from_menu(qtbot, lambda: qtbot.keyClick(
        preview, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier), "Find similar photos")
    assert not preview.isVisible()
    qtbot.waitUntil(lambda: "coffee.jpg" in header(window), timeout=20000)


def test_the_menu_of_a_photo_gone_says_so(qtbot, make_window, library_photos):
    """Gone from the disk since it was shown: Open says so, naming the file, as in the grid."""
    window = indexed(qtbot, make_window, library_photos, 6)
    preview = open_preview(qtbot, window, window.grid, "hubble.jpg")
    gone = str(library_photos / "hubble.jpg")
    os.remove(gone)
    pick_from_menu(qtbot, lambda: qtbot.keyClick(
        preview, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier), "Open with default viewer")
    assert window.statusBar().currentMessage() == (
        f"{gone}: the file is not there (deleted, moved, or on a drive that is not "
        "connected). Connect the drive, or pick another photo.")


def test_ctrl_v_closes_it_and_searches_with_the_clipboards_photo(qtbot, make_window,
                                                                  library_photos):
    """The window's Ctrl+V did not reach the preview. Here: the preview's Ctrl+C, then Ctrl+V."""
    window = indexed(qtbot, make_window, library_photos, 6)
    preview = open_preview(qtbot, window, window.grid, "coffee.jpg")
    qtbot.keyClick(preview, Qt.Key.Key_C, CTRL)
    qtbot.keyClick(preview, Qt.Key.Key_V, CTRL)
    assert not preview.isVisible()  # the results it shows are the window's
    qtbot.waitUntil(lambda: "coffee.jpg" in header(window), timeout=20000)


@pytest.mark.parametrize("key, from_results, focused", [
    (Qt.Key.Key_L, True, "library"), (Qt.Key.Key_R, False, "results")], ids=["Ctrl+L", "Ctrl+R"])
def test_ctrl_l_and_ctrl_r_close_it_and_go_to_their_grid(qtbot, make_window, library_photos,
                                                         key, from_results, focused):
    window = indexed(qtbot, make_window, library_photos, 6)
    grid = window.grid
    if from_results:
        with qtbot.waitSignal(window.results_shown, timeout=20000):
            window.search_file(str(library_photos / "chelsea.jpg"))
        grid = window.results_panel.grid
    name = os.path.basename(exact_path(grid.model().index(0, 0)))
    preview = open_preview(qtbot, window, grid, name)
    qtbot.keyClick(preview, key, CTRL)
    assert not preview.isVisible()
    wanted = window.grid if focused == "library" else window.results_panel.grid
    qtbot.waitUntil(lambda: QApplication.focusWidget() is wanted, timeout=5000)


@pytest.mark.parametrize("key", [Qt.Key.Key_D, Qt.Key.Key_Tab], ids=["Ctrl+D", "Ctrl+Tab"])
def test_ctrl_d_and_ctrl_tab_close_it_and_change_the_tab(qtbot, make_window, library_photos,
                                                         key):
    window = indexed(qtbot, make_window, library_photos, 6)
    preview = open_preview(qtbot, window, window.grid, "rocket.jpg")
    qtbot.keyClick(preview, key, CTRL)
    assert not preview.isVisible()
    assert window.tabs.currentWidget() is window.duplicates_panel


def test_ctrl_o_closes_it_before_the_folder_is_asked_for(qtbot, make_window, library_photos,
                                                         monkeypatch):
    window = indexed(qtbot, make_window, library_photos, 6)
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *args, **kwargs: asked.append(window.preview.isVisible()) or "")
    preview = open_preview(qtbot, window, window.grid, "rocket.jpg")
    qtbot.keyClick(preview, Qt.Key.Key_O, CTRL)
    assert asked == [False]  # the folder chooser over the window, not behind the preview


def test_the_zoom_keys_leave_the_thumbnails_behind_it_alone(qtbot, make_window, library_photos):
    """They size the grid's thumbnails, out of sight behind the preview: nothing changes."""
    window = indexed(qtbot, make_window, library_photos, 6)
    edge = window.grid.iconSize()
    preview = open_preview(qtbot, window, window.grid, "rocket.jpg")
    for key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus, Qt.Key.Key_0):
        qtbot.keyClick(preview, key, CTRL)
    assert preview.isVisible() and window.grid.iconSize() == edge
    assert window.settings.thumbnail_size == edge.width()


def test_the_keys_list_and_the_preview_name_its_keys(qtbot, make_window, library_photos):
    text = keys_list_text(qtbot)
    assert "<td>Preview: copy the photo shown" in text
    assert "<b>Shift+F10, Menu, right-click</b></td><td>Preview: the menu of the photo" in text
    assert ("<b>Ctrl+V, Ctrl+O, Ctrl+L, Ctrl+R, Ctrl+D, Ctrl+Tab, Ctrl+Shift+Tab</b></td>"
            "<td>Preview: close it, then as in the window") in text
    window = indexed(qtbot, make_window, library_photos, 6)
    preview = open_preview(qtbot, window, window.grid, "rocket.jpg")
    said = preview.accessibleDescription()
    assert "Ctrl+C copies it" in said and "Shift+F10 or the Menu key opens its menu" in said
