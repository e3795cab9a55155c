"""The progress bars (`--progress bar`, the default) tell the time left of each phase."""

from __future__ import annotations

import re
import time

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
