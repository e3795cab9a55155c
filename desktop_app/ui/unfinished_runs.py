"""The retrain dialog's memory of unfinished training runs: for each albums folder, the output
folder of a run that was cancelled, failed or cut short, so that starting again with the same
albums hands the trainer that folder and it resumes from the checkpoint there, instead of
starting over in a new folder and leaving the old one behind.

Kept as JSON in paths.models_dir() / RUNS_FILE (a file: the model lists look at folders only).
Saved atomically; a missing or damaged file means that no run is remembered. Only `trained-*`
folders directly in the models folder are ever deleted from here. Which of these runs the
window's start-up notice mentions (those not dismissed as they are now) is decided here too.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

from .. import paths
from ..atomic_file import write_text_atomic

log = logging.getLogger(__name__)

RUNS_FILE = "unfinished-training.json"
RUNS_VERSION = 1
PREFIX = "trained-"


def runs_path() -> Path:
    return paths.models_dir() / RUNS_FILE


def albums_key(albums: str | os.PathLike) -> str:
    """One spelling per albums folder (no trailing slash, symlinks resolved)."""
    return os.path.realpath(os.path.expanduser(os.fspath(albums)))


def load() -> dict[str, str]:
    """{albums folder: unfinished output folder}."""
    path = runs_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("%s: cannot read the unfinished training runs (%s); ignoring them", path, exc)
        return {}
    runs = raw.get("runs") if isinstance(raw, dict) else None
    if not isinstance(runs, dict):
        log.warning("%s: not a list of unfinished training runs; ignoring it", path)
        return {}
    return {k: v for k, v in runs.items() if isinstance(k, str) and isinstance(v, str)}


def _save(runs: dict[str, str]) -> None:
    path = runs_path()
    if not runs:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        return
    write_text_atomic(path, json.dumps({"version": RUNS_VERSION, "runs": runs}, indent=2) + "\n")


def remember(albums: str, out_dir: str | os.PathLike) -> None:
    runs = load()
    runs[albums_key(albums)] = os.fspath(out_dir)
    _save(runs)


def forget(albums: str) -> None:
    """Never raises: a finished run still remembered does no harm (it is not resumable, so the
    next start makes a new folder), where raising would hide the model just trained."""
    runs = load()
    if runs.pop(albums_key(albums), None) is not None:
        try:
            _save(runs)
        except OSError as exc:
            log.warning("%s: cannot forget the finished training of %s (%s)", runs_path(),
                        albums, exc)


def new_output_dir() -> Path:
    """A fresh `trained-<stamp>` folder name in the models folder (not created)."""
    base = paths.models_dir() / f"{PREFIX}{time.strftime('%Y%m%d-%H%M%S')}"
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{base.name}-{n}")
    return out


def has_checkpoint(out_dir: str | os.PathLike) -> bool:
    """Whether the trainer left a resumable checkpoint in out_dir/training (head training's
    checkpoint.pt, or the fine-tuning one)."""
    training = Path(out_dir) / "training"
    return training.is_dir() and any(training.glob("*checkpoint.pt"))


def is_finished(out_dir: str | os.PathLike) -> bool:
    out = Path(out_dir)
    return (out / "model.json").is_file() or any(out.glob("*bit/model.json"))


def resumable(out_dir: str | os.PathLike) -> bool:
    """The folder is still there and holds no finished model: hand it to the trainer again."""
    return Path(out_dir).is_dir() and not is_finished(out_dir)


def is_ours(out_dir: str | os.PathLike) -> bool:
    """Only trainer output folders made by the dialog, directly in the models folder."""
    out = Path(out_dir)
    try:
        return (out.name.startswith(PREFIX)
                and out.resolve().parent == paths.models_dir().resolve())
    except OSError:
        return False


def discard(albums_key_: str, out_dir: str) -> None:
    """Delete the folder of an unfinished run (when it is one of ours), then forget the run.
    Raises OSError when the folder cannot be deleted; the run is then still remembered."""
    if is_ours(out_dir) and Path(out_dir).is_dir():
        shutil.rmtree(out_dir)
        log.info("deleted the unfinished training in %s", out_dir)
    runs = load()
    if runs.pop(albums_key_, None) is not None:
        _save(runs)


def to_continue() -> list[tuple[str, str]]:
    """The remembered runs that can be continued, (albums folder, output folder), the most
    recently changed first: those with a checkpoint, as the dialog offers them (one cut short
    before its first checkpoint has nothing to continue from; it stays remembered). Runs whose
    folder is gone or holds a finished model are forgotten: nothing is left of them to continue
    (a finished model stays where it is). One whose folder cannot be looked at (no permission)
    is neither offered nor forgotten."""
    runs = load()
    kept: dict[str, str] = {}
    offered: dict[str, str] = {}
    for albums, folder in runs.items():
        try:
            if not resumable(folder):
                continue
            kept[albums] = folder
            if has_checkpoint(folder):
                offered[albums] = folder
        except OSError as exc:  # Path.is_file raises on EACCES: at start-up, in a slot
            log.warning("%s: cannot look at the unfinished training there (%s)", folder, exc)
            kept[albums] = folder
    if len(kept) < len(runs):
        try:
            _save(kept)
        except OSError as exc:  # said again at the next start; nothing else depends on it
            log.warning("%s: cannot forget the training runs left nothing to continue (%s)",
                        runs_path(), exc)

    def changed(item: tuple[str, str]) -> float:
        try:
            return Path(item[1]).stat().st_mtime
        except OSError:
            return 0.0

    return sorted(offered.items(), key=changed, reverse=True)


# -- the start-up notice, dismissed ------------------------------------------------------------
# Settings.dismissed_training holds {output folder: run_state(folder)} as they were when the user
# dismissed the notice: it comes back only for a run trained further since, or a new one.

def run_state(out_dir: str | os.PathLike) -> str:
    """Its checkpoints' names, times and sizes: a run trained further (or cut short again) saves
    a checkpoint, which changes this. "" when they cannot be looked at (never taken as
    dismissed)."""
    try:
        found = sorted((Path(out_dir) / "training").glob("*checkpoint.pt"))
        stats = [(p.name, p.stat()) for p in found]
    except OSError:
        return ""
    return ";".join(f"{name}:{st.st_mtime_ns}:{st.st_size}" for name, st in stats)


def states(runs: list[tuple[str, str]]) -> dict[str, str]:
    """{output folder: run_state} of to_continue()'s runs, as a dismissal remembers them."""
    found = {folder: run_state(folder) for _albums, folder in runs}
    return {folder: state for folder, state in found.items() if state}


def not_dismissed(runs: list[tuple[str, str]], dismissed: dict
                  ) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The runs to mention at start-up (in the same order), and the dismissals still true: one
    whose run was trained further, finished or deleted since is dropped (so a hand-edited or
    stale settings entry does no harm)."""
    now = states(runs)
    kept = {folder: state for folder, state in dismissed.items()
            if isinstance(state, str) and state and now.get(folder) == state}
    return [run for run in runs if run[1] not in kept], kept
