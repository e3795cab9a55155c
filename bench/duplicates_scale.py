"""The duplicates search at library scale: desktop_app.core.duplicates.duplicate_groups on
synthetic codes, at the default distance (one bit in eight).

Two kinds of library, at 48 bits (a trained model's length) and 96 (the bundled model's):
- random: independent random codes (no duplicates; every candidate pair the search compares is
  wasted work),
- copies: codes around 2,000 centres (each bit flipped with probability 0.15, so photos of one
  centre lie ~30% of the bits apart, like photos of one subject), then 10% of the photos get an
  edited copy (1 to the default distance bits flipped) and 2% an exact copy (a backup folder).

One run per cell (the search is deterministic); seconds, and the groups found.

    .venv/bin/python bench/duplicates_scale.py --sizes 50000 100000 200000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from _common import header

from desktop_app.core.duplicates import default_duplicate_distance, duplicate_groups
from desktop_app.core.hashing import HammingIndex, pack_bits


def random_codes(count: int, bits: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 2, size=(count, bits)).astype(bool)


def library_codes(count: int, bits: int, rng: np.random.Generator) -> np.ndarray:
    distance = default_duplicate_distance(bits)
    edited, exact = int(count * 0.10), int(count * 0.02)
    originals = count - edited - exact
    centres = rng.integers(0, 2, size=(2000, bits)).astype(bool)
    codes = centres[rng.integers(0, len(centres), size=originals)]
    codes ^= rng.random(codes.shape) < 0.15
    sources = codes[rng.integers(0, originals, size=edited)]
    flips = np.zeros_like(sources)
    for row, n in enumerate(rng.integers(1, distance + 1, size=edited)):
        flips[row, rng.choice(bits, size=n, replace=False)] = True
    copies = codes[rng.integers(0, originals, size=exact)]
    return np.concatenate([codes, sources ^ flips, copies])


def measure(count: int, bits: int, kind: str) -> tuple[float, int, int]:
    rng = np.random.default_rng(count + bits)
    make = random_codes if kind == "random" else library_codes
    index = HammingIndex(np.arange(count), pack_bits(make(count, bits, rng)), bits)
    start = time.perf_counter()
    groups = duplicate_groups(index)
    seconds = time.perf_counter() - start
    return seconds, len(groups), sum(len(g) for g in groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000, 200_000])
    parser.add_argument("--bits", type=int, nargs="+", default=[48, 96])
    parser.add_argument("--kinds", nargs="+", default=["random", "copies"],
                        choices=["random", "copies"])
    parser.add_argument("--out", default="bench/results/duplicates-scale.md")
    args = parser.parse_args()
    rows = []
    for bits in args.bits:
        for kind in args.kinds:
            cells = []
            for count in args.sizes:
                seconds, groups, photos = measure(count, bits, kind)
                print(f"{bits} bits, {kind}, {count}: {seconds:.2f} s, {groups} groups, "
                      f"{photos} photos", flush=True)
                cells.append(f"{seconds:.2f} s ({groups:,} groups)")
            rows.append(f"| {bits} | {default_duplicate_distance(bits)} | {kind} | "
                        + " | ".join(cells) + " |\n")
    text = (header("The duplicates search at library scale") +
            "- synthetic codes (see the script's docstring); one run per cell\n\n"
            "| bits | distance | codes | " + " | ".join(f"{n:,} photos" for n in args.sizes)
            + " |\n|---|---|---|" + "---|" * len(args.sizes) + "\n" + "".join(rows))
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
