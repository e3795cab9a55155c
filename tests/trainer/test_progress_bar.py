"""The progress bars (`--progress bar`, the default) tell the time left of each phase."""

from __future__ import annotations

import io
import itertools
import json
import re
import time
from types import SimpleNamespace

from trainer import progress as progress_mod
from trainer.progress import Reporter


def time_left(err: str, at: str) -> int:
    """Seconds left shown by the last bar drawn at `at` ("5010/6000")."""
    drawn = [part for part in re.split(r"[\r\n]", err) if at in part][-1]
    minutes, seconds = re.search(r"<(\d+):(\d+)", drawn).groups()
    return int(minutes) * 60 + int(seconds)


def test_a_resumed_phase_tells_the_time_left_from_the_steps_made_since(capsys):
    """A run resumed at step 5000 of 6000 showed 00:00 left for all of its last 1000 steps:
    the 5000 steps made before the stop were counted as made in this bar's first second."""
    reporter = Reporter("bar")
    reporter.progress("train", 5000, 6000)
    time.sleep(0.3)
    reporter.progress("train", 5010, 6000)  # 10 steps in 0.3 s or more: 990 take 30 s or more
    reporter.done()
    assert time_left(capsys.readouterr().err, "5010/6000") >= 20


def test_a_fast_phase_is_drawn_a_few_times_a_second_not_at_every_step(capsys, monkeypatch):
    """Training makes hundreds of steps a second: a draw for each filled a log of stderr."""
    clock = (i * 0.001 for i in itertools.count())  # each step takes 1 ms
    monkeypatch.setattr(progress_mod, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    reporter = Reporter("bar")
    for step in range(1, 2001):
        reporter.progress("train", step, 2000, loss=0.5)
    reporter.done()
    drawn = [part for part in re.split(r"[\r\n]", capsys.readouterr().err) if "/2000" in part]
    assert len(drawn) < 20  # 2 s of steps: about 8 draws, not 2000
    assert "2000/2000" in drawn[-1]


def test_every_validation_map_is_drawn_however_fast_the_steps(capsys, monkeypatch):
    """The step after a validation carries no mAP: one not drawn at once was never shown."""
    clock = (i * 0.001 for i in itertools.count())  # each step takes 1 ms
    monkeypatch.setattr(progress_mod, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    reporter = Reporter("bar")
    for step in range(1, 2001):
        val = 0.5 + step / 10_000 if step % 50 == 0 else None
        reporter.progress("train", step, 2000, stage=0, bits=24, loss=0.5, val_map=val)
    reporter.done()
    shown = set(re.findall(r"val_mAP=(\d\.\d{4})", capsys.readouterr().err))
    assert shown == {f"{0.5 + step / 10_000:.4f}" for step in range(50, 2001, 50)}


def early_stop_at(reporter: Reporter, monkeypatch) -> None:
    """A phase of 600 steps that stops early at step 40 (1 s per step), then 10 steps of the
    next phase: the plan is at 610 of 1000 steps, 50 of them run, in 50 s."""
    import tqdm.std

    now = [0.0]
    monkeypatch.setattr(progress_mod, "time", SimpleNamespace(monotonic=lambda: now[0]))
    monkeypatch.setattr(tqdm.std, "time", lambda: now[0])  # the bar's own clock
    reporter.progress("train", 0, 1000, ran=0)
    for ran in range(1, 51):
        now[0] = float(ran)
        step = ran if ran <= 40 else 560 + ran  # the 560 skipped steps count as done
        reporter.progress("train", step, 1000, loss=0.5, ran=ran)


def test_the_time_left_after_a_phase_stopped_early_comes_from_the_steps_run(monkeypatch):
    """Skipped steps counted as run made the rate 12x too fast: 390 steps at 1 s each were
    said to take about 32 s."""
    stream = io.StringIO()
    early_stop_at(Reporter("json", stream, min_interval=0), monkeypatch)
    last = json.loads(stream.getvalue().splitlines()[-1])
    assert (last["step"], last["eta_s"]) == (610, 390.0)


def test_the_bar_after_a_phase_stopped_early_tells_the_time_from_the_steps_run(capsys,
                                                                              monkeypatch):
    reporter = Reporter("bar", min_interval=0)
    early_stop_at(reporter, monkeypatch)
    reporter.done()
    assert time_left(capsys.readouterr().err, "610/1000") == 390
