"""An unreadable photo is opened from the keyboard as with a double-click."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices

from desktop_app.core.records import Photo
from desktop_app.ui.failed_panel import FailedPanel
from desktop_app.ui.models import FailedPhotosModel


def test_enter_opens_an_unreadable_photo_as_a_double_click_does(qtbot, tmp_path, monkeypatch):
    """Only a double-click opened one: Enter on the row did nothing."""
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    model = FailedPhotosModel()
    model.set_photos([Photo(1, str(broken), 1, broken.stat().st_size, 0.0, None, None,
                            "failed", "broken.jpg: not a JPEG")])
    panel = FailedPanel(model)
    qtbot.addWidget(panel)
    panel.show()
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    table = panel.table
    table.setFocus()
    table.setCurrentIndex(table.model().index(0, 1))  # the reason: the row's photo all the same
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert opened == [QUrl.fromLocalFile(str(broken))]
    cell = table.visualRect(table.model().index(0, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # as a mouse
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # does it
    assert len(opened) == 2  # once per double-click
    assert "press Enter" in panel.summary.text()
