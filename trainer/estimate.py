"""How long `run` would take on this computer, measured before it starts (`trainer estimate`).

No speed is assumed: a short probe runs the configured backbone on the configured device, with
the configured batch size and mirror setting, over a few of the albums' photos (loading it is
timed apart and counted once), times a few head-training steps and checks on synthetic features
of the run's shape (and, when the backbone would be fine-tuned, a few of its forward+backward
steps), and scales each by the run's counts (estimate_plan). Reading the albums takes what the
app's Look inside took (--read-seconds), else the probe's reading scaled; nothing when the run
would resume. Photos whose features the cache holds cost nothing. Evaluating, measuring the
current model and exporting are not counted. Nothing is written.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .album_files import AlbumsFolder
from .albums import AlbumError, Manifest, read_photo
from .errors import Stopped
from .estimate_plan import ZERO, Span, StepCosts, plan_seconds, plan_steps, split_sizes
from .raw_twins import left_out_by_name
from .wording import duration, duration_range

PROBE_PHOTOS = 12  # read and run through the backbone
TIMED = 2  # batches and steps timed after a first, untimed one (first-call costs)
# A CPU's time per photo hardly changes past these batches (which keep the probe to seconds:
# it runs ~10-100 photos/s, and fine-tunes ~4); a GPU's does, so it runs the configured ones.
CPU_BATCH = 8
CPU_FINETUNE_BATCH = 8
COVERS = "reading the photos, features, training"
LEFT_OUT = "evaluating, measuring the current model, exporting"
STOPPED = ("stopped while measuring how long training would take; nothing was written: run the "
           "same command again to measure")


def _check(should_stop: Callable[[], bool] | None) -> None:
    if should_stop and should_stop():
        raise Stopped(STOPPED)


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = work()
    return time.perf_counter() - t0, out


def probe_photos(albums: AlbumsFolder, count: int = PROBE_PHOTOS,
                 should_stop: Callable[[], bool] | None = None) -> tuple[list[Path], list[float]]:
    """Up to `count` readable photo files taken in turn from each album (photos differ most
    across albums: sizes, formats), and the seconds each took to read. Unreadable ones are
    passed over for the next (a run skips them): a few of them first in every album must not
    leave nothing to measure."""
    queues = [list(listing.photos) for listing in albums.listings()]
    picked: list[Path] = []
    seconds: list[float] = []
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                _check(should_stop)
                photo = queue.pop(0)
                took, read = _timed(lambda p=photo: read_photo(p))
                if isinstance(read, str):
                    picked.append(photo)
                    seconds.append(took)
    return picked, seconds


def estimate_run(albums: str | os.PathLike, out_dir: str | os.PathLike | None,
                 cfg: dict[str, Any], read_seconds: float | None = None,
                 should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """The `estimate` event's fields (docs/trainer.md). Raises Stopped on should_stop()."""
    from .pipeline import choose_device, choose_mode, head_config
    from .rundir import can_resume, load_manifest

    t_start = time.perf_counter()
    folder = AlbumsFolder(albums, should_stop)
    run_dir = Path(out_dir) / "training" if out_dir else None
    resumes = bool(run_dir and can_resume(folder, run_dir, cfg, should_stop))
    files = sum(len(listing.photos) for listing in folder.listings())
    # The photos a prepare of these albums found readable (copies once), when it is known;
    # else every photo file found but the RAW+JPEG twins a prepare leaves out (known by their
    # names: raw_twins.py): unreadable ones and copies are counted, and said to be.
    manifest = load_manifest(run_dir) if resumes else _prepared(folder, run_dir, should_stop)
    if manifest is not None:
        photos, labels, paths = len(manifest.photos), len(manifest.labels), manifest.paths()
    else:
        listed = [f for listing in folder.listings() for f in listing.photos]
        twins = left_out_by_name(listed, lambda: _check(should_stop))
        photos, labels = files - len(twins), len(folder.top()[0])
        # As a prepare would list them: the cache knows them when none was unreadable or a copy
        paths = [_resolved(f) for i, f in enumerate(listed) if i not in twins]
    device = choose_device(cfg["train"]["device"])
    mode = choose_mode(cfg, device)
    hcfg = head_config(cfg)
    probe, read_times = probe_photos(folder, should_stop=should_stop)
    if not probe:
        raise AlbumError(folder.given, "no photo of these albums could be read, so there is "
                         "nothing to measure", "Look inside them (`inspect ALBUMS`) to see why")
    read_each = Span.of(read_times)  # the first reading of each, as a run's is
    reading = ZERO if resumes else (Span.exactly(read_seconds)
                                    if read_seconds is not None else read_each.times(files))
    # The feature cache is the computer's, not the run folder's: a new run folder on albums
    # another one extracted has them too.
    cached = _cached_photos(run_dir or Path(os.devnull), paths, cfg)
    steps_done = _steps_done(run_dir, manifest, cfg, hcfg) if resumes and mode == "frozen" \
        else 0
    feat = _time_features(probe, cfg, device, photos, should_stop, run_dir)
    features = (feat["load"] if cached >= photos else feat["setup"]) + \
        feat["per_photo"].times(photos - cached)
    n_fit, n_val = split_sizes(photos, labels, float(cfg["data"]["val_fraction"]),
                               float(cfg["data"]["query_fraction"]))
    head = _time_head(hcfg, cfg, n_fit, n_val, labels, feat["dim"], should_stop)
    training = plan_seconds(hcfg, head, steps_done)
    event: dict[str, Any] = {
        "photos": photos, "photos_read": manifest is not None, "files": files,
        "cached_photos": cached, "labels": labels, "device": device,
        "mode": mode, "resumes": resumes, "covers": COVERS, "not_covered": LEFT_OUT,
        "steps": plan_steps(hcfg), "steps_done": steps_done,
        "per_photo_s": round(feat["per_photo"].mid, 4), "per_step_s": round(head.step.mid, 5),
    }
    if mode == "finetune":
        ft = _time_finetune(probe, cfg, hcfg, device, photos, n_fit, n_val, head, should_stop)
        # Fine-tuning decodes every photo, tunes, then extracts every feature again with the
        # tuned backbone (no cache holds those) before the head is trained on them.
        features = feat["setup"] + feat["per_photo"].times(photos)
        training = ft["decode"] + ft["init"] + ft["train"] + training
        event.update(finetune_steps=ft["steps"], per_finetune_step_s=round(ft["step"].mid, 4))
    total = reading + features + training
    event.update(total.rounded(), read_s=round(reading.mid, 1),
                 features_s=round(features.mid, 1), train_s=round(training.mid, 1),
                 probe_photos=len(probe), probe_s=round(time.perf_counter() - t_start, 1))
    return adds_up(event)


def adds_up(event: dict[str, Any]) -> dict[str, Any]:
    """The typical figure made the parts' sum as rounded (what is shown must add up), and the
    span widened to hold it: rounding each part could put the sum a tenth past the low or high
    end rounded once (2.8 s "typical" in a 2.7 s high end, seen in a test run)."""
    event["seconds"] = round(event["read_s"] + event["features_s"] + event["train_s"], 1)
    event["low_s"] = min(event["low_s"], event["seconds"])
    event["high_s"] = max(event["high_s"], event["seconds"])
    return event


def _prepared(folder: AlbumsFolder, run_dir: Path | None, should_stop) -> Manifest | None:
    """run_dir's manifest when it was made from these albums as they are now (same files,
    sizes and times): a prepare now would find the same photos readable, in the same order."""
    from .albums import listing_digest
    from .rundir import load_manifest

    manifest = load_manifest(run_dir) if run_dir else None
    if manifest is None or not manifest.listing or \
            manifest.root != str(folder.root.resolve()):
        return None
    return manifest if listing_digest(folder, should_stop) == manifest.listing else None


def _resolved(photo: Path) -> str:
    """The photo's path as a prepare lists it (resolved), or as found when it cannot be
    resolved: a link in a loop (resolve() raises RuntimeError before Python 3.13), which a
    prepare leaves out as unreadable, so no cached list holds it anyway."""
    try:
        return str(photo.resolve())
    except (OSError, RuntimeError):
        return str(photo)


def _cached_photos(run_dir: Path, paths: list[str], cfg: dict[str, Any]) -> int:
    """How many of the run's photos (`paths`, as its manifest lists them) have their features
    in the cache (all, or the rows a stopped extraction kept), found as pipeline.run_features
    keys them."""
    from .features import cache_files, cache_key
    from .pipeline import features_cache_dir, features_tag, input_spec

    try:
        tag = features_tag(run_dir, cfg)
    except OSError:  # the weights file is gone: the run will say so
        return 0
    key = cache_key(paths, cfg["backbone"]["name"], input_spec(cfg), tag)
    whole, partial = cache_files(features_cache_dir(), key)
    if whole.is_file():
        return len(paths)
    try:
        return int(np.load(partial, mmap_mode="r").shape[0]) if partial.is_file() else 0
    except (OSError, ValueError):  # damaged: the run extracts those again
        return 0


def _steps_done(run_dir: Path, manifest, cfg: dict[str, Any], hcfg) -> int:
    """The training plan's position in the checkpoint the run would resume (0: none would)."""
    from .pipeline import head_checkpoint_identity
    from .rundir import CHECKPOINT, checkpoint_verdict
    from .training import plan

    saved, _ = checkpoint_verdict(run_dir / CHECKPOINT, head_checkpoint_identity(
        run_dir, manifest, cfg, hcfg), peek=True)
    state = (saved or {}).get("trainer") or {}
    index = int(state.get("task_index", 0))
    return int(state.get("task_step", 0)) + sum(
        n for kind, _, n in plan(hcfg)[:index] if kind in ("train", "frozen"))


def _time_features(probe: list[Path], cfg: dict[str, Any], device: str, photos: int,
                   should_stop, run_dir: Path | None) -> dict[str, Any]:
    """Seconds per photo of the features phase (reading it for the backbone + its share of a
    batch of train.batch_size), the backbone's loading and first batch, and the feature size."""
    from .features import SMALL_JOB, FeatureExtractor, photo_tensor
    from .pipeline import input_spec, load_backbone

    spec = input_spec(cfg)
    load, model = _timed(lambda: load_backbone(run_dir or Path(os.devnull), cfg))
    _check(should_stop)
    decode, tensors = [], []
    for p in probe:
        seconds, tensor = _timed(lambda p=p: photo_tensor(p, spec))
        decode.append(seconds)
        tensors.append(tensor)
    batch_size = int(cfg["train"]["batch_size"])
    if not device.startswith("cuda"):
        batch_size = min(batch_size, CPU_BATCH)
    batch = np.stack([tensors[i % len(tensors)] for i in range(batch_size)])
    extractor = FeatureExtractor(cfg["backbone"]["name"], device=device,
                                 threads=int(cfg["train"]["threads"]) or None, size=spec.size,
                                 model=model, engine="auto" if photos >= SMALL_JOB else "torch")
    first, feats = _timed(lambda: extractor(batch))  # the ONNX export on a CPU, warm-up
    runs = []
    for _ in range(TIMED):
        _check(should_stop)
        runs.append(_timed(lambda: extractor(batch))[0] / batch_size)
    per_decode = sum(decode) / len(decode)
    per_photo = Span.of(runs)
    per_photo = Span(per_photo.low + min(decode), per_photo.mid + per_decode,
                     per_photo.high + max(decode))
    setup = Span.exactly(load) + Span.of([max(0.0, first - r * batch_size) for r in runs])
    return {"load": Span.exactly(load), "setup": setup, "per_photo": per_photo,
            "dim": int(feats.shape[1])}


def _time_head(hcfg, cfg: dict[str, Any], n_fit: int, n_val: int, labels: int, dim: int,
               should_stop) -> StepCosts:
    """Steps and checks of the head on synthetic features shaped as the run's (their values
    do not change the time): the training rows capped at what batches and checks draw from."""
    import torch

    from .training import HeadTrainer

    torch.set_num_threads(int(cfg["train"].get("head_threads", 1)) or 1)  # as run_train does
    fit = min(n_fit, max(hcfg.val_database, hcfg.batch_size))
    n = fit + n_val
    rng = np.random.default_rng(0)
    trainer = HeadTrainer(rng.standard_normal((n, dim), dtype=np.float32),
                          np.arange(n) % max(2, labels), np.arange(fit), np.arange(fit, n), hcfg)
    trainer.train_step()
    steps = []
    for _ in range(TIMED):
        _check(should_stop)
        steps.append(_timed(trainer.train_step)[0])
    val = [_timed(trainer.val_map)[0] for _ in range(2)]
    _check(should_stop)
    importance = _timed(trainer.importance)[0] / trainer.net.bits
    return StepCosts(Span.of(steps), Span.of(val), Span.exactly(importance))


def _time_finetune(probe: list[Path], cfg: dict[str, Any], hcfg, device: str, photos: int,
                   n_fit: int, n_val: int, head: StepCosts, should_stop) -> dict[str, Any]:
    """Fine-tuning's parts: decoding every photo, the backbone's first pass over the training
    photos, and its plan of forward+backward steps and checks (each check runs the backbone
    over the validation database)."""
    from .backbones import backbone_from_config
    from .finetune import FinetuneTrainer, finetune_config, load_uint8
    from .pipeline import input_spec
    from .training import HeadConfig

    spec, ft = input_spec(cfg), cfg["finetune"]
    fcfg = finetune_config(cfg, hcfg)
    decode, images = _timed(lambda: load_uint8(probe, spec))
    batch = fcfg.batch_size if device.startswith("cuda") else min(fcfg.batch_size,
                                                                  CPU_FINETUNE_BATCH)
    n = batch + 2
    tiled = images[np.arange(n) % len(images)]
    trainer = FinetuneTrainer(
        tiled, np.arange(n) % 2, np.arange(batch), np.arange(batch, n),
        HeadConfig.from_dict({**fcfg.to_dict(), "batch_size": batch}),
        backbone_from_config(cfg), spec, device, float(ft["backbone_lr"]), bool(ft["amp"]),
        ft["augment"], str(ft["lr_schedule"]), mix=str(ft["mix"]),
        mix_alpha=float(ft["mix_alpha"]), flip_average=bool(cfg["backbone"].get("flip_average")),
        ema_decay=float(ft.get("ema_decay", 0.0)))
    trainer.train_step()
    steps = []
    for _ in range(TIMED):
        _check(should_stop)
        steps.append(_timed(trainer.train_step)[0] * fcfg.batch_size / batch)
    forward = Span.of([_timed(lambda: trainer.outputs(np.arange(n)))[0] / n for _ in range(2)])
    database = min(fcfg.val_database, n_val + n_fit)
    costs = StepCosts(Span.of(steps), head.val_map, head.importance_per_bit,
                      per_check=forward.times(database))
    return {"decode": Span.exactly(decode / len(probe) * photos),
            "init": forward.times(n_fit), "train": plan_seconds(fcfg, costs),
            "steps": plan_steps(fcfg), "step": costs.step}


def estimate_words(found: dict[str, Any]) -> str:
    """The estimate event as one sentence for a person at a terminal."""
    span = duration_range(found["low_s"], found["seconds"], found["high_s"])
    return (f"{span} on {found['device']} ({found['mode']} backbone, "
            f"{_photos(found)}): reading the photos {duration(found['read_s'])}, "
            f"features {duration(found['features_s'])}, training {duration(found['train_s'])}; "
            f"not counted: {found['not_covered']} (measured in {found['probe_s']} s)")


def _photos(found: dict[str, Any]) -> str:
    if found.get("photos_read", True):
        return f"{found['photos']} photos"
    pairs = (" (RAW+JPEG pairs counted once)" if found.get("files", 0) > found["photos"]
             else "")
    return (f"{found['photos']} photo files{pairs}, not read yet: any that cannot be read or "
            "are copies are counted")
