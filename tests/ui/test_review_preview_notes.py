"""What the preview's Ctrl+C and photo menu say is shown in the preview, over the foot of the
picture: it went only to the main window's status bar, which the preview covers (with a title
bar, all of it). In the real window offscreen, with real photos indexed by the real model."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from ui_helpers import indexed, pick_from_menu

from desktop_app.ui import photo_preview
from desktop_app.ui.models import exact_path

CTRL = Qt.KeyboardModifier.ControlModifier


def open_preview(qtbot, window, name: str):
    """The preview of the library grid's photo `name`, opened by Space and active."""
    grid, model = window.grid, window.grid.model()
    grid.setCurrentIndex(next(model.index(row, 0) for row in range(model.rowCount())
                              if os.path.basename(exact_path(model.index(row, 0))) == name))
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    preview = window.preview
    qtbot.waitUntil(preview.isActiveWindow, timeout=5000)
    qtbot.waitUntil(lambda: preview.shown_picture() is not None, timeout=10000)
    return preview


def pick_from_its_menu(qtbot, preview, entry: str) -> None:
    """The photo's menu opened with Shift+F10, and its `entry` picked."""
    pick_from_menu(qtbot, lambda: qtbot.keyClick(
        preview, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier), entry)


def note_shown(preview) -> str:
    """The note's text if it is shown over the foot of the picture's place, else ""."""
    note = preview.note
    if not note.isVisible():
        return ""
    area = preview.stack.geometry()
    assert area.contains(note.geometry()) and note.geometry().bottom() == area.bottom()
    assert note.height() >= note.heightForWidth(note.width())  # all its lines
    return note.text()


def test_ctrl_c_and_the_menu_say_it_in_the_preview(qtbot, make_window, library_photos,
                                                    monkeypatch):
    monkeypatch.setattr(photo_preview, "NOTE_MS", 300)  # (its going waited for below)
    window = indexed(qtbot, make_window, library_photos, 6)
    preview = open_preview(qtbot, window, "rocket.jpg")
    room, decoded = QRect(preview.picture.geometry()), list(preview.loader.started)
    qtbot.keyClick(preview, Qt.Key.Key_C, CTRL)
    assert note_shown(preview) == "Copied rocket.jpg"
    assert window.statusBar().currentMessage() == "Copied rocket.jpg"  # said there too
    # Over the picture: it keeps its room, and is not decoded again.
    assert preview.picture.geometry() == room and preview.loader.started == decoded
    # A while, then gone (within 10 s: a loaded machine runs the timer late).
    qtbot.waitUntil(lambda: not preview.note.isVisible(), timeout=10000)
    # The notes below are looked at after the menu's own event loop has run: shown for a
    # minute, a slow run of it cannot take them away before they are looked at.
    monkeypatch.setattr(photo_preview, "NOTE_MS", 60000)
    pick_from_its_menu(qtbot, preview, "Copy path")
    shown = str(library_photos / "rocket.jpg")
    assert note_shown(preview) == f"Copied {shown}"
    assert QGuiApplication.clipboard().text() == shown
    # A file gone since: the problem, whole, on as many lines as it takes.
    os.remove(shown)
    pick_from_its_menu(qtbot, preview, "Open with default viewer")
    gone = (f"{shown}: the file is not there (deleted, moved, or on a drive that is not "
            "connected). Connect the drive, or pick another photo.")
    assert note_shown(preview) == gone == window.statusBar().currentMessage()
    qtbot.keyClick(preview, Qt.Key.Key_C, CTRL)
    assert note_shown(preview).endswith("nothing was copied. Connect the drive, or pick other "
                                        "photos.")


@pytest.mark.parametrize("then", ["another photo", "closed"])
def test_the_note_goes_with_the_photo(qtbot, make_window, library_photos, then):
    """It says something of the photo shown: not left over the next one."""
    window = indexed(qtbot, make_window, library_photos, 6)
    second = os.path.basename(exact_path(window.grid.model().index(1, 0)))
    preview = open_preview(qtbot, window, second)
    qtbot.keyClick(preview, Qt.Key.Key_C, CTRL)
    assert note_shown(preview) == f"Copied {second}"
    if then == "closed":
        qtbot.keyClick(preview, Qt.Key.Key_Escape)
        preview = open_preview(qtbot, window, second)
    else:
        qtbot.keyClick(preview, Qt.Key.Key_Home)
        assert os.path.basename(preview.shown_path()) != second
    assert note_shown(preview) == ""


def test_the_note_follows_the_window_size(qtbot, make_window, library_photos):
    window = indexed(qtbot, make_window, library_photos, 6)
    preview = open_preview(qtbot, window, "rocket.jpg")
    os.remove(library_photos / "rocket.jpg")
    qtbot.keyClick(preview, Qt.Key.Key_C, CTRL)
    lines = preview.note.height()
    preview.resize(preview.width() // 2, preview.height())
    qtbot.waitUntil(lambda: preview.note.width() == preview.stack.width(), timeout=3000)
    assert note_shown(preview) and preview.note.height() > lines  # narrower: more lines
