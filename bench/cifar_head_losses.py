"""Is the head's loss, or the validation split, what holds the CIFAR-10 headline back?
Validation only: the query set is not touched.

On the features of a backbone already fine-tuned by bench/cifar_finetune_cpu.py (cached there),
the NMLayer chain (B, the schedule of bench/cifar_ablation.py) is trained with:
- the headline's loss (pairwise likelihood + quantisation + classification term), selected and
  scored on the trainer's default validation database (the validation photos plus as many
  training photos), and on a database of validation photos only;
- the same plus a hash-centre term (CSQ, Yuan et al. CVPR 2020: each class owns a fixed,
  well-separated code and a photo's outputs are pulled to it with binary cross-entropy; after
  a merge the target of a merged output is the sign of its members' signed centre bits, masked
  where they cancel), the hash-centre term in place of the classification term, and stronger
  weight decay.

    nice -n 5 .venv/bin/python bench/cifar_head_losses.py \
        ~/.cache/lookalike-bench/features/finetuned-lite0-160px-cls-cosine-600s.npy

Writes bench/results/cifar-head-losses.md and .json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header
from cifar_ablation import HEAD_BASE
from cifar_data import load_images, protocol1

from trainer.losses import hashing_loss
from trainer.training import HeadConfig, HeadTrainer

RESULTS = Path(__file__).resolve().parent / "results"


def hash_centres(classes: int, bits: int) -> torch.Tensor:
    """[classes, bits] of +-1: rows of a Sylvester Hadamard matrix (pairwise distance bits/2),
    without its all-ones row, as CSQ does for bits a power of two."""
    if bits & (bits - 1) or classes > bits - 1:
        raise ValueError("Hadamard centres need bits a power of two and fewer classes than bits")
    H = np.ones((1, 1))
    while H.shape[0] < bits:
        H = np.block([[H, H], [H, -H]])
    return torch.as_tensor(H[1:classes + 1], dtype=torch.float32)


class CentreHeadTrainer(HeadTrainer):
    """The trainer's head, with a hash-centre term added to its loss."""

    def __init__(self, *args, centre_weight: float = 1.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.centre_weight = centre_weight
        self.centres = hash_centres(self.labels.shape[1], self.cfg.long_bits)

    def batch_loss(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        logits = self.net.class_logits(z) if self.cfg.cls_weight else None
        loss, _ = hashing_loss(z, labels, self.cfg.alpha, self.cfg.eta, logits,
                               self.cfg.cls_weight)
        # Centre of a photo's labels in the K long bits, mapped through the merges so far
        target = torch.sign(labels.float() @ self.centres @ self.net.merge_matrix().sign().T)
        defined = target != 0
        bce = F.binary_cross_entropy_with_logits(z, (target > 0).float(), reduction="none")
        return loss + self.centre_weight * bce[defined].mean()


VARIANTS = [
    ("pairwise + quantisation + classification (the headline's head loss)", "val+train", {}, 0),
    ("pairwise + quantisation + classification (the headline's head loss)", "val", {}, 0),
    ("... + hash centres", "val", {}, 1),
    ("pairwise + quantisation + hash centres (no classification)", "val", {"cls_weight": 0}, 1),
    ("pairwise + quantisation + classification, weight decay 1e-3", "val",
     {"weight_decay": 1e-3}, 0),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("features", help="cached features [60000, D] of a fine-tuned backbone (.npy)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    t_start = time.time()
    _, labels, is_test = load_images()
    split = protocol1(labels, is_test, seed=0)
    feats = np.load(args.features)
    rows = []
    for loss, database, extra, centre_weight in VARIANTS:
        cfg = HeadConfig(**{**HEAD_BASE, "cls_weight": 1.0, **extra,
                            "val_database": 2000 if database == "val+train" else len(split.val)},
                         seed=args.seed)
        t0 = time.time()
        if centre_weight:
            trainer = CentreHeadTrainer(feats, labels, split.fit, split.val, cfg,
                                        centre_weight=centre_weight)
        else:
            trainer = HeadTrainer(feats, labels, split.fit, split.val, cfg)
        result = trainer.run()
        rows.append({"loss": loss, "database": database, "config": cfg.to_dict(),
                     "centre_weight": centre_weight, "seconds": time.time() - t0,
                     "val_map": {str(s.bits): s.val_map for s in result.stages}})
        print(rows[-1]["loss"], database, rows[-1]["val_map"], flush=True)
    features = "~/" + str(Path(args.features).resolve().relative_to(Path.home())) \
        if Path(args.features).resolve().is_relative_to(Path.home()) else args.features
    out = {"features": features, "seed": args.seed, "rows": rows,
           "wall_seconds": time.time() - t_start}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cifar-head-losses.json").write_text(json.dumps(out, indent=1) + "\n")
    lengths = [str(b) for b in (128, 64, 48, 32, 24, 12)]
    lines = [header("CIFAR-10 head losses on fine-tuned features: validation mAP only"), "",
             (f"- features: `{features}`; the NMLayer chain 128 -> 64 -> 48 -> 32 -> 24 -> 12 "
             f"with bench/cifar_ablation.py's schedule, seed {args.seed}; wall time "
             f"{out['wall_seconds'] / 60:.1f} min"),
             ("- validation database: `val+train` = the 1,000 validation photos plus 1,000 "
             "training photos (the trainer's default, val_database 2000); `val` = the "
             "validation photos only (each one excluded from its own ranking)"), "",
             "| head loss | validation database | " + " | ".join(f"{b} bits" for b in lengths)
             + " |", "|---|---|" + "---|" * len(lengths)]
    for r in rows:
        lines.append(f"| {r['loss']} | {r['database']} | "
                     + " | ".join(f"{r['val_map'][b]:.4f}" for b in lengths) + " |")
    text = "\n".join(lines).replace(str(Path.home()), "~")  # the command names the features
    (RESULTS / "cifar-head-losses.md").write_text(text + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
