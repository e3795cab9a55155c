"""Losses and retrieval metrics against cases worked out by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from trainer.evaluate import evaluate_codes
from trainer.losses import (
    Mix,
    classification,
    hashing_loss,
    mixed_similarity,
    pairwise_likelihood,
    quantization,
    similarity,
)
from trainer.metrics import (
    bit_importance,
    code_health,
    importance_spread,
    mean_average_precision,
    pr_curve,
    precision_at_k,
    tie_aware_map,
    tie_aware_precision_at_k,
)


def test_similarity_from_multi_hot_labels():
    y = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    assert similarity(y).tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 1]]


def test_pairwise_likelihood_by_hand():
    u = torch.tensor([[1.0, 1.0], [1.0, -1.0]])
    S = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # Theta = 0.5 * u u^T = [[1, 0], [0, 1]]; terms: softplus(1) - 1, log 2, log 2, softplus(1) - 1
    sp1 = math.log(1 + math.e)
    expected = (2 * (sp1 - 1) + 2 * math.log(2)) / 4
    assert float(pairwise_likelihood(u, S, alpha=1.0)) == pytest.approx(expected, rel=1e-6)
    # alpha doubles Theta
    expected2 = (2 * (math.log(1 + math.e ** 2) - 2) + 2 * math.log(2)) / 4
    assert float(pairwise_likelihood(u, S, alpha=2.0)) == pytest.approx(expected2, rel=1e-6)


def test_pairwise_likelihood_is_stable_for_large_theta():
    u = torch.ones(2, 400)
    S = torch.ones(2, 2)
    assert torch.isfinite(pairwise_likelihood(u, S)) and float(pairwise_likelihood(u, S)) < 1e-6


def test_quantization_by_hand():
    u = torch.tensor([[0.5, -0.25, 0.0, 1.0]])
    # targets +1, -1, +1 (sign(0) = +1), +1 -> errors 0.25, 0.5625, 1, 0
    assert float(quantization(u)) == pytest.approx((0.25 + 0.5625 + 1 + 0) / 4)


def test_hashing_loss_prefers_label_consistent_codes():
    y = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    good = torch.tensor([[3.0, 3.0], [3.0, 3.0], [-3.0, -3.0]])
    bad = torch.tensor([[3.0, 3.0], [-3.0, -3.0], [3.0, 3.0]])
    assert hashing_loss(good, y)[0] < hashing_loss(bad, y)[0]


def test_classification_by_hand_with_multi_hot_labels():
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])
    y = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    # row 0: -log(1/2); row 1: targets (1/2, 1/2) on probabilities (3/4, 1/4)
    expected = (math.log(2) + 0.5 * (-math.log(0.75) - math.log(0.25))) / 2
    assert float(classification(logits, y)) == pytest.approx(expected, rel=1e-6)


def test_hashing_loss_adds_the_weighted_classification_term():
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    z = torch.tensor([[2.0, -1.0], [-1.0, 2.0]])
    logits = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    base, _ = hashing_loss(z, y)
    with_cls, parts = hashing_loss(z, y, logits=logits, cls_weight=0.5)
    assert float(with_cls - base) == pytest.approx(0.5 * float(classification(logits, y)))
    assert parts["cls"] == pytest.approx(float(classification(logits, y)))
    assert float(hashing_loss(z, y, logits=logits, cls_weight=0.0)[0]) == float(base)


def test_mixed_targets_by_hand():
    # photos 0, 1 of label a, photo 2 of label b; each blended with the next (0<-1, 1<-2, 2<-0)
    y = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    mix = Mix(torch.tensor([1, 2, 0]), 0.75)
    # each blend is a label distribution: 0 = (1, 0), 1 = (3/4, 1/4), 2 = (1/4, 3/4); S_ij is
    # the chance that a draw from i and one from j share a label
    t = torch.tensor([[1.0, 0.0], [0.75, 0.25], [0.25, 0.75]])
    assert torch.allclose(mixed_similarity(similarity(y), mix), t @ t.T)
    logits = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0], [0.0, 0.0]])
    # row 0: target (1, 0) on probabilities (1/4, 3/4); rows 1, 2: anything on (1/2, 1/2)
    expected = (-math.log(0.25) + 2 * math.log(2)) / 3
    assert float(classification(logits, y, mix)) == pytest.approx(expected, rel=1e-6)
    # lam = 1 is no blend at all
    whole = Mix(torch.tensor([1, 2, 0]), 1.0)
    z = torch.tensor([[2.0, -1.0], [1.0, 1.0], [-1.0, 2.0]])
    assert torch.equal(mixed_similarity(similarity(y), whole), similarity(y))
    assert float(hashing_loss(z, y, logits=logits, cls_weight=1, mix=whole)[0]) == \
        pytest.approx(float(hashing_loss(z, y, logits=logits, cls_weight=1)[0]))


def test_mixed_targets_with_a_weight_per_photo_by_hand():
    # as above, but photo 0 keeps all of itself, 1 keeps 3/4, 2 keeps 1/2
    y = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    mix = Mix(torch.tensor([1, 2, 0]), torch.tensor([1.0, 0.75, 0.5]))
    t = torch.tensor([[1.0, 0.0], [0.75, 0.25], [0.5, 0.5]])  # label distributions of the blends
    assert torch.allclose(mixed_similarity(similarity(y), mix), t @ t.T)
    logits = torch.tensor([[0.0, 0.0], [0.0, math.log(3.0)], [0.0, 0.0]])
    # row 1: target (3/4, 1/4) on (1/4, 3/4); rows 0 and 2 on (1/2, 1/2)
    expected = (2 * math.log(2) - 0.75 * math.log(0.25) - 0.25 * math.log(0.75)) / 3
    assert float(classification(logits, y, mix)) == pytest.approx(expected, rel=1e-6)
    # one weight for all photos, given per photo, is the batch-wide blend
    same = Mix(torch.tensor([1, 2, 0]), torch.full((3,), 0.75))
    assert torch.allclose(mixed_similarity(similarity(y), same),
                          mixed_similarity(similarity(y), Mix(torch.tensor([1, 2, 0]), 0.75)))


def test_mixed_similarity_of_multi_hot_labels_is_the_expected_similarity():
    # photo 1 holds labels a and b: blended with photo 2 (label b) it shares b whatever is drawn
    y = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    mix = Mix(torch.tensor([0, 2, 1]), 0.5)
    S = mixed_similarity(similarity(y), mix)
    assert float(S[1, 2]) == 1.0  # 1 = {ab, b} and 2 = {b, ab}: every pair of draws shares b
    assert float(S[0, 2]) == pytest.approx(0.5)  # a against {b, ab}: half the draws share
    assert float(S[0, 0]) == 1.0


def test_map_by_hand_with_ties_in_database_order():
    q = np.array([[0, 0]], bool)
    db = np.array([[1, 1], [0, 0], [0, 1], [0, 0]], bool)  # distances 2, 0, 1, 0
    ql, dl = np.array([0]), np.array([0, 1, 0, 0])
    # ranking (stable on distance): db1 (d0, irrelevant), db3 (d0, rel), db2 (d1, rel), db0 (rel)
    # precisions at relevant ranks 2, 3, 4: 1/2, 2/3, 3/4
    assert mean_average_precision(q, ql, db, dl) == pytest.approx((1 / 2 + 2 / 3 + 3 / 4) / 3)
    # mAP@2: only rank 2 is relevant in the top 2 -> (1/2) / 1
    assert mean_average_precision(q, ql, db, dl, k=2) == pytest.approx(0.5)
    assert precision_at_k(q, ql, db, dl, ks=(1, 2, 4)) == pytest.approx({1: 0, 2: .5, 4: .75})



def test_tie_aware_map_by_hand():
    # the case above: distance 0 ties db1 (irrelevant) and db3 (relevant); both orders equally
    # likely: relevant first -> 1/1 + 2/3 + 3/4, second -> 1/2 + 2/3 + 3/4
    q = np.array([[0, 0]], bool)
    db = np.array([[1, 1], [0, 0], [0, 1], [0, 0]], bool)
    ql, dl = np.array([0]), np.array([0, 1, 0, 0])
    expected = ((1 + 2 / 3 + 3 / 4) + (1 / 2 + 2 / 3 + 3 / 4)) / 2 / 3
    assert tie_aware_map(q, ql, db, dl) == pytest.approx(expected)


def test_evaluation_report_gives_both_maps():
    q = np.array([[0, 0]], bool)
    db = np.array([[1, 1], [0, 0], [0, 1], [0, 0]], bool)
    ql, dl = np.array([0]), np.array([0, 1, 0, 0])
    report = evaluate_codes(q, ql, db, dl, importance=False)
    assert report["map_all"] == pytest.approx((1 / 2 + 2 / 3 + 3 / 4) / 3)
    assert report["map_all_tie_aware"] == pytest.approx(tie_aware_map(q, ql, db, dl))


def _codes_with_ties(seed: int):
    """Random codes and labels of 3 queries and 7 database items: q, ql, db, dl."""
    rng = np.random.default_rng(seed)
    q = rng.random((3, 3)) > 0.5
    db = rng.random((7, 3)) > 0.5  # 3 bits, 7 items: ties in most distances
    ql = np.eye(3, dtype=int)[rng.integers(0, 3, 3)]
    dl = np.eye(3, dtype=int)[rng.integers(0, 3, 7)]
    dl[0] = [1, 1, 0]  # one item with two labels
    return q, ql, db, dl


def _mean_map_over_tie_orders(q, ql, db, dl):
    """The definition: mAP with ties broken by database order, averaged over every order."""
    return float(np.mean([mean_average_precision(q, ql, db[list(p)], dl[list(p)])
                          for p in itertools.permutations(range(len(db)))]))


@pytest.mark.parametrize("seed", range(4))
def test_tie_aware_map_is_the_mean_over_every_database_order(seed):
    q, ql, db, dl = _codes_with_ties(seed)
    assert tie_aware_map(q, ql, db, dl) == pytest.approx(_mean_map_over_tie_orders(q, ql, db, dl))


def test_tie_aware_precision_by_hand():
    # the case above: db1 (irrelevant) and db3 (relevant) tie at distance 0; database order
    # puts db1 first (precision@1 0), either order is as likely (0.5)
    q = np.array([[0, 0]], bool)
    db = np.array([[1, 1], [0, 0], [0, 1], [0, 0]], bool)
    ql, dl = np.array([0]), np.array([0, 1, 0, 0])
    assert tie_aware_precision_at_k(q, ql, db, dl, ks=(1, 2, 3, 4, 10)) == pytest.approx(
        {1: .5, 2: .5, 3: 2 / 3, 4: .75, 10: .75})
    report = evaluate_codes(q, ql, db, dl, ks=(1, 2), importance=False)
    assert report["precision_at_k"] == pytest.approx({"1": 0, "2": .5})
    assert report["precision_at_k_tie_aware"] == pytest.approx({"1": .5, "2": .5})


@pytest.mark.parametrize("seed", range(4))
def test_tie_aware_precision_is_the_mean_over_every_database_order(seed):
    q, ql, db, dl = _codes_with_ties(seed)
    ks = (1, 2, 3, 5, 7)
    orders = [list(p) for p in itertools.permutations(range(len(db)))]
    mean = {k: float(np.mean([precision_at_k(q, ql, db[p], dl[p], ks)[k] for p in orders]))
            for k in ks}
    assert tie_aware_precision_at_k(q, ql, db, dl, ks) == pytest.approx(mean)


def test_ties_in_database_order_favour_a_code_that_tells_nothing_apart():
    """The albums' photos are listed album by album: a model that gives every photo the same
    code (all ties) got every match right for the first album's query in database order, and a
    mAP@all well above that of any order; order-free, each query gets the same numbers."""
    labels = np.repeat(np.arange(3), 10)  # three albums of 10, in a row
    codes = np.zeros((30, 12), bool)
    per_query = [evaluate_codes(codes[q:q + 1], labels[q:q + 1], codes, labels, ks=(10,),
                                importance=False) for q in (0, 10, 20)]
    assert [r["precision_at_k"]["10"] for r in per_query] == [1, 0, 0]
    assert per_query[0]["map_all"] == 1 and per_query[2]["map_all"] < 0.25
    assert [r["map_all_tie_aware"] for r in per_query] == pytest.approx([0.4022] * 3, abs=1e-4)
    assert [r["precision_at_k_tie_aware"]["10"] for r in per_query] == pytest.approx([1 / 3] * 3)
    q = np.array([0, 10, 20])
    report = evaluate_codes(codes[q], labels[q], codes, labels, importance=False)
    assert report["map_all"] > report["map_all_tie_aware"] + 0.1


def test_tie_aware_map_equals_map_without_ties():
    rng = np.random.default_rng(0)
    db = np.unique(rng.random((60, 8)) > 0.5, axis=0)
    q = np.zeros((1, 8), bool)
    db = db[np.argsort((db != q).sum(1), kind="stable")]
    keep = np.concatenate([[True], np.diff((db != q).sum(1)) > 0])  # one item per distance
    db = db[keep]
    dl = rng.integers(0, 2, len(db))
    dl[0] = 1
    assert len(db) > 3
    assert tie_aware_map(q, [1], db, dl) == pytest.approx(mean_average_precision(q, [1], db, dl))


def test_map_multi_hot_labels_and_no_relevant():
    q = np.array([[1, 0], [0, 1]], bool)
    db = np.array([[1, 0], [0, 1]], bool)
    ql = np.array([[1, 1, 0], [0, 0, 1]])
    dl = np.array([[0, 1, 0], [1, 0, 0]])
    # query 0 shares a label with both items: AP 1; query 1 with none: AP 0
    assert mean_average_precision(q, ql, db, dl) == pytest.approx(0.5)


def test_map_exclude_self():
    codes = np.array([[0, 0], [0, 0], [1, 1]], bool)
    labels = np.array([0, 0, 1])
    assert mean_average_precision(codes, labels, codes, labels, exclude_self=True) == \
        pytest.approx((1 + 1 + 0) / 3)


def test_pr_curve_by_hand():
    q = np.array([[0, 0]], bool)
    db = np.array([[0, 0], [0, 1], [1, 1]], bool)
    pr = pr_curve(q, np.array([0]), db, np.array([0, 1, 0]))
    assert pr["precision"] == pytest.approx([1.0, 0.5, 2 / 3])
    assert pr["recall"] == pytest.approx([0.5, 0.5, 1.0])


def test_bit_importance_finds_the_useful_bit():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 100)
    codes = np.stack([labels == 1, rng.random(100) > 0.5, rng.random(100) > 0.5], axis=1)
    imp = bit_importance(codes, labels, codes, labels)
    assert imp.argmax() == 0 and imp[0] > 0.2
    assert importance_spread(np.array([1.0, 1.0, 1.0])) == 0.0
    assert importance_spread(np.array([0.0, 0.0])) is None


def test_code_health_reports_collapse():
    collapsed = np.ones((50, 8), bool)
    h = code_health(collapsed)
    assert h["distinct_codes"] == 1 and h["max_bit_imbalance"] == 1.0
    assert h["mean_bit_entropy"] == 0.0
