"""Evaluation report of binary codes: mAP@all and precision@k (ties in database order, and
averaged over every order of tied photos), mAP@k, precision-recall curve, bit importance
distribution, code health; JSON + PNG plots. Pure: never saves or selects models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .metrics import (
    bit_importance,
    code_health,
    importance_spread,
    mean_average_precision,
    pr_curve,
    precision_at_k,
    random_ranking_map,
    tie_aware_map,
    tie_aware_precision_at_k,
)


def evaluate_codes(query_bits: np.ndarray, query_labels: np.ndarray, db_bits: np.ndarray,
                   db_labels: np.ndarray, ks: tuple[int, ...] = (10, 100, 1000),
                   importance: bool = True) -> dict[str, Any]:
    n_db = len(db_bits)
    ks = tuple(sorted({min(k, n_db) for k in ks}))
    report: dict[str, Any] = {
        "queries": len(query_bits), "database": int(n_db),
        "map_all": mean_average_precision(query_bits, query_labels, db_bits, db_labels),
        # the same, averaged over every order of the photos a distance ties: albums are read
        # folder by folder, so database order would otherwise weigh on the number
        "map_all_tie_aware": tie_aware_map(query_bits, query_labels, db_bits, db_labels),
        # what codes that carry nothing would score: mAP means something only above it
        "map_all_random": random_ranking_map(query_labels, db_labels),
        "map_at_k": {str(k): mean_average_precision(query_bits, query_labels, db_bits,
                                                    db_labels, k=k) for k in ks},
        "precision_at_k": {str(k): v for k, v in precision_at_k(
            query_bits, query_labels, db_bits, db_labels, ks).items()},
        "precision_at_k_tie_aware": {str(k): v for k, v in tie_aware_precision_at_k(
            query_bits, query_labels, db_bits, db_labels, ks).items()},
        "pr_curve": pr_curve(query_bits, query_labels, db_bits, db_labels),
        "code_health": code_health(db_bits),
    }
    if importance:
        imp = bit_importance(query_bits, query_labels, db_bits, db_labels)
        report["bit_importance"] = imp.tolist()
        report["importance_spread"] = importance_spread(imp)
    return report


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The short form that goes into the model card and the `done` event."""
    keys = ("bits", "map_all", "map_all_tie_aware", "map_all_random", "map_at_k",
            "precision_at_k", "precision_at_k_tie_aware", "importance_spread", "queries",
            "database")
    out = {k: report[k] for k in keys if k in report}
    for k in ("map_all", "map_all_tie_aware", "map_all_random", "importance_spread"):
        if isinstance(out.get(k), float):
            out[k] = round(out[k], 4)
    for k in ("map_at_k", "precision_at_k", "precision_at_k_tie_aware"):
        if k in out:
            out[k] = {kk: round(v, 4) for kk, v in out[k].items()}
    return out


def plot_report(report: dict[str, Any], prefix: str | Path) -> list[Path]:
    """prefix-pr.png (precision-recall by Hamming radius), prefix-importance.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prefix = Path(prefix)
    written = []
    pr = report["pr_curve"]
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    ax.plot(pr["recall"], pr["precision"], marker=".")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"{report.get('bits', '')} bits: mAP@all {report['map_all']:.3f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    fig.tight_layout()
    path = prefix.with_name(prefix.name + "-pr.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    written.append(path)
    if "bit_importance" in report:
        imp = sorted(report["bit_importance"], reverse=True)
        fig, ax = plt.subplots(figsize=(4.5, 3.5))
        ax.bar(range(len(imp)), imp)
        ax.set_xlabel("bit (sorted)")
        ax.set_ylabel("I_m = mAP drop without bit m")
        spread = report["importance_spread"]
        ax.set_title("bit importance, spread " + ("n/a" if spread is None else f"{spread:.2f}"))
        fig.tight_layout()
        path = prefix.with_name(prefix.name + "-importance.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written
