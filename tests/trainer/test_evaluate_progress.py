"""`evaluate` reports its progress like every long step: the bit importance alone is one mAP per
bit, minutes for tens of thousands of photos, so each bit is a step of the `evaluate` phase, with
the time left; Ctrl-C stops it with a message saying what is kept."""

from __future__ import annotations

import io
import json

import pytest
from fast_settings import FAST

from trainer import pipeline
from trainer.cli import main
from trainer.config import resolve
from trainer.errors import Stopped
from trainer.progress import Reporter


@pytest.fixture
def trained(albums, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none",
                 *FAST]) == 0
    assert main(["train", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    capsys.readouterr()
    return run_dir


def test_evaluate_reports_each_bit_of_the_importance_as_json_progress(trained):
    stream = io.StringIO()
    reporter = Reporter("json", stream, min_interval=0)  # every step, not 4 a second
    cfg = resolve(trained / "config.toml")
    pipeline.run_evaluate(trained, cfg, 12, reporter, plots=False)
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    evaluating = [e for e in events if e["phase"] == "evaluate"]
    assert {e["bits"] for e in evaluating} == {12}
    steps = [e["step"] for e in evaluating]
    total = evaluating[0]["steps"]
    assert steps[0] == 0 and steps[-1] == total and steps == sorted(steps)
    # one step per bit after the other measures, 2 each: as long as a ranking
    assert steps[-13:] == [total - 24 + 2 * m for m in range(13)]
    assert all("eta_s" in e for e in evaluating)


def test_the_evaluate_command_streams_its_progress_and_ends_with_done(trained, capsys):
    assert main(["evaluate", str(trained), "--bits", "12", "--progress", "json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    phases = [e.get("phase") for e in events if e["event"] == "progress"]
    assert "evaluate" in phases
    last = [e for e in events if e.get("phase") == "evaluate"][-1]
    assert last["step"] == last["steps"] > 24 and last["bits"] == 12
    assert events[-1]["event"] == "done"


def test_evaluation_stops_at_the_stop_flag_and_says_the_training_is_kept(trained):
    calls = []

    def stop_at_the_third_bit() -> bool:
        calls.append(1)
        return len(calls) > 10

    cfg = resolve(trained / "config.toml")
    with pytest.raises(Stopped) as info:
        pipeline.run_evaluate(trained, cfg, 12, Reporter("none"), plots=False,
                              should_stop=stop_at_the_third_bit)
    assert str(info.value) == ("stopped while evaluating the 12-bit model, whose training is "
                               "finished and kept: run the same command again to go on from "
                               "there")
    assert not (trained / "evaluation-12.json").exists()
