"""The trainer's failures in the Retrain dialog name its controls and the app's models folder,
never the command-line options the dialog's user did not type ("Give --out a folder you can
write to"), while `lookalike train` keeps its own wording. Each case is a failure the dialog can
meet, from the real trainer (`python -m trainer run`, failing before any photo is read)."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import subprocess
import sys

import pytest
from unwritable import unwritable_prefix

from desktop_app import paths
from desktop_app.ui import unfinished_runs
from desktop_app.ui.retrain_dialog import RetrainDialog
from desktop_app.ui.trainer_process import Readiness

READY = Readiness(True, "", False)
OPTION = re.compile(r"--[a-z]")  # --out, --set head.lr=..., --device, --bits ...


@pytest.fixture
def albums(tmp_path):
    """Two albums: every failure here comes before a photo is read."""
    for label in ("cats", "cups"):
        (tmp_path / "albums" / label).mkdir(parents=True)
    return tmp_path / "albums"


def unfinished_run(albums, setup=None):
    """A run of `albums` the dialog remembers as unfinished, so Start continues in its folder;
    setup(folder) leaves in it what the trainer will trip on."""
    folder = paths.models_dir() / "trained-20240101-120000"
    (folder / "training").mkdir(parents=True)
    if setup:
        setup(folder)
    unfinished_runs.remember(str(albums), folder)
    return folder


def failed_in_dialog(qtbot, albums, python=None) -> RetrainDialog:
    """Start training in the dialog on the real trainer (or `python`), which fails at once."""
    dialog = RetrainDialog(None, str(albums), readiness=READY, python=python)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.process.finished, timeout=120000) as done:
        dialog.start()
    assert done.args[0] == 2, dialog.log_view.toPlainText()
    status, log = dialog.status_label.text(), dialog.log_view.toPlainText()
    assert "Training failed" in status
    assert not OPTION.search(status) and not OPTION.search(log), (status, log)
    return dialog


def failed_in_cli(albums, out, prefix=()) -> str:
    """`lookalike train ALBUMS --out OUT` in the same situation: its error line."""
    done = subprocess.run([*prefix, sys.executable, "-m", "desktop_app", "train", str(albums),
                           "--out", str(out)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2, done.stderr
    return done.stderr


def test_albums_that_hold_the_models_folder(qtbot):
    """Albums chosen above the app's data folder (a home folder, say): the trainer refuses an
    output folder inside the albums."""
    albums = paths.data_dir()
    dialog = failed_in_dialog(qtbot, albums)
    status = dialog.status_label.text()
    assert "inside the albums folder" in status
    assert f"The app keeps its models in {paths.models_dir()}: choose a folder of albums that " \
           "does not contain it" in status
    assert "Give --out a folder outside the albums folder" in failed_in_cli(
        albums, paths.models_dir() / "x")


def training_as_a_file(folder):
    (folder / "training").rmdir()
    (folder / "training").write_text("not a folder")


def test_a_file_where_the_run_keeps_its_training(qtbot, albums):
    folder = unfinished_run(albums, training_as_a_file)
    dialog = failed_in_dialog(qtbot, albums)
    status = dialog.status_label.text()
    assert f"{folder / 'training'}: this is a file" in status
    assert "move or rename that file, then press Start training again" in status
    assert "Give --out a new folder or an existing one" in failed_in_cli(albums, folder)


def test_a_run_folder_that_cannot_be_written(qtbot, albums, tmp_path):
    folder = unfinished_run(albums)
    folder.chmod(0o555)
    try:
        prefix = unwritable_prefix("no write permission", folder)
        python = tmp_path / "python-without-root-rights"  # what the dialog runs the trainer with
        python.write_text(f'#!/bin/sh\nexec {" ".join(prefix)} {sys.executable} "$@"\n')
        python.chmod(python.stat().st_mode | stat.S_IEXEC)
        dialog = failed_in_dialog(qtbot, albums, str(python))
        status = dialog.status_label.text()
        cli = failed_in_cli(albums, folder, prefix)
    finally:
        folder.chmod(0o755)
    assert f"{folder}: this folder cannot be written to" in status
    assert f"make {folder} writable, then press Start training again" in status
    assert "Give --out a folder you can write to" in cli


def test_a_file_in_the_run_folder_that_the_trainer_did_not_write(qtbot, albums):
    """The trainer refuses to write over it (problem not-ours): the remedy is to move it, not
    to make the folder writable."""
    mine = "training/checkpoint.pt"
    folder = unfinished_run(albums, lambda f: (f / mine).write_bytes(b"not the trainer's"))
    dialog = failed_in_dialog(qtbot, albums)
    status = dialog.status_label.text()
    assert f"{folder / mine}: this file was not written by the Lookalike trainer" in status
    assert "move that file out of that folder, then press Start training again" in status
    assert "writable" not in status
    assert (folder / mine).read_bytes() == b"not the trainer's"


def saved_settings(section: str, key: str, value):
    """The run's saved settings as the trainer writes them (every section: a file of only some
    is not taken for the trainer's), with one value as a hand edit or an older trainer left it."""
    from trainer import config as config_mod

    cfg = config_mod.load_defaults()
    cfg[section][key] = value
    return lambda folder: (folder / "training" / "config.toml").write_text(
        config_mod.to_toml(cfg))


def test_a_bad_value_in_the_runs_saved_settings(qtbot, albums):
    folder = unfinished_run(albums, saved_settings("head", "lr", "fast"))
    dialog = failed_in_dialog(qtbot, albums)
    status = dialog.status_label.text()
    assert 'head.lr = "fast" is not allowed' in status
    assert "It holds the settings saved with this unfinished training: delete that file" in status
    assert "override it with --set head.lr=VALUE" in failed_in_cli(albums, folder)


def test_a_device_the_runs_saved_settings_ask_for(qtbot, albums):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here: the setting is no failure")
    folder = unfinished_run(albums, saved_settings("train", "device", "cuda"))
    dialog = failed_in_dialog(qtbot, albums)
    status = dialog.status_label.text()
    assert "no CUDA GPU is available" in status
    assert ("The app does not set this: it comes from the settings saved with this unfinished "
            f"training, {folder / 'training' / 'config.toml'}; delete that file") in status
    assert "Use --device cpu" in failed_in_cli(albums, folder)


def test_an_error_without_an_option_is_shown_as_the_trainer_wrote_it(qtbot, tmp_path):
    """Albums with one album: the remedy names no option, and the trainer's words stand."""
    (tmp_path / "one" / "cats").mkdir(parents=True)
    dialog = failed_in_dialog(qtbot, tmp_path / "one")
    assert "the albums hold no readable photos" in dialog.status_label.text()
    assert os.fspath(tmp_path / "one") in dialog.status_label.text()


def test_a_full_disk_says_to_start_training_again(qtbot, albums, tmp_path, monkeypatch, capsys):
    """The trainer's own remedy named the command line and the app both ("the same command, or
    Start training in the app"); its `error` event now says what to do in a structured form."""
    from trainer import pipeline
    from trainer.cli import main

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "m" / "x.npy"))

    monkeypatch.setattr(pipeline, "run_all", full)
    assert main(["run", str(albums), "--out", str(tmp_path / "m"), "--progress", "json"]) == 1
    event = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "run the same command again" in event["message"]
    dialog = RetrainDialog(None, str(albums), readiness=READY)
    qtbot.addWidget(dialog)
    dialog._on_event(event)
    assert dialog.status_label.text() == (
        f"<b>Training failed:</b> {tmp_path / 'm' / 'x.npy'}: the disk is full (No space left "
        "on device). Free some space there, then press Start training again: it goes on from "
        "what was saved.")


def test_out_of_gpu_memory_says_what_to_do_in_the_app(qtbot, albums, tmp_path, monkeypatch,
                                                      capsys):
    """The trainer's remedy names its --set and --device options, which the dialog's user
    never typed and cannot give there."""
    import torch

    from trainer import pipeline
    from trainer.cli import main
    from trainer.out_of_memory import SayOutOfMemory

    def out_of_memory(*_args, **_kwargs):
        with SayOutOfMemory(tmp_path / "m" / "training", "cuda", "fine-tuning the backbone",
                            64, "finetune.batch_size"):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")

    monkeypatch.setattr(pipeline, "run_all", out_of_memory)
    assert main(["run", str(albums), "--out", str(tmp_path / "m"), "--progress", "json"]) == 2
    event = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert event["problem"] == "out-of-memory" and "--device cpu" in event["message"]
    dialog = RetrainDialog(None, str(albums), readiness=READY)
    qtbot.addWidget(dialog)
    dialog._on_event(event)
    shown = dialog.status_label.text()
    assert shown == (
        f"<b>Training failed:</b> {tmp_path / 'm' / 'training'}: cuda ran out of memory while "
        "fine-tuning the backbone on batches of 64 photos. Close other programs that use the "
        "GPU, then press Start training again: it goes on from what was saved (the trainer's "
        "command line, python -m trainer, can also train with smaller batches or on the CPU).")
    assert not OPTION.search(shown)
