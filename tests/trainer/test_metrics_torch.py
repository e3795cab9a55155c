"""The torch metrics (used when training on CUDA) give the numpy metrics' numbers: by hand, and on
random codes with int and multi-hot labels, with and without the validation split's self-exclusion.
Run on the CPU here; the code is device-agnostic."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.metrics import bit_importance, mean_average_precision
from trainer.metrics_torch import bit_importance_torch, mean_average_precision_torch


def test_map_by_hand_with_ties_in_database_order():
    q = np.array([[0, 0]], bool)
    db = np.array([[1, 1], [0, 0], [0, 1], [0, 0]], bool)  # distances 2, 0, 1, 0
    ql, dl = np.array([0]), np.array([0, 1, 0, 0])
    # stable ranking: db1 (irrelevant), db3, db2, db0: precisions 1/2, 2/3, 3/4
    assert mean_average_precision_torch(q, ql, db, dl) == pytest.approx((1 / 2 + 2 / 3 + 3 / 4) / 3)


def _clustered_codes(n: int, bits: int, seed: int, multi_hot: bool):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, n)
    centres = rng.normal(size=(5, bits))
    codes = (centres[labels] + rng.normal(size=(n, bits)) * 1.2) > 0
    if multi_hot:
        onehot = np.eye(5, dtype=np.int64)[labels]
        extra = np.eye(5, dtype=np.int64)[rng.integers(0, 5, n)] * (rng.random(n) < 0.3)[:, None]
        return codes, np.maximum(onehot, extra)
    return codes, labels


@pytest.mark.parametrize("multi_hot", [False, True])
@pytest.mark.parametrize("exclude_self", [False, True])
def test_map_agrees_with_numpy(multi_hot, exclude_self):
    codes, labels = _clustered_codes(300, 24, seed=1, multi_hot=multi_hot)
    q, ql = codes[:80], labels[:80]
    expected = mean_average_precision(q, ql, codes, labels, exclude_self=exclude_self)
    got = mean_average_precision_torch(q, ql, codes, labels, exclude_self=exclude_self, chunk=32)
    assert 0.2 < expected < 1.0  # a ranking with ties and mistakes, not a trivial one
    assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("multi_hot", [False, True])
def test_bit_importance_agrees_with_numpy(multi_hot):
    codes, labels = _clustered_codes(200, 12, seed=2, multi_hot=multi_hot)
    q, ql = codes[:60], labels[:60]
    expected = bit_importance(q, ql, codes, labels, exclude_self=True)
    got = bit_importance_torch(q, ql, codes, labels, exclude_self=True, chunk=25)
    assert np.abs(expected).max() > 1e-3  # some bits matter
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_real_valued_outputs_are_thresholded_at_zero():
    rng = np.random.default_rng(3)
    outputs = rng.normal(size=(50, 16))
    labels = rng.integers(0, 3, 50)
    assert mean_average_precision_torch(outputs, labels, outputs, labels) == pytest.approx(
        mean_average_precision(outputs > 0, labels, outputs > 0, labels), abs=1e-12)
