"""How long a run would take, read at every scale: `trainer estimate` said "1.5 h to 2.5 h" for
long runs, where the app's progress says "1 h 40 min". No torch: the words alone."""

from __future__ import annotations

import pytest

from trainer.estimate import estimate_words
from trainer.wording import duration, duration_range


@pytest.mark.parametrize(("seconds", "said"), [
    (0, "0 s"), (0.3, "1 s"), (45, "45 s"), (59.4, "59 s"),
    (59.6, "1 min"), (89, "1 min"), (91, "2 min"), (12 * 60, "12 min"), (3569, "59 min"),
    (3570, "1 h"), (3600, "1 h"), (6000, "1 h 40 min"), (9000, "2 h 30 min"),
    (7200 + 65, "2 h 1 min"), (23 * 3600 + 59 * 60, "23 h 59 min"),
    (86399, "1 day"), (86400 + 3 * 3600, "1 day 3 h"), (3 * 86400, "3 days"),
    (2 * 86400 + 23.6 * 3600, "3 days"),
])
def test_a_duration_reads_in_the_units_of_its_scale(seconds, said):
    assert duration(seconds) == said


@pytest.mark.parametrize(("low", "typical", "high", "said"), [
    (20, 25, 30, "20 s to 30 s"),
    (240, 300, 420, "4 min to 7 min"),
    (6000, 7000, 9000, "1 h 40 min to 2 h 30 min"),
    (3000, 4000, 5400, "50 min to 1 h 30 min"),
    (300, 301, 305, "about 5 min"),  # both ends read the same: the typical figure
    (20 * 3600, 30 * 3600, 50 * 3600, "20 h to 2 days 2 h"),
])
def test_a_range_reads_well_at_every_scale(low, typical, high, said):
    assert duration_range(low, typical, high) == said


def test_the_estimate_sentence_says_hours_and_minutes():
    found = {"low_s": 6000, "seconds": 7000, "high_s": 9000, "read_s": 600,
             "features_s": 5400, "train_s": 1000, "device": "cpu", "mode": "frozen",
             "photos": 20000, "not_covered": "evaluating", "probe_s": 9.1}
    assert estimate_words(found).startswith(
        "1 h 40 min to 2 h 30 min on cpu (frozen backbone, 20000 photos): reading the photos "
        "10 min, features 1 h 30 min, training 17 min;")
