"""Retraining twice in one session: the window shows the same dialog again, and after "Switch to
the new model" was pressed for the first run's model, the second run's button was shown but
disabled (a click asked for nothing). Each run starts as the first did, and the second switch
is to the second model. The real dialog offscreen, a real QProcess running a stand-in trainer
(training is the expensive edge) that writes a real tiny model into the folder it is given."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from tiny_model import make_tiny_model
from ui_helpers import stand_in_trainer, three_albums

from desktop_app.core.model_card import read_card
from desktop_app.ui import unfinished_runs
from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness

READY = Readiness(True, "", False)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is a POSIX script")


def trainer_of(tmp_path) -> str:
    """A trainer whose run N copies model N into its --out folder and says done with the
    measures of that model (mAP 0.8N): a model per run, each in the folder the dialog chose.
    Run N's arguments are kept in argv-N.json."""
    models = [make_tiny_model(tmp_path / "first", bits=32, seed=5, name="first"),
              make_tiny_model(tmp_path / "second", bits=16, seed=7, name="second")]
    runs = tmp_path / "runs"
    return stand_in_trainer(tmp_path, f"""
        import json, pathlib, shutil, sys, time
        def say(**e): print(json.dumps(e), flush=True)
        runs = pathlib.Path({str(runs)!r})
        run = int(runs.read_text()) + 1 if runs.exists() else 1
        runs.write_text(str(run))
        (runs.parent / f"argv-{{run}}.json").write_text(json.dumps(sys.argv[1:]))
        model, bits = {[(str(m), read_card(m).bits) for m in models]!r}[run - 1]
        out = sys.argv[sys.argv.index("--out") + 1]
        print(f"trainer run {{run}}", file=sys.stderr, flush=True)
        say(event="start", photos=12, labels=3, device="cpu")
        say(event="progress", phase="train", stage=1, bits=32, step=5, steps=10)
        time.sleep(0.5)
        shutil.copytree(model, out, dirs_exist_ok=True)
        say(event="done", model_dir=out, evaluation={{"bits": bits, "map_all": 0.8 + run / 100}})
    """)


def table_rows(dialog) -> dict[str, tuple[str, str]]:
    table = dialog.comparison
    return {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}


def run_to_the_end(qtbot, dialog) -> str:
    """Start a run, check it starts afresh (nothing of the run before shown), wait for its end;
    the folder the dialog gave the trainer."""
    with qtbot.waitSignal(dialog.process.finished, timeout=30000) as done:
        dialog.start()
        assert dialog.status_label.text() == "Starting the trainer…"
        assert (dialog.progress_bar.minimum(), dialog.progress_bar.maximum()) == (0, 0)
        assert dialog.cancel_button.isEnabled() and not dialog.start_button.isEnabled()
        assert not dialog.switch_button.isVisible()
        assert not dialog.comparison.isVisible() and not dialog.comparison_note.isVisible()
        assert not dialog.resume_choice.isVisible()
        assert dialog.log_view.toPlainText() == ""
    assert done.args[0] == 0
    return dialog.new_model_dir


def assert_finished(dialog, folder: str, bits: str, new_map: str, run: int) -> None:
    assert dialog.status_label.text().startswith(f"Training finished: {folder}.")
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum() == 1
    assert not dialog.cancel_button.isEnabled() and dialog.start_button.isEnabled()
    assert not dialog.resume_choice.isVisible()  # finished: nothing to continue or redo
    assert f"trainer run {run}" in dialog.log_view.toPlainText()
    rows = table_rows(dialog)
    assert rows["Code length (bits)"] == ("48", bits)
    assert rows["mAP on your albums' held-out photos"] == ("—", new_map)
    assert dialog.comparison_note.isVisible()
    assert dialog.switch_button.isVisible() and dialog.switch_button.isEnabled()


def test_the_second_run_switches_to_the_second_model(qtbot, tmp_path, tiny_model_dir):
    albums = three_albums(tmp_path / "albums")
    dialog = RetrainDialog(read_card(tiny_model_dir), str(albums), readiness=READY,
                           python=trainer_of(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    asked: list[str] = []
    dialog.switch_requested.connect(asked.append)

    first = run_to_the_end(qtbot, dialog)
    assert_finished(dialog, first, "32", "0.810", run=1)
    assert read_card(first).name == "first"
    dialog.switch_button.click()
    assert asked == [first]
    assert not dialog.switch_button.isEnabled()  # not asked twice for one model

    second = run_to_the_end(qtbot, dialog)
    assert second != first
    assert "trainer run 1" not in dialog.log_view.toPlainText()
    assert_finished(dialog, second, "16", "0.820", run=2)
    assert read_card(second).name == "second"
    dialog.switch_button.click()
    assert asked == [first, second]
    assert unfinished_runs.load() == {}


def test_a_second_run_is_compared_with_the_model_switched_to(qtbot, make_window, tmp_path,
                                                             tiny_model_dir):
    """The window told the dialog the model in use only as it opened it: after a switch to the
    first run's model, the second run (the dialog left open) had the trainer measure the model
    used before, and the table's "Current model" column showed that model's code length."""
    albums = three_albums(tmp_path / "albums")
    window = make_window()
    dialog = window.open_retrain()
    dialog.readiness, dialog.process.python = READY, trainer_of(tmp_path)
    dialog.albums_edit.setText(str(albums))
    first = run_to_the_end(qtbot, dialog)
    assert table_rows(dialog)["Code length (bits)"] == ("48", "32")  # the tiny model in use
    dialog.switch_button.click()
    qtbot.waitUntil(lambda: window.model_dir == first, timeout=60000)  # the library re-encoded

    run_to_the_end(qtbot, dialog)
    argv = json.loads((tmp_path / "argv-2.json").read_text())
    assert argv[argv.index("--compare-with") + 1] == first
    assert table_rows(dialog)["Code length (bits)"] == ("32", "16")
    assert argv != json.loads((tmp_path / "argv-1.json").read_text())


def test_switch_can_be_pressed_again_after_a_failed_or_undone_switch(qtbot, make_window,
                                                                     tmp_path, tiny_model_dir):
    """Pressed once, the button stayed disabled for good: after a switch that failed (the
    window said why) or one undone from the Model tab, the run's model could be switched to
    only from the Model tab."""
    albums = three_albums(tmp_path / "albums")
    window = make_window()
    dialog = window.open_retrain()
    dialog.readiness, dialog.process.python = READY, trainer_of(tmp_path)
    dialog.albums_edit.setText(str(albums))
    first = run_to_the_end(qtbot, dialog)
    graph = Path(first) / "model.onnx"
    kept = graph.read_bytes()
    graph.write_bytes(b"not a model")  # damaged since it was measured (a disk error)
    dialog.switch_button.click()
    assert not dialog.switch_button.isEnabled()
    qtbot.waitUntil(dialog.switch_button.isEnabled, timeout=30000)  # the switch failed
    assert window.model_dir == str(tiny_model_dir)
    graph.write_bytes(kept)  # mended
    dialog.switch_button.click()
    qtbot.waitUntil(lambda: window.model_dir == first, timeout=60000)
    assert not dialog.switch_button.isEnabled()  # in use: nothing to switch to
    window.switch_model(str(tiny_model_dir))  # back to the model before, from the Model tab
    qtbot.waitUntil(lambda: window.model_dir == str(tiny_model_dir), timeout=60000)
    assert dialog.switch_button.isEnabled()
