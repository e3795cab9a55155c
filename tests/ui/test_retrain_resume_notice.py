"""A training run cut short (the app closed during a long retrain) is mentioned when the app
starts, in the status bar and to a screen reader, with a button that opens the retrain dialog
on those albums; it was not mentioned at all, so the user did not learn it could be continued.
A run whose folder is gone, or holds a finished model, is forgotten instead."""

from __future__ import annotations

import pytest
from PySide6 import QtGui
from PySide6.QtWidgets import QPushButton
from ui_helpers import three_albums

from desktop_app.ui import unfinished_runs

QAccessibleAnnouncementEvent = getattr(QtGui, "QAccessibleAnnouncementEvent", None)


def continue_buttons(window) -> list[QPushButton]:
    return [b for b in window.statusBar().findChildren(QPushButton)
            if b.text().startswith("Continue training")]


def test_an_unfinished_run_is_mentioned_at_start_up(qtbot, make_window, tmp_path, announced):
    albums = three_albums(tmp_path / "albums")
    out = unfinished_runs.new_output_dir()
    (out / "training").mkdir(parents=True)
    (out / "training" / "checkpoint.pt").write_bytes(b"a checkpoint")
    unfinished_runs.remember(str(albums), out)
    window = make_window(last_albums_dir=str(tmp_path / "other albums"))
    message = window.statusBar().currentMessage()
    assert f"Training on the albums in {albums} was not finished" in message
    assert str(out) in message
    if QAccessibleAnnouncementEvent is not None:
        assert message in announced
    [button] = continue_buttons(window)
    assert button.isVisible()
    button.click()
    dialog = window.retrain_dialog
    assert dialog.isVisible() and dialog.albums_edit.text() == str(albums)
    qtbot.waitUntil(lambda: dialog.resume_choice.isVisibleTo(dialog), timeout=30000)
    assert f"An unfinished training of these albums is kept in {out}" in \
        dialog.found_label.text()
    assert dialog.start_button.isEnabled() and dialog.resume_radio.isChecked()
    qtbot.waitUntil(lambda: not continue_buttons(window))  # said once: the dialog has it now


@pytest.mark.parametrize("left", ["nothing", "a finished model"])
def test_a_run_with_nothing_to_continue_is_forgotten_not_mentioned(qtbot, make_window,
                                                                   tmp_path, left):
    albums = three_albums(tmp_path / "albums")
    out = unfinished_runs.new_output_dir()
    if left == "a finished model":
        out.mkdir(parents=True)
        (out / "model.json").write_text("{}")
    unfinished_runs.remember(str(albums), out)
    window = make_window()
    assert "was not finished" not in window.statusBar().currentMessage()
    assert not continue_buttons(window)
    assert unfinished_runs.load() == {}
