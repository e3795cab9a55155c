"""How much do longer binary codes keep? On one set of fine-tuned CIFAR-10 features, heads
trained directly (A: the ablation's budget, schedule and loss) at 12 to 128 bits, several
seeds, each scored on the queries as binary codes (mAP@all, ties in database order as the
protocol says) and as float outputs (tanh(z) ranked by inner product), beside the features'
float ceiling (softmax classifier, ranking by class probabilities; bench/cifar_head_ceiling.py).
If the binary mAP stops rising well below the ceiling as the code grows, what is short at 48
bits is not the number of bits but what binary codes of these features can keep.

    nice -n 5 .venv/bin/python bench/cifar_code_length.py --features FILE.npy [--feature-mix 1]
        [--seeds 0 1 2] [--tag TAG]

Writes bench/results/cifar-code-length[-TAG].md / .json.
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
from _common import cpu_model, nice_prefix
from cifar_data import RESULTS_DIR
from cifar_head_ceiling import features_and_ceiling, score_head

LENGTHS = (128, 64, 48, 32, 24, 12)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--features", required=True, help="features [60000, D] (.npy)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--feature-mix", type=float, default=0.0,
                    help="head.feature_mix of the heads (share of blended training photos)")
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    t0 = time.time()
    feats, labels, split, out = features_and_ceiling(args.features)
    out.update(seeds=args.seeds, feature_mix=args.feature_mix)
    for bits in LENGTHS:
        out["heads"][str(bits)] = []
        for seed in args.seeds:
            # the headline's loss: classification weight 1, no straight-through sign
            r = score_head(feats, labels, split, 1.0, False, bits, seed, args.feature_mix)
            out["heads"][str(bits)].append(r)
            print(f"{bits} bits, seed {seed}: {r}", flush=True)
    out.update(wall_seconds=time.time() - t0, python=platform.python_version(),
               machine=f"2-core x86_64 CPU ({cpu_model()}), no GPU, 24 GiB")
    name = f"cifar-code-length{'-' + args.tag if args.tag else ''}"
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
    write_report(out, args, name)
    return 0


def write_report(out: dict, args, name: str) -> None:
    c = out["ceiling"]
    seeds = " ".join(map(str, out["seeds"]))
    command = (f"{nice_prefix()}.venv/bin/python bench/cifar_code_length.py --features "
               f"{out['features']} --seeds {seeds}"
               + (f" --feature-mix {out['feature_mix']:g}" if out["feature_mix"] else "")
               + (f" --tag {args.tag}" if args.tag else ""))
    lines = ["# CIFAR-10 protocol 1: what binary codes of one set of features keep, by length", "",
             f"Command: `{command}`",
             (f"Machine: {out['machine']} (Python {out['python']}). Wall time "
              f"{out['wall_seconds'] / 60:.1f} min. Heads trained directly at each length (A: "
              "budget, schedule and loss of bench/cifar_ablation.py, classification weight 1, "
              f"head.feature_mix {out['feature_mix']:g}), seeds {seeds}; 1,000 queries against "
              "the 59,000-image database."), "",
             (f"Float ceiling of these features: mAP@all **{c['map_all']:.4f}** (softmax "
              f"classifier, {c['query_accuracy']:.1%} of the queries classified right, database "
              "ranked by the dot product of class probabilities)."), "",
             ("binary: mAP@all of the codes, ties in database order (the protocol); float: the "
              "same heads' tanh outputs ranked by inner product; val: validation mAP; distinct: "
              "distinct codes in the database (first seed). Mean over seeds, +- std."), "",
             "| bits | binary | float | val | distinct codes |", "|---|---|---|---|---|"]
    for bits in LENGTHS:
        runs = out["heads"][str(bits)]

        def stat(key: str, runs=runs) -> str:
            v = np.array([r[key] for r in runs])
            return f"{v.mean():.4f} +- {v.std():.4f}"

        lines.append(f"| {bits} | {stat('map_all')} | {stat('float_map')} | {stat('val_map')} | "
                     f"{runs[0]['distinct_codes']} |")
    (RESULTS_DIR / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
