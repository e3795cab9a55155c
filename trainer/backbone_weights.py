"""Reading a backbone's pretrained weights from a file, safely and with clear errors.

Every file is read with torch.load(weights_only=True) (no arbitrary objects are unpickled) and
loaded strictly; a missing, unreadable or mismatched file is one sentence naming the file, the
cause and the remedy (BackboneWeightsError, exit code 2 in the trainer's command line).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .errors import TrainerError


class BackboneWeightsError(TrainerError):
    """The backbone's pretrained weights are missing, unreadable or for another network. Its
    remedy concerns --backbone-weights (or backbone.weights) unless `option` says otherwise."""

    def __init__(self, path, reason: str, hint: str = "", *,
                 option: str | None = "--backbone-weights") -> None:
        super().__init__(path, reason, hint, option=option)


def named_weights_file(weights_file: str | Path, arch: str) -> Path:
    """The file a user named for `arch`'s weights; it must exist."""
    path = Path(weights_file).expanduser()
    if not path.is_file():
        raise BackboneWeightsError(
            path, f"the weights file for the {arch} backbone does not exist",
            f"Give the path of a state dict of {arch} with --backbone-weights FILE (or "
            "backbone.weights in the configuration), or leave it empty for the default weights")
    return path


def read_state_dict(path: Path, arch: str) -> dict:
    """A state dict from `path`, loaded without unpickling arbitrary objects. Accepts the
    usual wrappers of a training checkpoint ({"state_dict": ...}, {"model": ...}, DDP's
    "module." prefix)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated, not a torch file, or pickled objects
        raise BackboneWeightsError(
            path, f"cannot be read as PyTorch weights ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})",
            f"Give a state dict of {arch} saved with torch.save") from exc
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise BackboneWeightsError(path, f"holds a {type(state).__name__}, not a state dict",
                                   f"Give a state dict of {arch} saved with torch.save")
    if state and all(isinstance(k, str) and k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def load_strict(net: nn.Module, state: dict, arch: str, source: Path | None) -> None:
    """load_state_dict(strict=True), whose failure is one sentence naming the file."""
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong_shape = [k for k in own if k in state and hasattr(state[k], "shape")
                   and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong_shape:
        example = (missing or unexpected or wrong_shape)[0]
        raise BackboneWeightsError(
            source, f"does not hold weights for the {arch} backbone ({len(missing)} missing, "
            f"{len(unexpected)} unexpected, {len(wrong_shape)} of another shape; e.g. "
            f"{example})",
            f"Give the ImageNet weights of {arch} itself, or choose the backbone they belong to")
    net.load_state_dict(state, strict=True)
