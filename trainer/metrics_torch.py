"""mAP@all and bit importance of trainer.metrics, computed with torch on the training device.

The same numbers as the numpy functions (Hamming ranking, ties in database order, the same
relevance and exclude_self rules); tests compare them. Why: bit importance is one mAP per bit,
about 1,300 mAPs over an NMLayer chain from 128 bits, which is minutes of single-threaded numpy
on the host (~0.23 s per mAP of 1,000 x 3,000 here), while on an H200 a whole importance pass
at 128 bits (129 mAPs) took 0.19-0.22 s (bench/results/cifar-finetune-h200.md). The trainer uses
this module only when it trains on CUDA; the app never imports it.
"""

from __future__ import annotations

import numpy as np
import torch


def _relevance(query_labels: torch.Tensor, db_labels: torch.Tensor) -> torch.Tensor:
    """[Q, N] bool, as trainer.metrics.relevance: int ids compare, multi-hot share a label."""
    if query_labels.ndim == 2 and bool((query_labels.sum(1) == 1).all()) \
            and bool((db_labels.sum(1) == 1).all()):
        query_labels, db_labels = query_labels.argmax(1), db_labels.argmax(1)
    if query_labels.ndim == 1:
        return query_labels[:, None] == db_labels[None, :]
    return (query_labels.double() @ db_labels.double().T) > 0


def _hamming(query_bits: torch.Tensor, db_bits: torch.Tensor) -> torch.Tensor:
    """[Q, N] distances from {0,1} float64 codes; float64 keeps the matrix product exact (and
    out of TF32, which would round it)."""
    return query_bits @ (1 - db_bits).T + (1 - query_bits) @ db_bits.T


def _average_precisions(dist: torch.Tensor, rel: torch.Tensor) -> torch.Tensor:
    """AP over the ranking by `dist` (stable: ties keep database order); 0 with no relevant."""
    order = torch.sort(dist, dim=1, stable=True).indices
    ranked = torch.gather(rel, 1, order)
    hits = torch.cumsum(ranked, dim=1, dtype=torch.float64)
    ranks = torch.arange(1, ranked.shape[1] + 1, device=dist.device, dtype=torch.float64)
    precision_sum = torch.where(ranked, hits / ranks, 0.0).sum(1)
    n_rel = hits[:, -1]
    return torch.where(n_rel > 0, precision_sum / n_rel.clamp(min=1), 0.0)


def _prepare(query_bits, query_labels, db_bits, db_labels, device):
    as_t = lambda a: torch.as_tensor(np.asarray(a), device=device)
    qb = (as_t(query_bits) > 0).double()
    db = (as_t(db_bits) > 0).double()
    return qb, as_t(query_labels), db, as_t(db_labels)


def _exclude_self(dist: torch.Tensor, rel: torch.Tensor, start: int) -> None:
    """Query i is database item i: rank it last and count it irrelevant (as numpy does)."""
    rows = torch.arange(dist.shape[0], device=dist.device)
    dist[rows, rows + start] = float("inf")
    rel[rows, rows + start] = False


def mean_average_precision_torch(query_bits, query_labels, db_bits, db_labels,
                                 exclude_self: bool = False, device: str | torch.device = "cpu",
                                 chunk: int = 512) -> float:
    """trainer.metrics.mean_average_precision (mAP@all) on `device`."""
    qb, ql, db, dl = _prepare(query_bits, query_labels, db_bits, db_labels, device)
    total = 0.0
    for start in range(0, len(qb), chunk):
        stop = min(len(qb), start + chunk)
        dist = _hamming(qb[start:stop], db)
        rel = _relevance(ql[start:stop], dl)
        if exclude_self:
            _exclude_self(dist, rel, start)
        total += float(_average_precisions(dist, rel).sum())
    return total / max(1, len(qb))


def bit_importance_torch(query_bits, query_labels, db_bits, db_labels,
                         exclude_self: bool = False, device: str | torch.device = "cpu",
                         chunk: int = 512) -> np.ndarray:
    """trainer.metrics.bit_importance (mAP - mAP without bit m, every m) on `device`.

    The distance without bit m is the full distance minus that bit's disagreement, so the
    Hamming matrix is computed once per chunk of queries."""
    qb, ql, db, dl = _prepare(query_bits, query_labels, db_bits, db_labels, device)
    n_bits = qb.shape[1]
    base = torch.zeros((), dtype=torch.float64, device=qb.device)
    without = torch.zeros(n_bits, dtype=torch.float64, device=qb.device)
    for start in range(0, len(qb), chunk):
        stop = min(len(qb), start + chunk)
        q = qb[start:stop]
        dist = _hamming(q, db)
        rel = _relevance(ql[start:stop], dl)
        if exclude_self:
            _exclude_self(dist, rel, start)
        base += _average_precisions(dist, rel).sum()
        for m in range(n_bits):
            disagree = (q[:, m, None] != db[None, :, m]).double()
            without[m] += _average_precisions(dist - disagree, rel).sum()
    n = max(1, len(qb))
    return ((base - without) / n).cpu().numpy()
