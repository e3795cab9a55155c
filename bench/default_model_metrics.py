"""Near-duplicate and same-kind retrieval metrics for binary codes, float features and pHash.

Binary rankings are by Hamming distance with ties broken by database order (what the app does:
ties go to the lower photo id), so a tie with an earlier distractor counts as a miss.
"""

from __future__ import annotations

import numpy as np

from trainer.metrics import hamming_matrix, mean_average_precision


def _bits(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype == np.uint8:  # packed codes (pHash)
        return np.unpackbits(x, axis=1).astype(bool)
    return x if x.dtype == bool else x > 0


def _cosine(q: np.ndarray, d: np.ndarray) -> np.ndarray:
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    return q @ d.T


def first_hits(query, db, kind: str) -> np.ndarray:
    """Index of the database item ranked first for each query. kind: 'bits' or 'float'."""
    if kind == "float":
        return np.argmax(_cosine(np.asarray(query, np.float32), np.asarray(db, np.float32)),
                         axis=1)
    out = np.zeros(len(query), int)
    qb, dbb = _bits(query), _bits(db)
    for s in range(0, len(qb), 512):
        dist = hamming_matrix(qb[s:s + 512], dbb)
        out[s:s + 512] = np.argmin(dist, axis=1)  # argmin takes the first of equal minima
    return out


def recall_at_1(query, db, target: np.ndarray, query_kind: list[str], kind: str
                ) -> dict[str, float]:
    """Recall@1 per edit kind and overall ('all')."""
    hit = first_hits(query, db, kind) == np.asarray(target)
    kinds = np.asarray(query_kind)
    out = {k: float(hit[kinds == k].mean()) for k in dict.fromkeys(query_kind)}
    out["all"] = float(hit.mean())
    return out


def map_at_k(codes, labels: np.ndarray, kind: str, k: int = 100) -> float:
    """Leave-one-out mAP@k within one labelled set (every photo queries all the others)."""
    labels = np.asarray(labels)
    if kind != "float":
        b = _bits(codes)
        return mean_average_precision(b, labels, b, labels, k=k, exclude_self=True)
    sim = _cosine(np.asarray(codes, np.float32), np.asarray(codes, np.float32))
    np.fill_diagonal(sim, -np.inf)
    order = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    if labels.ndim == 1:
        rel = labels[order] == labels[:, None]
    else:
        rel = np.einsum("ql,qkl->qk", labels, labels[order]) > 0
    hits = np.cumsum(rel, axis=1)
    prec = np.where(rel, hits / np.arange(1, rel.shape[1] + 1), 0.0)
    n_rel = hits[:, -1]
    ap = np.divide(prec.sum(axis=1), n_rel, out=np.zeros(len(rel)), where=n_rel > 0)
    return float(ap.mean())


def map_all(query, q_labels, db, db_labels) -> float:
    return mean_average_precision(_bits(query), q_labels, _bits(db), db_labels)
