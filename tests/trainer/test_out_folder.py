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
    # Several lengths: each model goes in a <bits>bit folder.
    ({"48bit/model.json": b"{}", "48bit/model.onnx": b"mine", "bits": b"48 32"},
     "48bit/model.json"),
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
    files = dict(files)
    bits = files.pop("bits", b"").decode().split()
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    before = contents(out)
    code = main(["run", str(albums), "--out", str(out), "--progress", "json",
                 *(["--bits", *bits] if bits else [])])
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


def test_a_run_of_several_lengths_says_which_of_its_models_would_replace_the_users(
        albums, tmp_path, capsys):
    """It said "the model this step exports would replace it" of a model.onnx in --out itself,
    which a run of several lengths does not write (its models go in <bits>bit/ folders)."""
    out = tmp_path / "models"
    (out / "32bit").mkdir(parents=True)
    (out / "32bit" / "model.onnx").write_bytes(b"my own network")
    before = contents(out)
    assert main(["run", str(albums), "--out", str(out), "--bits", "48", "32",
                 "--progress", "none"]) == 2
    err = capsys.readouterr().err
    assert (f"error: {out / '32bit' / 'model.onnx'}: this file was not written by the Lookalike "
            "trainer, and this run would write its 32-bit model over it (with several lengths, "
            f"each goes in a <bits>bit folder of {out}). Give --out another folder, e.g. a new "
            f"one, or move this file out of {out / '32bit'} (nothing in this one was "
            "changed).") in err, err
    assert contents(out) == before


@pytest.mark.parametrize("bits,mine", [(["48", "32"], "model.onnx"),  # goes in 48bit/, 32bit/
                                       (["48"], "48bit/model.onnx"),  # goes in --out itself
                                       (["32"], "16bit/model.json")])
def test_a_run_is_not_refused_for_a_model_it_does_not_write_over(tmp_path, bits, mine):
    """Only the folders of the lengths it exports are checked: the user's model elsewhere in
    --out stays as it is (a model.json left in --out is named in a warning after the run)."""
    from trainer.cli import build_parser
    from trainer.outdir import check_not_foreign

    out = tmp_path / "models"
    (out / mine).parent.mkdir(parents=True, exist_ok=True)
    (out / mine).write_bytes(b"my own network")
    check_not_foreign(build_parser("trainer").parse_args(
        ["run", str(tmp_path / "albums"), "--out", str(out), "--bits", *bits]))
