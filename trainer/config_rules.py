"""What each setting may hold, checked when the configuration is resolved (before any photo is
read and before config.toml is saved), so a bad value is one clear sentence with exit code 2
instead of a failure deep inside training that config.toml would then repeat on every run."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .albums import AlbumError

BITS_RANGE = (12, 64)  # the code lengths Lookalike makes (the app reads 8 to 256)
# = trainer.backbones.BACKBONES (that module needs torch; a test holds the two equal)
BACKBONE_NAMES = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2",
                  "resnet18", "resnet34", "resnet50", "mobilenet_v3_small", "mobilenet_v3_large",
                  "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_v2_s",
                  "convnext_tiny", "regnet_y_800mf")
CHOICES = {
    "backbone.name": BACKBONE_NAMES,
    "train.mode": ("auto", "frozen", "finetune"),
    "head.merge": ("sum", "mean"),
    "finetune.lr_schedule": ("constant", "cosine"),
    "finetune.mix": ("none", "mixup", "cutmix"),  # = trainer.finetune.MIX_KINDS
}


def _at_least(low: float) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: v >= low), f"{low} or more"


POSITIVE = ((lambda v: v > 0), "above 0")
FRACTION = ((lambda v: 0 <= v < 1), "from 0 up to (not including) 1")
# Numbers outside these bounds fail later, in ways that do not name the setting.
BOUNDS = {
    "data.seed": _at_least(0), "data.val_fraction": FRACTION, "data.query_fraction": FRACTION,
    "backbone.size": ((lambda v: 32 <= v <= 1024), "from 32 to 1024"),
    "train.threads": _at_least(0), "train.batch_size": _at_least(1),
    "train.head_threads": _at_least(0),
    "head.long_bits": ((lambda v: 13 <= v <= 4096), "from 13 to 4096"),
    "head.hidden": _at_least(0), "head.lr": POSITIVE, "head.weight_decay": _at_least(0),
    "head.batch_size": _at_least(1), "head.alpha": POSITIVE, "head.eta": _at_least(0),
    "head.cls_weight": _at_least(0), "head.long_steps": _at_least(1),
    "head.feature_mix": ((lambda v: 0 <= v <= 1), "from 0 to 1"),
    "head.feature_mix_alpha": POSITIVE,
    "head.active_steps": _at_least(0), "head.merge_rounds": _at_least(1),
    "head.frozen_steps": _at_least(1), "head.eval_every": _at_least(1),
    "head.patience": _at_least(1), "head.val_database": _at_least(1), "head.seed": _at_least(0),
    "finetune.batch_size": _at_least(1), "finetune.backbone_lr": POSITIVE,
    "finetune.long_steps": _at_least(1), "finetune.active_steps": _at_least(0),
    "finetune.frozen_steps": _at_least(1), "finetune.eval_every": _at_least(1),
    "finetune.mix_alpha": POSITIVE, "finetune.ema_decay": FRACTION,
}
DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def option_of(where: str) -> str:
    """The option behind a setting's source, for TrainerError.option: the flag that gave it
    ("--bits", "--set head.lr=1" -> "--set"), else --config: a file (a run folder's own
    config.toml too). "train.bits": the configuration itself, whose lengths --bits gives."""
    if where == "train.bits":
        return "--bits"
    return where.split()[0] if where.startswith("--") else "--config"


def _bad(where: str, key: str, value: Any, allowed: str) -> AlbumError:
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    hint = "" if where.startswith("--") else \
        f"Correct it there, or override it with --set {key}=VALUE"
    return AlbumError(where, f"{key} = {shown} is not allowed: it must be {allowed}", hint,
                      option=option_of(where))


def check_value(key: str, value: Any, default: Any, where: str) -> Any:
    """The value to use for `key` (an int for a float setting stays as given); raises AlbumError
    naming the key, the value and what is allowed."""
    if key == "train.bits":
        return check_bits(value, where, lengths=False)  # the range: check_together
    if key == "head.stages":
        if not isinstance(value, list) or not all(_is_int(s) and s >= 1 for s in value):
            raise _bad(where, key, value, "a list of positive whole numbers, e.g. [64, 48, 32]")
        return value
    if key == "train.device":
        if not (isinstance(value, str) and DEVICE.fullmatch(value)):
            raise _bad(where, key, value, '"auto", "cpu", "cuda", "cuda:N" or "mps"')
        return value
    if key == "backbone.weights":  # saved with the run: absolute, so later steps find it
        if not isinstance(value, str):
            raise _bad(where, key, value, "the path of a weights file in quotes, or \"\"")
        return str(Path(value).expanduser().absolute()) if value else ""
    if key == "finetune.augment":  # a bool (flip + batch shift, or none) or the one named kind
        if not (isinstance(value, bool) or value == "crop"):
            raise _bad(where, key, value, 'true, false or "crop"')
        return value
    if key in CHOICES:
        if value not in CHOICES[key]:
            raise _bad(where, key, value, " or ".join(f'"{c}"' for c in CHOICES[key]))
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise _bad(where, key, value, "true or false")
        return value
    if isinstance(default, int) and not _is_int(value):
        raise _bad(where, key, value, "a whole number")
    if isinstance(default, float) and not (_is_number(value) and math.isfinite(value)):
        raise _bad(where, key, value, "a number")
    if isinstance(default, str) and not isinstance(value, str):
        raise _bad(where, key, value, "text in quotes")
    if key in BOUNDS and not BOUNDS[key][0](value):
        raise _bad(where, key, value, BOUNDS[key][1])
    return value


def check_bits(value: Any, where: str, lengths: bool = True) -> list[int]:
    """train.bits: one length or a list of whole numbers; with `lengths`, each from 12 to 64
    (any of them is a stage). Without it only the type is checked: a run folder saved by an
    older trainer may hold other lengths, and --bits replaces them before anything trains."""
    values = value if isinstance(value, list) else [value]
    low, high = BITS_RANGE
    for b in values:
        if not _is_int(b) or (lengths and not low <= b <= high):
            reason = (f"{b!r} bits is not a code length Lookalike makes (it makes {low}- to "
                      f"{high}-bit codes)")
            if not (where.startswith("--") or where == "train.bits"):  # a file: name it there
                raise AlbumError(where, f"train.bits: {reason}", "Correct it there, or "
                                 "override it with --bits, e.g. --bits 48", option="--config")
            raise AlbumError(where, reason, f"Choose --bits from {low} to {high}, e.g. 48",
                             option=option_of(where))
    if not values:
        raise AlbumError(where, "train.bits is empty", "Give at least one length, e.g. --bits 48",
                         option=option_of(where))
    return list(values)


def check_together(cfg: dict[str, Any], lengths: bool = True,
                   bits_from: str = "--bits") -> None:
    """Rules between settings, once every layer is merged. `lengths`: the code lengths must be
    shorter than the long code (only for commands that train: prepare saves train.bits too,
    and `train --bits` may replace them). Stages not shorter than it are simply not used.
    `bits_from`: where train.bits was set (a file, --set or --bits), named if it is wrong."""
    d = cfg["data"]
    if d["val_fraction"] + d["query_fraction"] >= 1:
        raise AlbumError(None, f"data.val_fraction + data.query_fraction = "
                         f"{d['val_fraction'] + d['query_fraction']:g} leaves no training photos",
                         "Keep their sum below 1 (the defaults are 0.1 each)", option="--set")
    long_bits = cfg["head"]["long_bits"]
    if lengths:
        check_bits(cfg["train"]["bits"], bits_from)
    for b in cfg["train"]["bits"] if lengths else ():
        if b >= long_bits:
            raise AlbumError(None, f"{b} bits is not shorter than the long code ({long_bits} "
                             "bits) that the NMLayer chain merges down from",
                             f"Raise head.long_bits (e.g. --set head.long_bits={2 * b})",
                             option="--set")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
