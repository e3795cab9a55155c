"""Cached backbone features and pHashes for the default-model benchmark and build.

Features come from the trainer's own extractor (trainer.features.extract_features: the app's
load_photo + preprocess, so EXIF orientation is applied exactly as the app applies it), cached
under the bench cache folder. pHash (imagehash, 64 bits) is computed on the same decoded photo.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.default_model_data import cache_root


def features(paths: Sequence[Path], batch_size: int = 32, progress=None) -> np.ndarray:
    from trainer.features import extract_features

    return extract_features(list(paths), cache_dir=cache_root() / "features",
                            batch_size=batch_size,
                            threads=int(os.environ.get("BENCH_THREADS", "2")),
                            progress=progress)


def phashes(paths: Sequence[Path]) -> np.ndarray:
    """64-bit perceptual hashes, packed uint8 [N, 8], of the photos as the app decodes them."""
    import imagehash

    from desktop_app.core.images import load_photo

    key = hashlib.sha256("\n".join(map(str, paths)).encode()).hexdigest()[:20]
    path = cache_root() / "phash" / f"phash-{key}.npy"
    if path.is_file():
        return np.load(path)
    out = np.zeros((len(paths), 8), np.uint8)
    for i, p in enumerate(paths):
        bits = imagehash.phash(load_photo(p).image, hash_size=8).hash.reshape(-1)
        out[i] = np.packbits(bits)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


if __name__ == "__main__":  # warm the caches: python -m bench.default_model_features
    import sys
    import time

    from bench import default_model_data as d

    t0 = time.time()
    sets = {"cifar-db": lambda: d.cifar_test_database()[0],
            "cifar-edits": lambda: d.neardup_cifar().queries,
            "samples": lambda: d.neardup_samples().database[:len(d.sample_photo_paths())],
            "sample-edits": lambda: d.neardup_samples().queries,
            "train": lambda: d.training_set().photos,
            "train-edits": lambda: d.training_set().edited,
            "val": lambda: d.validation_set().photos,
            "val-edits": lambda: d.validation_set().edited}
    for name in sys.argv[1:] or sets:
        paths = sets[name]()
        f = features(paths, progress=lambda a, b: None)
        phashes(paths)
        print(json.dumps({"set": name, "n": len(paths), "dim": f.shape[1],
                          "elapsed_s": round(time.time() - t0, 1)}), flush=True)
