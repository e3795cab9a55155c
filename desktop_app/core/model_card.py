"""The model card: the versioned JSON sidecar (`model.json`) that describes an exported encoder.

The card is the authority on preprocessing, bit length and the probe self-test; the ONNX graph
holds no preprocessing. Unknown `format_version`s are refused rather than guessed at.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelError

CARD_FILE = "model.json"
FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = (1,)


@dataclass(frozen=True)
class InputSpec:
    """How a photo becomes the float32 NCHW tensor the graph expects."""

    name: str = "pixels"
    size: tuple[int, int] = (224, 224)  # (height, width) fed to the network
    resize_shorter: int = 224  # shorter side is resized to this before the crop
    crop: str = "center"  # "center" or "none" (then the resize is straight to `size`)
    interpolation: str = "bilinear"
    color: str = "RGB"
    # pixel = (value_0_255 * scale - mean) / std, per channel
    scale: float = 1.0
    mean: tuple[float, float, float] = (127.0, 127.0, 127.0)
    std: tuple[float, float, float] = (128.0, 128.0, 128.0)
    layout: str = "NCHW"
    dtype: str = "float32"


@dataclass(frozen=True)
class OutputSpec:
    name: str = "codes"
    bits: int = 48
    binarize: str = "gt0"  # bit = value > 0
    pack: str = "numpy.packbits/big"


@dataclass(frozen=True)
class ProbeSpec:
    """A self-test: fixed inputs whose codes the exporter recorded; the app re-computes them."""

    seed: int = 0
    count: int = 4
    generator: str = "numpy.default_rng(seed).random((count, 3, H, W), dtype=float32)"
    expected_codes_hex: tuple[str, ...] = ()
    max_flipped_bits: int = 0  # per probe; a GPU provider may flip a bit sitting exactly at 0


@dataclass(frozen=True)
class ModelCard:
    name: str
    onnx_sha256: str
    input: InputSpec
    output: OutputSpec
    probe: ProbeSpec
    format_version: int = FORMAT_VERSION
    model_version: str = "0"
    onnx_file: str = "model.onnx"
    opset: int = 17
    description: str = ""
    training: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)

    @property
    def model_id(self) -> str:
        """Identity of a model is the hash of its graph: same file, same codes."""
        return self.onnx_sha256

    @property
    def bits(self) -> int:
        return self.output.bits

    @property
    def code_bytes(self) -> int:
        return (self.output.bits + 7) // 8

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input"]["size"] = list(self.input.size)
        d["input"]["mean"] = list(self.input.mean)
        d["input"]["std"] = list(self.input.std)
        d["probe"]["expected_codes_hex"] = list(self.probe.expected_codes_hex)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"


def _section(cls, raw: Any, where: Path, key: str):
    if not isinstance(raw, dict):
        raise ModelError(where, f"the model card's '{key}' section is missing or not an object",
                         "Re-export the model with `python -m trainer export`")
    known = {f for f in cls.__dataclass_fields__}
    values = {k: v for k, v in raw.items() if k in known}
    for k in ("size", "mean", "std", "expected_codes_hex"):
        if k in values:
            values[k] = tuple(values[k])
    try:
        return cls(**values)
    except TypeError as exc:  # pragma: no cover - dataclass signature mismatch
        raise ModelError(where, f"the model card's '{key}' section is invalid ({exc})") from exc


def parse_card(raw: dict[str, Any], where: Path) -> ModelCard:
    """Validate a card dict. `where` names the file in messages."""
    if not isinstance(raw, dict):
        raise ModelError(where, "the model card is not a JSON object")
    version = raw.get("format_version")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        raise ModelError(
            where,
            f"the model card has format_version {version!r}, which this version of Lookalike "
            f"does not understand (it reads {', '.join(map(str, SUPPORTED_FORMAT_VERSIONS))})",
            "Update Lookalike, or re-export the model with this version's trainer",
        )
    for key in ("name", "onnx_sha256"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ModelError(where, f"the model card has no '{key}'",
                             "Re-export the model with `python -m trainer export`")
    card = ModelCard(
        format_version=version,
        name=raw["name"],
        model_version=str(raw.get("model_version", "0")),
        onnx_file=str(raw.get("onnx_file", "model.onnx")),
        onnx_sha256=raw["onnx_sha256"].lower(),
        opset=int(raw.get("opset", 17)),
        description=str(raw.get("description", "")),
        input=_section(InputSpec, raw.get("input"), where, "input"),
        output=_section(OutputSpec, raw.get("output"), where, "output"),
        probe=_section(ProbeSpec, raw.get("probe", {}), where, "probe"),
        training=dict(raw.get("training") or {}),
        evaluation=dict(raw.get("evaluation") or {}),
    )
    if not 8 <= card.output.bits <= 256:
        raise ModelError(where, f"the model card says {card.output.bits} bits; Lookalike "
                         "supports 8 to 256")
    if card.output.binarize != "gt0" or card.output.pack != "numpy.packbits/big":
        raise ModelError(where, "the model card asks for a binarisation or bit packing this "
                         "version of Lookalike does not know", "Update Lookalike")
    if card.input.layout != "NCHW" or card.input.dtype != "float32" or card.input.color != "RGB":
        raise ModelError(where, "the model card asks for an input layout other than float32 "
                         "RGB NCHW", "Re-export the model with `python -m trainer export`")
    if card.input.crop not in ("center", "none"):
        raise ModelError(where, f"unknown crop mode {card.input.crop!r} in the model card")
    return card


def read_card(model_dir: str | Path) -> ModelCard:
    """Read and validate `model_dir/model.json` (no hashing, no ONNX yet)."""
    path = Path(model_dir) / CARD_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(model_dir, f"this folder has no {CARD_FILE} model card",
                         "Choose a folder made by `lookalike train` or `python -m trainer export`")
    except OSError as exc:
        raise ModelError(path, f"cannot read the model card ({exc.strerror or exc})") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(path, f"the model card is not valid JSON (line {exc.lineno})",
                         "Re-export the model") from exc
    return parse_card(raw, path)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_card(card: ModelCard, model_dir: str | Path) -> Path:
    path = Path(model_dir) / CARD_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(card.to_json(), encoding="utf-8")
    tmp.replace(path)
    return path
