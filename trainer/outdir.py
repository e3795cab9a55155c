"""The folders a step writes into may hold the user's own files (no torch).

`--out ~/Documents` is an easy slip, and a folder may hold a `model.onnx` or a `config.toml` of
another project: the trainer writes those names whole, so such a file would be lost. A step is
refused, before anything is read or written, when a file it would write over was not written
by the trainer. What the trainer wrote is recognised by its content: a model card, a manifest,
a config.toml of the trainer's sections.
"""

from __future__ import annotations

import json
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


def model_folders(out: Path, lengths) -> dict[int, Path]:
    """Where `run` exports each code length, longest first: one length into `out` itself,
    several each into out/<bits>bit/."""
    lengths = sorted({int(b) for b in lengths}, reverse=True)
    return {b: out if len(lengths) == 1 else out / f"{b}bit" for b in lengths}


def _refuse(path: Path, option: str | None, what: str) -> TrainerError:
    if option:
        hint = (f"Give {option} another folder, e.g. a new one, or move this file out of "
                f"{path.parent} (nothing in this one was changed)")
    else:
        hint = "Give the run folder that the `prepare` step (or `run`, in MODEL_DIR/training) made"
    return TrainerError(path, f"this file was not written by the Lookalike trainer, and {what}",
                        hint, option=option, problem="not-ours" if option else None)


RUN_FILE = "this step writes a file of that name there"


def _run_lengths(args) -> list[int]:
    """The code lengths `run` will export: --bits, else the config (--config, --set, the run
    folder's saved config.toml), as the run itself resolves them."""
    from .cli import _config  # the run's own resolution, so the folders checked are its own

    return _config(args, Path(args.out) / "training")["train"]["bits"]


def check_not_foreign(args) -> None:
    """Raise TrainerError naming the first file of the user's that this command would write
    over (`--out` of run, prepare and export; RUN_DIR of train and evaluate). For `run`, only
    the model folders of the lengths it exports: another model of the user's in --out (in
    out/model.onnx when it writes out/48bit/ and out/32bit/, say) is left as it is."""
    command = args.command
    if command in ("train", "evaluate"):
        folders = [(Path(args.run_dir).expanduser(), None, None)]
    elif command == "prepare":
        folders = [(Path(args.out).expanduser(), "--out", None)]
    elif command == "export":
        folders = [(Path(args.out).expanduser(), "--out",
                    "the model this step exports would replace it")]
    elif command == "run":
        out = Path(args.out).expanduser()
        _check_folder(out / "training", "--out", None)  # first: its config.toml is read next
        lengths = model_folders(out, _run_lengths(args))
        each = (f" (with several lengths, each goes in a <bits>bit folder of {out})"
                if len(lengths) > 1 else "")
        folders = [(folder, "--out", f"this run would write its {bits}-bit model over it{each}")
                   for bits, folder in lengths.items()]
    else:
        return
    for folder, option, model in folders:
        _check_folder(folder, option, model)


def _check_folder(folder: Path, option: str | None, model: str | None) -> None:
    """model: what the step writes over a model file there; None: a run folder."""
    if not folder.is_dir():
        return
    found = foreign_model_file(folder) if model else foreign_run_file(folder)
    if found is not None:
        raise _refuse(found, option, model or RUN_FILE)
