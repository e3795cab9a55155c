"""Evaluation report of binary codes: mAP@all and precision@k (ties in database order, and
averaged over every order of tied photos), mAP@k, precision-recall curve, bit importance
distribution, code health; JSON + PNG plots. Pure: never saves or selects models."""

from __future__ import annotations

from collections.abc import Callable
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

# Progress steps of evaluate_codes: each part weighs what it took for 3,000 queries among 27,000
# photos with 48-bit codes (a step about 1.6 s there), so that the time left holds from the
# start; one bit of the importance is one mAP. The mAP@k weigh this much for each k.
WEIGHTS = {"map_all": 2, "map_all_tie_aware": 1, "map_at_k": 1, "precision_at_k": 1,
           "precision_at_k_tie_aware": 2, "pr_curve": 2, "bit": 2}


def evaluation_steps(bits: int, ks: int, importance: bool = True) -> int:
    """The steps evaluate_codes reports for `bits`-bit codes and `ks` values of k."""
    main = sum(WEIGHTS.values()) - WEIGHTS["bit"] + WEIGHTS["map_at_k"] * (ks - 1)
    return main + (WEIGHTS["bit"] * bits if importance else 0)


def evaluate_codes(query_bits: np.ndarray, query_labels: np.ndarray, db_bits: np.ndarray,
                   db_labels: np.ndarray, ks: tuple[int, ...] = (10, 100, 1000),
                   importance: bool = True,
                   progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """progress(done, steps): evaluation_steps' steps, after each metric and each bit of the
    importance (one mAP per bit: minutes for tens of thousands of photos)."""
    n_db = len(db_bits)
    ks = tuple(sorted({min(k, n_db) for k in ks}))
    steps = evaluation_steps(np.asarray(query_bits).shape[1], len(ks), importance)
    done = 0

    def step(part: str) -> None:
        nonlocal done
        done += WEIGHTS[part]
        if progress:
            progress(done, steps)

    if progress:
        progress(0, steps)
    report: dict[str, Any] = {"queries": len(query_bits), "database": int(n_db)}
    report["map_all"] = mean_average_precision(query_bits, query_labels, db_bits, db_labels)
    step("map_all")
    # the same, averaged over every order of the photos a distance ties: albums are read
    # folder by folder, so database order would otherwise weigh on the number
    report["map_all_tie_aware"] = tie_aware_map(query_bits, query_labels, db_bits, db_labels)
    # what codes that carry nothing would score: mAP means something only above it
    report["map_all_random"] = random_ranking_map(query_labels, db_labels)
    step("map_all_tie_aware")
    report["map_at_k"] = {}
    for k in ks:
        report["map_at_k"][str(k)] = mean_average_precision(query_bits, query_labels, db_bits,
                                                            db_labels, k=k)
        step("map_at_k")
    report["precision_at_k"] = {str(k): v for k, v in precision_at_k(
        query_bits, query_labels, db_bits, db_labels, ks).items()}
    step("precision_at_k")
    report["precision_at_k_tie_aware"] = {str(k): v for k, v in tie_aware_precision_at_k(
        query_bits, query_labels, db_bits, db_labels, ks).items()}
    step("precision_at_k_tie_aware")
    report["pr_curve"] = pr_curve(query_bits, query_labels, db_bits, db_labels)
    report["code_health"] = code_health(db_bits)
    step("pr_curve")
    if importance:
        measured = done

        def bit_done(m: int, _bits: int) -> None:
            if progress:
                progress(measured + WEIGHTS["bit"] * m, steps)

        imp = bit_importance(query_bits, query_labels, db_bits, db_labels,
                             base=report["map_all"], progress=bit_done)
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
