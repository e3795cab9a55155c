"""`--progress json`: every step's stream ends with exactly one `done` or `error` line, as
docs/trainer.md says, so a reader can wait for it whatever the step."""

from __future__ import annotations

import json

import pytest
from fast_settings import FAST

from trainer.cli import main


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def ends(run: list[dict]) -> list[str]:
    return [e["event"] for e in run if e["event"] in ("done", "error")]


def test_each_step_starts_and_ends_its_stream(albums, tmp_path, capsys):
    run_dir, model = tmp_path / "run", tmp_path / "model"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "json",
                 *FAST]) == 0
    prepared = events(capsys.readouterr().out)
    assert prepared[0] == {"event": "start", "photos": 15, "labels": 3, "device": "cpu"}
    assert ends(prepared) == ["done"] and prepared[-1]["event"] == "done"
    assert prepared[-1]["manifest"] == str((run_dir / "manifest.json").resolve())

    assert main(["train", str(run_dir), "--bits", "12", "--progress", "json"]) == 0
    trained = events(capsys.readouterr().out)
    assert trained[0]["event"] == "start"
    assert ends(trained) == ["done"] and trained[-1]["event"] == "done"
    assert trained[-1]["training"] == str((run_dir / "training.json").resolve())

    assert main(["export", str(run_dir), "--bits", "12", "--out", str(model),
                 "--progress", "json"]) == 0
    exported = events(capsys.readouterr().out)
    assert ends(exported) == ["done"] and exported[-1]["event"] == "done"
    assert exported[-1]["model_dir"] == str(model.resolve())


@pytest.mark.parametrize("argv", [
    ["train", "RUN", "--bits", "abc", "--progress", "json"],
    ["prepare", "ALBUMS", "--progress", "json"],  # no --out
    ["ALBUMS", "--out", "M", "--progress=json", "--no-such-flag"],
])
def test_a_usage_error_is_one_json_error_line_with_exit_code_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    run = events(captured.out)
    assert [e["event"] for e in run] == ["error"]
    assert "--help" in run[0]["message"]
    assert "usage:" in captured.err  # argparse's own text stays on stderr


def test_a_usage_error_without_json_prints_no_json(capsys):
    with pytest.raises(SystemExit):
        main(["train", "RUN", "--bits", "abc"])
    assert capsys.readouterr().out == ""
