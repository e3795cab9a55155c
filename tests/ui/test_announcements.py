"""What changes away from the focus (the status bar, the results header, the duplicates'
status line) is said to a screen reader as it appears."""

from __future__ import annotations

import shutil

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from ui_helpers import use_own_trash, wait_idle, wait_rows

from desktop_app.ui import main_window

QAccessibleAnnouncementEvent = getattr(QtGui, "QAccessibleAnnouncementEvent", None)
pytestmark = pytest.mark.skipif(QAccessibleAnnouncementEvent is None,
                                reason="Qt before 6.8 has no announcements")


def test_results_notices_and_duplicates_are_announced(qtbot, make_window, library_photos,
                                                      tmp_path, monkeypatch, announced):
    """A screen reader user pressed Enter on a photo and heard nothing: the results and
    their count showed on the right, the focus stayed on the library."""
    use_own_trash(monkeypatch, tmp_path / "xdg")
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.snapshot) == 6, timeout=20000)
    grid = window.grid
    grid.setFocus()
    chelsea = next(r for r in range(6)
                   if window.photos_model.photo_at(r).path.endswith("/chelsea.jpg"))
    grid.setCurrentIndex(window.photos_model.index(chelsea))
    with qtbot.waitSignal(window.results_shown, timeout=5000) as shown:
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert announced[-1] == f"Photos like chelsea.jpg\n{len(shown.args[0])} found"
    window.add_folder(str(tmp_path / "nowhere"))  # a notice in the status bar: a problem
    assert announced[-1] == f"Problem: {window.statusBar().currentMessage()}"
    assert "does not exist" in announced[-1]
    panel = window.duplicates_panel
    with qtbot.waitSignal(window.duplicates_shown, timeout=10000):
        panel.find_button.click()
    assert announced[-1] == "1 group of near-identical photos."
    with qtbot.waitSignal(panel.trashed, timeout=20000):
        panel.trash_checked()
    assert announced[-1] == "Moved 1 photo to the trash."
    panel.undo()
    assert announced[-1] == "Put back 1 photo."


def test_a_job_summary_is_announced(qtbot, make_window, library_photos, tmp_path, announced,
                                   monkeypatch):
    """What indexing found ("6 added ... failed") showed in the status bar, but a screen
    reader user heard nothing when a job ended. The folder's name is escaped there as in the
    notices: a right-to-left override would turn the rest of the sentence round."""
    monkeypatch.setattr(main_window, "UNREADABLE_SETTLE_MS", 300)
    folder = tmp_path / "trip\u202egpj.exe"
    library_photos.rename(folder)
    window = make_window()
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Indexed "),
                    timeout=60000)
    said = window.statusBar().currentMessage()
    assert said.startswith(f"Indexed {tmp_path}/trip\\u202egpj.exe: 6 added")
    assert announced[-1] == said
    # A photo saved into the watched folder: its batch is shown, not read out (a camera
    # import would be one long string of them)...
    shutil.copy(folder / "rocket.jpg", folder / "rocket-copy.jpg")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(
        "Indexed 1 change: 1 added"), timeout=20000)
    assert announced == [said]
    # ...unless something went wrong in it.
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a real jpeg")
    qtbot.waitUntil(lambda: "could not be read" in window.statusBar().currentMessage(),
                    timeout=20000)
    said = window.statusBar().currentMessage()
    # (still unreadable then; said as a problem, as it is shown)
    qtbot.waitUntil(lambda: announced[-1] == f"Problem: {said}", timeout=5000)


def test_a_photo_read_while_it_was_copied_in_is_not_announced(qtbot, make_window,
                                                              library_photos, tmp_path,
                                                              announced, monkeypatch):
    """A file being copied into a watched folder is truncated until its last byte: the watcher
    sends a long copy's changes every 5 s, so during a camera import nearly every batch said
    "1 photo(s) could not be read", each read out, though the next batch indexed the photo."""
    monkeypatch.setattr(main_window, "UNREADABLE_SETTLE_MS", 3000)
    window = make_window()
    window.add_folder(str(library_photos))
    wait_rows(qtbot, window, 6)
    wait_idle(qtbot, window)
    before = list(announced)
    data = (library_photos / "coffee.jpg").read_bytes()
    copied = library_photos / "IMG_0001.jpg"
    copied.write_bytes(data[:len(data) // 2])  # caught half-written
    qtbot.waitUntil(lambda: "could not be read" in window.statusBar().currentMessage(),
                    timeout=20000)
    copied.write_bytes(data)  # the copy ends: indexed as it changes
    qtbot.waitUntil(lambda: window.failed_model.rowCount() == 0, timeout=20000)
    qtbot.wait(3500)  # past the settle time
    assert announced == before
