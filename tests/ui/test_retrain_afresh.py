"""Albums with an unfinished training run: the dialog offers to continue it (the default) or to
start over, which deletes the remembered trained-* folder once the user has confirmed what is
lost. Starting again always continued it before."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ui_helpers import answer_question, stand_in_trainer, three_albums

from desktop_app.ui import unfinished_runs
from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness

READY = Readiness(True, "", False)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")


@pytest.fixture
def albums(tmp_path):
    return three_albums(tmp_path / "albums")


def trainer(tmp_path) -> tuple[str, Path]:
    """The real trainer's look inside; a `run` that notes the folder it was given, keeps a
    checkpoint there, and trains until stopped (exit 130). The file it notes the folder in."""
    given = tmp_path / "out-given"
    return stand_in_trainer(tmp_path, f"""
        import json, os, pathlib, signal, sys, time
        if sys.argv[3] == "inspect":
            os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
        out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1])
        pathlib.Path({str(given)!r}).write_text(str(out))
        (out / "training").mkdir(parents=True, exist_ok=True)
        (out / "training" / "checkpoint.pt").write_bytes(b"state")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
        print(json.dumps({{"event": "start", "photos": 12, "labels": 3, "device": "cpu"}}),
              flush=True)
        time.sleep(60)
    """), given


def unfinished_run(albums) -> Path:
    """A run of `albums` cut short with a checkpoint, as the dialog remembers it."""
    out = unfinished_runs.new_output_dir()
    (out / "training").mkdir(parents=True)
    (out / "training" / "checkpoint.pt").write_bytes(b"what was learnt")
    unfinished_runs.remember(str(albums), out)
    return out


def looked_inside(qtbot, albums, python) -> RetrainDialog:
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.inspected, timeout=30000):
        dialog.inspect_button.click()
    return dialog


def start_and_stop(qtbot, dialog, given: Path) -> str:
    """Start (the trainer notes its folder), then cancel; the folder it was given."""
    dialog.start()
    qtbot.waitUntil(lambda: "Training on 12 photos" in dialog.status_label.text(), timeout=10000)
    with qtbot.waitSignal(dialog.process.finished, timeout=10000):
        dialog.cancel_button.click()
    return given.read_text()


def test_continuing_is_offered_and_chosen_by_default(qtbot, tmp_path, albums):
    python, given = trainer(tmp_path)
    first = unfinished_run(albums)
    dialog = looked_inside(qtbot, albums, python)
    assert dialog.resume_choice.isVisibleTo(dialog) and dialog.resume_radio.isChecked()
    assert start_and_stop(qtbot, dialog, given) == str(first)
    assert (first / "training" / "checkpoint.pt").read_bytes() == b"state"


def test_starting_over_deletes_the_unfinished_run_once_confirmed(qtbot, tmp_path, albums):
    python, given = trainer(tmp_path)
    first = unfinished_run(albums)
    (first / "training" / "heads.pt").write_bytes(b"also learnt")
    dialog = looked_inside(qtbot, albums, python)
    dialog.afresh_radio.setChecked(True)
    asked: list[str] = []
    answer_question("Delete it and start over", asked)
    second = start_and_stop(qtbot, dialog, given)
    assert str(first) in asked[0] and "cannot be continued" in asked[0]  # what is lost
    # (the new folder may get the deleted one's name, within the same second)
    assert not (first / "training" / "heads.pt").exists()
    assert Path(second).parent == first.parent
    assert unfinished_runs.load() == {unfinished_runs.albums_key(albums): second}
    assert f"Deleted the unfinished training of {albums} in {first}" in \
        dialog.log_view.toPlainText()


def test_starting_over_can_be_called_off(qtbot, tmp_path, albums):
    python, given = trainer(tmp_path)
    first = unfinished_run(albums)
    dialog = looked_inside(qtbot, albums, python)
    dialog.afresh_radio.setChecked(True)
    asked: list[str] = []
    answer_question("Cancel", asked)
    dialog.start()
    assert asked and not dialog.process.is_running() and not given.exists()
    assert (first / "training" / "checkpoint.pt").read_bytes() == b"what was learnt"
    assert unfinished_runs.load() == {unfinished_runs.albums_key(albums): str(first)}


def test_a_run_cut_short_offers_the_choice_again(qtbot, tmp_path, albums):
    python, given = trainer(tmp_path)
    dialog = looked_inside(qtbot, albums, python)
    assert not dialog.resume_choice.isVisibleTo(dialog)  # nothing to continue yet
    first = start_and_stop(qtbot, dialog, given)
    assert dialog.resume_choice.isVisibleTo(dialog) and dialog.resume_radio.isChecked()
    assert start_and_stop(qtbot, dialog, given) == first  # continued, by default
