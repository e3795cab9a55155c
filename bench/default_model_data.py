"""Offline data for the default model: CIFAR-10 photos written as upscaled JPEG files, the
shipped sample photos, and edited copies of both (bench/default_model_edits.py).

Everything here is deterministic (fixed seeds, sorted members), so the benchmark and
`bench/build_default_model.py` see the same files on every machine. Files go under a cache folder
(LOOKALIKE_BENCH_CACHE, default ~/.cache/lookalike-default-model); nothing is written to the repo.
"""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bench.default_model_edits import EDITS, write_edit

REPO = Path(__file__).resolve().parent.parent
CIFAR_TAR = REPO.parent / "shared" / "datasets" / "cifar10-jpg.tar.gz"
SAMPLE_PHOTOS = REPO / "resources" / "sample-photos"
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck")
UPSCALED_SIDE = 256  # 32 px CIFAR photos are written at this size so that edits are realistic


def cache_root() -> Path:
    return Path(os.environ.get("LOOKALIKE_BENCH_CACHE",
                               Path.home() / ".cache" / "lookalike-default-model"))


def cifar_available() -> bool:
    return CIFAR_TAR.is_file()


@dataclass(frozen=True)
class CifarSplit:
    images: np.ndarray  # uint8 [N, 32, 32, 3]
    labels: np.ndarray  # int [N]
    names: list[str]  # member names, e.g. "test/cat/0001.jpg"


_CIFAR: dict[str, CifarSplit] = {}


def load_cifar(split: str) -> CifarSplit:
    """All of one split ("train" or "test") of ../shared/datasets/cifar10-jpg.tar.gz, in name
    order."""
    if split in _CIFAR:
        return _CIFAR[split]
    if not cifar_available():
        raise FileNotFoundError(f"{CIFAR_TAR} is missing: the default-model benchmark needs the "
                                "shared CIFAR-10 archive (see ../shared/datasets/README.md)")
    found: dict[str, tuple[np.ndarray, int]] = {}
    with tarfile.open(CIFAR_TAR, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) < 3 or parts[-3] != split:
                continue
            cls = parts[-2]
            if cls not in CIFAR_CLASSES:
                continue
            data = tar.extractfile(member).read()
            img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8)
            found["/".join(parts[-3:])] = (img, CIFAR_CLASSES.index(cls))
    names = sorted(found)
    out = CifarSplit(np.stack([found[n][0] for n in names]),
                     np.array([found[n][1] for n in names]), names)
    _CIFAR[split] = out
    return out


def per_class_indices(labels: np.ndarray, per_class: int, seed: int,
                      exclude: np.ndarray | None = None) -> np.ndarray:
    """`per_class` indices of each label, drawn with a fixed seed (sorted)."""
    rng = np.random.default_rng(seed)
    allowed = np.ones(len(labels), bool)
    if exclude is not None:
        allowed[exclude] = False
    picks = []
    for c in np.unique(labels):
        pool = np.flatnonzero((labels == c) & allowed)
        picks.append(rng.choice(pool, per_class, replace=False))
    return np.sort(np.concatenate(picks))


def upscaled(img: np.ndarray) -> Image.Image:
    return Image.fromarray(img, "RGB").resize((UPSCALED_SIDE, UPSCALED_SIDE),
                                              Image.Resampling.BICUBIC)


def write_cifar_photos(split: str, indices: np.ndarray, folder: str) -> list[Path]:
    """CIFAR photos at `indices`, upscaled and saved as JPEG (quality 95), one file each."""
    data = load_cifar(split)
    out_dir = cache_root() / folder
    paths = []
    for i in indices:
        path = out_dir / f"{split}-{int(i):05d}.jpg"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            upscaled(data.images[i]).save(path, quality=95)
        paths.append(path)
    return paths


def sample_photo_paths() -> list[Path]:
    """The shipped sample photos that are originals (the '-copy' files are edits themselves)."""
    return sorted(p for p in SAMPLE_PHOTOS.glob("*.jpg") if "-copy" not in p.stem)


def write_edits(originals: list[Path], folder: str, kinds: list[str] | None = None,
                seed: int = 0) -> list[tuple[int, str, Path]]:
    """Edited copies of `originals`: (original index, kind, path). With `kinds` None, every edit
    kind is applied to every original; otherwise kinds[i] is applied to originals[i]."""
    out_dir = cache_root() / folder
    made = []
    for i, src in enumerate(originals):
        todo = list(EDITS) if kinds is None else [kinds[i]]
        image = None
        for k_index, kind in enumerate(todo):
            path = out_dir / kind / f"{src.stem}.jpg"
            if not path.is_file():
                if image is None:
                    image = Image.open(src).convert("RGB")
                write_edit(image, kind, path, seed=seed * 1_000_003 + i * 31 + k_index)
            made.append((i, kind, path))
    return made


# -- the sets the benchmark and the build use (fixed seeds; never overlapping) --------------------
@dataclass
class NearDupSet:
    """Originals (all in the database) and edited copies of some of them (the queries)."""

    database: list[Path]
    db_labels: np.ndarray  # CIFAR class, or -1 for a sample photo
    queries: list[Path]
    query_target: np.ndarray  # index into `database` of each query's original
    query_kind: list[str]


def cifar_test_database() -> tuple[list[Path], np.ndarray]:
    """1,000 CIFAR-10 test photos (100 per class): the near-duplicate distractors and the
    same-kind search set. Never used for training or model selection."""
    test = load_cifar("test")
    idx = per_class_indices(test.labels, 100, seed=1)
    return write_cifar_photos("test", idx, "cifar-test-db"), test.labels[idx]


def neardup_cifar() -> NearDupSet:
    """Every edit of 20 photos per class, searched among the 1,000 test photos."""
    db, labels = cifar_test_database()
    originals = [i for c in range(10) for i in np.flatnonzero(labels == c)[:20]]
    made = write_edits([db[i] for i in originals], "cifar-test-edits")
    return NearDupSet(db, labels, [p for _, _, p in made],
                      np.array([originals[i] for i, _, _ in made]), [k for _, k, _ in made])


def neardup_samples() -> NearDupSet:
    """Every edit of each shipped sample photo, searched among those photos plus the 1,000 CIFAR
    test photos (full-resolution photos, but few of them)."""
    db, labels = cifar_test_database()
    originals = sample_photo_paths()
    made = write_edits(originals, "sample-edits")
    return NearDupSet(originals + db, np.concatenate([np.full(len(originals), -1), labels]),
                      [p for _, _, p in made], np.array([i for i, _, _ in made]),
                      [k for _, k, _ in made])


@dataclass
class TrainingSet:
    """Photos for the head (teacher labels only: CIFAR labels are never used for training) with
    one edited copy each, for augmentation invariance."""

    photos: list[Path]
    edited: list[Path]
    edit_kind: list[str]
    cifar_labels: np.ndarray  # for validation and the protocol-1 reference only


def training_set(name: str = "train", per_class: int = 200, seed: int = 2) -> TrainingSet:
    train = load_cifar("train")
    exclude = None
    if name == "val":  # a validation split disjoint from the training photos
        exclude = per_class_indices(train.labels, 200, seed=2)
    idx = per_class_indices(train.labels, per_class, seed=seed, exclude=exclude)
    photos = write_cifar_photos("train", idx, f"cifar-{name}")
    kinds_rng = np.random.default_rng(seed + 100)
    kinds = [list(EDITS)[int(k)] for k in kinds_rng.integers(0, len(EDITS), len(photos))]
    made = write_edits(photos, f"cifar-{name}-edits", kinds=kinds, seed=seed)
    return TrainingSet(photos, [p for _, _, p in made], kinds, train.labels[idx])


def validation_set() -> TrainingSet:
    return training_set("val", per_class=40, seed=3)
