"""Benchmark of the shipped default model against pHash and the float backbone features.

    nice -n 10 .venv/bin/python -m bench.default_model_bench [--model DIR] [--out PREFIX]

Writes PREFIX.md, PREFIX.json and PREFIX-recall.png (default prefix
bench/results/default-model-benchmark). Needs ../shared/datasets/cifar10-jpg.tar.gz.

What it measures (data: bench/default_model_data.py, edits: bench/default_model_edits.py):
- near-duplicates: recall@1 per edit kind. (a) 200 CIFAR-10 test photos (20 per class, upscaled
  from 32 to 256 px: the only large offline photo set here is CIFAR-10), each edited 8 ways,
  searched among 1,000 CIFAR-10 test photos (100 per class) that hold the originals; (b) the 27
  shipped sample photos (up to 1024 px), each edited 8 ways, searched among themselves plus the
  same 1,000 CIFAR photos.
- same kind: leave-one-out mAP@100 over the 1,000 CIFAR-10 test photos (relevant = same class).
- CIFAR-10 protocol-1 reference: mAP@all of the protocol's query side (the same 1,000 test photos)
  against a 2,400-photo database of training photos (the full 59,000-photo database is out of reach
  of a shared 2-core CPU at 224 px; mAP@all is insensitive to uniform subsampling of the database).
- encoding speed: photos per second, model only (preprocessed batches of 32) and end to end
  (read + decode + EXIF + preprocess + encode, the app's own functions) on the sample photos.
The model's codes come from the exported ONNX file through the app's Encoder (not from torch).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench import default_model_data as data
from bench._common import machine
from bench.default_model_features import features, phashes
from bench.default_model_metrics import map_all, map_at_k, recall_at_1
from desktop_app import paths as app_paths
from desktop_app.core.encoder import Encoder, open_model_folder
from desktop_app.core.images import load_photo
from desktop_app.core.preprocess import draft_target, preprocess

REPO = Path(__file__).resolve().parent.parent
EDIT_ORDER = ["resaved_smaller", "cropped", "exif_rotated", "brightened", "watermarked", "padded",
              "tilted", "mirrored"]


def open_encoder(model_dir: Path, threads: int) -> Encoder:
    return Encoder(open_model_folder(model_dir), providers=["CPUExecutionProvider"],
                   intra_op_threads=threads)


def model_codes(enc: Encoder, paths: list[Path], batch: int = 32) -> np.ndarray:
    """Packed codes from the ONNX model for photo files, read the way the app reads them
    (cached per model id, reader source and file list)."""
    # The reader's source is part of the key: a change to how photos are decoded changes codes
    # (a cache keyed by model and files alone once kept codes from before such a change).
    reader = "".join((REPO / "desktop_app" / "core" / f).read_text()
                     for f in ("images.py", "preprocess.py"))
    key = hashlib.sha256((enc.model_id + reader + "\n".join(map(str, paths))).encode()
                         ).hexdigest()[:20]
    cache = data.cache_root() / "codes" / f"codes-{key}.npy"
    if cache.is_file():
        return np.load(cache)
    spec = enc.card.input
    out = []
    for s in range(0, len(paths), batch):
        pixels = np.stack([preprocess(load_photo(p, min_size=draft_target(spec)).image, spec)
                           for p in paths[s:s + batch]])
        out.append(enc.encode_pixels(pixels))
    codes = np.concatenate(out)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, codes)
    return codes


def encoding_speed(enc: Encoder, photos: list[Path], repeats: int = 3) -> dict[str, float]:
    spec = enc.card.input
    pixels = np.stack([preprocess(load_photo(p, min_size=draft_target(spec)).image, spec)
                       for p in photos[:32]])
    enc.encode_pixels(pixels[:4])  # warm up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        enc.encode_pixels(pixels)
        best = min(best, time.perf_counter() - t)
    model_only = len(pixels) / best
    t = time.perf_counter()
    batch = []
    for p in photos:
        batch.append(preprocess(load_photo(p, min_size=draft_target(spec)).image, spec))
        if len(batch) == 32:
            enc.encode_pixels(np.stack(batch))
            batch = []
    if batch:
        enc.encode_pixels(np.stack(batch))
    end_to_end = len(photos) / (time.perf_counter() - t)
    return {"model_only_photos_per_s": model_only, "end_to_end_photos_per_s": end_to_end,
            "end_to_end_photos": len(photos)}


def neardup_rows(enc: Encoder, s: data.NearDupSet) -> dict[str, dict[str, float]]:
    return {
        "model": recall_at_1(model_codes(enc, s.queries), model_codes(enc, s.database),
                             s.query_target, s.query_kind, "bits"),
        "pHash": recall_at_1(phashes(s.queries), phashes(s.database), s.query_target,
                             s.query_kind, "bits"),
        "float": recall_at_1(features(s.queries), features(s.database), s.query_target,
                             s.query_kind, "float"),
    }


def distance_profile(enc: Encoder, s: data.NearDupSet) -> dict[str, float]:
    """Hamming distances an edited copy has to its original, and to its nearest other photo:
    what a duplicate threshold (max_distance) for this model should sit between."""
    from trainer.metrics import hamming_matrix

    q = np.unpackbits(model_codes(enc, s.queries), axis=1, count=enc.bits).astype(bool)
    db = np.unpackbits(model_codes(enc, s.database), axis=1, count=enc.bits).astype(bool)
    dist = hamming_matrix(q, db)
    rows = np.arange(len(q))
    to_original = dist[rows, s.query_target]
    dist[rows, s.query_target] = enc.bits + 1
    to_other = dist.min(axis=1)
    return {"to_original_median": float(np.percentile(to_original, 50)),
            "to_original_p90": float(np.percentile(to_original, 90)),
            "to_original_p95": float(np.percentile(to_original, 95)),
            "nearest_other_p5": float(np.percentile(to_other, 5)),
            "nearest_other_median": float(np.percentile(to_other, 50))}


def shown_path(path: Path) -> str:
    """The model folder as results files show it: relative to the repository when inside it,
    so committed results name no machine's paths."""
    path = Path(path).resolve()
    if path.is_relative_to(REPO):
        return os.fspath(path.relative_to(REPO))
    home = Path.home()
    return ("~/" + os.fspath(path.relative_to(home)) if path.is_relative_to(home)
            else os.fspath(path))


def run(model_dir: Path, threads: int) -> dict:
    enc = open_encoder(model_dir, threads)
    t0 = time.time()
    result: dict = {"model": {"dir": shown_path(model_dir), "name": enc.card.name,
                              "bits": enc.bits, "model_id": enc.model_id},
                    "machine": machine(), "threads": threads}
    result["neardup_cifar"] = neardup_rows(enc, data.neardup_cifar())
    result["neardup_samples"] = neardup_rows(enc, data.neardup_samples())
    result["duplicate_distances"] = distance_profile(enc, data.neardup_cifar())
    db, labels = data.cifar_test_database()
    codes = model_codes(enc, db)
    result["same_kind_map100"] = {"model": map_at_k(codes, labels, "bits"),
                                  "pHash": map_at_k(phashes(db), labels, "bits"),
                                  "float": map_at_k(features(db), labels, "float")}
    tr, va = data.training_set(), data.validation_set()
    db2 = tr.photos + va.photos
    db2_labels = np.concatenate([tr.cifar_labels, va.cifar_labels])
    result["cifar_protocol1_reduced_map_all"] = {
        "model": map_all(codes, labels, model_codes(enc, db2), db2_labels),
        "queries": len(db), "database": len(db2)}
    result["speed"] = encoding_speed(enc, data.sample_photo_paths())
    result["seconds"] = time.time() - t0
    return result


def overall(rows: dict[str, dict[str, float]], who: str) -> float:
    return rows[who]["all"]


def markdown(r: dict, command: str) -> str:
    lines = [f"# Default model benchmark: {r['model']['name']} ({r['model']['bits']} bits)", "",
             f"Command: `{command}`  ", f"Machine: {r['machine']}  ",
             (f"Wall time: {r['seconds']:.0f} s (model codes cached per model id after a "
              "first run)  "),
             f"Model id (sha256 of model.onnx): `{r['model']['model_id'][:16]}...`", ""]
    for key, title in (("neardup_cifar", ("Near-duplicates, 1,600 edited CIFAR-10 test photos "
                        "among 1,000 (upscaled 32 -> 256 px)")),
                       ("neardup_samples", ("Near-duplicates, 216 edited sample photos (up to "
                        "1024 px) among 1,027"))):
        rows = r[key]
        lines += [f"## {title}", "", "| edit | model | pHash 64 | float (cosine) |",
                  "|---|---|---|---|"]
        for k in EDIT_ORDER + ["all"]:
            lines.append(f"| {k} | {rows['model'][k]:.3f} | {rows['pHash'][k]:.3f} | "
                         f"{rows['float'][k]:.3f} |")
        lines.append("")
    s = r["same_kind_map100"]
    lines += ["## Same-kind search (1,000 CIFAR-10 test photos, leave-one-out mAP@100)", "",
              "| model | pHash 64 | float (cosine) | model / float |", "|---|---|---|---|",
              (f"| {s['model']:.3f} | {s['pHash']:.3f} | {s['float']:.3f} | "
              f"{s['model'] / s['float']:.2f} |"), ""]
    if "duplicate_distances" in r:
        dd = r["duplicate_distances"]
        lines += [("## Hamming distances on the CIFAR near-duplicate set "
                   "(for a duplicate threshold)"),
                  "", (f"- edited copy to its original: median {dd['to_original_median']:.0f}, "
                  f"90th percentile {dd['to_original_p90']:.0f}, 95th {dd['to_original_p95']:.0f}"),
                  (f"- edited copy to the nearest other photo: 5th percentile "
                  f"{dd['nearest_other_p5']:.0f}, median {dd['nearest_other_median']:.0f}"), ""]
    c = r["cifar_protocol1_reduced_map_all"]
    sp = r["speed"]
    lines += ["## CIFAR-10 protocol-1 reference (no CIFAR labels used in training)", "",
              (f"mAP@all = {c['model']:.3f} ({c['queries']} queries, {c['database']}-photo "
              "database subsample)"), "", "## Encoding speed", "",
              (f"- model only (preprocessed batches of 32): {sp['model_only_photos_per_s']:.1f} "
              "photos/s"),
              (f"- end to end (read, decode, EXIF, preprocess, encode; {sp['end_to_end_photos']} "
              f"sample photos up to 1024 px): {sp['end_to_end_photos_per_s']:.1f} photos/s"),
              f"- onnxruntime threads: {r['threads']}", ""]
    return "\n".join(lines)


def plot(r: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
    for ax, key, title in ((axes[0], "neardup_cifar", "CIFAR-10 test (upscaled)"),
                           (axes[1], "neardup_samples", "sample photos")):
        rows = r[key]
        x = np.arange(len(EDIT_ORDER) + 1)
        for i, who in enumerate(("model", "pHash", "float")):
            ax.bar(x + (i - 1) * 0.27, [rows[who][k] for k in EDIT_ORDER + ["all"]], 0.27,
                   label=who)
        ax.set_xticks(x, EDIT_ORDER + ["all"], rotation=35, ha="right")
        ax.set_title(f"recall@1, {title}")
        ax.axhline(0.9, color="grey", lw=0.8, ls="--")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=app_paths.default_model_dir())
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" /
                    "default-model-benchmark")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    if not data.cifar_available():
        print(f"{data.CIFAR_TAR} is missing; this benchmark needs it.")
        return 2
    r = run(args.model, args.threads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    command = "nice -n 10 .venv/bin/python -m bench.default_model_bench" + "".join(
        " " + a for a in (sys.argv[1:] if argv is None else argv))
    Path(f"{args.out}.json").write_text(json.dumps(r, indent=1) + "\n")
    Path(f"{args.out}.md").write_text(markdown(r, command))
    plot(r, Path(f"{args.out}-recall.png"))
    print(markdown(r, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
