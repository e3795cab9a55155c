"""Where the headline's mAP is lost: the backbone or the binary codes? On one set of fine-tuned
CIFAR-10 features (bench/cifar_finetune_cpu.py caches them), this measures

1. the float ceiling: a softmax classifier fitted on the 4,000 fit photos (weight decay chosen on
   the validation split), the database ranked by the dot product of its class probabilities
   with the query's (no binary code at all);
2. directly trained heads (A, the ablation's budget and schedule) at 48 / 32 / 24 / 12 bits, each
   scored four ways on the queries: the float outputs tanh(z) ranked by inner product (before
   binarisation), the binary codes with ties in database order (the protocol) and averaged over
   every order of tied photos, and validation mAP (the split a user selects on);
3. the same heads with a heavier classification term (head.cls_weight 10) and with
   straight-through binarisation in training (the loss sees sign(z), gradients pass as if it were
   tanh(z); a variant for this benchmark only).

    nice -n 5 .venv/bin/python bench/cifar_head_ceiling.py --features FILE.npy [--tag TAG]

Writes bench/results/cifar-head-ceiling[-TAG].md / .json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cpu_model, home_to_tilde, nice_prefix
from cifar_ablation import HEAD_BASE, LENGTHS
from cifar_data import RESULTS_DIR, load_images, protocol1

from trainer.metrics import mean_average_precision, tie_aware_map
from trainer.training import HeadConfig, HeadTrainer, total_steps

VARIANTS = {  # name: (cls_weight, straight-through)
    "pairwise + quantisation + 1 x classification (the headline's loss)": (1.0, False),
    "... classification weight 10": (10.0, False),
    "... straight-through binarisation": (1.0, True),
    "... both": (10.0, True),
}


def ranking_map(scores: np.ndarray, q_labels: np.ndarray, db_labels: np.ndarray) -> float:
    """mAP@all of a float ranking (higher score = nearer), ties in database order."""
    total = 0.0
    for s in range(0, len(scores), 100):
        order = np.argsort(-scores[s:s + 100], axis=1, kind="stable")
        rel = q_labels[s:s + 100, None] == db_labels[order]
        hits = np.cumsum(rel, axis=1)
        precision = hits / np.arange(1, rel.shape[1] + 1)
        total += float(((precision * rel).sum(1) / hits[:, -1]).sum())
    return total / len(scores)


def probability_ceiling(feats, labels, split) -> dict:
    """Softmax regression on the fit photos, weight decay chosen on validation accuracy."""
    import torch

    x = torch.from_numpy(feats)
    x = (x - x[split.fit].mean(0)) / (x[split.fit].std(0) + 1e-6)
    y = torch.from_numpy(labels).long()
    fit = torch.from_numpy(split.fit)
    def fitted(wd: float) -> torch.nn.Linear:
        torch.manual_seed(0)
        lin = torch.nn.Linear(x.shape[1], int(labels.max()) + 1)
        opt = torch.optim.LBFGS(lin.parameters(), max_iter=300, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = (torch.nn.functional.cross_entropy(lin(x[fit]), y[fit])
                    + wd * lin.weight.pow(2).sum())
            loss.backward()
            return loss

        opt.step(closure)
        return lin

    best = None
    for wd in (1e-4, 1e-3, 1e-2, 1e-1):
        lin = fitted(wd)
        with torch.no_grad():
            val_acc = float((lin(x[split.val]).argmax(1) == y[split.val]).float().mean())
        if best is None or val_acc > best[0]:
            best = (val_acc, wd, lin)
    val_acc, wd, lin = best
    with torch.no_grad():
        p = torch.softmax(lin(x), dim=1).numpy()
    ql, dl = labels[split.query], labels[split.database]
    return {"weight_decay": wd, "val_accuracy": val_acc,
            "query_accuracy": float((p[split.query].argmax(1) == ql).mean()),
            "map_all": ranking_map(p[split.query] @ p[split.database].T, ql, dl)}


class StraightThroughHead(HeadTrainer):
    """The loss sees sign(z) in the pairwise term; the gradient is tanh(z)'s."""

    def batch_loss(self, z, labels, mix=None):
        import torch

        from trainer.losses import classification, pairwise_likelihood, quantization, similarity

        u = torch.tanh(z)
        b = u + (torch.where(z >= 0, 1.0, -1.0) - u).detach()
        loss = pairwise_likelihood(b, similarity(labels), self.cfg.alpha) + \
            self.cfg.eta * quantization(u)
        if self.cfg.cls_weight:
            loss = loss + self.cfg.cls_weight * classification(self.net.class_logits(z), labels)
        return loss


def score_head(feats, labels, split, cls_weight: float, straight: bool, bits: int,
               seed: int = 0, feature_mix: float = 0.0) -> dict:
    """A head trained directly at `bits` (A's budget and schedule), scored on the queries."""
    import torch

    cfg = HeadConfig(**{**HEAD_BASE, "long_bits": bits, "stages": (), "cls_weight": cls_weight,
                        "feature_mix": feature_mix,
                        "long_steps": total_steps(HeadConfig(**HEAD_BASE))}, seed=seed)
    res = (StraightThroughHead if straight else HeadTrainer)(
        feats, labels, split.fit, split.val, cfg).run()
    with torch.no_grad():
        zq = res.head(bits)(torch.from_numpy(feats[split.query])).numpy()
        zd = res.head(bits)(torch.from_numpy(feats[split.database])).numpy()
    ql, dl = labels[split.query], labels[split.database]
    return {"val_map": res.stages[-1].val_map,
            "float_map": ranking_map(np.tanh(zq) @ np.tanh(zd).T, ql, dl),
            "map_all": mean_average_precision(zq > 0, ql, zd > 0, dl),
            "map_all_tie_aware": tie_aware_map(zq > 0, ql, zd > 0, dl),
            "distinct_codes": len(np.unique(np.packbits(zd > 0, axis=1), axis=0))}


def features_and_ceiling(features: str) -> tuple[np.ndarray, np.ndarray, object, dict]:
    """(features, labels, protocol-1 split, results dict with the float ceiling), one thread
    for torch (the benchmarks' heads run on one core)."""
    import torch

    torch.set_num_threads(1)
    _, labels, is_test = load_images()
    split = protocol1(labels, is_test, seed=0)
    feats = np.load(features).astype(np.float32)
    out = {"features": home_to_tilde(features), "ceiling": probability_ceiling(
        feats, labels, split), "heads": {}}
    print(f"ceiling: {out['ceiling']}", flush=True)
    return feats, labels, split, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--features", required=True, help="features [60000, D] (.npy)")
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    t0 = time.time()
    feats, labels, split, out = features_and_ceiling(args.features)
    for name, (cls_weight, straight) in VARIANTS.items():
        out["heads"][name] = {}
        for bits in LENGTHS:
            r = score_head(feats, labels, split, cls_weight, straight, bits)
            out["heads"][name][str(bits)] = r
            print(f"{name}, {bits} bits: {r}", flush=True)
    out.update(wall_seconds=time.time() - t0, python=platform.python_version(),
               machine=f"2-core x86_64 CPU ({cpu_model()}), no GPU, 24 GiB")
    tag = f"-{args.tag}" if args.tag else ""
    (RESULTS_DIR / f"cifar-head-ceiling{tag}.json").write_text(json.dumps(out, indent=1) + "\n")
    write_report(out, args, tag)
    return 0


def write_report(out: dict, args, tag: str) -> None:
    c = out["ceiling"]
    lines = [("# CIFAR-10 protocol 1: the float ceiling of one set of features, and what binary "
              "codes keep of it"), "",
             (f"Command: `{nice_prefix()}.venv/bin/python bench/cifar_head_ceiling.py --features "
              f"{out['features']}{' --tag ' + args.tag if args.tag else ''}`"),
             (f"Machine: {out['machine']} (Python {out['python']}). Wall time "
              f"{out['wall_seconds'] / 60:.1f} min. Head seed 0; A's budget and schedule from "
              "bench/cifar_ablation.py; 1,000 queries against the 59,000-image database."), "",
             ("Float ceiling: a softmax classifier on these features (weight decay "
              f"{c['weight_decay']:g}, chosen on validation accuracy {c['val_accuracy']:.3f}) "
              "classifies "
              f"{c['query_accuracy']:.1%} of the queries right; ranking the database by the dot "
              "product of class probabilities gives mAP@all "
              f"**{c['map_all']:.4f}**, with no binary code."), "",
             ("Directly trained heads (A). val: validation mAP (the split variants are compared "
              "on); float: the head's tanh outputs ranked by inner product, before binarisation; "
              "binary: mAP@all of the codes, ties in database order (the protocol); order-free: "
              "the same averaged over every order of tied photos."), "",
             "| head loss | bits | val | float | binary | order-free |",
             "|---|---|---|---|---|---|"]
    for name, per_bits in out["heads"].items():
        for bits in LENGTHS:
            r = per_bits[str(bits)]
            lines.append(f"| {name} | {bits} | {r['val_map']:.4f} | {r['float_map']:.4f} | "
                         f"{r['map_all']:.4f} | {r['map_all_tie_aware']:.4f} |")
    (RESULTS_DIR / f"cifar-head-ceiling{tag}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
