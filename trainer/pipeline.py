"""The steps behind the CLI: prepare, train, evaluate, export, and the one-shot run.

A run directory holds: manifest.json (prepare), config.toml (the resolved configuration),
checkpoint.pt (resumable training state), heads.pt (the folded head at every length),
backbone.pt (only after fine-tuning), training.json, evaluation-<bits>.json and PNG plots.
Backbone features are cached in the user's cache folder (LOOKALIKE_HOME moves it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app import paths as app_paths
from desktop_app.core.errors import PhotoReadError, printable

from . import config as config_mod
from .album_files import AlbumsFolder, albums_folder
from .album_notes import similar_names_note, unbalanced_note, untested_albums_note
from .album_reads import READS, AlbumReads
from .albums import (
    AlbumError,
    Manifest,
    count_loose_photos,
    empty_album_line,
    loose_photos_warning,
    prepare,
    skipped_folders_line,
)
from .config_rules import BITS_RANGE
from .errors import Stopped, WorkerDone
from .out_of_memory import SayOutOfMemory
from .outdir import model_folders
from .progress import Reporter, stoppable_progress
from .rundir import (
    CHECKPOINT,
    CONFIG,
    FINETUNE_CHECKPOINT,
    HEADS,
    MANIFEST,
    MODEL_FILES,
    TRAINING,
    albums_change,
    backbone_changes,
    backbone_identity,
    can_resume,
    checkpoint_identity,
    clear_learnt,
    load_checkpoint,
    load_manifest,
    require_trained,
    save_state,
    tuned_backbone,
    will_resume,
)
from .wording import command, plural

log = logging.getLogger(__name__)


def init_distributed(device: str) -> bool:
    """Join the torchrun process group when launched by torchrun (WORLD_SIZE > 1)."""
    import torch

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if not torch.distributed.is_initialized():
        if device.startswith("cuda"):
            torch.cuda.set_device(torch.device(device))
        torch.distributed.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return True


def _rank() -> int:
    """This process's rank under torchrun: in its process group once it joined one, else the
    RANK torchrun gave it (read with int(), as torch and the CLI read it); 0 when not
    distributed. `train`, `evaluate` and `export` run alone join no group. RANK and WORLD_SIZE
    alone are not torchrun's word (a SLURM script, a notebook or a shell may have set them):
    without torchrun's own TORCHELASTIC_RUN_ID they are no rank, else a step would end at once
    with status 0 and nothing done."""
    import torch

    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank()
    from .torchrun_env import launched_rank

    return launched_rank()


def rank_0_alone() -> None:
    """Under torchrun, work that rank 0 does alone: any other rank ends here (WorkerDone: status
    0, nothing said), as `run` ends them; run by themselves, those steps would all write the
    same files at once."""
    if _rank() != 0:
        raise WorkerDone()


# -- small helpers -----------------------------------------------------------------------------
def choose_device(pref: str = "auto") -> str:
    import torch

    from .devices import cuda_problem, say_cpu_instead

    local = os.environ.get("LOCAL_RANK")  # under torchrun: one GPU per process
    if pref == "auto":
        if torch.cuda.is_available():
            if local is not None and int(os.environ.get("WORLD_SIZE", "1")) > 1:
                # Every rank on its own GPU, or a refusal: a rank whose GPU cannot run, gone
                # to the CPU alone, would join the others' NCCL group with gloo and wait there.
                return _working_cuda("cuda", local)
            device = f"cuda:{local}" if local is not None else "cuda"
            if not (problem := cuda_problem(device)):
                return device
            say_cpu_instead(device, problem)
        return "cpu"
    if pref.startswith("cuda") and not torch.cuda.is_available():
        raise AlbumError(None, "training on CUDA was asked for but no CUDA GPU is available",
                         f"Use --device {_available_devices()} (or auto)", option="--device")
    if pref.startswith("cuda"):
        return _working_cuda(pref, local)
    if pref == "mps" and not _mps_available():
        # torch would not fail here: every step would quietly run on the CPU instead.
        raise AlbumError(None, "training on MPS (an Apple silicon GPU) was asked for but MPS is "
                         "not available on this machine",
                         f"Use --device {_available_devices()} (or auto)", option="--device")
    return pref


def _working_cuda(pref: str, local: str | None) -> str:
    """`pref` ("cuda" or "cuda:N") as the device to use, refused when it cannot run."""
    import torch

    from .devices import cuda_problem

    per_rank = pref == "cuda" and local is not None
    if per_rank:
        # Under torchrun every process takes its own GPU, as with auto: "cuda" would put all
        # of them on the first one, and torch.cuda.set_device refuses a device without index.
        pref = f"cuda:{local}"
    count = torch.cuda.device_count()
    index = torch.device(pref).index
    if index is not None and index >= count:
        have = "cuda:0" if count == 1 else f"cuda:0 to cuda:{count - 1}"
        if per_rank:  # --device cuda:N, cuda and auto would all be wrong for the ranks
            raise AlbumError(None, f"torchrun started the process of LOCAL_RANK {local}, whose "
                             f"GPU is {pref}, but this process sees "
                             f"{plural(count, 'CUDA GPU')} ({have})",
                             f"Start at most {plural(count, 'process', 'processes')} per machine "
                             f"(torchrun --nproc_per_node {count}), or let each process see "
                             "every GPU (CUDA_VISIBLE_DEVICES)", option="--device")
        raise AlbumError(None, f"training on {pref} was asked for but this machine has "
                         f"{plural(count, 'CUDA GPU')} ({have})",
                         f"Use --device {have}, cuda or auto", option="--device")
    if problem := cuda_problem(pref):
        raise AlbumError(None, f"the CUDA GPU {pref} cannot run ({problem})",
                         "Update its NVIDIA driver or install a torch build made for this card, "
                         "or train on the CPU with --device cpu", option="--device")
    return pref


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _available_devices() -> str:
    """'cpu', 'cpu or cuda', 'cpu or mps': the --device values that work on this machine."""
    import torch

    found = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (
        ["mps"] if _mps_available() else [])
    return " or ".join(found)


def choose_mode(cfg: dict[str, Any], device: str) -> str:
    mode = cfg["train"]["mode"]
    if mode == "auto":
        return "finetune" if device.startswith("cuda") else "frozen"
    if mode not in ("frozen", "finetune"):
        raise AlbumError(None, f"unknown training mode {mode!r}", "Use frozen, finetune or auto")
    return mode


def head_config(cfg: dict[str, Any]):
    """HeadConfig whose chain reaches every requested length and stops at the shortest."""
    from .config_rules import check_bits, check_together
    from .training import HeadConfig

    check_together(cfg)  # resolve() checked already; this guards configurations built by hand
    bits = sorted(set(check_bits(cfg["train"]["bits"], "train.bits")), reverse=True)
    h = dict(cfg["head"])
    long_bits = int(h["long_bits"])
    stages = {int(s) for s in h["stages"] if int(s) >= bits[-1]} | set(bits)
    h["stages"] = tuple(sorted((s for s in stages if s < long_bits), reverse=True))
    return HeadConfig.from_dict(h)


def input_spec(cfg: dict[str, Any]):
    from .features import input_spec_for

    return input_spec_for(cfg["backbone"]["name"], size=int(cfg["backbone"]["size"]))


def features_cache_dir() -> Path:
    return app_paths.cache_dir() / "trainer-features"


def _file_tag(path: Path) -> str:
    if not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load_backbone(run_dir: Path, cfg: dict[str, Any]):
    """The pretrained backbone, or the fine-tuned one when this run fine-tuned it, as the
    exported encoder runs it (flip-averaged when backbone.flip_average is set)."""
    import torch

    from .backbones import backbone_from_config, encoder_backbone

    tuned = tuned_backbone(run_dir, cfg)
    # A tuned backbone replaces every pretrained weight: the ImageNet file is not needed then.
    model = backbone_from_config(cfg, pretrained=tuned is None)
    if tuned is not None:
        model.load_state_dict(torch.load(tuned, map_location="cpu", weights_only=True))
    return encoder_backbone(model, cfg).eval()


def check_backbone_weights(run_dir: Path, cfg: dict[str, Any], mode: str) -> None:
    """Raise the backbone's missing-weights error now, not after minutes of reading photos."""
    from .backbones import backbone_from_config, pretrained_weights_file

    if mode == "frozen" and tuned_backbone(run_dir, cfg) is not None:
        return  # load_backbone uses the tuned backbone, which replaces every pretrained weight
    if cfg["backbone"].get("weights"):
        # A file the user named is loaded now: config.toml keeps the setting for later runs,
        # so one that is not this network's weights must be refused before it is saved.
        backbone_from_config(cfg)
        return
    pretrained_weights_file(cfg["backbone"]["name"], cfg["backbone"].get("weights"))


@contextmanager
def photos_as_prepared():
    """A photo of the manifest that is gone or changed since `prepare`: the app's reader says
    "Nothing to do; it will be picked up where it went", but here the albums must be prepared
    again."""
    try:
        yield
    except PhotoReadError as exc:
        raise AlbumError(exc.path, f"{exc.reason}, though it was in the albums when they "
                         "were prepared", "Prepare the albums again (the `prepare` step; "
                         f"`{command()} ALBUMS --out MODEL_DIR` run again does it by itself)",
                         problem="albums-changed") from exc


def run_features(run_dir: Path, manifest: Manifest, cfg: dict[str, Any], device: str,
                 reporter: Reporter | None = None,
                 should_stop: Callable[[], bool] | None = None) -> np.ndarray:
    from .features import extract_features

    # Stoppable before training: there may be no checkpoint to claim yet.
    progress = stoppable_progress(
        reporter, should_stop, "features", "stopped while extracting the backbone features; "
        "those extracted so far are kept: run the same command again to go on from there")

    if reporter:  # loading it and building its ONNX graph take seconds before the first photo
        reporter.progress("features", 0, len(manifest.photos), doing="loading the backbone")
    model = load_backbone(run_dir, cfg)  # first: a missing weights file is named here
    batch = int(cfg["train"]["batch_size"])
    with photos_as_prepared(), SayOutOfMemory(
            run_dir, device, "extracting the backbone features", batch, "train.batch_size",
            "; it goes on from the features extracted so far"):
        return extract_features(
            manifest.paths(), backbone=cfg["backbone"]["name"], spec=input_spec(cfg),
            cache_dir=features_cache_dir(), batch_size=batch,
            device=device, threads=int(cfg["train"]["threads"]) or None, progress=progress,
            model=model, model_tag=features_tag(run_dir, cfg))


def features_tag(run_dir: Path, cfg: dict[str, Any]) -> str:
    """What names the backbone's weights in the feature cache's key: the run's fine-tuned
    backbone (its file's hash), else the pretrained weights (weights_tag: after the backbone was
    loaded, its file exists), and whether the mirror image is averaged in."""
    from .backbones import weights_tag

    tuned = tuned_backbone(run_dir, cfg)
    return (((_file_tag(tuned) if tuned else "") or weights_tag(cfg))
            + ("+flip" if cfg["backbone"].get("flip_average") else ""))


# -- prepare -----------------------------------------------------------------------------------
def _say(reporter: Reporter | None, message: str) -> None:
    if reporter:
        reporter.log(message)
    else:
        log.info("%s", message)


def run_prepare(albums: str | os.PathLike, run_dir: str | os.PathLike, cfg: dict[str, Any],
                reporter: Reporter | None = None,
                should_stop: Callable[[], bool] | None = None) -> Manifest:
    """Write run_dir/manifest.json. When run_dir was made from other albums (another folder,
    other photos or another split), what it learnt from them is deleted and the user told.
    `albums` may be an AlbumsFolder that announce_albums listed: it is not listed again."""
    rank_0_alone()  # `prepare` under torchrun: one reader, one manifest.json
    run_dir = Path(run_dir)
    albums = albums_folder(albums, should_stop)

    # Stoppable: reading thousands of photos takes minutes (what was read is then kept).
    progress = stoppable_progress(reporter, should_stop, "prepare",
                                  "stopped while reading the albums")

    loose = count_loose_photos(albums)
    if loose:  # before reading: it may be why the albums then hold too few photos
        log.warning("%s", loose_photos_warning(albums, loose))
    d = cfg["data"]
    old = load_manifest(run_dir)
    reads = AlbumReads.load(run_dir / READS, albums)
    if reads.entries:
        _say(reporter, f"going on with the albums read before a stop: the photos read then "
             f"({len(reads.entries)}, kept in {run_dir / READS}) are not read again unless "
             "they changed since")
    try:
        manifest = prepare(albums, seed=int(d["seed"]), val_fraction=float(d["val_fraction"]),
                           query_fraction=float(d["query_fraction"]), progress=progress,
                           reads=reads, should_stop=should_stop)
    except (Stopped, KeyboardInterrupt) as exc:
        raise Stopped(keep_reads(reads, run_dir / READS)) from exc
    run_dir.mkdir(parents=True, exist_ok=True)
    change = albums_change(old, manifest) if old is not None else ""
    if change:
        clear_learnt(run_dir)
        _say(reporter, f"{run_dir} {change}: training starts afresh")
    elif old is not None:
        _say(reporter, f"the albums have not changed since {run_dir} was prepared: its "
             "training is reused where the settings match")
    manifest.save(run_dir / MANIFEST)
    (run_dir / READS).unlink(missing_ok=True)  # the manifest holds what was read
    for item in manifest.unreadable:
        log.warning("%s", item["message"])  # the message says it is skipped
    for folder in manifest.empty_albums:  # else an album would drop out of the labels unsaid
        log.warning("%s", empty_album_line(folder, manifest.empty_reasons.get(folder, "")))
    if manifest.skipped_folders:
        _say(reporter, skipped_folders_line(manifest.skipped_folders))
    if note := manifest.copies_note():  # the start event counted files, not photos
        _say(reporter, f"{plural(len(manifest.photos), 'photo')} to train on: {note}")
    for note in (untested_albums_note(manifest), unbalanced_note(manifest),
                 similar_names_note(manifest)):
        if note:
            log.warning("%s", note)
    return manifest


def keep_reads(reads: AlbumReads, path: Path) -> str:
    """Save what a stopped reading of the albums read; the stop's message says what was kept
    and what the same command run again will read."""
    if not reads.kept:
        return ("stopped while reading the albums, before any photo was read; run the same "
                "command again to start")
    try:
        reads.save(path)
    except OSError as exc:  # a full disk: the stop is still what to report
        return (f"stopped while reading the albums; the photos read so far could not be kept "
                f"({path}: {exc.strerror}): run the same command again to read them all")
    return (f"stopped while reading the albums; the photos read so far ({reads.kept} of "
            f"{reads.files} files) are kept in {path}: run the same command again to read only "
            f"the other {reads.files - reads.kept}")


# -- train -------------------------------------------------------------------------------------
def run_train(run_dir: str | os.PathLike, cfg: dict[str, Any], reporter: Reporter | None = None,
              should_stop: Callable[[], bool] | None = None, resume: bool = True
              ) -> dict[str, Any]:
    """Train (frozen or fine-tuned), write heads.pt and training.json; return the summary."""
    import torch

    from .features import cap_threads
    from .training import HeadTrainer
    from .training import Stopped as HeadStopped

    run_dir = Path(run_dir)
    device = choose_device(cfg["train"]["device"])
    mode = choose_mode(cfg, device)
    if mode == "frozen":
        # Frozen mode is minutes on one CPU: under torchrun rank 0 does it alone; the others
        # would only race it on the same feature cache and checkpoint files. `run` joined the
        # process group; nothing here waits on it any more.
        rank = _rank()
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
        if rank != 0:
            raise WorkerDone()
    manifest = Manifest.load(run_dir / MANIFEST)
    check_backbone_weights(run_dir, cfg, mode)  # fine-tuning reads every photo before the model
    hcfg = head_config(cfg)
    if _rank() == 0:  # one writer under torchrun
        config_mod.save(cfg, run_dir / CONFIG)
    cap_threads(int(cfg["train"]["threads"]) or None)
    if reporter:
        reporter.start(len(manifest.photos), len(manifest.labels), device)
    if mode == "finetune":
        from .finetune import finetune_run

        distributed = init_distributed(device)
        finetune_run(run_dir, manifest, cfg, hcfg, device, reporter, should_stop,
                     resume=resume)
        if distributed:
            torch.distributed.barrier()
            rank = torch.distributed.get_rank()
            torch.distributed.destroy_process_group()
            if rank != 0:  # rank 0 refits the heads, evaluates and exports
                raise WorkerDone()
    if mode == "frozen" and (tuned := tuned_backbone(run_dir, cfg)) is not None:
        # --no-resume restarts the heads, not the fine-tuning kept in the run folder: say so
        _say(reporter, f"Frozen training uses the backbone fine-tuned earlier in this run folder "
             f"({tuned}); `--mode finetune --no-resume` tunes it again from the pretrained "
             "weights")
    feats = run_features(run_dir, manifest, cfg, device, reporter, should_stop)
    torch.set_num_threads(int(cfg["train"].get("head_threads", 1)) or 1)
    trainer = HeadTrainer(feats, manifest.multi_hot(), manifest.indices("train"),
                          manifest.indices("val"), hcfg, device="cpu")
    ckpt_path = run_dir / CHECKPOINT
    identity = head_checkpoint_identity(run_dir, manifest, cfg, hcfg)
    saved = load_checkpoint(ckpt_path, identity, resume)
    if saved is not None:
        trainer.load_state(saved["trainer"])
        log.info("resumed from %s at step %d", ckpt_path, trainer.step)

    def save_checkpoint(t: HeadTrainer) -> None:
        save_state({"identity": identity, "trainer": t.state()}, ckpt_path)

    def progress(p: dict[str, Any]) -> None:
        if reporter:
            reporter.progress("train", p["step"], p["steps"], p["stage"], p["bits"], p["loss"],
                              p["val_map"], ran=p["ran"])

    try:
        result = trainer.run(progress, should_stop, save_checkpoint)
    except HeadStopped as exc:
        raise Stopped() from exc
    summary = {
        "mode": mode, "device": device, "backbone": cfg["backbone"]["name"],
        "input_size": int(cfg["backbone"]["size"]),
        "flip_average": bool(cfg["backbone"].get("flip_average")),
        "method": "NMLayer progressive (frozen backbone)" if mode == "frozen" else
        "NMLayer progressive (fine-tuned backbone)",
        "dataset_fingerprint": manifest.fingerprint, "labels": manifest.labels,
        "splits": manifest.counts(), "steps": result.steps, "seconds": round(result.seconds, 1),
        "head": hcfg.to_dict(),
        "stages": [{"bits": s.bits, "val_map": round(s.val_map, 5),
                    "importance_spread": None if s.importance_spread is None else
                    round(s.importance_spread, 4), "health": s.health}
                   for s in result.stages],
    }
    save_state({"heads": {str(b): h.state() for b, h in result.heads.items()},
                "backbone": identity["backbone"],  # what evaluate and export must use
                "importance": {str(s.bits): s.importance for s in result.stages},
                "summary_json": json.dumps(summary)}, run_dir / HEADS)
    (run_dir / TRAINING).write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def head_checkpoint_identity(run_dir: Path, manifest: Manifest, cfg: dict[str, Any], hcfg
                             ) -> dict[str, Any]:
    """What checkpoint.pt must have been made from to resume (hcfg: head_config(cfg))."""
    tuned = tuned_backbone(run_dir, cfg)
    return {**checkpoint_identity(manifest, cfg), "head": hcfg.to_dict(),
            "tuned_backbone": _file_tag(tuned) if tuned else ""}


def training_resumes(run_dir: Path, cfg: dict[str, Any], resume: bool = True) -> bool:
    """Whether run_train(run_dir, cfg) will resume a checkpoint (the fine-tuning one in finetune
    mode), decided as run_train decides it, before anything is said about it."""
    manifest = load_manifest(run_dir)
    if manifest is None or not resume:
        return False
    hcfg = head_config(cfg)
    if choose_mode(cfg, choose_device(cfg["train"]["device"])) == "finetune":
        from .finetune import finetune_checkpoint_identity, finetune_config

        return will_resume(run_dir / FINETUNE_CHECKPOINT, finetune_checkpoint_identity(
            manifest, cfg, finetune_config(cfg, hcfg)))
    return will_resume(run_dir / CHECKPOINT, head_checkpoint_identity(run_dir, manifest, cfg,
                                                                      hcfg))


def load_heads(run_dir: Path) -> dict[str, Any]:
    import torch

    require_trained(run_dir)
    try:
        heads = torch.load(run_dir / HEADS, map_location="cpu", weights_only=True)
    except OSError:
        raise
    except Exception as exc:  # torn (a copy cut short) or not a heads file
        raise AlbumError(run_dir / HEADS, f"this file is damaged ({type(exc).__name__})",
                         f"Run `{command()} train {run_dir}` again to write it "
                         "again") from exc
    if not isinstance(heads, dict) or not isinstance(heads.get("heads"), dict):
        raise AlbumError(run_dir / HEADS, "this is not a heads file of the trainer",
                         f"Run `{command()} train {run_dir}` again to write it again")
    return heads


def folded_head(run_dir: Path, bits: int, cfg: dict[str, Any] | None = None):
    """The `bits`-bit head; with `cfg`, refused unless cfg's backbone settings are those the head
    was trained on (heads of 32-px features on 224-px ones give wrong codes, and no check of
    the export would notice: each runs the same wrong backbone)."""
    from .model import FoldedHead

    saved = load_heads(run_dir)
    trained = saved.get("backbone")  # not in the heads.pt of older trainers: not checked
    if cfg and isinstance(trained, dict) and trained != backbone_identity(cfg):
        changes = ", ".join(backbone_changes(trained, backbone_identity(cfg)))
        raise AlbumError(run_dir / HEADS, "its heads were trained on the features of other "
                         f"backbone settings ({changes})",
                         "Leave the [backbone] settings out of --config and --set (without "
                         "--config the run's own config.toml is used), or train again with "
                         "the new ones", option="--set")
    heads = saved["heads"]
    if str(bits) not in heads:
        has = ", ".join(sorted(heads, key=int))
        low, high = BITS_RANGE
        if not low <= bits <= high:  # no training makes it: say what --bits may be
            raise AlbumError(run_dir, f"there is no {bits}-bit code: code lengths are {low} to "
                             f"{high} bits", f"Give --bits one of this run's lengths ({has})",
                             option="--bits")
        raise AlbumError(run_dir, f"this run has no {bits}-bit head (it has {has})",
                         f"Give --bits one of those, or train again with --bits including "
                         f"{bits} (`{command()} train {run_dir} --bits ...`)", option="--bits")
    return FoldedHead.from_state(heads[str(bits)])


# -- evaluate ----------------------------------------------------------------------------------
def run_evaluate(run_dir: str | os.PathLike, cfg: dict[str, Any], bits: int,
                 reporter: Reporter | None = None, plots: bool = True,
                 should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Query split against the database (every non-query photo). Pure: selects nothing."""
    import torch

    from . import evaluate as ev

    rank_0_alone()  # `evaluate` under torchrun: one evaluation-<bits>.json, said once
    run_dir = Path(run_dir)
    manifest = Manifest.load(run_dir / MANIFEST)
    head = folded_head(run_dir, bits, cfg)  # before the features: it may not exist
    feats = run_features(run_dir, manifest, cfg, "cpu", reporter, should_stop)
    with torch.no_grad():
        codes = head(torch.from_numpy(feats)).numpy() > 0
    labels = manifest.multi_hot()
    q, db = manifest.indices("query"), manifest.indices("database")
    if len(q) == 0:
        raise AlbumError(run_dir, "the query split is empty, so there is nothing to evaluate",
                         "Use more photos per label or a larger data.query_fraction")
    # Stoppable: the bit importance alone is minutes for tens of thousands of photos.
    progress = stoppable_progress(
        reporter, should_stop, "evaluate", f"stopped while evaluating the {bits}-bit model, "
        "whose training is finished and kept: run the same command again to go on from there",
        bits=bits)
    report = ev.evaluate_codes(codes[q], labels[q], codes[db], labels[db], progress=progress)
    report["bits"] = bits
    report["head"] = head_digest(head)  # export takes these numbers only for this very head
    from desktop_app.atomic_file import write_bytes_atomic

    write_bytes_atomic(run_dir / f"evaluation-{bits}.json",
                       (json.dumps(report, indent=1) + "\n").encode())
    if plots:
        ev.plot_report(report, run_dir / f"evaluation-{bits}")
    return report


# -- export ------------------------------------------------------------------------------------
def run_export(run_dir: str | os.PathLike, cfg: dict[str, Any], bits: int,
               out_dir: str | os.PathLike, name: str | None = None,
               reporter: Reporter | None = None,
               should_stop: Callable[[], bool] | None = None) -> Path:
    """Export the bits-bit model to out_dir. Stopped (should_stop) before anything is written
    there; once its files are being put in place, it finishes."""
    from .evaluate import summary as eval_summary
    from .export import export_model

    rank_0_alone()  # `export` under torchrun: one writer of the model folder
    run_dir = Path(run_dir)
    manifest = Manifest.load(run_dir / MANIFEST)
    head = folded_head(run_dir, bits, cfg)  # says so when the run is not trained (yet)
    if reporter:
        reporter.progress("export", 0, 1, bits=bits)
    training = json.loads((run_dir / TRAINING).read_text())
    evaluation = eval_summary(report) if (report := evaluation_of(run_dir, head, bits)) else {}
    train_paths = manifest.paths("train")
    # Album names as text: a folder name that is not UTF-8 (b"M\xe4use") would put a lone
    # surrogate in the card, which strict JSON readers refuse and Qt cannot show.
    labels = [printable(label) for label in manifest.labels]
    description = (f"Trained on {len(manifest.photos)} photos in {len(labels)} albums "
                   f"({', '.join(labels[:8])}{'...' if len(labels) > 8 else ''})")
    with photos_as_prepared():
        out = export_model(
            load_backbone(run_dir, cfg), head, out_dir,
            input_spec=input_spec(cfg), bits=bits,
            name=model_name(manifest.root, bits, out_dir, name, reporter),
            check_photos=train_paths[:: max(1, len(train_paths) // 6)][:6],
            description=description, training={**training, "labels": labels, "bits": bits},
            evaluation=evaluation, should_stop=should_stop,
            stopped=f"stopped while exporting the {bits}-bit model, before writing it ({out_dir} "
            "is as it was); its training is finished and kept: run the same command again to "
            "export it")
    if reporter:
        reporter.progress("export", 1, 1, bits=bits)
    return out


def head_digest(head) -> str:
    """sha256 of a folded head's weights: what an evaluation was measured on."""
    digest = hashlib.sha256()
    for key, tensor in sorted(head.state().items()):
        digest.update(f"{key}{tuple(tensor.shape)}".encode())
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()


def evaluation_of(run_dir: Path, head, bits: int) -> dict[str, Any] | None:
    """run_dir's evaluation-<bits>.json if it measured `head`, else None (said in the log): a
    retraining stopped before its evaluation leaves the previous heads' numbers there, which
    must not go into the new model's card."""
    path = run_dir / f"evaluation-{bits}.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # none yet (or torn): the card has no evaluation, as before `evaluate`
    if isinstance(report, dict) and report.get("head") == head_digest(head):
        return report
    log.warning("%s: this evaluation is not of the %d-bit head now in %s (trained again "
                "since, or measured by an older trainer), so the model card gets no evaluation; "
                "run `%s evaluate %s --bits %d` before the export to add it", path, bits,
                run_dir / HEADS, command(), run_dir, bits)
    return None


def model_name(albums_root: str, bits: int, out_dir: str | os.PathLike, given: str | None,
               reporter: Reporter | None = None) -> str:
    """The exported model's name: `given` (--name) as it is; else the albums folder's name and
    the length ("holiday-48bit"), numbered when another model of the library has that name
    already ("holiday-48bit (2)": model_registry.distinct_model_name)."""
    from desktop_app.core.model_card import MAX_NAME_CHARS
    from desktop_app.core.model_registry import distinct_model_name, model_names_in_use

    if given:
        given = _unicode(given)  # --name from a command line of non-UTF-8 bytes
        if given.lower() in model_names_in_use(besides=out_dir):
            log.warning("another model of this library is called '%s' too: `lookalike models "
                        "activate` will need its folder or id to tell them apart", given)
        return given
    # printable: the app refuses a card whose name holds a lone surrogate, which a folder name
    # that is not UTF-8 gives ("Ferien M\udce4use"), and the export's own check loads the card.
    # Cut to the card's limit: a long folder name that is not UTF-8 shows each byte as 4
    # characters (255 bytes: 1,020), and the card would be refused at export; 8 left for " (2)".
    suffix = f"-{bits}bit"
    base = printable(Path(albums_root).name)[:MAX_NAME_CHARS - len(suffix) - 8] + suffix
    name = distinct_model_name(base, out_dir)
    if name != base:
        _say(reporter, f"this library has a model called '{base}' already: the new one is "
             f"called '{name}'")
    return name


def _unicode(text: str) -> str:
    """text, or printable(text) when it holds a lone surrogate (bytes that are not UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return printable(text)
    return text


# -- run: albums -> model folder ---------------------------------------------------------------
def _check_names(name: str | None, lengths: list[int]) -> None:
    """--name with several lengths names each model NAME-<bits>bit: the CLI checked NAME, and
    a NAME near the card's limit made names the card refuses, found at the run's export."""
    from desktop_app.core.model_card import name_problem

    from .errors import TrainerError

    if not name or len(set(lengths)) < 2:
        return
    for bits in sorted(set(lengths)):
        problem = name_problem(f"{name}-{bits}bit")
        if problem:
            raise TrainerError(None, f"with several --bits each model is called NAME-<bits>bit, "
                               f"and '{name[:40]}…-{bits}bit' is not a model name",
                               f"Give --name {problem}, the '-{bits}bit' included",
                               option="--name", problem="usage")


def run_all(albums: str | os.PathLike, out_dir: str | os.PathLike, cfg: dict[str, Any],
            reporter: Reporter, should_stop: Callable[[], bool] | None = None,
            resume: bool = True, compare_with: str | os.PathLike | None = None,
            name: str | None = None) -> tuple[Path, dict[str, Any], dict[str, Any] | None]:
    """Prepare, train, evaluate and export. One length: the model goes in out_dir; several:
    out_dir/<bits>bit/. Training files stay in out_dir/training/ (resumable). compare_with: an
    app model folder measured on the same held-out photos (trainer.compare), before the export
    so that it is the model out_dir held before this run if it names out_dir. Returns the last
    model folder, its evaluation summary and that comparison (None if not asked for). name:
    --name (several lengths: NAME-<bits>bit each); None: model_name's default."""
    out_dir = Path(out_dir)
    run_dir = out_dir / "training"
    _check_names(name, cfg["train"]["bits"])  # before the run, not at its export
    device = choose_device(cfg["train"]["device"])
    check_backbone_weights(run_dir, cfg, choose_mode(cfg, device))  # before the albums are read
    # Under torchrun every rank runs this: only rank 0 reads the albums and writes the run
    # folder, the others wait for it (two writers would race on manifest.json).
    distributed = init_distributed(device)
    waiting = _prepare_wait_group() if distributed else None
    failure: BaseException | None = None
    try:
        if _rank() == 0:
            _prepare_unless_resumable(albums, run_dir, cfg, reporter, should_stop, resume)
    except BaseException as exc:  # noqa: BLE001 - re-raised once the other ranks are released
        failure = exc
    if distributed:
        _hand_over_prepared(failure, waiting)
    if failure is not None:
        raise failure
    run_train(run_dir, cfg, reporter, should_stop, resume=resume)
    compared = None
    if compare_with:
        from .compare import compare_on_run

        compared = compare_on_run(compare_with, run_dir, cfg, reporter, should_stop)
    # The folders the out-folder check (outdir.check_not_foreign) looked into.
    folders = model_folders(out_dir, cfg["train"]["bits"])
    evaluation: dict[str, Any] = {}
    targets = []
    for bits, target in folders.items():
        report = run_evaluate(run_dir, cfg, bits, reporter, should_stop=should_stop)
        run_export(run_dir, cfg, bits, target, reporter=reporter,
                   name=f"{name}-{bits}bit" if name and len(folders) > 1 else name,
                   should_stop=should_stop)
        from .evaluate import summary

        evaluation = summary(report)
        targets.append(target)
    # Once every new model is in place: a model of the other layout (or of a length no longer
    # asked for) left next to them would be what `lookalike models activate out_dir` picks.
    removed, left = remove_earlier_models(out_dir, run_dir, targets)
    if removed:
        _say(reporter, "removed the model files this folder's earlier runs exported: "
             + ", ".join(str(f) for f in removed))
    if left:
        log.warning("%s: a model this run did not make, left as it is; `lookalike models "
                    "activate %s` would take it, not the new one(s) (%s)", left, out_dir,
                    ", ".join(str(t) for t in targets))
    record_exports(run_dir, out_dir, targets)
    return targets[-1], evaluation, compared


class RankZeroFailed(SystemExit):
    """Ends a torchrun rank other than 0 whose run rank 0 could not prepare: with status 1 and
    no message (rank 0 says why; a second error event would be the one a reader keeps)."""

    def __init__(self) -> None:
        super().__init__(1)


# How long the other ranks wait for rank 0 to read the albums: a first reading of a large
# albums folder on a NAS takes hours, past the process group's timeout (10 min with NCCL, 30
# with gloo), and they would die of it. Rank 0 failing ends them at once (and torchrun ends
# them when it dies), so this bounds only a rank 0 that hangs.
PREPARE_WAIT = timedelta(hours=24)


def _prepare_wait_group():
    """A gloo group of every rank for that wait alone, with its own timeout (the training's
    collectives keep theirs); made by every rank together, before rank 0 prepares."""
    import torch

    return torch.distributed.new_group(backend="gloo", timeout=PREPARE_WAIT)


def _hand_over_prepared(failure: BaseException | None, waiting=None) -> None:
    """Under torchrun: the other ranks wait here (in the `waiting` group) for rank 0's
    preparing, and learn whether it succeeded; if not, they end (RankZeroFailed) rather than
    look for a manifest that is not there. Rank 0 gets here on failure too, so no rank is left
    waiting."""
    import torch

    outcome = [failure is None]
    torch.distributed.broadcast_object_list(outcome, src=0, group=waiting)
    if waiting is not None:
        torch.distributed.destroy_process_group(waiting)
    if not outcome[0]:
        # No rank goes on: all leave the group now, together, as a finished run does (a group
        # left to the exit is, with NCCL, a destroy_process_group warning on every stderr).
        rank = torch.distributed.get_rank()
        torch.distributed.destroy_process_group()
        if rank != 0:
            raise RankZeroFailed()


EXPORTS = "exports.json"  # in the run folder: the model files `run` exported, with their hashes


def record_exports(run_dir: Path, out_dir: Path, written: list[Path]) -> None:
    """Keep in run_dir which model files this run exported (path in out_dir, sha256), so a
    later run into out_dir removes those, and only those, that it does not write again."""
    from desktop_app.atomic_file import write_bytes_atomic
    from desktop_app.core.model_card import file_sha256

    files = {str((folder / name).relative_to(out_dir)): file_sha256(folder / name)
             for folder in written for name in MODEL_FILES if (folder / name).is_file()}
    try:
        write_bytes_atomic(run_dir / EXPORTS, json.dumps({"files": files}, indent=1).encode())
    except OSError as exc:  # only a later clean-up is lost
        log.warning("%s: not written (%s); a later run will leave these models in place",
                    run_dir / EXPORTS, exc.strerror)


def _library_model_folders() -> set[Path] | None:
    """The folders of the models the library (at LOOKALIKE_HOME) knows; None if it cannot be
    read (then nothing is removed: any folder might be one of them)."""
    from desktop_app import paths
    from desktop_app.core.errors import LookalikeError
    from desktop_app.core.store import Store

    if not paths.database_path().is_file():
        return set()
    try:
        with Store(readonly=True) as store:
            return {Path(m["path"]).resolve() for m in store.models() if m["path"]}
    except (LookalikeError, OSError) as exc:
        log.warning("the library's models could not be read (%s): no earlier model file is "
                    "removed", exc)
        return None


def remove_earlier_models(out_dir: Path, run_dir: Path, written: list[Path]
                          ) -> tuple[list[Path], Path | None]:
    """Delete the model files (model.onnx, model.json) that earlier runs of run_dir exported
    into out_dir (run_dir/exports.json), that this run did not write again and that are as they
    were exported; then an emptied <bits>bit/ folder. Nothing else: not another run's model in a
    sub-folder, not a model put there by hand or changed since. Returns (the files removed, a
    model.json left in out_dir by something else, which `models activate out_dir` would take)."""
    from desktop_app.core.model_card import file_sha256

    try:
        recorded = json.loads((run_dir / EXPORTS).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        recorded = {}  # no record (a run before it was kept): nothing is known to be ours
    keep = {(folder / name).resolve() for folder in written for name in MODEL_FILES}
    in_use = _library_model_folders()
    removed, folders = [], set()
    for relative, digest in (recorded.items() if isinstance(recorded, dict) else ()):
        path = out_dir / relative
        if (path.resolve() in keep or path.is_symlink() or not path.is_file()
                or out_dir.resolve() not in path.resolve().parents):
            continue
        if in_use is None or path.parent.resolve() in in_use:
            # The library's model (its active one, maybe: the app trains into its models
            # folder): deleting it would leave the library with no usable model.
            log.warning("%s: kept, since the library uses the model in %s", path, path.parent)
            continue
        try:
            if file_sha256(path) != digest:
                continue  # changed since it was exported: no longer only ours
            path.unlink()
        except OSError as exc:  # the new models are in place: not worth failing the run
            log.warning("%s: this model file of an earlier run could not be removed (%s); "
                        "delete it by hand", path, exc.strerror)
            continue
        removed.append(path)
        if path.parent != out_dir:
            folders.add(path.parent)
    for folder in folders:
        try:
            folder.rmdir()  # only if that left it empty
        except OSError:
            pass
    stray = out_dir / "model.json"
    left = stray if out_dir not in written and stray.is_file() else None
    return removed, left


def _prepare_unless_resumable(albums: str | os.PathLike, run_dir: Path, cfg: dict[str, Any],
                              reporter: Reporter,
                              should_stop: Callable[[], bool] | None = None,
                              resume: bool = True) -> None:
    # Listed once, when first needed: by the check for changes, else by the start report.
    albums = AlbumsFolder(albums, should_stop)
    try:
        resumable = can_resume(albums, run_dir, cfg, should_stop)
    except Stopped as exc:  # its listing's own words ("... again to start") are untrue here
        raise Stopped(f"stopped while checking whether the albums changed since {run_dir} was "
                      "prepared, before any photo was read; what was trained there is kept: "
                      "run the same command again to go on") from exc
    if resumable:
        # A checkpoint of other settings is not resumed: decided now, and said only if so
        # (run_train then says why it starts afresh).
        resumes = training_resumes(run_dir, cfg, resume)
        _say(reporter, f"the albums are unchanged since {run_dir} was prepared: its photos "
             "are not read again" + (", and its training resumes where it stopped" if resumes
                                     else ""))
        return
    announce_albums(albums, reporter, choose_device(cfg["train"]["device"]), should_stop)
    run_prepare(albums, run_dir, cfg, reporter, should_stop)


def announce_albums(albums: str | os.PathLike, reporter: Reporter, device: str,
                    should_stop: Callable[[], bool] | None = None) -> None:
    """The protocol starts with `start`: report the photo files found before reading them."""
    from .albums import count_candidates

    files, labels = count_candidates(albums, should_stop)
    if files:  # else prepare raises its clear message without a misleading start
        reporter.start(files, labels, device)


def spec_dict(cfg: dict[str, Any]) -> dict[str, Any]:
    return asdict(input_spec(cfg))
