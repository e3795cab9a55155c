"""An evaluation goes into a model card only with the heads it measured: training again in the
same run folder and stopping before the evaluation (or skipping it) left the previous heads'
evaluation-<bits>.json, whose numbers a later `export` put in the new model's card."""

from __future__ import annotations

import json

from fast_settings import FAST

from desktop_app.core.model_card import read_card
from trainer.cli import main


def test_export_leaves_out_an_evaluation_of_heads_trained_before(albums, tmp_path, caplog):
    out = tmp_path / "model"
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "none",
                 *FAST]) == 0
    run_dir = out / "training"
    old = json.loads((run_dir / "evaluation-12.json").read_text())
    assert read_card(out).evaluation["map_all"] == round(old["map_all"], 4)
    # Trained again with other settings (new heads), with no evaluation after it.
    assert main(["train", str(run_dir), "--bits", "12", "--set", "head.long_steps=28",
                 "--progress", "none"]) == 0
    assert (run_dir / "evaluation-12.json").is_file()  # the old heads' numbers are still there
    again = tmp_path / "again"
    assert main(["export", str(run_dir), "--bits", "12", "--out", str(again),
                 "--progress", "none"]) == 0
    assert read_card(again).evaluation == {}
    assert (f"{run_dir / 'evaluation-12.json'}: this evaluation is not of the 12-bit head now "
            "in" in caplog.text)
    # Evaluated now: the export takes the new heads' numbers.
    assert main(["evaluate", str(run_dir), "--bits", "12", "--progress", "none"]) == 0
    new = json.loads((run_dir / "evaluation-12.json").read_text())
    assert main(["export", str(run_dir), "--bits", "12", "--out", str(again),
                 "--progress", "none"]) == 0
    assert read_card(again).evaluation["map_all"] == round(new["map_all"], 4)
