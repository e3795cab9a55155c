"""Paired comparison of two methods run on the same seeds: is B ahead of A beyond seed noise?

Each seed gives one (A, B) pair trained on the same splits with the same seed, so the per-seed
difference B - A cancels what the seed does to both. With 3-10 seeds a normal approximation is
shaky, so the test is exact: under "no difference" every difference is as likely to have either
sign, and the p-value counts the sign patterns whose mean is at least as far from 0 as the one
measured. The interval is a seeded percentile bootstrap of the mean difference.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np


def sign_flip_p(diffs: Sequence[float]) -> float:
    """Two-sided p-value of the mean difference under random signs (exact up to 16 pairs)."""
    d = np.asarray(diffs, dtype=np.float64)
    if len(d) == 0:
        raise ValueError("no pairs to compare")
    observed = abs(d.mean())
    if len(d) <= 16:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(d))))
    else:  # 2^n patterns is too many: a seeded sample of them
        signs = np.random.default_rng(0).choice((1.0, -1.0), size=(65536, len(d)))
    means = np.abs(signs @ d) / len(d)
    # a tolerance so that float rounding of equal means does not decide the count
    return float(np.mean(means >= observed - 1e-12))


def bootstrap_ci(diffs: Sequence[float], level: float = 0.95, resamples: int = 10000,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean difference."""
    d = np.asarray(diffs, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(resamples, len(d)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return float(lo), float(hi)


def paired_comparison(a: Sequence[float], b: Sequence[float]) -> dict:
    """B - A per seed: mean, 95% bootstrap interval, how many seeds B is ahead, exact p."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("A and B need one score each per seed, the same seeds")
    d = b - a
    lo, hi = bootstrap_ci(d)
    return {"n": len(d), "mean": float(d.mean()), "ci95": [lo, hi],
            "b_ahead": int((d > 0).sum()), "p": sign_flip_p(d)}


def describe(c: dict) -> str:
    """One table cell: '+0.0012 [-0.0030, +0.0051], 6 of 10, p 0.45'."""
    lo, hi = c["ci95"]
    return (f"{c['mean']:+.4f} [{lo:+.4f}, {hi:+.4f}], {c['b_ahead']} of {c['n']}, "
            f"p {c['p']:.3g}")
