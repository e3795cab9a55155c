"""A full disk while saving a checkpoint or the exported model: one sentence naming the file,
exit code 1, no half-written file left, the folder's previous model untouched.

The disk is made full for one file only, by pointing its temporary name at /dev/full (every
write there fails with ENOSPC, as on a full disk)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fast_settings import FAST

from desktop_app.core.encoder import load_encoder
from trainer.cli import main

pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")


def run(albums, out) -> list[str]:
    return ["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "json", *FAST]


def last_event(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_a_full_disk_while_saving_a_checkpoint_is_one_clear_message(albums, tmp_path, capsys):
    training = tmp_path / "model" / "training"
    training.mkdir(parents=True)
    os.symlink("/dev/full", training / "checkpoint.pt.tmp")
    assert main(run(albums, tmp_path / "model")) == 1
    error = last_event(capsys.readouterr().out)
    assert error["event"] == "error"
    assert error["message"].startswith(f"{training / 'checkpoint.pt'}: the disk is full")
    assert "Free some space" in error["message"]
    assert not os.path.lexists(training / "checkpoint.pt.tmp")
    assert not (training / "checkpoint.pt").exists()


def test_a_full_disk_while_exporting_keeps_the_previous_model(albums, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(run(albums, out)) == 0
    before = {name: (out / name).read_bytes() for name in ("model.onnx", "model.json")}
    capsys.readouterr()
    os.symlink("/dev/full", out / "model.onnx.partial")
    assert main([*run(albums, out), "--set", "head.seed=1"]) == 1  # trains again, then exports
    error = last_event(capsys.readouterr().out)
    assert error["message"].startswith(f"{out / 'model.onnx'}: the disk is full")
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "model.onnx", "training"]
    assert {name: (out / name).read_bytes() for name in before} == before
    load_encoder(out, providers=["CPUExecutionProvider"])


def test_a_full_disk_error_that_names_no_file_names_the_output_folder(albums, tmp_path, capsys,
                                                                      monkeypatch):
    """Some writers (numpy, torch) raise ENOSPC without a file name: the message named nothing."""
    import errno

    from trainer import pipeline

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline, "run_train", full)
    out = tmp_path / "model"
    assert main(run(albums, out)) == 1
    error = last_event(capsys.readouterr().out)
    assert error["message"].startswith(f"{out}: the disk is full (No space left on device)")
    assert "Free some space there" in error["message"]

