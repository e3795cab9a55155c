"""Ctrl-C during `export` (or the export of `run`) stops it before anything is written to the
model folder, whose model stays as it was; it was noticed only after the export, and the
command then exited 0 as if nothing had been asked."""

from __future__ import annotations

import json
import os
import signal

from fast_settings import FAST

from desktop_app.core.model_card import file_sha256
from trainer import export as export_mod
from trainer.cli import main


def test_a_stop_during_the_export_leaves_the_model_folder_as_it_was(
        albums, tmp_path, capsys, monkeypatch):
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "none",
                 *FAST]) == 0
    before = {name: file_sha256(out / name) for name in ("model.onnx", "model.json")}
    real = export_mod.export_onnx

    def export_then_interrupt(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the graph is exported
        return real(*args, **kwargs)

    monkeypatch.setattr(export_mod, "export_onnx", export_then_interrupt)
    capsys.readouterr()
    assert main(["export", str(out / "training"), "--bits", "12", "--out", str(out),
                 "--name", "other", "--progress", "json"]) == 130
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["event"] == "error" and last["problem"] == "stopped"
    assert last["message"] == (
        f"stopped while exporting the 12-bit model, before writing it ({out} is as it was); its "
        "training is finished and kept: run the same command again to export it")
    assert {name: file_sha256(out / name) for name in before} == before
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "model.onnx", "training"]
