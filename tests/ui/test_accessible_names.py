"""Controls whose label is a separate QLabel (or only a placeholder) have a name of their
own for a screen reader, and the distance slider says what its number lets through."""

from __future__ import annotations

from PySide6.QtGui import QAccessible

from desktop_app.ui.retrain_dialog import RetrainDialog


def said(widget, text=QAccessible.Text.Name) -> str:
    return QAccessible.queryAccessibleInterface(widget).text(text)


def test_unlabelled_controls_have_names_and_the_slider_says_what_it_shows(qtbot, make_window):
    """A screen reader said "slider, 16", "spin box, 6", "edit" and a combo box's current
    entry alone: the labels beside them are separate QLabels, not tied to them."""
    window = make_window()
    panel, duplicates, model = window.results_panel, window.duplicates_panel, window.model_panel
    assert said(panel.slider) == "Max distance"
    assert said(duplicates.distance_spin) == "Max distance"
    labels = QAccessible.queryAccessibleInterface(model.models_combo).relations(
        QAccessible.RelationFlag.Label)
    assert [label.text(QAccessible.Text.Name) for label, _ in labels] == ["Models"]
    assert said(model.card_view) == "Active model"
    dialog = RetrainDialog(None)
    qtbot.addWidget(dialog)
    assert said(dialog.albums_edit) == "Folder of albums"
    panel.slider.setValue(12)  # of the tiny model's 48 bits
    assert said(panel.slider, QAccessible.Text.Value) == "12"
    assert said(panel.slider, QAccessible.Text.Description).startswith(
        "12 of 48 bits: photos 75% similar or more are shown")


def test_the_empty_library_grids_hint_is_said_with_the_grid(qtbot, make_window, tmp_path):
    """'No photos yet. Add a folder…' is painted in the grid: a screen reader heard only
    "Library, list, empty" and its keys."""
    from desktop_app.ui.main_window import EMPTY_LIBRARY

    window = make_window()
    keys = "Enter shows the photos that look like the current one"
    description = said(window.grid, QAccessible.Text.Description)
    assert description.startswith(EMPTY_LIBRARY) and keys in description
    folder = tmp_path / "photos"
    folder.mkdir()
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.grid.empty_text == "", timeout=5000)
    assert said(window.grid, QAccessible.Text.Description).startswith(keys)
