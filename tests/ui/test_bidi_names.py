"""Names holding bidirectional controls are shown escaped everywhere, whole."""

from __future__ import annotations

import ntpath
import types

from PySide6.QtCore import Qt

from desktop_app.core.records import Photo
from desktop_app.ui import results_panel as results_panel_module
from desktop_app.ui.models import FailedPhotosModel, ResultsModel
from desktop_app.ui.results_panel import ResultsPanel


def test_the_results_header_shows_the_whole_name_on_windows(qtbot, monkeypatch):
    """The name was cut from the escaped path: on Windows the backslash of \\u202e is a
    separator, so the header read "Photos like u202egpj.exe", hiding "photo"."""
    panel = ResultsPanel(ResultsModel(), 96, 12)
    qtbot.addWidget(panel)
    monkeypatch.setattr(results_panel_module, "os", types.SimpleNamespace(path=ntpath))
    path = "C:\\Pictures\\photo\u202egpj.exe"
    panel.show_query(path, None)
    assert "<b>photo\\u202egpj.exe</b>" in panel.query_label.text()
    assert panel.query_label.toolTip() == "C:\\Pictures\\photo\\u202egpj.exe"
    panel.show_gone(path)
    assert panel.query_label.text().startswith("<b>photo\\u202egpj.exe</b> is no longer")


def test_an_unreadable_photos_reason_stored_before_escaping_shows_escaped(qtbot):
    """A reason saved by an older version names the file with its override as it is: the
    Unreadable photos tab showed it obeyed, beside the escaped name."""
    path = "/p/photo\u202egpj.exe"
    model = FailedPhotosModel()
    model.set_photos([Photo(1, path, 1, 100, 1.0, 0, 0, "failed",
                            f"{path}: cannot identify image file.")])
    reason = model.data(model.index(0, 1), Qt.ItemDataRole.DisplayRole)
    assert reason == "/p/photo\\u202egpj.exe: cannot identify image file."
    assert model.data(model.index(0, 0), Qt.ItemDataRole.DisplayRole) == "/p/photo\\u202egpj.exe"


def test_the_duplicates_tree_shows_the_whole_name_and_folder_on_windows(qtbot, monkeypatch):
    """As the results header: name and folder were cut from the escaped path."""
    from ui_helpers import duplicates_panel

    from desktop_app.core.records import Match
    from desktop_app.ui import duplicates_panel as duplicates_module

    monkeypatch.setattr(duplicates_module, "os", types.SimpleNamespace(path=ntpath))
    kept, odd = "C:\\Pictures\\kept.jpg", "C:\\Pictures\\photo\u202egpj.exe"
    panel = duplicates_panel(qtbot, [[Match(1, kept, 0, 96), Match(2, odd, 3, 96)]])
    row = panel.tree.topLevelItem(0).child(1)
    assert (row.text(0), row.text(2)) == ("photo\\u202egpj.exe", "C:\\Pictures")
    moved = "C:\\Moved\\photo\u202egpj.exe"
    panel.follow_moves({odd: moved})
    assert (row.text(0), row.text(2)) == ("photo\\u202egpj.exe", "C:\\Moved")


def test_the_retrain_dialog_shows_album_and_photo_names_escaped():
    """What Look inside found named empty albums and unreadable photos as they are."""
    from desktop_app.ui.retrain_dialog import _what_else_was_found

    text = _what_else_was_found({"empty_albums": ["/albums/cat\u202egpj"]},
                                [{"path": "/albums/dog/x\u202egpj.exe"}])
    assert "cat\\u202egpj" in text and "x\\u202egpj.exe" in text and "\u202e" not in text
