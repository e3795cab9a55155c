"""Backbone features for photos, extracted once and cached as .npy.

Photos are read with the app's own `load_photo` + `preprocess`, using an InputSpec built from the
backbone's input scaling, so the head is trained on exactly the tensors the app will feed the
exported graph. The cache key covers every path with its size and mtime, the backbone and the input
spec: change any of them and the features are extracted again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from desktop_app.core.errors import PhotoReadError
from desktop_app.core.images import load_photo
from desktop_app.core.model_card import InputSpec
from desktop_app.core.preprocess import draft_target, preprocess

log = logging.getLogger(__name__)

# Below this many photos eager torch beats exporting the backbone to onnxruntime first.
SMALL_JOB = 200

# (done, total) after every batch.
FeatureProgress = Callable[[int, int], None]


def input_spec_for(backbone: str = "efficientnet_lite0", size: int = 224,
                   crop: str = "center") -> InputSpec:
    """The InputSpec the app will use for a model built on `backbone` at `size` pixels."""
    from .backbones import BACKBONES

    scaling = BACKBONES[backbone].input_scaling
    return InputSpec(size=(size, size), resize_shorter=size, crop=crop,
                     scale=float(scaling["scale"]), mean=tuple(scaling["mean"]),
                     std=tuple(scaling["std"]))


def cap_threads(threads: int | None = None) -> int:
    """Keep torch from taking every core of a shared machine (and the GUI's core)."""
    import torch

    threads = threads or max(1, min(int(os.environ.get("LOOKALIKE_TRAIN_THREADS", "0"))
                                    or (os.cpu_count() or 2), 8))
    torch.set_num_threads(threads)
    return threads


def photo_tensor(path: str | os.PathLike, spec: InputSpec) -> np.ndarray:
    """One photo file -> float32 [3,H,W], exactly as the app encodes it."""
    loaded = load_photo(path, min_size=draft_target(spec))
    return preprocess(loaded.image, spec)


def photo_tensors(paths: Sequence[str | os.PathLike], spec: InputSpec) -> np.ndarray:
    return np.stack([photo_tensor(p, spec) for p in paths]) if len(paths) else \
        np.zeros((0, 3, *spec.size), np.float32)


def array_tensors(images: np.ndarray, spec: InputSpec) -> np.ndarray:
    """uint8 images [N,h,w,3] (e.g. CIFAR) -> float32 [N,3,H,W] through the app's preprocess."""
    from PIL import Image

    return np.stack([preprocess(Image.fromarray(np.asarray(im, np.uint8), "RGB"), spec)
                     for im in images])


def cache_key(paths: Sequence[str | os.PathLike], backbone: str, spec: InputSpec,
              extra: str = "") -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"backbone": backbone, "spec": asdict(spec), "extra": extra},
                        sort_keys=True).encode())
    for p in paths:
        try:
            st = os.stat(p)
            h.update(f"{os.fspath(p)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode(
                "utf-8", "surrogateescape"))  # a file name that is not UTF-8
        except OSError:
            h.update(f"{os.fspath(p)}\0missing\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:24]


def array_key(images: np.ndarray, backbone: str, spec: InputSpec) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"backbone": backbone, "spec": asdict(spec), "shape": images.shape},
                        sort_keys=True).encode())
    h.update(np.ascontiguousarray(images).tobytes())
    return h.hexdigest()[:24]


class FeatureExtractor:
    """A frozen backbone in eval mode that maps float32 [N,3,H,W] batches to [N,D] features.

    On a CPU the backbone runs through onnxruntime (exported once at the input size): measured
    here 3-8x faster than eager torch for EfficientNet-Lite0's depthwise convolutions. On CUDA,
    or with engine="torch", torch runs it directly.
    """

    def __init__(self, backbone: str = "efficientnet_lite0", device: str = "cpu",
                 threads: int | None = None, model=None, size: tuple[int, int] = (224, 224),
                 engine: str = "auto") -> None:
        import torch

        from .backbones import build_backbone

        self.threads = cap_threads(threads)
        self.backbone_name = backbone
        self.device = torch.device(device)
        self.model = (model if model is not None else build_backbone(backbone)).to(self.device)
        self.model.eval()
        self.engine = ("onnx" if self.device.type == "cpu" else "torch") if engine == "auto" \
            else engine
        self._size = size
        self.session = None

    def _onnx_session(self, size: tuple[int, int]):
        import tempfile

        import onnxruntime as ort

        from .export import export_onnx

        with tempfile.TemporaryDirectory(prefix="lookalike-backbone-") as tmp:
            path = Path(tmp) / "backbone.onnx"
            export_onnx(self.model.cpu(), path, size, output_name="features")
            self.model.to(self.device)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        import torch

        pixels = np.ascontiguousarray(pixels, np.float32)
        if self.engine == "onnx" and self.session is None:
            self.session = self._onnx_session(self._size)  # exported on first use
        if self.session is not None:
            return self.session.run(None, {"pixels": pixels})[0]
        with torch.inference_mode():
            x = torch.from_numpy(pixels).to(self.device)
            return self.model(x).float().cpu().numpy()


def _run_batches(n: int, make_batch: Callable[[int, int], np.ndarray],
                 extractor: FeatureExtractor, batch_size: int,
                 progress: FeatureProgress | None, partial: Path | None = None) -> np.ndarray:
    """Features of rows 0..n. `partial`: where the rows done so far are kept when the run is
    stopped (Ctrl-C: thousands of photos are minutes of work), and taken up again from."""
    out = _load_partial(partial, n)
    done = 0 if out is None else int(out.shape[0])
    if out is not None:
        log.info("going on from the %d of %d features extracted before a stop", done, n)
        out = np.concatenate([out, np.zeros((n - done, out.shape[1]), np.float32)])
    try:
        if progress and done:
            progress(done, n)
        for start in range(done, n, batch_size):
            stop = min(n, start + batch_size)
            feats = extractor(make_batch(start, stop))
            if out is None:
                out = np.zeros((n, feats.shape[1]), np.float32)
            out[start:stop] = feats
            done = stop
            if progress:
                progress(stop, n)
    except BaseException:  # Stopped, KeyboardInterrupt, an unreadable photo...
        if partial is not None and out is not None and done:
            try:
                _save_npy(partial, out[:done])
            except OSError as exc:  # a full disk: the stop (or error) is what to report
                log.warning("%s: the features extracted so far were not kept (%s)", partial,
                            exc.strerror)
        raise
    return out if out is not None else np.zeros((0, 0), np.float32)


def _load_partial(partial: Path | None, n: int) -> np.ndarray | None:
    if partial is None or not partial.is_file():
        return None
    try:
        rows = np.load(partial)
    except (OSError, ValueError):
        rows = None
    if rows is None or rows.ndim != 2 or not 0 < rows.shape[0] <= n:
        log.warning("%s is damaged; extracting those features again", partial)
        return None
    return rows.astype(np.float32, copy=False)


def _save_npy(path: Path, array: np.ndarray) -> None:
    """Whole or not at all: a file torn by a full disk is never taken for features."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npy")
    try:
        np.save(tmp, array)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def cache_files(cache_dir: str | os.PathLike, key: str) -> tuple[Path, Path]:
    """The cache's file of the features of `key`, and that of the rows a stopped extraction
    kept."""
    path = Path(cache_dir) / f"features-{key}.npy"
    return path, path.with_name(f"features-{key}.partial.npy")


def _cached(cache_dir: str | os.PathLike | None, key: str,
            compute: Callable[[Path | None], np.ndarray]) -> np.ndarray:
    """compute(partial): the features, keeping the rows done at a stop in `partial`."""
    if cache_dir is None:
        return compute(None)
    path, partial = cache_files(cache_dir, key)
    if path.is_file():
        try:
            return np.load(path)
        except (OSError, ValueError):
            log.warning("feature cache %s is damaged; extracting again", path)
    feats = compute(partial)
    _save_npy(path, feats)
    partial.unlink(missing_ok=True)
    return feats


def extract_features(paths: Sequence[str | os.PathLike], backbone: str = "efficientnet_lite0",
                     spec: InputSpec | None = None, cache_dir: str | os.PathLike | None = None,
                     batch_size: int = 32, device: str = "cpu", threads: int | None = None,
                     progress: FeatureProgress | None = None,
                     extractor: FeatureExtractor | None = None, model=None,
                     model_tag: str = "") -> np.ndarray:
    """Features float32 [N, D] for photo files (rows in `paths` order).

    `model` replaces the pretrained backbone (a fine-tuned one); `model_tag` must then identify
    its weights for the cache key.

    Raises PhotoReadError for an unreadable photo: callers pass only the photos `prepare` read.
    """
    spec = spec or input_spec_for(backbone)
    paths = [os.fspath(p) for p in paths]

    def compute(partial: Path | None) -> np.ndarray:
        ext = extractor or FeatureExtractor(backbone, device=device, threads=threads,
                                           size=spec.size, model=model,
                                           engine="auto" if len(paths) >= SMALL_JOB else "torch")
        t0 = time.perf_counter()
        feats = _run_batches(len(paths), lambda a, b: photo_tensors(paths[a:b], spec), ext,
                             batch_size, progress, partial)
        log.info("extracted %d features in %.1f s", len(paths), time.perf_counter() - t0)
        return feats

    return _cached(cache_dir, cache_key(paths, backbone, spec, model_tag), compute)


def extract_array_features(images: np.ndarray, backbone: str = "efficientnet_lite0",
                           spec: InputSpec | None = None,
                           cache_dir: str | os.PathLike | None = None, batch_size: int = 64,
                           device: str = "cpu", threads: int | None = None,
                           progress: FeatureProgress | None = None,
                           extractor: FeatureExtractor | None = None) -> np.ndarray:
    """Features for in-memory uint8 images [N,h,w,3] (the CIFAR benchmark)."""
    spec = spec or input_spec_for(backbone)

    def compute(partial: Path | None) -> np.ndarray:
        ext = extractor or FeatureExtractor(backbone, device=device, threads=threads,
                                           size=spec.size)
        return _run_batches(len(images), lambda a, b: array_tensors(images[a:b], spec), ext,
                            batch_size, progress, partial)

    return _cached(cache_dir, array_key(images, backbone, spec), compute)


__all__ = [
    "FeatureExtractor",
    "PhotoReadError",
    "array_tensors",
    "cap_threads",
    "extract_array_features",
    "extract_features",
    "input_spec_for",
    "photo_tensor",
    "photo_tensors",
]
