"""Feature extraction begins with seconds of loading the backbone and building its ONNX graph
(about 13 s for Lite0 on a laptop) during which nothing was reported: a `progress` event with
step 0 and `doing` says so at once, without counting those seconds in the time left."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

from fast_settings import FAST

from trainer import progress as progress_mod
from trainer.cli import main
from trainer.progress import Reporter


def test_loading_is_said_at_once_and_the_time_left_counts_from_the_first_step(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress_mod, "time", SimpleNamespace(monotonic=lambda: now[0]))
    stream = io.StringIO()
    reporter = Reporter("json", stream, min_interval=1)
    reporter.progress("features", 0, 16, doing="loading the backbone")
    now[0] = 13.0  # loaded; the first batch of 4 photos is done
    reporter.progress("features", 4, 16)
    now[0] = 15.0  # 4 more in 2 s: 8 left take 4 s
    reporter.progress("features", 8, 16)
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert events[0] == {"event": "progress", "phase": "features", "stage": None, "bits": None,
                         "step": 0, "steps": 16, "loss": None, "val_map": None, "eta_s": None,
                         "doing": "loading the backbone"}
    assert events[-1]["step"] == 8 and events[-1]["eta_s"] == 4.0
    assert "doing" not in events[-1]


def test_training_says_it_loads_the_backbone_before_the_first_features(albums, tmp_path,
                                                                      capsys):
    run_dir = tmp_path / "run"
    assert main(["prepare", str(albums), "--out", str(run_dir), "--progress", "none",
                 *FAST]) == 0
    capsys.readouterr()
    assert main(["train", str(run_dir), "--bits", "12", "--progress", "json"]) == 0
    run = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    features = [e for e in run if e.get("phase") == "features"]
    assert features[0]["doing"] == "loading the backbone" and features[0]["step"] == 0
    assert features[0]["steps"] == features[-1]["steps"] == 15
    assert run.index(features[0]) == 1  # right after `start`
