"""The folders a step writes into may hold the user's own files (no torch).

`--out ~/Documents` is an easy slip, and a folder may hold a `model.onnx` or a `config.toml` of
another project: the trainer writes those names whole, so such a file would be lost. A step is
refused, before anything is read or written, when a file it would write over was not written
by the trainer. What the trainer wrote is recognised by its content: a model card, a manifest,
a config.toml of the trainer's sections.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from .errors import TrainerError
from .rundir import CONFIG, LEARNT, MANIFEST, MODEL_FILES, TRAINING

# What a step writes whole into a run folder, beside the files of LEARNT.
RUN_FILES = (MANIFEST, CONFIG, TRAINING, "comparison.json", "exports.json")
# The trainer saves the whole resolved configuration: every one of these sections, always. A
# TOML of only some of them ([train] batch_size and device, [data] seed) is as likely another
# project's, and the step would read it as settings and then write over it.
CONFIG_SECTIONS = {"data", "backbone", "train", "head", "finetune"}
# Keys every manifest the trainer wrote holds (albums.Manifest.to_dict, every version).
MANIFEST_KEYS = {"version", "root", "labels", "seed", "fingerprint", "photos"}


def json_object(path: Path) -> dict | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


def _trainers_config(path: Path) -> bool:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return set(raw) == CONFIG_SECTIONS and all(isinstance(v, dict) for v in raw.values())


def foreign_model_file(folder: Path) -> Path | None:
    """A model.json or model.onnx in `folder` that an export would replace, when no Lookalike
    model card is there (a card the trainer wrote has these keys whatever its version)."""
    present = [folder / name for name in MODEL_FILES if (folder / name).exists()]
    card = json_object(folder / "model.json")
    if not present or (card is not None and {"format_version", "onnx_sha256"} <= set(card)):
        return None
    return next((p for p in present if p.name == "model.json"), present[0])


def foreign_run_file(folder: Path) -> Path | None:
    """A file of the names a run folder holds that the trainer did not write: none when the
    folder's manifest or config.toml is the trainer's (a damaged manifest is made again)."""
    names = [*RUN_FILES, *LEARNT]
    present = sorted({p for name in names for p in folder.glob(name) if p.is_file()})
    if not present:
        return None
    manifest = json_object(folder / MANIFEST)
    if (manifest is not None and MANIFEST_KEYS <= set(manifest)) or \
            _trainers_config(folder / CONFIG):
        return None
    return present[0]


def _refuse(path: Path, option: str | None, model: bool) -> TrainerError:
    what = "the model this step exports would replace it" if model else \
        "this step writes a file of that name there"
    if option:
        hint = f"Give {option} another folder, e.g. a new one (nothing in this one was changed)"
    else:
        hint = "Give the run folder that the `prepare` step (or `run`, in MODEL_DIR/training) made"
    return TrainerError(path, f"this file was not written by the Lookalike trainer, and {what}",
                        hint, option=option, problem="not-ours" if option else None)


def check_not_foreign(args) -> None:
    """Raise TrainerError naming the first file of the user's that this command would write
    over (`--out` of run, prepare and export; RUN_DIR of train and evaluate)."""
    command = args.command
    if command in ("train", "evaluate"):
        folders = [(Path(args.run_dir).expanduser(), None, False)]
    elif command == "prepare":
        folders = [(Path(args.out).expanduser(), "--out", False)]
    elif command == "export":
        folders = [(Path(args.out).expanduser(), "--out", True)]
    elif command == "run":
        out = Path(args.out).expanduser()
        lengths = [d for d in out.glob("*bit") if re.fullmatch(r"\d+bit", d.name)] \
            if out.is_dir() else []
        folders = [(out / "training", "--out", False), (out, "--out", True),
                   *((d, "--out", True) for d in sorted(lengths))]
    else:
        return
    for folder, option, model in folders:
        if not folder.is_dir():
            continue
        found = foreign_model_file(folder) if model else foreign_run_file(folder)
        if found is not None:
            raise _refuse(found, option, model)
