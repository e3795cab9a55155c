"""CIFAR-10 protocol 1 for the benchmarks: the data, the split, and cached backbone features.

The archive ../shared/datasets/cifar10-jpg.tar.gz is unpacked into a cache folder outside the
repository (LOOKALIKE_BENCH_CACHE, default ~/.cache/lookalike-bench), never into the repo.
Protocol 1: 1,000 queries (100 per class) drawn with a fixed seed from the test images; 5,000
training images (500 per class) from the remaining 59,000; the database is all 59,000 non-query
images. The validation split used for model selection is carved out of the 5,000 training images.
"""

from __future__ import annotations

import os
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "bench" / "results"
ARCHIVE = REPO.parent / "shared" / "datasets" / "cifar10-jpg.tar.gz"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck")


def cache_root() -> Path:
    return Path(os.environ.get("LOOKALIKE_BENCH_CACHE", Path.home() / ".cache" / "lookalike-bench"))


def archive_path() -> Path:
    path = Path(os.environ.get("LOOKALIKE_CIFAR_ARCHIVE", ARCHIVE))
    if not path.is_file():
        sys.exit(f"{path}: the CIFAR-10 archive is missing. Put cifar10-jpg.tar.gz in "
                 "../shared/datasets/ or set LOOKALIKE_CIFAR_ARCHIVE.")
    return path


def unpacked() -> Path:
    root = cache_root() / "cifar10-jpg"
    if not (root / "test" / "truck").is_dir():
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive_path()) as tar:
            tar.extractall(root, filter="data")
    return root


def load_images() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images uint8 [60000,32,32,3], labels int [60000], is_test bool [60000]), cached as .npz."""
    cached = cache_root() / "cifar10-uint8.npz"
    if cached.is_file():
        z = np.load(cached)
        return z["images"], z["labels"], z["is_test"]
    from PIL import Image

    root = unpacked()
    images, labels, is_test = [], [], []
    for part in ("train", "test"):
        for c, name in enumerate(CLASSES):
            for f in sorted((root / part / name).iterdir()):
                with Image.open(f) as im:
                    images.append(np.asarray(im.convert("RGB"), np.uint8))
                labels.append(c)
                is_test.append(part == "test")
    out = np.stack(images), np.array(labels), np.array(is_test)
    np.savez(cached, images=out[0], labels=out[1], is_test=out[2])
    return out


@dataclass(frozen=True)
class Protocol1:
    query: np.ndarray  # indices into the 60,000
    train: np.ndarray  # 5,000 (includes the validation images)
    val: np.ndarray  # subset of train used only for model selection / bit importance
    fit: np.ndarray  # train minus val: what the head is fitted on
    database: np.ndarray  # all 59,000 non-query images


def protocol1(labels: np.ndarray, is_test: np.ndarray, seed: int = 0,
              val_per_class: int = 100) -> Protocol1:
    rng = np.random.default_rng(seed)
    query, train, val = [], [], []
    for c in range(10):
        test_c = np.flatnonzero((labels == c) & is_test)
        q = rng.choice(test_c, 100, replace=False)
        query.append(q)
        rest = np.setdiff1d(np.flatnonzero(labels == c), q)
        t = rng.choice(rest, 500, replace=False)
        train.append(t)
        val.append(t[:val_per_class])
    query, train, val = (np.sort(np.concatenate(x)) for x in (query, train, val))
    database = np.setdiff1d(np.arange(len(labels)), query)
    return Protocol1(query, train, val, np.setdiff1d(train, val), database)


def features(size: int = 128, threads: int = 2) -> np.ndarray:
    """EfficientNet-Lite0 features [60000,1280] of the images upscaled to size x size."""
    from trainer.features import extract_array_features, input_spec_for

    images, _, _ = load_images()
    spec = input_spec_for("efficientnet_lite0", size=size, crop="none")
    t0 = time.time()

    def progress(done: int, total: int) -> None:
        if done % 2048 < 64 or done == total:
            rate = done / max(1e-9, time.time() - t0)
            print(f"features {done}/{total} ({rate:.0f} img/s)", file=sys.stderr, flush=True)

    return extract_array_features(images, spec=spec, cache_dir=cache_root() / "features",
                                  batch_size=64, threads=threads, progress=progress)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Unpack CIFAR-10 and cache its backbone features.")
    ap.add_argument("--size", type=int, default=128)
    args = ap.parse_args()
    t = time.time()
    f = features(args.size)
    print(f"features {f.shape} in {time.time() - t:.0f} s", flush=True)
