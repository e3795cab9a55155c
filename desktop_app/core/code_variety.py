"""Do a model's codes tell photos apart? Checked whenever a model is loaded (the Encoder's
self-test: import, activate, --model, a folder copied into the models folder by hand, the app's
start) and before the trainer writes one: a model whose outputs never go below zero (it ends in
a sigmoid, softmax...) or do not depend on the photo passes its card's self-test, yet gives
every photo the same code. (A final ReLU does no harm: relu(x) > 0 exactly when x > 0, so the
codes are the same.)

The check encodes a few distinct pictures made here (gradients, patterns, colour patches,
noise; deterministic, nothing downloaded) through the card's own preprocessing. That takes
about 0.2 s with the default model, so a pass is remembered in the cache folder, keyed by the
graph's sha256 (checked against the card on every load) and the card's input settings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from .. import paths
from ..atomic_file import write_text_atomic
from .errors import ModelError
from .preprocess import preprocess

if TYPE_CHECKING:  # the encoder runs this check on loading: no import loop at run time
    from .encoder import Encoder

log = logging.getLogger(__name__)

PROBE_SIDE = 96  # the card's preprocessing resizes them to the model's input size
REMEDY = ("Export the model's outputs before the sign (the raw linear layer, or a tanh), not "
          "squashed by a sigmoid or softmax")
PASSED_FILE = "models-checked.json"  # in paths.cache_dir()
CHECK_VERSION = 1  # raise when the check changes, so models are checked again
KEEP_PASSED = 200  # remembered passes (a few bytes each); the oldest go first


def probe_images(side: int = PROBE_SIDE) -> list[Image.Image]:
    """Twelve pictures unlike one another: flat colours, ramps, patterns and noise."""
    y, x = np.mgrid[0:1:side * 1j, 0:1:side * 1j]
    radius = np.hypot(x - 0.5, y - 0.5)
    quadrants = np.zeros((side, side, 3))
    half = side // 2
    quadrants[:half, :half] = (1, 0, 0)
    quadrants[:half, half:] = (0, 1, 0)
    quadrants[half:, :half] = (0, 0, 1)
    quadrants[half:, half:] = (1, 1, 0)
    grey = lambda a: np.repeat(a[..., None], 3, axis=2)
    flat = lambda rgb: np.broadcast_to(np.array(rgb) / 255, (side, side, 3))
    pictures = [
        flat((0, 0, 0)), flat((255, 255, 255)), flat((90, 160, 230)), flat((200, 120, 40)),
        grey(x), grey(y), np.stack([x, y, 1 - x], axis=2), quadrants,
        grey(((x * 8).astype(int) + (y * 8).astype(int)) % 2),  # checkerboard
        grey(0.5 + 0.5 * np.sin(radius * 40)),  # rings
        np.stack([0.5 + 0.5 * np.sin((x + y) * 20), y, 1 - y], axis=2),  # diagonal stripes
        np.random.default_rng(0).random((side, side, 3)),
    ]
    return [Image.fromarray(np.round(np.asarray(p) * 255).astype(np.uint8))
            for p in pictures]


def check_codes_vary(encoder: Encoder, where: str | os.PathLike | None = None) -> None:
    """Raise ModelError (naming `where`, else the model's ONNX file) unless the model's codes
    vary over the probe pictures.

    Refused: (1) every picture gets the same code; (2) every output lies in [0, 1] and some bit
    never changes. Why (2) needs both: the app keeps the sign of each output, and a model
    exported right gives values centred on zero, so both signs turn up over pictures this
    different; outputs squashed into [0, 1] mean a final sigmoid or softmax (0 only where its
    input was far below zero), and a stuck bit is then its doing. A stuck bit alone is no
    fault: 14 of the bundled default model's 96 bits stay put over these pictures, and so they
    do after a final ReLU, which changes no bit (its outputs, never negative, go above 1)."""
    spec = encoder.card.input
    pixels = np.stack([preprocess(image, spec) for image in probe_images()])
    try:
        outputs = encoder.raw_outputs(pixels)
    except ModelError:
        raise
    except Exception as exc:  # onnxruntime's own types: e.g. a batch size fixed inside the graph
        raise ModelError(where or encoder.model.onnx_path, f"the model cannot encode "
                         f"{len(pixels)} pictures at once ({exc})",
                         "Re-export it so that it takes batches of any size (a dynamic batch "
                         "axis, and no fixed batch size inside the graph)") from exc
    cause = useless_codes_cause(outputs)
    if cause:
        raise ModelError(where or encoder.model.onnx_path, cause, REMEDY)


def check_codes_vary_once(encoder: Encoder) -> None:
    """check_codes_vary, skipped for a model (graph + input settings) that passed before: the
    result is remembered in the cache folder. Only passes are kept, so a refused model says
    why at every load."""
    key = _passed_key(encoder)
    passed = _read_passed()
    if key in passed:
        return
    check_codes_vary(encoder)
    passed = [k for k in _read_passed() if k != key] + [key]  # another process may have added
    try:
        write_text_atomic(paths.cache_dir() / PASSED_FILE,
                          json.dumps({"passed": passed[-KEEP_PASSED:]}))
    except OSError as exc:  # a read-only cache: the check runs again next time, no harm
        log.debug("could not remember that %s passed the code check: %s", encoder.model_id, exc)


def _passed_key(encoder: Encoder) -> str:
    """The graph's sha256 is the card's, which loading checked against the file; the input
    settings decide the pictures the graph sees, the output name which values are read."""
    card = encoder.card
    what = {"check": CHECK_VERSION, "onnx_sha256": card.onnx_sha256,
            "input": asdict(card.input), "output": card.output.name}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _read_passed() -> list[str]:
    try:
        raw = json.loads((paths.cache_dir() / PASSED_FILE).read_text(encoding="utf-8"))
    # None yet, or damaged (RecursionError: brackets nested past the JSON reader's depth):
    # check again, and write it anew.
    except (OSError, ValueError, RecursionError):
        return []
    passed = raw.get("passed") if isinstance(raw, dict) else None
    return [k for k in passed if isinstance(k, str)] if isinstance(passed, list) else []


def useless_codes_cause(outputs: np.ndarray) -> str | None:
    """Why a model's outputs for the probe pictures ([pictures, bits]) make useless codes (see
    check_codes_vary); None if they do not."""
    bits = outputs > 0
    if not np.isfinite(outputs).all():
        return ("the model gives outputs that are not numbers (NaN or infinite) for some of "
                "the probe pictures")
    stuck_mask = (bits == bits[0]).all(axis=0)  # bits no probe picture changes
    same_code = bool(stuck_mask.all())
    never_negative = bool((outputs >= 0).all())
    if same_code and (outputs == outputs[0]).all():
        return ("every probe picture got the same code: the model's outputs do not change "
                "with the picture, so every photo would get the same code")
    if same_code and never_negative:
        return ("every probe picture got the same code: the model's outputs are never "
                "negative (it ends in a sigmoid, softmax or similar) and the app takes the "
                "sign of each output, so every photo would get the same code")
    if same_code:
        return ("every probe picture got the same code, so every photo would get the same "
                "code and search could not tell photos apart")
    stuck = np.flatnonzero(stuck_mask)
    if never_negative and outputs.max() <= 1 and len(stuck):  # a sigmoid's range, not a ReLU's
        more = f" (and {len(stuck) - 1} more)" if len(stuck) > 1 else ""
        return (f"bit {stuck[0]}{more} of the {bits.shape[1]}-bit code (counting from 0) never "
                "changes over the probe pictures and the model's outputs all lie between 0 "
                "and 1 (it ends in a sigmoid or softmax); the app takes the sign of each "
                "output, so those bits say nothing about a photo")
    return None
