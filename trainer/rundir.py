"""A run directory: its file names, and what of an existing one may be reused.

Running again into a folder must never continue from what was learnt on other albums, another
split or other backbone settings: the manifest decides whether the photos are read again, the
checkpoint identity whether training resumes, and files learnt from old albums are deleted.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import config as config_mod
from .albums import AlbumError, Manifest, listing_digest
from .wording import command

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CHECKPOINT = "checkpoint.pt"
FINETUNE_CHECKPOINT = "finetune-checkpoint.pt"
HEADS = "heads.pt"
BACKBONE = "backbone.pt"
TUNED_FROM = "backbone.json"  # the backbone settings backbone.pt was fine-tuned from
CONFIG = "config.toml"
TRAINING = "training.json"
# What an export writes into a model folder (export.export_model).
MODEL_FILES = ("model.onnx", "model.json")
# Learnt from one manifest's photos: stale once the albums change.
LEARNT = (CHECKPOINT, FINETUNE_CHECKPOINT, HEADS, BACKBONE, TUNED_FROM, TRAINING,
          "evaluation-[0-9]*.json", "evaluation-[0-9]*-*.png")


def load_manifest(run_dir: Path) -> Manifest | None:
    try:
        return Manifest.load(run_dir / MANIFEST) if (run_dir / MANIFEST).is_file() else None
    except AlbumError:  # unreadable or an old version: the albums are prepared again
        return None


def albums_change(old: Manifest, new: Manifest) -> str:
    """How `new` differs from the manifest a run directory was made from ("" if it does not)."""
    if old.root != new.root:
        return f"was made from other albums ({old.root})"
    if old.fingerprint != new.fingerprint:
        return f"was made before these albums changed ({len(old.photos)} photos then, " \
               f"{len(new.photos)} now)"
    if old.split_digest() != new.split_digest():
        return "was made with another split (data settings)"
    return ""


def clear_learnt(run_dir: Path) -> None:
    for pattern in LEARNT:
        for stale in run_dir.glob(pattern):
            if stale.is_file():  # the trainer's own files only; a user's folder is left alone
                stale.unlink()


def can_resume(albums: str | os.PathLike, run_dir: Path, cfg: dict[str, Any],
               should_stop: Callable[[], bool] | None = None) -> bool:
    """Whether `run` may skip prepare (reading every photo): only to resume a run (finished or
    not) on the same albums folder, its files unchanged since (names, sizes, times), same split
    settings."""
    old = load_manifest(run_dir)
    if old is None or not old.listing or not any(run_dir.glob("*" + CHECKPOINT)):
        return False
    if old.root != str(Path(albums).expanduser().resolve()):
        return False
    try:
        same_data = config_mod.read_saved(run_dir / CONFIG)["data"] == cfg["data"]
    except (OSError, ValueError, AlbumError):
        same_data = False
    # A finished run qualifies too: training then finds its final checkpoint and has nothing
    # left to do, instead of every photo being read again.
    return same_data and listing_digest(albums, should_stop) == old.listing


def checkpoint_identity(manifest: Manifest, cfg: dict[str, Any]) -> dict[str, Any]:
    """What a checkpoint was trained on; one made from anything else is not resumed. The
    backbone section is in it: heads trained on 96-px features mean nothing at 224 px."""
    return {"manifest": manifest.fingerprint, "split": manifest.split_digest(),
            "backbone": backbone_identity(cfg)}


# [backbone] settings left out of identities at their default value: checkpoints saved before
# the setting existed still resume.
OMITTED_AT_DEFAULT = {"weights": "", "flip_average": False}


def backbone_identity(cfg: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cfg["backbone"].items()
            if k not in OMITTED_AT_DEFAULT or v != OMITTED_AT_DEFAULT[k]}


def tuned_from_identity(cfg: dict[str, Any]) -> dict[str, Any]:
    """The settings a fine-tuned backbone.pt is valid for. Flip averaging is left out: it
    changes how the tuned weights are used, not the weights."""
    return {k: v for k, v in backbone_identity(cfg).items() if k != "flip_average"}


def record_tuned_from(run_dir: Path, cfg: dict[str, Any]) -> None:
    """Written right after backbone.pt, whole or not at all."""
    target = run_dir / TUNED_FROM
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(json.dumps(tuned_from_identity(cfg), sort_keys=True), encoding="utf-8")
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def tuned_backbone(run_dir: Path, cfg: dict[str, Any]) -> Path | None:
    """run_dir/backbone.pt when it was fine-tuned from this configuration's backbone settings.
    Another network's weights would fail to load, and the same network at another size or from
    other pretrained weights is not what the settings ask for: frozen training then starts from
    the pretrained backbone, and the log says why."""
    tuned = run_dir / BACKBONE
    if not tuned.is_file():
        return None
    try:
        recorded = json.loads((run_dir / TUNED_FROM).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tuned  # fine-tuned before the record existed: used, as it always was
    except (OSError, ValueError):
        recorded = None
    wanted = json.loads(json.dumps(tuned_from_identity(cfg), sort_keys=True))
    if recorded == wanted:
        return tuned
    said = (str(tuned), json.dumps(recorded, sort_keys=True), json.dumps(wanted, sort_keys=True))
    if said not in _SAID:  # asked several times a run (check, features, train, export)
        _SAID.add(said)
        log.warning("%s was fine-tuned from other backbone settings (%s, now %s): it is not "
                    "used; training starts from the pretrained backbone (--mode finetune tunes "
                    "it again)", tuned, recorded, wanted)
    return None


_SAID: set[tuple[str, str, str]] = set()


IDENTITY_WORDS = {"manifest": "other photos", "split": "another split",
                  "backbone": "other backbone settings", "head": "other head settings",
                  "tuned_backbone": "another fine-tuned backbone",
                  "finetune": "other fine-tuning settings"}


def load_checkpoint(path: Path, identity: dict[str, Any], resume: bool = True
                    ) -> dict[str, Any] | None:
    """The checkpoint at `path` when it may be resumed; else None, and the log says why."""
    saved, why = checkpoint_verdict(path, identity, resume)
    if why:
        log.log(logging.INFO if not resume else logging.WARNING, "%s", why)
    return saved


def will_resume(path: Path, identity: dict[str, Any], resume: bool = True) -> bool:
    """Whether load_checkpoint will resume `path`, found without logging (and with the file's
    tensors mapped, not read): a message about the run says so before training starts."""
    return checkpoint_verdict(path, identity, resume, peek=True)[0] is not None


def checkpoint_verdict(path: Path, identity: dict[str, Any], resume: bool = True,
                       peek: bool = False) -> tuple[dict[str, Any] | None, str]:
    """(the checkpoint, "") when it may be resumed, else (None, why not: "" when there is no
    checkpoint)."""
    import torch

    if not path.is_file():
        return None, ""
    if not resume:
        return None, f"{path} is ignored (--no-resume): training starts afresh"
    try:
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True, mmap=peek)
        except (OSError, RuntimeError):
            if not peek:
                raise
            # mmap needs the zip format of torch.save; an older file is read whole
            saved = torch.load(path, map_location="cpu", weights_only=True)
    except OSError:
        raise
    except Exception as exc:  # noqa: BLE001 - torn or foreign file: only a resume is lost
        # Not torch's text: for a foreign pickle it advises weights_only=False.
        return None, (f"{path} is damaged and cannot be resumed (not a complete checkpoint: "
                      f"{type(exc).__name__}); training starts afresh")
    old = saved.get("identity") if isinstance(saved, dict) else None
    if old == identity:
        return saved, ""
    if not isinstance(old, dict) or "split" not in old:
        return None, (f"{path} was made by an earlier version of the trainer; training starts "
                      "afresh")
    why = []
    for key, now in identity.items():
        if old.get(key) != now:
            words = IDENTITY_WORDS.get(key, key)
            if key == "backbone" and isinstance(old.get(key), dict):
                words += " (" + ", ".join(backbone_changes(old[key], now)) + ")"
            why.append(words)
    return None, (f"{path} was made with "
                  f"{' and '.join(why) or 'another version of the trainer'}; training starts "
                  "afresh")


def backbone_changes(old: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """'size 32 -> 40' for every backbone setting that differs, a setting left out of an
    identity read as its default."""
    def value(d: dict[str, Any], k: str) -> Any:
        return d.get(k, OMITTED_AT_DEFAULT.get(k))

    keys = list(now) + [k for k in old if k not in now]
    return [f"{k} {value(old, k)} -> {value(now, k)}" for k in keys
            if value(old, k) != value(now, k)]


def save_state(obj: Any, path: Path) -> None:
    """torch.save `obj` to `path` whole or not at all: a half-written file never replaces the
    last good one, and a failed write (a full disk) is an OSError naming `path`, where torch's
    writer says only "enforce fail at inline_container.cc" (the OSError is its context)."""
    import torch

    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
        tmp.replace(path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        cause = exc if isinstance(exc, OSError) else exc.__context__
        if isinstance(cause, OSError):
            raise OSError(cause.errno, cause.strerror, str(path)) from exc
        raise


def require_trained(run_dir: Path) -> None:
    """Checked before any feature is extracted: a prepared run may not be trained yet."""
    if not ((run_dir / HEADS).is_file() and (run_dir / TRAINING).is_file()):
        raise AlbumError(run_dir, "this run has no trained model yet",
                         f"Run `{command()} train {run_dir}` first")
