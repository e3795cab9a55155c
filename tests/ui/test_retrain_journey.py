"""The retrain dialog as a user meets it, where the earlier tests left gaps (an audit of
retraining): no folder chosen, the dialog closed while it looks inside, a trainer that crashes,
prints garbage or fails (its output kept in a file the message names), time left on a big run,
a cancel while features are computed, the model of a finished run, and an unfinished run whose
folder the app did not make. Real dialogs offscreen, real QProcesses running stand-in trainers
(a script that speaks the trainer's protocol), and the real `trainer inspect`."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from photos import make_photo
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from tiny_model import make_tiny_model
from ui_helpers import stand_in_trainer

from desktop_app import paths
from desktop_app.ui import trainer_process, unfinished_runs
from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness, trainer_log_path, trainer_readiness

READY = Readiness(True, "", False)
STARTED = 'print(json.dumps({"event": "start", "photos": 12, "labels": 3, "device": "cpu"}), ' \
          'flush=True)'


@pytest.fixture
def albums(tmp_path):
    root = tmp_path / "albums"
    for label, name in (("cats", "chelsea"), ("cups", "coffee")):
        for i in range(3):
            make_photo(root / label / f"{i}.jpg", name, size=(120 + 8 * i, 100))
    return root


def stand_in(tmp_path, body: str) -> str:
    """stand_in_trainer with the modules it uses imported, and STARTED for its start event."""
    return stand_in_trainer(tmp_path, "import json, os, signal, sys, time\n"
                            + textwrap.dedent(body).replace("STARTED", STARTED))


def dialog_on(qtbot, albums, python=None) -> RetrainDialog:
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def run_to_the_end(qtbot, dialog) -> tuple:
    with qtbot.waitSignal(dialog.process.finished, timeout=20000) as done:
        dialog.start()
    return tuple(done.args)


@pytest.mark.parametrize("missing", [("torch", "torchvision"), ("trainer",)])
def test_without_the_trainer_the_dialog_says_to_restart_after_installing(qtbot, missing):
    """The dialog is made once and kept: installed as told, the trainer stayed "not available"
    with nothing saying why."""
    readiness = trainer_readiness(
        find_spec=lambda name: None if name in missing else object())
    dialog = RetrainDialog(None, readiness=readiness)
    qtbot.addWidget(dialog)
    dialog.show()
    text = dialog.readiness_label.text()
    assert "Training is not available" in text and "pip install" in text
    assert text.endswith("then restart Lookalike.")
    assert not dialog.inspect_button.isEnabled() and not dialog.start_button.isEnabled()


def test_look_inside_with_no_folder_chosen_says_to_choose_one(qtbot):
    """It said "No folder chosen: not a folder."."""
    dialog = dialog_on(qtbot, "")
    dialog.albums_edit.setText("")
    dialog.inspect_button.click()
    text = dialog.found_label.text()
    assert "not a folder" not in text
    assert "No folder of albums is chosen" in text and "Browse" in text
    assert not dialog.start_button.isEnabled() and not dialog.process.is_running()


def test_closing_the_dialog_while_it_looks_inside_is_no_failure(qtbot, albums):
    """The look inside, stopped by closing the dialog, read "The trainer could not inspect the
    albums (exit code 15)" when the dialog was opened again."""
    dialog = dialog_on(qtbot, albums)
    dialog.inspect_button.click()
    assert dialog.process.is_running()
    with qtbot.waitSignal(dialog.process.failed, timeout=30000):
        dialog.close()
    text = dialog.found_label.text()
    assert "exit code" not in text and "could not" not in text
    assert "stopped" in text and "Look inside" in text


def test_a_crashing_trainer_is_said_to_crash_and_its_output_is_kept(qtbot, tmp_path, albums):
    """A trainer that crashed (SIGABRT, SIGSEGV in a library) read "stopped from outside (killed
    by the system, for example when memory ran out, or by another program)", and what it printed
    was only in the dialog's last 500 lines, gone once the app closed."""
    python = stand_in(tmp_path, """
        STARTED
        print("Fatal Python error: Aborted in libtorch", file=sys.stderr, flush=True)
        os.abort()
    """)
    dialog = dialog_on(qtbot, albums, python)
    code, _ = run_to_the_end(qtbot, dialog)
    text = dialog.status_label.text()
    assert dialog.process.crashed and code == 6
    assert "The trainer crashed" in text and "SIGABRT" in text and "from outside" not in text
    log = trainer_log_path()
    assert str(log) in text and log.parent == paths.log_dir()
    kept = log.read_text()
    assert "Fatal Python error: Aborted in libtorch" in kept and "killed by SIGABRT" in kept
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_a_failing_trainer_names_the_file_that_keeps_what_it_printed(qtbot, tmp_path, albums):
    python = stand_in(tmp_path, """
        STARTED
        print("Traceback (most recent call last):", file=sys.stderr)
        print("RuntimeError: something deep in the trainer", file=sys.stderr, flush=True)
        sys.exit(1)
    """)
    dialog = dialog_on(qtbot, albums, python)
    assert run_to_the_end(qtbot, dialog)[0] == 1
    text = dialog.status_label.text()
    assert "exit code 1" in text and f"in the log below and in {trainer_log_path()}" in text
    kept = trainer_log_path().read_text()
    assert "RuntimeError: something deep in the trainer" in kept
    assert f"-m trainer run {albums} --out" in kept and "--- exit code 1" in kept
    assert '"event": "start"' in kept  # how far it got


def test_the_trainers_log_keeps_the_run_before_when_it_grows_big(qtbot, tmp_path, albums,
                                                                  monkeypatch):
    monkeypatch.setattr(trainer_process, "TRAINER_LOG_MAX", 1000)
    trainer_log_path().parent.mkdir(parents=True)
    trainer_log_path().write_text("the run before\n" * 100)
    python = stand_in(tmp_path, 'print("this run", file=sys.stderr); sys.exit(1)')
    dialog = dialog_on(qtbot, albums, python)
    run_to_the_end(qtbot, dialog)
    assert trainer_log_path().with_name("trainer.log.1").read_text().startswith("the run before")
    assert "this run" in trainer_log_path().read_text()
    assert "the run before" not in trainer_log_path().read_text()


def test_a_log_folder_that_cannot_be_written_does_not_stop_training(qtbot, tmp_path, albums):
    paths.log_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.log_dir().write_text("a file where the log folder should be")
    python = stand_in(tmp_path, """
        print("RuntimeError: something", file=sys.stderr, flush=True)
        sys.exit(1)
    """)
    dialog = dialog_on(qtbot, albums, python)
    assert run_to_the_end(qtbot, dialog)[0] == 1
    text = dialog.status_label.text()
    assert "what it printed is in the log below." in text and "trainer.log" not in text
    assert "RuntimeError: something" in dialog.log_view.toPlainText()


def test_garbage_from_the_trainer_is_shown_as_log_and_raises_nothing(qtbot, tmp_path, albums):
    """An event with a count that is no number raised ValueError in the dialog's slot (the
    app's "Something went wrong" box); JSON that is no event vanished from the log."""
    python = stand_in(tmp_path, """
        def say(**e): print(json.dumps(e), flush=True)
        say(event="start", photos=None, labels="three", device=None)
        say(event="progress", phase="train", step="x", steps="many", loss="low", eta_s="soon")
        say(event="progress", phase=["train"], step=3, steps=float("inf"), val_map=[1])
        print("[1, 2]", flush=True)
        sys.stdout.buffer.write(b"\\xff\\xfe binary garbage\\n")
        sys.stdout.flush()
        time.sleep(0.2)
        sys.exit(3)
    """)
    dialog = dialog_on(qtbot, albums, python)
    seen = []
    dialog.process.event.connect(lambda e: seen.append(dialog.status_label.text()))
    assert run_to_the_end(qtbot, dialog)[0] == 3
    assert seen[0] == "Training on the CPU."
    assert seen[1] == "Training"  # no count, no "None", no "inf"
    assert "train" in seen[2] and "step" not in seen[2] and "inf" not in seen[2]
    log = dialog.log_view.toPlainText()
    assert "[1, 2]" in log and "binary garbage" in log
    assert "exit code 3" in dialog.status_label.text()


@pytest.mark.parametrize("eta, shown", [(0.0, None), (0.4, None), (42, "about 42 s left"),
                                        (754.6, "about 12 min 34 s left"),
                                        (45296, "about 12 h 34 min left")])
def test_time_left_reads_well_from_seconds_to_hours(qtbot, albums, eta, shown):
    """Every phase ended on "about 0 s left", and a big albums folder on the CPU read
    "about 754 min 56 s left"."""
    dialog = dialog_on(qtbot, albums)
    dialog._on_event({"event": "progress", "phase": "features", "step": 5, "steps": 30000,
                      "eta_s": eta})
    text = dialog.status_label.text()
    assert text.startswith("Computing features: step 5 of 30,000")
    assert ("left" not in text) if shown is None else text.endswith(", " + shown)


def test_cancel_while_features_are_computed_says_they_are_kept(qtbot, tmp_path, albums):
    """The trainer keeps the features computed so far (in the app's cache folder) and goes on
    from them; the dialog said "starting again begins from the start"."""
    python = stand_in(tmp_path, """
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
        STARTED
        print(json.dumps({"event": "progress", "phase": "features", "step": 64,
                          "steps": 600}), flush=True)
        time.sleep(60)
    """)
    dialog = dialog_on(qtbot, albums, python)
    dialog.start()
    qtbot.waitUntil(lambda: "Computing features" in dialog.status_label.text(), timeout=10000)
    with qtbot.waitSignal(dialog.process.finished, timeout=10000) as done:
        dialog.cancel_button.click()
    assert done.args[0] == 130
    text = dialog.status_label.text()
    assert "cancelled" in text and "begins from the start" not in text
    assert "features computed so far are kept" in text


def test_a_finished_run_announces_its_model(qtbot, tmp_path, albums):
    """So that the window lists the new model in the Model tab at once (it appeared there only
    after a restart)."""
    made = make_tiny_model(tmp_path / "made", bits=32, name="retrained")
    python = stand_in(tmp_path, f"""
        import shutil
        out = sys.argv[sys.argv.index("--out") + 1]
        shutil.copytree({str(made)!r}, out, dirs_exist_ok=True)
        print(json.dumps({{"event": "done", "model_dir": out, "evaluation": {{"bits": 32}}}}))
    """)
    dialog = dialog_on(qtbot, albums, python)
    with qtbot.waitSignal(dialog.model_made, timeout=20000) as made_signal:
        dialog.start()
    assert made_signal.args == [dialog.new_model_dir]
    assert Path(dialog.new_model_dir).parent == paths.models_dir()
    assert dialog.switch_button.isVisible()


def click_when_asked(button_prefix: str) -> None:
    def click(tries_left: int = 100):
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            for button in box.buttons():
                if button.text().startswith(button_prefix):
                    button.click()
                    return
        if tries_left:
            QTimer.singleShot(20, lambda: click(tries_left - 1))

    QTimer.singleShot(0, click)


def test_deleting_an_unfinished_run_never_touches_a_folder_the_app_did_not_make(
        qtbot, tmp_path, albums):
    """Such a folder was left in place (only `trained-*` folders in the models folder are
    deleted), but the log said "Deleted the unfinished training ... in" it."""
    mine = tmp_path / "my-run"
    (mine / "training").mkdir(parents=True)
    (mine / "training" / "checkpoint.pt").write_bytes(b"state")
    (mine / "notes.txt").write_text("the user's own file")
    unfinished_runs.remember(str(tmp_path / "other-albums"), mine)
    python = stand_in(tmp_path, "sys.exit(2)")
    dialog = dialog_on(qtbot, albums, python)
    click_when_asked("Delete")
    run_to_the_end(qtbot, dialog)
    assert (mine / "notes.txt").read_text() == "the user's own file"
    assert (mine / "training" / "checkpoint.pt").is_file()
    log = dialog.log_view.toPlainText()
    assert "Deleted" not in log and f"{mine} is no longer continued" in log
    assert "left as it is" in log
    assert unfinished_runs.albums_key(tmp_path / "other-albums") not in unfinished_runs.load()


def test_the_dialog_opens_where_there_is_no_sigkill(tmp_path):
    """Windows has no signal.SIGKILL nor SIGHUP: the dialog's module raised AttributeError
    when it was imported, so "Retrain on my albums" failed there every time."""
    import os
    import subprocess

    code = ("import signal; del signal.SIGKILL, signal.SIGHUP; "
            "import desktop_app.ui.retrain_dialog as d; "
            "print(sorted(map(int, d.STOPPED_FROM_OUTSIDE)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2], timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[2, 15]"


def test_a_crash_on_windows_is_named_by_its_exception_code(qtbot, albums, monkeypatch):
    """QProcess there says CrashExit for an exit code that is an exception code (0xC0000005,
    an access violation, is -1073741819): it read "crashed (signal -1073741819, ...)"."""
    dialog = dialog_on(qtbot, albums)
    monkeypatch.setattr(sys, "platform", "win32")
    dialog.process._crashed = True
    dialog._on_finished(-1073741819, None)
    text = dialog.status_label.text()
    assert "The trainer crashed" in text and "(exception code 0xC0000005," in text
    assert "signal" not in text


def test_a_count_past_what_a_progress_bar_holds_raises_nothing(qtbot, albums):
    """A progress bar's range is a C int: setRange raised OverflowError in the slot."""
    dialog = dialog_on(qtbot, albums)
    dialog._on_event({"event": "progress", "phase": "train", "step": 5, "steps": 10**12})
    assert dialog.status_label.text() == "Training"
    assert dialog.progress_bar.maximum() == 0  # busy


def test_a_run_that_prints_in_a_loop_keeps_the_log_bounded(qtbot, tmp_path, albums,
                                                            monkeypatch):
    """The log was moved aside only when a run started: a run printing a warning in a loop
    for hours grew it without end."""
    monkeypatch.setattr(trainer_process, "TRAINER_LOG_MAX", 1000)
    python = stand_in(tmp_path, """
        for i in range(300):
            print(f"UserWarning: the same warning again, number {i}", file=sys.stderr)
        print("RuntimeError: the last words", file=sys.stderr, flush=True)
        sys.exit(1)
    """)
    dialog = dialog_on(qtbot, albums, python)
    assert run_to_the_end(qtbot, dialog)[0] == 1
    log, before = trainer_log_path(), trainer_log_path().with_name("trainer.log.1")
    assert log.stat().st_size < 1500 and before.stat().st_size < 1500
    kept = log.read_text()
    assert "RuntimeError: the last words" in kept and "--- exit code 1" in kept
    assert "(continued: its earlier output is in trainer.log.1)" in kept
    assert "number 299" in kept and "number 298" in kept + before.read_text()
    assert str(log) in dialog.status_label.text()
