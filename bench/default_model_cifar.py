"""CIFAR-10 protocol 1 mAP@all of the shipped default model, for reference (issue 4): the full
protocol, 1,000 queries against the 59,000-photo database, through the app's own preprocessing
and Encoder. The default model never saw CIFAR labels (its training photos are CIFAR training
images, used without their labels; see docs/default-model.md).

    nice -n 5 .venv/bin/python bench/default_model_cifar.py [--threads 2]

Photos come from ../shared/datasets/cifar10-jpg.tar.gz (unpacked to a cache outside the repo by
bench/cifar_data.py); each 32 px photo is read the way the app reads a small photo: resized so
its shorter side is 224 px, centre-cropped, (x - 127) / 128. Codes are cached per model id.
Results: bench/results/default-model-cifar.md / .json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cifar_data import RESULTS_DIR, cache_root, load_images, protocol1

from desktop_app import paths
from desktop_app.core.encoder import load_encoder
from desktop_app.core.preprocess import preprocess
from trainer.metrics import code_health, mean_average_precision


def encode_all(enc, images: np.ndarray, batch: int = 64) -> np.ndarray:
    cache = cache_root() / "codes" / f"default-cifar-{enc.model_id[:16]}.npy"
    if cache.is_file():
        return np.load(cache)
    spec, out, t0 = enc.card.input, [], time.time()
    for s in range(0, len(images), batch):
        pixels = np.stack([preprocess(Image.fromarray(im), spec) for im in images[s:s + batch]])
        out.append(enc.encode_pixels(pixels))
        if (s // batch) % 50 == 0:
            done = s + len(pixels)
            print(f"{done}/{len(images)} photos, {done / (time.time() - t0):.0f}/s", flush=True)
    codes = np.concatenate(out)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, codes)
    return codes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    t0 = time.time()
    enc = load_encoder(paths.default_model_dir(), providers=["CPUExecutionProvider"],
                       intra_op_threads=args.threads)
    images, labels, is_test = load_images()
    split = protocol1(labels, is_test, seed=0)
    codes = encode_all(enc, images)
    bits = np.unpackbits(codes, axis=1, count=enc.bits).astype(bool)
    result = {"model": enc.card.name, "bits": enc.bits, "model_id": enc.model_id,
              "queries": len(split.query), "database": len(split.database)}
    result["map_all"] = mean_average_precision(bits[split.query], labels[split.query],
                                               bits[split.database], labels[split.database])
    # The two parts of the code on their own (docs/default-model.md: 32 + 64 bits).
    for name, part in (("semantic_32", slice(0, 32)), ("near_duplicate_64", slice(32, 96))):
        if part.stop <= enc.bits:
            result[f"map_all_{name}"] = mean_average_precision(
                bits[split.query][:, part], labels[split.query],
                bits[split.database][:, part], labels[split.database])
    result["code_health"] = code_health(bits[split.database])
    result["seconds"] = time.time() - t0
    machine = (f"2-core {platform.machine()} CPU, no GPU, 24 GiB "
               f"(Python {platform.python_version()})")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "default-model-cifar.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        "# Default model on CIFAR-10 protocol 1 (for reference; no CIFAR labels in training)", "",
        (f"Command: `nice -n 5 .venv/bin/python bench/default_model_cifar.py --threads "
         f"{args.threads}`"), f"Machine: {machine}. Wall time {result['seconds'] / 60:.1f} min.",
        f"Model: {enc.card.name} ({enc.bits} bits, id {enc.model_id[:12]}).", "",
        (f"{result['queries']:,} queries, {result['database']:,}-photo database, mAP@all over "
         "the full Hamming ranking (ties in database order)."), "",
        "| code | mAP@all |", "|---|---|",
        f"| whole code ({enc.bits} bits) | {result['map_all']:.4f} |",
    ]
    for key, label in (("map_all_semantic_32", "first 32 bits (semantic part)"),
                       ("map_all_near_duplicate_64", "last 64 bits (near-duplicate part)")):
        if key in result:
            lines.append(f"| {label} | {result[key]:.4f} |")
    (RESULTS_DIR / "default-model-cifar.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
