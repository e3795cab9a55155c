"""A folder given to --out (or as RUN_DIR) may hold the user's own files: one the trainer would
write over is named and the step refused before anything is read or written."""

from __future__ import annotations

import json
import os

import pytest

from trainer.cli import main


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def contents(folder) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("files,named", [
    ({"model.onnx": os.urandom(500), "model.json": b'{"my": "model"}', "notes.txt": b"x"},
     "model.json"),
    ({"model.onnx": os.urandom(500)}, "model.onnx"),
    ({"training/config.toml": b'[tool]\nname = "mine"\n'}, "training/config.toml"),
    ({"48bit/model.json": b"{}", "48bit/model.onnx": b"mine"}, "48bit/model.json"),
    # Settings another project could hold: only some of the trainer's sections, keys it knows.
    # Taken for the trainer's, they were read as settings and written over, with the checkpoint.
    ({"training/config.toml": b'[train]\nbatch_size = 64\ndevice = "cpu"\n',
      "training/checkpoint.pt": b"my own checkpoint"}, "training/checkpoint.pt"),
    ({"training/manifest.json": b'{"photos": ["a.jpg"], "fingerprint": "ab12"}',
      "training/training.json": b'{"epochs": 3}'}, "training/manifest.json"),
])
def test_run_never_writes_over_a_file_of_the_users_in_out(albums, tmp_path, capsys, files,
                                                          named):
    out = tmp_path / "Documents"
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    before = contents(out)
    code = main(["run", str(albums), "--out", str(out), "--progress", "json"])
    run = events(capsys.readouterr().out)
    assert code == 2 and [e["event"] for e in run] == ["error"]  # before the albums are read
    assert run[0]["path"] == str(out / named)
    assert run[0]["option"] == "--out" and run[0]["problem"] == "not-ours"
    assert "not written by the Lookalike trainer" in run[0]["message"]
    assert "Give --out another folder" in run[0]["message"]
    assert contents(out) == before


def test_prepare_and_export_refuse_a_folder_with_the_users_file_of_their_names(albums, tmp_path,
                                                                              capsys):
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "config.toml").write_text('[tool.poetry]\nname = "mine"\n')
    (mine / "model.onnx").write_bytes(b"my own network")
    before = contents(mine)
    assert main(["prepare", str(albums), "--out", str(mine), "--progress", "none"]) == 2
    assert f"error: {mine / 'config.toml'}: this file was not written" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "run"), "--bits", "12", "--out", str(mine),
                 "--progress", "none"]) == 2
    assert f"error: {mine / 'model.onnx'}: this file was not written" in capsys.readouterr().err
    assert main(["train", str(mine), "--progress", "none"]) == 2  # not its config.toml's error
    err = capsys.readouterr().err
    assert f"{mine / 'config.toml'}: this file was not written" in err
    assert "Give the run folder that the `prepare` step" in err
    assert contents(mine) == before
