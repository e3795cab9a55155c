"""Ctrl+C in the grids puts the picked photos on the clipboard as files (URLs and paths), to
paste them in a file manager or a document; in the real window offscreen with real photos."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QWidget
from ui_helpers import indexed

from desktop_app.ui.dropped import local_path
from desktop_app.ui.keys_help import show_keys


def pick(window, folder, *names) -> list[str]:
    """Select these photos of `folder` in the library grid: their paths, in the grid's order."""
    model, chosen = window.photos_model, window.grid.selectionModel()
    chosen.clear()
    paths = []
    for name in names:
        row = model.row_of_path(str(folder / name))
        chosen.select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
        paths.append(model.photo_at(row).path)
    return sorted(paths, key=model.row_of_path)  # the grid's order


def test_ctrl_c_copies_the_selected_photos_as_files(qtbot, make_window, library_photos):
    """Ctrl+C copied the current photo's shown name as text (Qt's own): nothing a file
    manager could paste."""
    window = indexed(qtbot, make_window, library_photos, 6)
    paths = pick(window, library_photos, "rocket.jpg", "coffee.jpg")
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    mime = QGuiApplication.clipboard().mimeData()
    assert [local_path(u) for u in mime.urls()] == paths
    assert mime.text() == "\n".join(paths)
    assert window.statusBar().currentMessage() == "Copied 2 photos"


def test_a_photo_whose_file_is_gone_is_not_copied_and_said(qtbot, make_window, library_photos):
    window = indexed(qtbot, make_window, library_photos, 6)
    QGuiApplication.clipboard().setText("before")
    pick(window, library_photos, "rocket.jpg", "hubble.jpg")
    os.remove(library_photos / "hubble.jpg")
    qtbot.keyClick(window.grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    mime = QGuiApplication.clipboard().mimeData()
    assert [local_path(u) for u in mime.urls()] == [str(library_photos / "rocket.jpg")]
    assert window.statusBar().currentMessage() == (
        f"{library_photos / 'hubble.jpg'}: the file is not there (deleted, moved, or on a "
        "drive that is not connected): left out of the photos copied. Connect the drive, or "
        "pick other photos.")
    # None there: the clipboard is left as it was.
    QGuiApplication.clipboard().setText("before")
    pick(window, library_photos, "hubble.jpg")
    qtbot.keyClick(window.grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "before"
    assert "nothing was copied" in window.statusBar().currentMessage()


def test_ctrl_c_in_the_results_copies_the_result(qtbot, make_window, library_photos):
    window = indexed(qtbot, make_window, library_photos, 6)
    with qtbot.waitSignal(window.results_shown, timeout=10000):
        window.search_file(str(library_photos / "chelsea.jpg"))
    results = window.results_panel.grid
    results.setCurrentIndex(results.model().index(0))
    qtbot.keyClick(results, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    urls = QGuiApplication.clipboard().mimeData().urls()
    assert [local_path(u) for u in urls] == [results.model().matches()[0].path]
    assert window.statusBar().currentMessage() == (
        f"Copied {os.path.basename(results.model().matches()[0].path)}")


def test_the_app_exits_cleanly_after_copying_photos(tmp_path):
    """A QMimeData made in Python and left on the clipboard crashed the app at exit
    (segmentation fault; file_actions.copy_path)."""
    photo = tmp_path / "caf\xe9.jpg"
    photo.write_bytes(b"")
    script = tmp_path / "copy_and_exit.py"
    script.write_text(
        "import os, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from desktop_app.ui.file_actions import copy_files\n"
        "app = QApplication(sys.argv)\n"
        f"copy_files([{str(photo)!r}, os.fsdecode(b'/photos/caf\\xe9.jpg')])\n"
        "print(len(app.clipboard().mimeData().urls()))\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          check=False, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"


def test_the_keys_list_names_ctrl_c(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    box = show_keys(parent)
    copy = QKeySequence(QKeySequence.StandardKey.Copy).toString(
        QKeySequence.SequenceFormat.NativeText)
    assert f"<b>{copy}</b></td><td>Copy the selected photos" in box.text()
    box.close()
