"""bench/paired.py: the paired seed comparison behind the A / B ablation tables."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from paired import bootstrap_ci, describe, paired_comparison, sign_flip_p


def test_sign_flip_p_counts_sign_patterns_by_hand():
    # [1, 2, 3]: of 8 sign patterns only all-plus and all-minus reach |mean| 2
    assert sign_flip_p([1, 2, 3]) == pytest.approx(2 / 8)
    # [3, 1]: means 2, 1, -1, -2 -> two of four reach 2
    assert sign_flip_p([3, 1]) == pytest.approx(2 / 4)
    # a zero mean is matched by every pattern
    assert sign_flip_p([1, -1]) == pytest.approx(1.0)
    # ten seeds all the same way: 2 of 1024
    assert sign_flip_p([0.01] * 10) == pytest.approx(2 / 1024)


def test_sign_flip_p_samples_patterns_for_many_pairs():
    p = sign_flip_p(np.linspace(0.5, 1.5, 20))  # all positive: exact p is 2 / 2^20
    assert p < 0.001


def test_bootstrap_interval_brackets_the_mean_within_the_data():
    d = np.array([-0.004, 0.001, 0.003, 0.006, 0.002])
    lo, hi = bootstrap_ci(d)
    assert d.min() <= lo < d.mean() < hi <= d.max()
    assert bootstrap_ci(d) == (lo, hi)  # seeded: the report does not move between rewrites
    assert bootstrap_ci([0.02, 0.02, 0.02]) == pytest.approx((0.02, 0.02))


def test_paired_comparison_is_b_minus_a_per_seed():
    c = paired_comparison([0.5, 0.6, 0.7], [0.6, 0.7, 0.8])
    assert c["n"] == 3 and c["b_ahead"] == 3
    assert c["mean"] == pytest.approx(0.1) and c["ci95"] == pytest.approx([0.1, 0.1])
    assert c["p"] == pytest.approx(0.25)
    behind = paired_comparison([0.8, 0.8], [0.7, 0.9])
    assert behind["b_ahead"] == 1 and behind["mean"] == pytest.approx(0.0)
    assert describe(c) == "+0.1000 [+0.1000, +0.1000], 3 of 3, p 0.25"


def test_paired_comparison_refuses_unpaired_scores():
    with pytest.raises(ValueError, match="same seeds"):
        paired_comparison([0.5, 0.6], [0.5])
    with pytest.raises(ValueError, match="no pairs"):
        sign_flip_p([])
