"""`trainer estimate`: a short probe measures on this computer how long `run` would take, sent
as an `estimate` event (the retrain dialog gave no idea before Start whether a run takes minutes
or hours). No timing is asserted: only that the parts are there, add up and count the run's
photos, and that a run that would resume reads nothing again."""

from __future__ import annotations

import json

import pytest
from fast_settings import FAST

from trainer.cli import main
from trainer.estimate_plan import Span, StepCosts, plan_seconds, plan_steps
from trainer.training import HeadConfig

PARTS = ("read_s", "features_s", "train_s")


def estimate(capsys, *args: str) -> dict:
    assert main(["estimate", *args, "--bits", "12", "--progress", "json", *FAST]) == 0
    sent = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert sent[-1] == {"event": "done"}
    (found,) = [e for e in sent if e["event"] == "estimate"]
    return found


def test_the_estimate_event_adds_up_and_counts_the_photos(albums, tmp_path, capsys):
    found = estimate(capsys, str(albums), "--read-seconds", "2.5")
    assert found["photos"] == 15 and found["labels"] == 3 and found["cached_photos"] == 0
    assert found["read_s"] == 2.5  # the look inside's time, as given
    assert all(found[p] > 0 for p in ("features_s", "train_s", "per_photo_s", "per_step_s"))
    assert found["seconds"] == pytest.approx(sum(found[p] for p in PARTS), abs=0.05)
    assert found["low_s"] <= found["seconds"] <= found["high_s"]
    assert found["probe_photos"] == 12 and found["probe_s"] > 0
    assert (found["mode"], found["device"], found["resumes"]) == ("frozen", "cpu", False)
    assert found["covers"] == "reading the photos, features, training"
    assert found["steps"] == 20 + 2 * (8 + 16)  # the FAST plan: long code, then 16 and 12 bits


def test_without_the_look_inside_time_the_probe_reading_is_scaled(albums, capsys):
    assert estimate(capsys, str(albums))["read_s"] >= 0


def test_a_run_that_would_resume_reads_nothing_and_has_its_features(albums, tmp_path,
                                                                   capsys, monkeypatch):
    monkeypatch.setenv("LOOKALIKE_HOME", str(tmp_path / "home"))
    out = tmp_path / "model"
    # A finished run: its checkpoint and cached features are what a run again would reuse.
    assert main(["run", str(albums), "--out", str(out), "--bits", "12", "--progress", "none",
                 *FAST]) == 0
    capsys.readouterr()
    found = estimate(capsys, str(albums), "--out", str(out), "--read-seconds", "9")
    assert found["resumes"] is True and found["read_s"] == 0
    assert found["cached_photos"] == found["photos"] == 15
    assert found["steps_done"] == found["steps"] and found["train_s"] == 0
    assert found["seconds"] == pytest.approx(sum(found[p] for p in PARTS), abs=0.05)


def test_the_plan_counts_early_stops_in_its_low_end_and_a_checkpoint_as_done():
    cfg = HeadConfig(long_bits=24, stages=(16,), long_steps=100, active_steps=10,
                     merge_rounds=2, frozen_steps=100, eval_every=10, patience=1)
    one = Span.exactly(1.0)
    costs = StepCosts(one, Span.exactly(0.0), Span.exactly(0.0))
    assert plan_steps(cfg) == 210
    whole = plan_seconds(cfg, costs)
    assert (whole.mid, whole.high) == (210, 210)
    assert whole.low == 20 + 10 + 20  # each frozen phase stops after patience + 1 checks
    assert plan_seconds(cfg, costs, steps_done=200).mid == 10
    assert plan_seconds(cfg, costs, steps_done=210).mid == 0


def test_fine_tuning_is_estimated_with_its_own_steps(albums, capsys):
    found = estimate(capsys, str(albums), "--mode", "finetune", "--device", "cpu")
    assert found["mode"] == "finetune"
    assert all(found[p] > 0 for p in ("features_s", "train_s", "per_photo_s", "per_step_s"))
    assert found["seconds"] == pytest.approx(sum(found[p] for p in PARTS), abs=0.05)
    assert found["low_s"] <= found["seconds"] <= found["high_s"]


def test_unreadable_photos_first_in_every_album_leave_the_readable_ones_to_measure(
        albums, capsys):
    # Each album's first four files (in the order the probe picks them) cannot be read: the
    # probe takes the readable ones after them, not "no photo of these albums could be read".
    for album in albums.iterdir():
        for k in range(4):
            (album / f"0000-broken-{k}.jpg").write_bytes(b"not a photo")
    found = estimate(capsys, str(albums))
    assert found["probe_photos"] == 12 and found["photos"] == 27


def test_the_typical_figure_stays_inside_the_span_whatever_the_rounding():
    from trainer.estimate import adds_up
    from trainer.estimate_plan import Span

    # Parts of 2.5 + 0.14 + 0.14 s, each exact: 2.78 s rounds to 2.8, the rounded parts add up
    # to 2.7, below the low end; 2.45 + 0.16 + 0.16 = 2.77 -> 2.8, parts 2.5 + 0.2 + 0.2 = 2.9.
    for read, part in ((2.5, 0.14), (2.45, 0.16), (1.04, 0.05)):
        total = Span.exactly(read) + Span.exactly(part) + Span.exactly(part)
        event = adds_up({**total.rounded(), "read_s": round(read, 1),
                         "features_s": round(part, 1), "train_s": round(part, 1)})
        assert event["low_s"] <= event["seconds"] <= event["high_s"], event
