"""Continuing an unfinished training run (found in review). The start-up notice is said only of
a run the dialog offers to continue (one with a checkpoint), is never in the way of the start
when a run folder cannot be looked at, and its 'Continue training…' button goes once that run is
finished from the dialog opened another way (it stayed, offering to continue a finished run).
Start over deletes nothing when the start is then called off."""

from __future__ import annotations

import errno
import os
import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from ui_helpers import stand_in_trainer, three_albums

from desktop_app.ui import unfinished_runs
from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness


def continue_buttons(window) -> list[QPushButton]:
    return [b for b in window.statusBar().findChildren(QPushButton)  # removeWidget hides
            if b.text().startswith("Continue training") and b.isVisible()]


def remembered_run(albums, checkpoint: bool = True):
    out = unfinished_runs.new_output_dir()
    (out / "training").mkdir(parents=True)
    if checkpoint:
        (out / "training" / "checkpoint.pt").write_bytes(b"a checkpoint")
    unfinished_runs.remember(str(albums), out)
    return out


def test_a_run_cut_short_before_its_first_checkpoint_is_not_announced(make_window, tmp_path):
    """The dialog offers nothing to continue for it (and says that starting again begins from
    the start): the notice said 'what it did is kept… press Continue training' at every start."""
    albums = three_albums(tmp_path / "albums")
    out = remembered_run(albums, checkpoint=False)
    window = make_window()
    assert "was not finished" not in window.statusBar().currentMessage()
    assert not continue_buttons(window)
    assert unfinished_runs.load() == {unfinished_runs.albums_key(albums): str(out)}  # kept


def test_a_run_folder_that_cannot_be_looked_at_does_not_break_the_start(make_window, tmp_path,
                                                                        monkeypatch):
    """Path.is_file raises PermissionError (a folder made by another user, chmod 000): raised in
    the window's start-up slot, the rest of it (the first-run panel, a photo to search for)
    was skipped."""
    albums = three_albums(tmp_path / "albums")
    out = remembered_run(albums)
    stat = os.stat

    def no_permission(path, *args, **kwargs):
        if os.fspath(path).startswith(str(out) + os.sep):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", no_permission)
    window = make_window(first_run_done=False)
    assert window.first_run.isVisibleTo(window)  # the start-up slot ran to its end
    assert not continue_buttons(window)
    assert unfinished_runs.load() == {unfinished_runs.albums_key(albums): str(out)}  # kept


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")
def test_the_button_goes_once_the_run_is_finished_from_the_model_tab(qtbot, make_window,
                                                                     tmp_path):
    albums = three_albums(tmp_path / "albums")
    out = remembered_run(albums)
    python = stand_in_trainer(tmp_path, """
        import json, pathlib, sys
        out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1])
        (out / "model.json").write_text("{}")
        print(json.dumps({"event": "done", "model_dir": str(out), "evaluation": {}}),
              flush=True)
    """)
    window = make_window(last_albums_dir=str(albums))
    assert len(continue_buttons(window)) == 1  # said at start-up
    dialog = window.open_retrain()  # the Model tab's "Retrain on my albums…", not the button
    dialog.process.python = python
    with qtbot.waitSignal(dialog.process.finished, timeout=20000) as finished:
        dialog.start()  # continues the unfinished run, to its end
    assert finished.args[0] == 0 and unfinished_runs.load() == {}
    assert (out / "model.json").is_file()
    qtbot.waitUntil(lambda: not continue_buttons(window), timeout=5000)


def test_a_settings_problem_said_at_start_is_not_hidden_by_the_notice(make_window, tmp_path):
    """The notice was told just after the settings file's problem, which it replaced in the
    status bar at once; the button still offers the run."""
    albums = three_albums(tmp_path / "albums")
    remembered_run(albums)
    problem = "settings.json could not be read: kept aside; restart Lookalike"
    window = make_window(load_problem=problem)
    assert window.statusBar().currentMessage() == problem
    assert len(continue_buttons(window)) == 1


def test_a_press_while_the_dialog_runs_the_trainer_keeps_the_button(qtbot, make_window,
                                                                    tmp_path, monkeypatch):
    """The press did nothing (the dialog was busy with another run) yet the button went."""
    albums = three_albums(tmp_path / "albums")
    remembered_run(albums)
    window = make_window()
    dialog = window.open_retrain()
    monkeypatch.setattr(dialog.process, "is_running", lambda: True)
    [button] = continue_buttons(window)
    button.click()
    assert continue_buttons(window) == [button]
    assert dialog.albums_edit.text() != str(albums)
    monkeypatch.setattr(dialog.process, "is_running", lambda: False)
    button.click()
    assert dialog.albums_edit.text() == str(albums)
    qtbot.waitUntil(lambda: not continue_buttons(window), timeout=5000)


def answers(replies: list[tuple[str, str]], seen: list[str]) -> None:
    """Answer the next modal message boxes in turn: (words in its text, its button's text)."""
    def click(tries_left: int = 250):
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and replies and replies[0][0] in box.text():
            reply = replies.pop(0)[1]
            [button] = [b for b in box.buttons() if b.text().startswith(reply)]
            seen.append(box.text())
            button.click()
        if replies and tries_left:
            QTimer.singleShot(20, lambda: click(tries_left - 1))

    QTimer.singleShot(0, click)


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")
def test_calling_off_the_start_after_choosing_to_start_over_deletes_nothing(qtbot, tmp_path):
    """Start over, confirmed, then Cancel at the question about other albums' unfinished runs:
    nothing starts, yet the run was deleted and the log said 'starting over'."""
    albums = three_albums(tmp_path / "albums")
    other = three_albums(tmp_path / "other albums")
    first = remembered_run(albums)
    kept = remembered_run(other)
    python = stand_in_trainer(tmp_path, """
        import os, sys
        if sys.argv[3] == "inspect":
            os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
        sys.exit(99)  # never started here
    """)
    dialog = RetrainDialog(None, str(albums), readiness=Readiness(True, "", False),
                           python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.inspected, timeout=30000):
        dialog.inspect_button.click()
    dialog.afresh_radio.setChecked(True)
    seen: list[str] = []
    answers([("over from the beginning", "Delete it and start over"),
             ("Training on other albums", "Cancel")], seen)
    dialog.start()
    assert len(seen) == 2 and not dialog.process.is_running()
    assert (first / "training" / "checkpoint.pt").read_bytes() == b"a checkpoint"
    assert (kept / "training" / "checkpoint.pt").is_file()
    assert unfinished_runs.load() == {unfinished_runs.albums_key(albums): str(first),
                                      unfinished_runs.albums_key(other): str(kept)}
    assert "Deleted" not in dialog.log_view.toPlainText()


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")
def test_a_press_while_the_dialog_looks_inside_other_albums_looks_inside_these(
        qtbot, make_window, tmp_path):
    """The dialog was looking inside other albums (minutes on a NAS): the press did nothing and
    said nothing; the look inside those is stopped, and these albums are looked inside."""
    albums = three_albums(tmp_path / "albums")
    other = three_albums(tmp_path / "other albums")
    remembered_run(albums)
    python = stand_in_trainer(tmp_path, f"""
        import json, os, sys, time
        assert sys.argv[3] == "inspect", sys.argv
        if sys.argv[4] == {str(albums)!r}:
            os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
        print(json.dumps({{"event": "progress", "phase": "inspect", "step": 0, "steps": 0,
                          "doing": "listing the albums"}}), flush=True)
        time.sleep(60)  # a large albums folder
    """)
    window = make_window(last_albums_dir=str(other))
    dialog = window.open_retrain()
    dialog.process.python = python
    dialog.inspect_button.click()
    qtbot.waitUntil(lambda: "listing" in dialog.found_label.text(), timeout=10000)
    [button] = continue_buttons(window)
    with qtbot.waitSignal(dialog.process.inspected, timeout=30000) as inspected:
        button.click()
    assert inspected.args[0]["labels"] == 3
    assert dialog.albums_edit.text() == str(albums)
    assert "Found <b>" in dialog.found_label.text()
    assert "stopped" not in dialog.status_label.text()  # the look inside replaced, not failed
    assert dialog.start_button.isEnabled()
    assert not continue_buttons(window)
