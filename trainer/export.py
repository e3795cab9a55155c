"""Export: backbone + folded hash layer -> model.onnx + model.json the app loads.

The export refuses to finish (raises ExportError, writes nothing final) unless
(a) onnxruntime and torch agree on the real-valued outputs within tolerance,
(b) the codes agree bit for bit on the card's probe set, and
(c) the app's own `load_photo` + `preprocess` + `Encoder` give, on real photo files, the same codes
    as the trainer's torch pipeline, and
(d) the codes vary from picture to picture, as the app checks on loading a model (code_variety).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from desktop_app.core.code_variety import check_codes_vary
from desktop_app.core.encoder import Encoder, ModelFolder, load_encoder, probe_inputs
from desktop_app.core.errors import ModelError
from desktop_app.core.hashing import pack_bits
from desktop_app.core.model_card import (
    InputSpec,
    ModelCard,
    OutputSpec,
    ProbeSpec,
    file_sha256,
    write_card,
)

from .backbones import static_same_padding
from .errors import ExportError, Stopped  # defined without torch: the CLI catches them
from .onnx_simplify import simplify_onnx
from .rundir import MODEL_FILES

log = logging.getLogger(__name__)

OPSET = 17
# Real-valued outputs: onnxruntime vs torch, absolute, relative to the outputs' scale.
OUTPUT_TOLERANCE = 1e-3


class Encoder2Codes(nn.Module):
    """What the ONNX graph computes: pixels -> backbone features -> folded Linear -> codes."""

    def __init__(self, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(pixels))


def export_onnx(module: nn.Module, path: str | os.PathLike, size: tuple[int, int],
                output_name: str = "codes", opset: int = OPSET) -> Path:
    """Trace `module` at a fixed H,W (TF SAME padding becomes constants) with a dynamic batch."""
    module = module.eval().cpu()
    dummy = torch.zeros(2, 3, *size)
    with warnings.catch_warnings(), static_same_padding(module, size):
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (dummy,), os.fspath(path), input_names=["pixels"],
                          output_names=[output_name], opset_version=opset,
                          dynamic_axes={"pixels": {0: "batch"}, output_name: {0: "batch"}},
                          do_constant_folding=True, dynamo=False)
    simplify_onnx(path)  # same outputs, a quarter less CPU per photo (see onnx_simplify)
    return Path(path)


def _torch_outputs(module: nn.Module, pixels: np.ndarray, batch: int = 16) -> np.ndarray:
    outs = []
    with torch.inference_mode():
        for i in range(0, len(pixels), batch):
            outs.append(module(torch.from_numpy(np.ascontiguousarray(pixels[i:i + batch])))
                        .float().numpy())
    return np.concatenate(outs) if outs else np.zeros((0, 0), np.float32)


def _check_agreement(what: str, torch_out: np.ndarray, ort_out: np.ndarray) -> dict[str, float]:
    scale = float(np.abs(torch_out).max()) or 1.0
    diff = float(np.abs(torch_out - ort_out).max())
    if diff > OUTPUT_TOLERANCE * max(1.0, scale):
        raise ExportError(f"onnxruntime and torch outputs differ by {diff:.3g} on {what} "
                          f"(tolerance {OUTPUT_TOLERANCE * max(1.0, scale):.3g}); the model was "
                          "not exported")
    flipped = int(((torch_out > 0) != (ort_out > 0)).sum())
    if flipped:
        raise ExportError(f"{flipped} bits differ between onnxruntime and torch on {what}; "
                          "the model was not exported")
    return {"max_abs_diff": diff, "output_scale": scale}


def export_model(backbone: nn.Module, head: nn.Module, out_dir: str | os.PathLike, *,
                 input_spec: InputSpec, bits: int, name: str,
                 check_photos: Sequence[str | os.PathLike] = (), description: str = "",
                 training: dict[str, Any] | None = None,
                 evaluation: dict[str, Any] | None = None, model_version: str = "1",
                 probe_count: int = 4, probe_seed: int = 0,
                 should_stop: Callable[[], bool] | None = None, stopped: str = "") -> Path:
    """Write `out_dir/model.onnx` and `out_dir/model.json`; return out_dir.

    `head` maps backbone features to `bits` real values (a FoldedHead). `check_photos` are real
    photo files for check (c); give a few from the training data. `should_stop`: looked at
    between the steps, before anything is written to out_dir (Stopped(stopped) then); once the
    files are being put in place the export finishes.
    """
    from .features import photo_tensors

    def check_stop() -> None:
        if should_stop and should_stop():
            raise Stopped(stopped)

    out_dir = Path(out_dir)
    module = Encoder2Codes(backbone, head).eval().cpu()
    check_stop()
    with tempfile.TemporaryDirectory(prefix="lookalike-export-") as tmp:
        stage = Path(tmp)
        onnx_path = export_onnx(module, stage / "model.onnx", input_spec.size)
        check_stop()  # the ONNX export and its simplification: the long part
        card = ModelCard(name=name, onnx_sha256=file_sha256(onnx_path), input=input_spec,
                         output=OutputSpec(bits=bits), probe=ProbeSpec(seed=probe_seed,
                                                                       count=probe_count),
                         opset=OPSET, model_version=model_version, description=description,
                         training=dict(training or {}), evaluation=dict(evaluation or {}))
        unchecked = Encoder(ModelFolder(stage, card), providers=["CPUExecutionProvider"],
                            self_test=False)
        # (a) + (b): the probe, through the graph and through torch.
        probe = probe_inputs(card)
        ort_probe = unchecked.raw_outputs(probe)
        torch_probe = _torch_outputs(module, probe)
        checks: dict[str, Any] = {"probe": _check_agreement("the probe set", torch_probe,
                                                            ort_probe)}
        codes = pack_bits(ort_probe > 0)
        card = replace(card, probe=replace(card.probe, expected_codes_hex=tuple(
            c.tobytes().hex() for c in codes)))
        # (c): real photo files through the app's reader, preprocess and encoder.
        if check_photos:
            pixels = photo_tensors(list(check_photos), input_spec)
            torch_codes = pack_bits(_torch_outputs(module, pixels) > 0)
            app_codes = unchecked.encode_pixels(pixels)
            if not np.array_equal(torch_codes, app_codes):
                bad = int(np.unpackbits(torch_codes ^ app_codes, axis=1).sum())
                raise ExportError(f"the app's encoder gives different codes from the trainer on "
                                  f"real photos ({bad} bits differ over {len(check_photos)} "
                                  "photos); the model was not exported")
            checks["photos"] = {"count": len(check_photos)}
        card = replace(card, training={**card.training, "export_checks": checks})
        write_card(card, stage)
        # The app's own loader, self-test included, must accept the folder, and so must its
        # import: codes that vary from photo to photo.
        _check_codes_vary(load_encoder(stage, providers=["CPUExecutionProvider"],
                                       check_variety=False), out_dir)
        check_stop()
        out_dir.mkdir(parents=True, exist_ok=True)
        _install(stage, out_dir, MODEL_FILES)
    log.info("exported %d-bit model to %s", bits, out_dir)
    return out_dir


def _check_codes_vary(encoder: Encoder, out_dir: Path) -> None:
    try:
        check_codes_vary(encoder, out_dir / encoder.card.onnx_file)
    except ModelError as exc:  # said as the export's other refusals are
        # The trainer's own heads end in no squashing: for them the cause is the features
        # (untrained or wrong backbone weights, too few photos), or training that diverged.
        if "not numbers" in exc.reason:
            trained = ("For a model the trainer made: its training diverged; run it again "
                       "with a lower learning rate (--set head.lr=...)")
        else:
            trained = ("For a model the trainer made: its backbone's features do not tell "
                       "these pictures apart; check the backbone weights (--backbone-weights) "
                       "and give each album more photos")
        raise ExportError(f"{exc.path}: {exc.reason}; the model was not exported. "
                          f"{exc.hint}. {trained}.") from exc


def _install(stage: Path, out_dir: Path, names: Sequence[str]) -> None:
    """Copy every file next to its target first, then rename them in: a full disk leaves the
    folder's previous model whole and no half-copied file behind (OSError names the target)."""
    partial = [out_dir / (name + ".partial") for name in names]
    try:
        for name, tmp_target in zip(names, partial):
            try:
                shutil.copyfile(stage / name, tmp_target)
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(out_dir / name)) from exc
        for name, tmp_target in zip(names, partial):
            tmp_target.replace(out_dir / name)
    finally:
        for tmp_target in partial:
            tmp_target.unlink(missing_ok=True)


def card_summary(model_dir: str | os.PathLike) -> dict[str, Any]:
    return json.loads((Path(model_dir) / "model.json").read_text())
