"""Measure an app model (the one in use, say) on a run's held-out photos, as `evaluate` measures
the new model: the same query and database photos, their labels from the run's manifest, the same
metric code. Its codes come from the app's own reader, preprocessing and onnxruntime Encoder, so
the numbers are those the app would get with that model. The numbers are kept in the run folder
with what they were measured on (measured_inputs) and reused while that is unchanged: a resumed
run does not encode every photo again. No torch."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.core.encoder import Encoder, open_model_folder
from desktop_app.core.errors import LookalikeError
from desktop_app.core.hashing import unpack_bits
from desktop_app.core.model_card import CARD_FILE, file_sha256, read_card
from desktop_app.core.pipeline import default_decode_threads, ordered_map

from .albums import Manifest
from .errors import Stopped
from .evaluate import evaluate_codes, summary
from .features import photo_tensor
from .pipeline import photos_as_prepared
from .progress import Reporter, stoppable_progress
from .rundir import MANIFEST

log = logging.getLogger(__name__)

COMPARISON = "comparison.json"  # in the run folder: the compared model's numbers, or why none
BATCH = 32  # photos per onnxruntime call
# Raised when what a measure holds changes: numbers saved by an older trainer are not reused.
MEASURE_VERSION = 1


def encode_photos(encoder: Encoder, paths: Sequence[str], threads: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Each photo's code as the app computes it (its reader, the model card's preprocessing, the
    Encoder): bool [N, bits]. Decoding runs ahead on threads, as when the app indexes."""
    spec, total = encoder.card.input, len(paths)
    packed: list[np.ndarray] = []
    batch: list[np.ndarray] = []
    decode = threads or default_decode_threads()
    with closing(ordered_map(lambda p: photo_tensor(p, spec), paths, decode,
                             window=2 * BATCH)) as tensors:
        for done, pixels in enumerate(tensors, 1):
            batch.append(pixels)
            if len(batch) == BATCH or done == total:
                packed.append(encoder.encode_pixels(np.stack(batch)))
                batch = []
                if progress:
                    progress(done, total)
    codes = np.concatenate(packed) if packed else np.zeros((0, encoder.card.code_bytes), np.uint8)
    return unpack_bits(codes, encoder.bits)


def measure_model(model_dir: str | os.PathLike, manifest: Manifest, threads: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """The model in model_dir evaluated on the manifest's query photos against its database
    photos: its name, length and evaluation summary. Raises ModelError for a model the app would
    refuse (missing, damaged, failing its self-test), AlbumError (problem "albums-changed") for a
    photo gone or changed since `prepare`."""
    encoder = Encoder(open_model_folder(model_dir), intra_op_threads=threads)
    with photos_as_prepared():  # the app's remedy ("retried when it changes") is not ours
        codes = encode_photos(encoder, manifest.paths(), threads, progress)
    labels = manifest.multi_hot()
    q, db = manifest.indices("query"), manifest.indices("database")
    # No bit importance: one mAP per bit, and the new model's card has no counterpart to it.
    report = evaluate_codes(codes[q], labels[q], codes[db], labels[db], importance=False)
    report["bits"] = encoder.bits
    return {"model_dir": str(Path(model_dir).resolve()), "name": encoder.card.name,
            "bits": encoder.bits, "evaluation": summary(report)}


def compare_on_run(model_dir: str | os.PathLike, run_dir: str | os.PathLike,
                   cfg: dict[str, Any], reporter: Reporter | None = None,
                   should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """measure_model on run_dir's split, or {"model_dir", "problem"}: a model that cannot be
    measured never fails the training. Written to run_dir/comparison.json and logged."""
    run_dir = Path(run_dir)

    # Stoppable: thousands of photos take a while.
    progress = stoppable_progress(
        reporter, should_stop, "compare", "stopped while measuring the current model on the "
        "held-out photos; run the same command again to go on")

    manifest = Manifest.load(run_dir / MANIFEST)
    inputs = measured_inputs(model_dir, manifest)
    saved = _load(run_dir / COMPARISON)
    if inputs is not None and saved.pop("inputs", None) == inputs and "evaluation" in saved:
        # The same model on the same photos, labels and split (a run resumed, or run again on
        # unchanged albums): encoding every photo again would give the same numbers.
        result = {**saved, "model_dir": str(Path(model_dir).resolve())}
        log.info("%s: the same model was measured on the same photos before; its numbers are "
                 "taken from %s", model_dir, run_dir / COMPARISON)
        _tell(result, reporter)
        return result
    try:
        result = measure_model(model_dir, manifest, int(cfg["train"]["threads"]) or None,
                               progress)
    except Stopped:
        raise
    except LookalikeError as exc:  # names the file and the cause
        result = {"model_dir": str(model_dir), "problem": str(exc)}
    except Exception as exc:  # the new model is no worse for it: say so and go on
        log.debug("measuring %s failed", model_dir, exc_info=True)
        result = {"model_dir": str(model_dir), "problem": f"{model_dir}: measuring this model "
                  f"failed unexpectedly ({type(exc).__name__}: {exc})"}
    _save(run_dir / COMPARISON, {**result, "inputs": inputs} if inputs and "evaluation" in result
          else result)
    _tell(result, reporter)
    return result


def measured_inputs(model_dir: str | os.PathLike, manifest: Manifest) -> dict[str, Any] | None:
    """What a measure depends on: the model's card and ONNX file (their sha256), the photos in
    their order with their content fingerprints, labels and split. None when the model cannot
    be read (measuring it says why)."""
    folder = Path(model_dir)
    try:
        card = read_card(folder)
        model = {"card_sha256": file_sha256(folder / CARD_FILE),
                 "onnx_sha256": file_sha256(folder / card.onnx_file)}
    except (LookalikeError, OSError):
        return None
    photos = json.dumps([manifest.labels] + [[p.path, p.fingerprint, p.labels, p.split]
                                             for p in manifest.photos])
    return {"version": MEASURE_VERSION, **model,
            "photos_sha256": hashlib.sha256(photos.encode()).hexdigest()}


def _load(path: Path) -> dict[str, Any]:
    """What comparison.json holds, or {} (none yet, or not readable)."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def _save(path: Path, result: dict[str, Any]) -> None:
    from desktop_app.atomic_file import write_bytes_atomic

    try:
        write_bytes_atomic(path, (json.dumps(result, indent=1) + "\n").encode())
    except OSError as exc:  # the `done` event still carries it
        log.warning("%s: not written (%s)", path, exc.strerror or exc)


def _tell(result: dict[str, Any], reporter: Reporter | None) -> None:
    if "problem" in result:
        log.warning("the current model was not measured on the held-out photos: %s",
                    result["problem"])
        return
    ev = result["evaluation"]
    message = (f"the current model {result['name']} ({result['bits']} bits), searching for "
               f"the same {ev['queries']} held-out photos among the other {ev['database']}: "
               f"mAP@all {ev['map_all']:.4f}")
    if reporter:
        reporter.log(message)
    else:
        log.info("%s", message)
