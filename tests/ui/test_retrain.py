"""The "Retrain on my albums" dialog: trainer missing, real `trainer inspect`, the JSON progress
protocol over a real QProcess (a stand-in trainer, since training is the expensive edge),
cancelling, and (slow) a real tiny training run."""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from photos import make_photo
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from tiny_model import make_tiny_model
from ui_helpers import answer_question, stand_in_trainer, three_albums

from desktop_app.install_hint import train_install_hint
from desktop_app.settings import Settings
from desktop_app.ui import unfinished_runs
from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness, trainer_readiness

READY = Readiness(True, "", False)


@pytest.fixture
def albums(tmp_path):
    root = three_albums(tmp_path / "albums")
    (root / "cats" / "broken.jpg").write_bytes(b"nope")
    return root


def test_missing_trainer_extra_names_the_install_command(qtbot):
    def no_torch(name):
        return None if name in ("torch", "torchvision") else importlib.util.find_spec(name)

    readiness = trainer_readiness(find_spec=no_torch)
    assert not readiness.can_train and train_install_hint() in readiness.message
    assert "lookalike[train]" not in readiness.message  # not on PyPI
    dialog = RetrainDialog(None, readiness=readiness)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "Training is not available" in dialog.readiness_label.text()
    assert "pip install" in dialog.readiness_label.text()
    assert not dialog.inspect_button.isEnabled() and not dialog.start_button.isEnabled()


def test_no_gpu_means_cpu_training_with_a_clear_note():
    readiness = trainer_readiness()
    assert readiness.can_train  # torch is installed in the dev environment
    if not readiness.gpu:
        assert "CPU" in readiness.message and "slower" in readiness.message


def looked_inside(qtbot, albums) -> RetrainDialog:
    """A dialog on `albums` shown, after the real trainer's look inside answered."""
    dialog = RetrainDialog(None, str(albums), readiness=READY)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.inspected, timeout=30000):
        dialog.inspect_button.click()
    return dialog


def test_inspect_shows_photos_and_albums_from_the_real_trainer(qtbot, albums):
    dialog = looked_inside(qtbot, albums)
    text = dialog.found_label.text()
    assert "<b>12</b> photos in <b>3</b> albums" in text
    assert "cats (4)" in text and "1 photo file cannot be read and will be skipped: broken.jpg" \
        in text
    assert "broken.jpg" in dialog.log_view.toPlainText()  # and why
    assert dialog.start_button.isEnabled()


def test_inspect_says_what_else_it_found_as_the_trainer_does(qtbot, albums):
    """Look inside showed 'Found 120 photos in 3 albums: cat (40), frog (40), ship (45)' (125)
    and nothing of the copies, the empty album or the loose photo that `inspect` reports."""
    for i in range(2):
        shutil.copy2(albums / "cats" / f"{i}.jpg", albums / "space" / f"cat-copy{i}.jpg")
    (albums / "junk").mkdir()
    (albums / "junk" / "x.jpg").write_bytes(b"not a photo")
    make_photo(albums / "loose.jpg", "coffee", size=(120, 100))
    dialog = looked_inside(qtbot, albums)
    text = dialog.found_label.text()
    assert "2 photos are in several albums: counted once" in text
    assert "Skipped, no readable photo in 1 album: junk." in text
    assert "1 photo directly in the folder, in no album, is left out." in text


def test_one_album_is_called_one_album(qtbot, tmp_path):
    """'Found 3 photos in 1 albums' (the trainer's look inside, then refused: one label)."""
    for i in range(3):
        make_photo(tmp_path / "one" / "cats" / f"{i}.jpg", "chelsea", size=(120 + 8 * i, 100))
    dialog = looked_inside(qtbot, tmp_path / "one")
    assert "<b>3</b> photos in <b>1</b> album:" in dialog.found_label.text()
    assert not dialog.start_button.isEnabled()


def test_progress_without_a_stage_and_the_stop_after_cancel_read_right(qtbot, albums):
    """Evaluating and exporting showed 'stage None (16 bits)'; after Cancel the trainer's
    'training was stopped' error flashed up as 'Training failed' (an audit of retraining)."""
    dialog = RetrainDialog(None, str(albums), readiness=READY)
    qtbot.addWidget(dialog)
    dialog._on_event({"event": "progress", "phase": "evaluate", "step": 0, "steps": 1,
                      "bits": 16})
    assert "None" not in dialog.status_label.text()
    assert "16 bits" in dialog.status_label.text()
    dialog._cancelled = True
    dialog._on_event({"event": "error", "message": "training was stopped; a checkpoint was "
                      "saved, run the same command again to resume"})
    assert "failed" not in dialog.status_label.text()


def test_what_a_phase_does_before_its_first_step_is_shown(qtbot, albums):
    """The trainer says 'loading the backbone' (doing) for the seconds before the first
    features: the dialog showed 'Computing features: step 0 of 120' meanwhile."""
    dialog = RetrainDialog(None, str(albums), readiness=READY)
    qtbot.addWidget(dialog)
    dialog._on_event({"event": "progress", "phase": "features", "step": 0, "steps": 120,
                      "doing": "loading the backbone"})
    assert dialog.status_label.text().endswith(": loading the backbone…")
    assert "step 0" not in dialog.status_label.text()
    assert (dialog.progress_bar.minimum(), dialog.progress_bar.maximum()) == (0, 0)  # busy
    dialog._on_event({"event": "progress", "phase": "features", "step": 3, "steps": 120})
    assert "step 3 of 120" in dialog.status_label.text()


def test_progress_and_result_are_shown_and_switch_is_offered(qtbot, tmp_path, albums,
                                                             tiny_model_dir):
    new_model = make_tiny_model(tmp_path / "new-model", bits=32, seed=5, name="retrained")
    python = stand_in_trainer(tmp_path, f"""
        import json, sys, time
        assert sys.argv[1:4] == ["-m", "trainer", "run"], sys.argv
        def say(**e): print(json.dumps(e), flush=True)
        say(event="start", photos=12, labels=3, device="cpu")
        print("loading backbone", file=sys.stderr, flush=True)
        say(event="progress", phase="train", stage=1, bits=32, step=5, steps=10, loss=0.5,
            val_map=0.61, eta_s=75)
        time.sleep(0.3)
        say(event="done", model_dir={str(new_model)!r},
            evaluation={{"bits": 32, "map_all": 0.83}})
    """)
    from desktop_app.core.model_card import read_card

    current = read_card(tiny_model_dir)
    dialog = RetrainDialog(current, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    seen = []
    dialog.process.event.connect(seen.append)
    with qtbot.waitSignal(dialog.process.finished, timeout=20000) as done:
        dialog.start()
        qtbot.waitUntil(lambda: "validation mAP 0.610" in dialog.status_label.text(),
                        timeout=10000)
        assert "loss 0.500" in dialog.status_label.text()
        assert "1 min 15 s left" in dialog.status_label.text()
        assert dialog.progress_bar.value() == 5 and dialog.progress_bar.maximum() == 10
    assert done.args[0] == 0
    assert [e["event"] for e in seen] == ["start", "progress", "done"]
    assert "loading backbone" in dialog.log_view.toPlainText()
    table = dialog.comparison
    rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}
    assert rows["Code length (bits)"] == ("48", "32")
    # the trainer was not asked to measure the current model: no number of it is shown
    assert rows["mAP on your albums' held-out photos"] == ("—", "0.830")
    assert "only the new model's numbers" in dialog.comparison_note.text()
    assert dialog.switch_button.isVisible()
    with qtbot.waitSignal(dialog.switch_requested) as switch:
        dialog.switch_button.click()
    assert switch.args[0] == str(new_model)


NEW_EVALUATION = {"bits": 32, "map_all": 0.83, "map_at_k": {"10": 0.9},
                  "precision_at_k": {"10": 0.7}, "importance_spread": 1.2, "queries": 6,
                  "database": 30}


def finish_with(qtbot, tmp_path, albums, current_dir, compared,
                evaluation=NEW_EVALUATION) -> tuple[RetrainDialog, list]:
    """The dialog, its current model in current_dir, run on a stand-in trainer whose `done`
    event carries `evaluation` and `compared`; the stand-in's arguments."""
    from dataclasses import replace

    from desktop_app.core.model_card import read_card

    new_model = make_tiny_model(tmp_path / "new-model", bits=32, seed=5, name="retrained")
    argv_file = tmp_path / "argv.json"
    python = stand_in_trainer(tmp_path, f"""
        import json, sys
        open({str(argv_file)!r}, "w").write(json.dumps(sys.argv[1:]))
        def say(**e): print(json.dumps(e), flush=True)
        say(event="progress", phase="compare", step=15, steps=15)
        say(event="done", model_dir={str(new_model)!r}, evaluation={evaluation!r},
            compared={compared!r})
    """)
    # Its card's own numbers were measured on other photos: they must not be compared.
    current = replace(read_card(current_dir), evaluation={"map_all": 0.95, "bits": 48})
    dialog = RetrainDialog(current, str(albums), readiness=READY, python=python,
                           current_model_dir=str(current_dir))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.finished, timeout=20000) as done:
        dialog.start()
    assert done.args[0] == 0
    return dialog, json.loads(argv_file.read_text())


def table_rows(dialog) -> dict[str, tuple[str, str]]:
    table = dialog.comparison
    return {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}


def test_the_current_model_measured_on_the_same_photos_is_shown_beside_the_new_one(
        qtbot, tmp_path, albums, tiny_model_dir):
    compared = {"model_dir": str(tiny_model_dir), "name": "tiny-48", "bits": 48,
                "evaluation": {"bits": 48, "map_all": 0.61, "map_at_k": {"10": 0.66},
                               "precision_at_k": {"10": 0.5}, "queries": 6, "database": 30}}
    dialog, argv = finish_with(qtbot, tmp_path, albums, tiny_model_dir, compared)
    # the dialog asked the trainer to measure the model in use
    assert argv[argv.index("--compare-with") + 1] == str(tiny_model_dir)
    rows = table_rows(dialog)
    assert rows == {"Code length (bits)": ("48", "32"),
                    "mAP on your albums' held-out photos": ("0.610", "0.830"),
                    "Precision of the first 10 matches": ("0.500", "0.700"),
                    "Held-out photos searched for": ("6", "6"),
                    "Photos searched among": ("30", "30")}
    # nothing the current model's card says (another dataset), no measure of one side only
    assert "0.950" not in str(rows) and "1.200" not in str(rows)
    assert "each of the 6 held-out photos" in dialog.comparison_note.text()
    assert dialog.comparison_note.isVisible() and dialog.switch_button.isVisible()
    dialog._on_event({"event": "progress", "phase": "compare", "step": 3, "steps": 15})
    assert dialog.status_label.text().startswith(
        "Measuring the current model on the same photos: step 3 of 15")


def test_both_models_are_compared_whatever_order_the_albums_were_read_in(
        qtbot, tmp_path, albums, tiny_model_dir):
    """The table showed mAP and precision with photos at one distance taken in the order the
    albums were read (album by album): that favours the first albums' photos, the more so the
    shorter the code (a 12-bit model puts many photos at one distance, the 48-bit one few). The
    trainer's order-free numbers are shown for both models when both have them."""
    evaluation = {**NEW_EVALUATION, "bits": 12, "map_all": 0.83, "map_all_tie_aware": 0.71,
                  "precision_at_k_tie_aware": {"10": 0.64}}
    compared = {"model_dir": str(tiny_model_dir), "name": "tiny-48", "bits": 48,
                "evaluation": {"bits": 48, "map_all": 0.61, "map_all_tie_aware": 0.6,
                               "map_at_k": {"10": 0.66}, "precision_at_k": {"10": 0.5},
                               "precision_at_k_tie_aware": {"10": 0.49}, "queries": 6,
                               "database": 30}}
    dialog, _ = finish_with(qtbot, tmp_path, albums, tiny_model_dir, compared, evaluation)
    rows = table_rows(dialog)
    assert rows["Code length (bits)"] == ("48", "12")
    assert rows["mAP on your albums' held-out photos"] == ("0.600", "0.710")
    assert rows["Precision of the first 10 matches"] == ("0.490", "0.640")
    assert "the average over every order of them" in dialog.comparison_note.text()
    # A current model measured by an older trainer (no order-free numbers): both sides show
    # the same measure, the one both have.
    older = {**compared, "evaluation": {k: v for k, v in compared["evaluation"].items()
                                        if "tie_aware" not in k}}
    dialog._show_comparison(evaluation, older)
    rows = table_rows(dialog)
    assert rows["mAP on your albums' held-out photos"] == ("0.610", "0.830")
    assert rows["Precision of the first 10 matches"] == ("0.500", "0.700")
    assert "every order" not in dialog.comparison_note.text()


def test_a_current_model_that_could_not_be_measured_says_why(qtbot, tmp_path, albums,
                                                              tiny_model_dir):
    problem = (f"{tiny_model_dir / 'model.onnx'}: the ONNX file does not match the sha256 in "
               "its model card (the file is damaged or belongs to another card). Copy the "
               "whole model folder again or re-export it.")
    dialog, _ = finish_with(qtbot, tmp_path, albums, tiny_model_dir,
                            {"model_dir": str(tiny_model_dir), "problem": problem})
    rows = table_rows(dialog)
    assert rows["mAP on your albums' held-out photos"] == ("—", "0.830")
    assert rows["Code length (bits)"] == ("48", "32")
    assert dialog.comparison_note.text() == \
        f"The current model has no numbers on your albums: {problem}"
    assert "Training finished" in dialog.status_label.text()
    assert dialog.switch_button.isVisible()


@pytest.mark.parametrize("checked, flag, not_flag", [
    (True, "--flip-average", "--no-flip-average"),
    (False, "--no-flip-average", "--flip-average")])
def test_the_mirror_image_choice_reaches_the_trainer(qtbot, tmp_path, albums, checked, flag,
                                                     not_flag):
    """Said either way: a run folder keeps the setting it was last given, so leaving the flag
    out would let an earlier run's choice override the box."""
    argv_file = tmp_path / "argv.json"
    python = stand_in_trainer(tmp_path, f"""
        import json, sys
        open({str(argv_file)!r}, "w").write(json.dumps(sys.argv[1:]))
        print(json.dumps({{"event": "error", "message": "the stand-in stops here"}}), flush=True)
        sys.exit(2)
    """)
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.flip_check.isChecked()  # off unless asked: indexing costs twice as much
    dialog.flip_check.setChecked(checked)
    with qtbot.waitSignal(dialog.process.finished, timeout=20000):
        dialog.start()
    argv = json.loads(argv_file.read_text())
    assert argv[:3] == ["-m", "trainer", "run"]
    assert flag in argv and not_flag not in argv
    assert "the stand-in stops here" in dialog.status_label.text()


# Like the real trainer: `run ALBUMS --out DIR` resumes from DIR/training/checkpoint.pt when it
# is there (and finishes); else it writes that checkpoint and trains until SIGTERM (exit 130).
RESUMING_TRAINER = """
    import json, pathlib, signal, sys, time
    assert sys.argv[1:4] == ["-m", "trainer", "run"], sys.argv
    out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1])
    ckpt = out / "training" / "checkpoint.pt"
    def say(**e): print(json.dumps(e), flush=True)
    def stop(*_):
        say(event="error", message="cancelled")
        sys.exit(130)
    signal.signal(signal.SIGTERM, stop)
    if ckpt.is_file():
        print(f"resumed from {ckpt}", file=sys.stderr, flush=True)
        say(event="done", model_dir=str(out), evaluation={"bits": 48})
        sys.exit(0)
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    ckpt.write_bytes(b"state")
    say(event="start", photos=12, labels=3, device=DEVICE)
    time.sleep(60)
"""


def waiting_trainer(tmp_path, on_sigterm: str) -> str:
    """A stand-in trainer that says it started, then waits; `on_sigterm`: its SIGTERM handler."""
    return stand_in_trainer(tmp_path, f"""
        import json, signal, sys, time
        signal.signal(signal.SIGTERM, {on_sigterm})
        print(json.dumps({{"event": "start", "photos": 12, "labels": 3, "device": "cpu"}}),
              flush=True)
        time.sleep(60)
    """)


def resuming_trainer(tmp_path, device: str = "cpu") -> str:
    return stand_in_trainer(tmp_path, RESUMING_TRAINER.replace("DEVICE", repr(device)))


def start_and_cancel(qtbot, dialog) -> str:
    """Start a run that saves a checkpoint, cancel it; its output folder."""
    dialog.start()
    qtbot.waitUntil(lambda: "Training on 12 photos" in dialog.status_label.text(), timeout=10000)
    with qtbot.waitSignal(dialog.process.finished, timeout=10000) as done:
        dialog.cancel_button.click()
    assert done.args[0] == 130
    return dialog.new_model_dir


def test_cancel_stops_the_trainer_and_says_the_checkpoint_was_kept(qtbot, tmp_path, albums):
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=resuming_trainer(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    out = start_and_cancel(qtbot, dialog)
    assert (Path(out) / "training" / "checkpoint.pt").is_file()
    assert "cancelled" in dialog.status_label.text().lower()
    assert f"checkpoint was kept in {out}" in dialog.status_label.text()


@pytest.mark.parametrize("how", ["Escape", "close"])
def test_escape_or_closing_the_dialog_stops_the_trainer(qtbot, tmp_path, albums, how):
    """Escape used to hide the dialog and leave the trainer running unseen."""
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=resuming_trainer(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: "Training on 12 photos" in dialog.status_label.text(), timeout=10000)
    with qtbot.waitSignal(dialog.process.finished, timeout=10000) as done:
        if how == "Escape":
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        else:
            dialog.close()
    assert done.args[0] == 130 and not dialog.isVisible()
    assert (Path(dialog.new_model_dir) / "training" / "checkpoint.pt").is_file()


def test_looking_inside_during_a_run_leaves_cancel_working(qtbot, tmp_path, albums):
    """"Look inside" while training used to disable Cancel with the run still going."""
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=resuming_trainer(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: "Training on 12 photos" in dialog.status_label.text(), timeout=10000)
    dialog.inspect_button.click()
    assert "cancel it first" in dialog.found_label.text()
    assert dialog.process.is_running() and dialog.cancel_button.isEnabled()
    with qtbot.waitSignal(dialog.process.finished, timeout=10000) as done:
        dialog.cancel_button.click()
    assert done.args[0] == 130


def test_cancel_before_a_checkpoint_does_not_promise_one(qtbot, tmp_path, albums):
    python = waiting_trainer(tmp_path, "lambda *_: sys.exit(130)")
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    start_and_cancel(qtbot, dialog)
    assert "before it saved a checkpoint" in dialog.status_label.text()
    assert "kept" not in dialog.status_label.text()


def test_starting_again_after_cancel_continues_in_the_same_folder(qtbot, tmp_path, albums):
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=resuming_trainer(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    first = start_and_cancel(qtbot, dialog)
    assert unfinished_runs.load() == {unfinished_runs.albums_key(albums): first}

    # A new dialog (the app restarted in between), the albums spelled with a trailing slash.
    dialog = RetrainDialog(None, f"{albums}/", readiness=READY, python=resuming_trainer(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.finished, timeout=10000) as done:
        dialog.start()
        assert dialog.new_model_dir == first
        assert "Continuing the unfinished training" in dialog.status_label.text()
    assert done.args[0] == 0
    assert f"resumed from {Path(first) / 'training' / 'checkpoint.pt'}" in \
        dialog.log_view.toPlainText()
    assert unfinished_runs.load() == {}  # finished: forgotten

    # Once finished, the next run starts afresh in a folder of its own.
    second = start_and_cancel(qtbot, dialog)
    assert second != first and Path(first).is_dir()
    assert unfinished_runs.load() == {unfinished_runs.albums_key(albums): second}


@pytest.mark.parametrize("answer", ["Delete", "Keep"])
def test_other_albums_offer_to_delete_the_unfinished_run(qtbot, tmp_path, albums, answer):
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=resuming_trainer(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    first = start_and_cancel(qtbot, dialog)
    (Path(first) / "training" / "features.npy").write_bytes(b"work done")
    other_albums = tmp_path / "other-albums"
    other_albums.mkdir()
    dialog.albums_edit.setText(str(other_albums))
    asked: list[str] = []
    answer_question(answer, asked)
    second = start_and_cancel(qtbot, dialog)
    assert asked and str(albums) in asked[0] and first in asked[0]
    runs = unfinished_runs.load()
    assert runs[unfinished_runs.albums_key(other_albums)] == second
    if answer == "Delete":  # (the new run may get the same name within the same second)
        assert not (Path(first) / "training" / "features.npy").exists()
        assert unfinished_runs.albums_key(albums) not in runs
        assert f"Deleted the unfinished training of {albums}" in dialog.log_view.toPlainText()
    else:
        assert second != first
        assert (Path(first) / "training" / "features.npy").is_file()
        assert runs[unfinished_runs.albums_key(albums)] == first


def test_inspect_shows_the_trainers_own_error(qtbot, tmp_path):
    flat = tmp_path / "flat"
    make_photo(flat / "a.jpg", "chelsea")
    make_photo(flat / "b.jpg", "coffee")
    dialog = RetrainDialog(None, str(flat), readiness=READY)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.failed, timeout=30000):
        dialog.inspect_button.click()
    text = dialog.found_label.text()
    assert "this folder has no sub-folders, so there are no labels" in text
    assert "exit code" not in text
    assert not dialog.start_button.isEnabled()


@pytest.mark.parametrize("device, shown", [("cuda", "GPU"), ("cuda:1", "GPU"), ("cpu", "CPU")])
def test_the_device_is_named(qtbot, tmp_path, albums, device, shown):
    dialog = RetrainDialog(None, str(albums), readiness=READY,
                           python=resuming_trainer(tmp_path, device))
    qtbot.addWidget(dialog)
    dialog.show()
    shown_at_start = []
    dialog.process.event.connect(  # connected after the dialog's own slot: runs after it
        lambda e: shown_at_start.append(dialog.status_label.text()) if e["event"] == "start"
        else None)
    start_and_cancel(qtbot, dialog)
    assert shown_at_start == [f"Training on 12 photos in 3 albums, on the {shown}."]


def test_only_the_trainers_copy_of_its_error_is_left_out_of_the_log(qtbot, tmp_path, albums):
    """The trainer prints its `error` event's message on stderr too, after "error: ", in its
    command line's words: the dialog leaves that copy out. Every other stderr line that happens
    to start with "error: " (a library's, a photo's log line) was left out with it."""
    python = stand_in_trainer(tmp_path, """
        import json, sys
        print("error: libpng could not read a colour profile (ignored)", file=sys.stderr,
              flush=True)
        message = "/out: this folder cannot be written to. Give --out a folder you can write to."
        print(json.dumps({"event": "error", "message": message}), flush=True)
        print("error: " + message, file=sys.stderr, flush=True)
        sys.exit(2)
    """)
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.finished, timeout=20000) as done:
        dialog.start()
    assert done.args[0] == 2
    log = dialog.log_view.toPlainText()
    assert "error: libpng could not read a colour profile (ignored)" in log
    assert "Give --out" not in log


def test_a_trainer_that_cannot_start_gives_a_message(qtbot, tmp_path, albums):
    dialog = RetrainDialog(None, str(albums), readiness=READY,
                           python=str(tmp_path / "no-such-python"))
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.failed, timeout=10000):
        dialog.start()
    assert "Could not start the trainer" in dialog.status_label.text()


@pytest.mark.slow
def test_a_real_tiny_training_run_from_the_dialog(qtbot, albums, tiny_model_dir):
    """The real `python -m trainer run` on 12 photos with a tiny configuration (CPU), cancelled
    once it trains, then started again: it continues from its checkpoint and finishes."""
    from desktop_app.core.encoder import load_encoder
    from desktop_app.core.model_card import read_card

    dialog = RetrainDialog(read_card(tiny_model_dir), str(albums), readiness=READY,
                           current_model_dir=str(tiny_model_dir))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.bits_spin.setValue(12)
    dialog.flip_check.setChecked(True)

    def cancel_once_training(event):
        if event.get("phase") == "train" and dialog.cancel_button.isEnabled():
            dialog.cancel()

    dialog.process.event.connect(cancel_once_training)
    with qtbot.waitSignal(dialog.process.finished, timeout=600000) as stopped:
        dialog.start()
    assert stopped.args[0] == 130, dialog.log_view.toPlainText()[-2000:]
    first = dialog.new_model_dir
    assert f"checkpoint was kept in {first}" in dialog.status_label.text()
    dialog.process.event.disconnect(cancel_once_training)

    events = []
    dialog.process.event.connect(events.append)
    with qtbot.waitSignal(dialog.process.finished, timeout=600000) as done:
        dialog.start()
    assert done.args[0] == 0, dialog.log_view.toPlainText()[-2000:]
    assert dialog.new_model_dir == first
    assert f"resumed from {Path(first) / 'training' / 'checkpoint.pt'}" in \
        dialog.log_view.toPlainText()
    assert unfinished_runs.load() == {}
    assert any(e["event"] == "progress" for e in events)
    assert dialog.switch_button.isVisible()
    assert load_encoder(dialog.new_model_dir).bits == 12
    assert read_card(dialog.new_model_dir).training["flip_average"] is True
    # the model in use, measured by the trainer on the same held-out photos, on the same row
    current_map, new_map = table_rows(dialog)["mAP on your albums' held-out photos"]
    assert "—" not in (current_map, new_map) and 0 <= float(current_map) <= 1


def retraining_from_the_window(qtbot, window, python: str, albums) -> RetrainDialog:
    """The window's retrain dialog, started on the stand-in trainer `python` (which says
    `start` for 12 photos), once it shows that training began."""
    dialog = window.open_retrain()
    dialog.readiness, dialog.process.python = READY, python
    dialog.albums_edit.setText(str(albums))
    dialog.start()
    qtbot.waitUntil(lambda: "Training on 12 photos" in dialog.status_label.text(), timeout=10000)
    return dialog


def test_closing_the_window_lets_a_running_trainer_save_its_checkpoint(qtbot, make_window,
                                                                       tmp_path, albums):
    saved = tmp_path / "checkpoint-saved"
    python = stand_in_trainer(tmp_path, f"""
        import json, signal, sys, time
        def stop(*_):
            time.sleep(1)  # writing the checkpoint takes a moment
            open({str(saved)!r}, "w").write("saved")
            sys.exit(130)
        signal.signal(signal.SIGTERM, stop)
        print(json.dumps({{"event": "start", "photos": 12, "labels": 3, "device": "cpu"}}),
              flush=True)
        time.sleep(60)
    """)
    window = make_window()
    dialog = retraining_from_the_window(qtbot, window, python, albums)
    window.close()
    assert not dialog.process.is_running()
    assert saved.read_text() == "saved"


def test_asking_to_retrain_again_shows_the_same_dialog(qtbot, make_window, tmp_path, albums):
    python = waiting_trainer(tmp_path, "lambda *_: sys.exit(130)")
    window = make_window()
    dialog = retraining_from_the_window(qtbot, window, python, albums)
    # Pressing "Retrain on my albums…" again must not offer a second, concurrent run (it would
    # continue the same unfinished run, in the same folder).
    window.model_panel.retrain_button.click()
    assert window.open_retrain() is dialog
    assert len(window.findChildren(RetrainDialog)) == 1
    with qtbot.waitSignal(dialog.process.finished, timeout=20000):
        dialog.cancel()


def test_the_window_has_the_trainer_measure_the_model_in_use(qtbot, make_window, tmp_path,
                                                             albums, tiny_model_dir):
    argv_file = tmp_path / "argv.json"
    python = stand_in_trainer(tmp_path, f"""
        import json, sys
        open({str(argv_file)!r}, "w").write(json.dumps(sys.argv[1:]))
        sys.exit(2)
    """)
    window = make_window()
    dialog = window.open_retrain()
    dialog.readiness, dialog.process.python = READY, python
    dialog.albums_edit.setText(str(albums))
    with qtbot.waitSignal(dialog.process.finished, timeout=20000):
        dialog.start()
    argv = json.loads(argv_file.read_text())
    assert argv[argv.index("--compare-with") + 1] == str(tiny_model_dir)


def test_a_model_just_trained_is_listed_in_the_model_tab(qtbot, make_window, tmp_path):
    """The new model was missing from the Model tab's list until the app was started again."""
    from tiny_model import make_tiny_model

    from desktop_app import paths

    window = make_window()
    dialog = window.open_retrain()
    folder = make_tiny_model(paths.models_dir() / "trained-albums", bits=32, name="albums")
    combo = window.model_panel.models_combo
    assert str(folder) not in [combo.itemData(i) for i in range(combo.count())]
    dialog.model_made.emit(str(folder))
    assert str(folder) in [combo.itemData(i) for i in range(combo.count())]


def test_a_trainer_that_could_not_start_can_be_started_again(qtbot, tmp_path, albums):
    """Start stayed disabled after "Could not start the trainer" until Look inside was pressed."""
    dialog = looked_inside(qtbot, albums)
    found = dialog.found_label.text()
    dialog.process.python = str(tmp_path / "no-python-here")  # gone since the look inside
    with qtbot.waitSignal(dialog.process.failed, timeout=10000):
        dialog.start_button.click()
    assert "Could not start the trainer" in dialog.status_label.text()
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert dialog.found_label.text() == found  # the albums found are still shown


def test_albums_where_no_photo_can_be_read_say_so_and_what_to_do(qtbot, tmp_path):
    root = tmp_path / "albums"
    for label in ("cats", "cups"):
        (root / label).mkdir(parents=True)
        (root / label / "0.jpg").write_bytes(b"not a photo")
    dialog = looked_inside(qtbot, root)
    text = dialog.found_label.text()
    assert "Found" not in text and ": ." not in text  # was "Found 0 photos in 0 albums: ."
    assert "No photo" in text and str(root) in text and "2 photo files" in text
    assert "one sub-folder per album" in text
    assert not dialog.start_button.isEnabled()


def test_a_trainer_killed_from_outside_says_so_and_can_continue(qtbot, tmp_path, albums):
    """SIGKILL (out of memory, another program) used to read "stopped with exit code 9; see the
    log above", with nothing in the log (below) and no word of the checkpoint kept."""
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=resuming_trainer(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: "Training on 12 photos" in dialog.status_label.text(), timeout=10000)
    with qtbot.waitSignal(dialog.process.finished, timeout=10000):
        os.kill(dialog.process._proc.processId(), signal.SIGKILL)
    text = dialog.status_label.text()
    assert "stopped from outside" in text and "exit code" not in text
    assert f"checkpoint was kept in {dialog.new_model_dir}" in text
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()
    with qtbot.waitSignal(dialog.process.finished, timeout=10000) as done:
        dialog.start()
    assert done.args[0] == 0 and "resumed from" in dialog.log_view.toPlainText()


def test_a_trainer_killed_after_cancel_reads_as_cancelled(qtbot, tmp_path, albums):
    python = waiting_trainer(tmp_path, "signal.SIG_IGN")  # stuck: killed after the grace time
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.process._kill_timer.setInterval(300)
    dialog.start()
    qtbot.waitUntil(lambda: "Training on 12 photos" in dialog.status_label.text(), timeout=10000)
    with qtbot.waitSignal(dialog.process.finished, timeout=10000):
        dialog.cancel_button.click()
    start_and_cancel_status = dialog.status_label.text()
    assert "Training was cancelled" in start_and_cancel_status
    assert "from outside" not in start_and_cancel_status


def test_an_unwritable_models_folder_is_said_before_the_trainer_starts(qtbot, tmp_path, albums,
                                                                      monkeypatch):
    """It raised PermissionError out of Start (a "Something went wrong" box, nothing else)."""
    def read_only(path, text):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(unfinished_runs, "write_text_atomic", read_only)
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=resuming_trainer(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    text = dialog.status_label.text()
    models = unfinished_runs.runs_path().parent
    assert f"Make {models} writable" in text and "Permission denied" in text
    assert not dialog.process.is_running() and not dialog.cancel_button.isEnabled()


def test_a_finished_run_is_shown_even_when_it_cannot_be_forgotten(qtbot, tmp_path, albums,
                                                                  monkeypatch):
    other = tmp_path / "other-run"
    (other / "training").mkdir(parents=True)
    (other / "training" / "checkpoint.pt").write_bytes(b"state")  # kept: forgetting rewrites
    unfinished_runs.remember(str(tmp_path / "other-albums"), other)
    python = stand_in_trainer(tmp_path, f"""
        import json
        print(json.dumps({{"event": "done", "model_dir": {str(make_tiny_model(
            tmp_path / "new", bits=32))!r}, "evaluation": {{"bits": 32}}}}), flush=True)
    """)
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()

    def disk_full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    answer_question("Keep", [])
    with qtbot.waitSignal(dialog.process.finished, timeout=10000):
        dialog.start()
        monkeypatch.setattr(unfinished_runs, "write_text_atomic", disk_full)
    assert dialog.switch_button.isVisible()
    assert "Training finished" in dialog.status_label.text()


def test_albums_chosen_with_browse_are_remembered(qtbot, make_window, tmp_path, albums,
                                                  monkeypatch):
    """The folder was saved only when the text field was edited by hand."""
    window = make_window()
    dialog = window.open_retrain()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(albums))
    dialog._browse()
    window.close()  # saves the settings, as quitting does
    assert Settings.load().last_albums_dir == str(albums)


def test_looking_inside_says_an_unfinished_run_will_be_continued(qtbot, albums):
    """It was said only once Start was pressed ("Continuing the unfinished training in ...")."""
    out = unfinished_runs.new_output_dir()
    (out / "training").mkdir(parents=True)
    (out / "training" / "checkpoint.pt").write_bytes(b"a checkpoint")
    unfinished_runs.remember(str(albums), out)
    dialog = looked_inside(qtbot, albums)
    text = dialog.found_label.text()
    assert f"An unfinished training of these albums is kept in {out}" in text
    assert "continues it" in text


def test_albums_typed_in_after_looking_inside_must_be_looked_at_before_training(qtbot, albums,
                                                                             tmp_path):
    """Start stayed enabled for the albums found before, and trained the new path unchecked."""
    dialog = looked_inside(qtbot, albums)
    assert dialog.start_button.isEnabled()
    dialog.albums_edit.setText(str(tmp_path / "nope"))
    assert not dialog.start_button.isEnabled()
    assert "Look inside" in dialog.found_label.text()
    dialog.albums_edit.setText("")
    assert not dialog.start_button.isEnabled()
    dialog.albums_edit.setText(str(albums))  # back to what was looked at
    with qtbot.waitSignal(dialog.process.inspected, timeout=30000):
        dialog.inspect_button.click()
    assert dialog.start_button.isEnabled()

