"""Ctrl+C in the Unreadable photos tab copies the whole path (or the whole reason), as it did
before the rows showed names: Qt's own copy takes the text shown, which became the name
alone. Real FailedPanel (offscreen), a real broken file, real key presses, real clipboard."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QKeySequence

from desktop_app.core.records import Photo
from desktop_app.ui.failed_panel import FailedPanel
from desktop_app.ui.models import FailedPhotosModel


def test_copy_takes_the_whole_path_not_the_name_shown(qtbot, tmp_path):
    broken = tmp_path / "shots" / "broken photo.jpg"
    broken.parent.mkdir()
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    model = FailedPhotosModel()
    model.set_photos([Photo(1, str(broken), 1, 20, 0.0, None, None, "failed",
                            f"{broken}: cannot identify image file.")])
    panel = FailedPanel(model)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    table = panel.table
    table.setFocus()
    table.setCurrentIndex(table.model().index(0, 0))
    assert table.model().index(0, 0).data() == "broken photo.jpg"  # what the row shows
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    qtbot.keySequence(table, QKeySequence(QKeySequence.StandardKey.Copy))
    assert clipboard.text() == str(broken)
    table.setCurrentIndex(table.model().index(0, 1))
    qtbot.keySequence(table, QKeySequence(QKeySequence.StandardKey.Copy))
    assert clipboard.text() == f"{broken}: cannot identify image file."
