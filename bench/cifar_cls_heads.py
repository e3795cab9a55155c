"""Does the classification term (head.cls_weight) help the NMLayer chain on fixed features?

B (the chain 128 -> 64 -> 48 -> 32 -> 24 -> 12, the ablation's step budget) is trained on the
same features with each weight; the validation mAP of every stage is what a user could select
on, the query mAP@all is reported once per run. Feature sets: `imagenet` (frozen ImageNet
EfficientNet-Lite0 at 128 px, as in bench/cifar_ablation.py) or a .npy file written by
bench/cifar_finetune_cpu.py (a backbone fine-tuned with or without the term).

    nice -n 5 .venv/bin/python bench/cifar_cls_heads.py --features imagenet \\
        ~/.cache/lookalike-bench/features/finetuned-lite0-128px-750s.npy --weights 0 1

Writes bench/results/cifar-cls-heads.md / .json.
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
from _common import machine
from cifar_ablation import HEAD_BASE, LENGTHS, RESULTS, query_map
from cifar_data import features, load_images, protocol1

from trainer.training import HeadConfig, HeadTrainer


def load_features(name: str) -> np.ndarray:
    return features(128) if name == "imagenet" else np.load(Path(name).expanduser())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", nargs="+", default=["imagenet"],
                    help="'imagenet' or .npy feature files [60000, D]")
    ap.add_argument("--weights", type=float, nargs="+", default=[0.0, 1.0])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)  # small matrices; one thread avoids spin-waits on a shared CPU
    t_start = time.time()
    _, labels, is_test = load_images()
    split = protocol1(labels, is_test, seed=0)
    out: dict = {"machine": machine(), "python": platform.python_version(), "seed": args.seed,
                 "runs": []}
    for name in args.features:
        feats = load_features(name)
        for w in args.weights:
            t0 = time.time()
            cfg = HeadConfig(**HEAD_BASE, cls_weight=w, seed=args.seed)
            res = HeadTrainer(feats, labels, split.fit, split.val, cfg).run()
            run = {"features": Path(name).name, "cls_weight": w,
                   "val_map": {str(s.bits): s.val_map for s in res.stages},
                   "map_all": {str(L): query_map(res.head(L), feats, labels, split)[0]
                               for L in LENGTHS},
                   "seconds": time.time() - t0}
            out["runs"].append(run)
            print(json.dumps(run), flush=True)
    out["wall_seconds"] = time.time() - t_start
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cifar-cls-heads.json").write_text(json.dumps(out, indent=1) + "\n")
    write_report(out, args)
    return 0


def write_report(out: dict, args) -> None:
    feats = " ".join(f if f == "imagenet" else "~/.cache/lookalike-bench/features/" + Path(f).name
                     for f in args.features)
    lines = [
        "# The classification term on fixed features: B (NMLayer chain) with and without it",
        "",
        (f"Command: `nice -n 5 .venv/bin/python bench/cifar_cls_heads.py --features {feats} "
         f"--weights {' '.join(f'{w:g}' for w in args.weights)}`"),
        (f"Machine: {out['machine']} (Python {out['python']}). Wall time "
         f"{out['wall_seconds'] / 60:.1f} min. Head seed {out['seed']}; budget and schedule of "
         "bench/cifar_ablation.py."),
        "",
        ("Validation mAP (the split a user selects on) and query mAP@all (1,000 queries against "
         "59,000), per code length:"),
        "",
        "| features | cls_weight | val 48 | val 32 | val 24 | val 12 | mAP@all 48 | 32 | 24 | 12 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in out["runs"]:
        vals = " | ".join(f"{r['val_map'][str(L)]:.4f}" for L in LENGTHS)
        maps = " | ".join(f"{r['map_all'][str(L)]:.4f}" for L in LENGTHS)
        lines.append(f"| {r['features']} | {r['cls_weight']:g} | {vals} | {maps} |")
    (RESULTS / "cifar-cls-heads.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
