"""The model card: the versioned JSON sidecar (`model.json`) that describes an exported encoder.

The card is the authority on preprocessing, bit length and the probe self-test; the ONNX graph
holds no preprocessing. Unknown `format_version`s are refused rather than guessed at.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np

from .errors import ModelError

CARD_FILE = "model.json"
FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = (1,)
INTERPOLATIONS = ("bilinear", "bicubic", "nearest", "lanczos")  # preprocess maps each to Pillow's
# A model may come from anyone (a forum, a colleague): its card's values are bounded so that
# none can exhaust memory. A card is a few KB (the default's is 7 KB; the album names of a
# trained model's labels add some): a bigger model.json is not read whole.
MAX_CARD_BYTES = 16 << 20
# Each photo becomes a float32 [3, H, W] tensor, 12 bytes a pixel, and a few dozen are in flight
# while indexing: 1024 x 1024 is 12.6 MB each (8192 x 8192 was 805 MB, so the probe alone
# asked for gigabytes). Photo encoders take 224-518 px.
MAX_INPUT_SIDE = 1024
# A trained model is named after its albums folder (up to 255 characters) and its length.
MAX_NAME_CHARS = 300
MAX_NOTE_DEPTH = 32  # nesting of the free-form training/evaluation notes (JSON readers recurse)


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

    def settings_differing_from(self, other: ModelCard) -> list[str]:
        """The input/output settings ("input.mean", ...) in which the two cards differ: with
        the same graph, cards that differ here give one photo two different codes."""
        return [f"{section}.{f.name}" for section in ("input", "output")
                for f in fields(getattr(self, section))
                if getattr(getattr(self, section), f.name)
                != getattr(getattr(other, section), f.name)]

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


class _Bad(Exception):
    """A card field that is not what the format says; parse_card names the file and field."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _text(*choices: str, nonempty: bool = False):
    def check(v):
        if not isinstance(v, str) or (choices and v not in choices) or (nonempty and not v):
            raise _Bad("one of " + ", ".join(map(repr, choices)) if choices else "a text")
        return v
    return check


def _int(lo: int, hi: int):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise _Bad(f"a whole number from {lo} to {hi}")
        return v
    return check


def _number(v, nonzero: bool = False) -> float:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if not ok or (nonzero and v == 0):
        raise _Bad("a non-zero number" if nonzero else "a number")
    return float(v)


def _numbers(n: int, nonzero: bool = False):
    def check(v):
        try:
            if isinstance(v, (list, tuple)) and len(v) == n:
                return tuple(_number(x, nonzero) for x in v)
        except _Bad:
            pass
        raise _Bad(f"a list of {n} {'non-zero ' if nonzero else ''}numbers (one per channel)")
    return check


def _size(v) -> tuple[int, int]:
    side = _int(1, MAX_INPUT_SIDE)
    try:
        if isinstance(v, (list, tuple)) and len(v) == 2:
            return side(v[0]), side(v[1])
    except _Bad:
        pass
    raise _Bad(f"[height, width]: 2 whole numbers from 1 to {MAX_INPUT_SIDE}")


def _name(v) -> str:
    """Text for one line of the Model tab and `models list`, and the argument of `models
    activate NAME|DIR`, which takes a folder first (so "." and ".." would name one). Control
    characters stay allowed: they are shown escaped, and a trained model's name holds its album
    folder's, which may have them."""
    if (not isinstance(v, str) or not v.strip() or len(v) > MAX_NAME_CHARS
            or v.strip() in (".", "..")):
        raise _Bad(f"a name of 1 to {MAX_NAME_CHARS} characters, not only spaces, and not "
                   "'.' or '..'")
    return v


def name_problem(name: str) -> str | None:
    """What is wrong with `name` as a model's name (one the card would refuse), or None: for
    the trainer's --name, checked before a run rather than at its export."""
    try:
        _name(name)
    except _Bad as exc:
        return str(exc)
    return None


def _positive(v) -> float:
    if _number(v) <= 0:
        raise _Bad("a number above 0")
    return float(v)


def _hex_codes(v) -> tuple[str, ...]:
    def hexcode(x):
        try:
            bytes.fromhex(x)
        except (TypeError, ValueError):
            raise _Bad("a list of hexadecimal codes") from None
        return x
    if not isinstance(v, (list, tuple)):
        raise _Bad("a list of hexadecimal codes")
    return tuple(hexcode(x) for x in v)


def _sha256(v) -> str:
    if (not isinstance(v, str) or len(v) != 64
            or any(c not in "0123456789abcdef" for c in v.lower())):
        raise _Bad("the 64 hexadecimal digits of the ONNX file's sha256")
    return v.lower()


def _version(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise _Bad("a text such as \"1\"")
    return str(v)


def _onnx_file(v) -> str:
    """A file inside the model folder: never an absolute path or one climbing out with '..'."""
    if not isinstance(v, str) or not v or "\0" in v:
        raise _Bad("a file name inside the model folder")
    for pure in (PurePosixPath(v), PureWindowsPath(v)):
        if pure.is_absolute() or pure.anchor or ".." in pure.parts:
            raise _Bad("a file name inside the model folder (not an absolute path, no '..')")
    return v


def _mapping(v) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise _Bad("an object")
    if _depth(v) > MAX_NOTE_DEPTH:  # writing it back (SQLite, the Model tab) would recurse
        raise _Bad(f"an object nested at most {MAX_NOTE_DEPTH} levels deep")
    return dict(v)


def _depth(v) -> int:
    """How deeply lists and objects nest in v (without recursing: v may nest deeply)."""
    deepest, todo = 0, [(v, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_NOTE_DEPTH:
                todo += [(x, depth + 1) for x in (item.values() if isinstance(item, dict)
                                                  else item)]
    return deepest


# Each section's fields and how each is checked and converted; unknown keys are ignored so a
# newer exporter's extra notes do not break this reader.
_SECTIONS = {
    "input": (InputSpec, {
        "name": _text(nonempty=True), "size": _size, "resize_shorter": _int(1, 8192),
        "crop": _text("center", "none"), "interpolation": _text(*INTERPOLATIONS),
        "color": _text(), "scale": _positive, "mean": _numbers(3),
        "std": _numbers(3, nonzero=True), "layout": _text(), "dtype": _text()}),
    "output": (OutputSpec, {
        "name": _text(nonempty=True), "bits": _int(8, 256), "binarize": _text(),
        "pack": _text()}),
    "probe": (ProbeSpec, {
        "seed": _int(0, 2**63 - 1), "count": _int(1, 64), "generator": _text(),
        "expected_codes_hex": _hex_codes, "max_flipped_bits": _int(0, 256)}),
}
_TOP_FIELDS = {
    "name": _name, "onnx_sha256": _sha256, "model_version": _version,
    "onnx_file": _onnx_file, "opset": _int(1, 1000), "description": _text(),
    "training": _mapping, "evaluation": _mapping,
}


def _checked(fields: dict, raw: dict, prefix: str, where: Path) -> dict[str, Any]:
    values = {}
    for key, check in fields.items():
        if key in raw:
            try:
                values[key] = check(raw[key])
            except _Bad as bad:
                shown = json.dumps(raw[key], default=str)
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                raise ModelError(where, f"the model card's '{prefix}{key}' is {shown}, but it "
                                 f"must be {bad.expected}",
                                 "Correct it in model.json, or re-export the model with "
                                 "`python -m trainer export`") from None
    return values


def _section(raw: Any, where: Path, key: str):
    if not isinstance(raw, dict):
        raise ModelError(where, f"the model card's '{key}' section is missing or not an object",
                         "Re-export the model with `python -m trainer export`")
    cls, fields = _SECTIONS[key]
    return cls(**_checked(fields, raw, f"{key}.", where))


def parse_card(raw: dict[str, Any], where: Path) -> ModelCard:
    """Validate a card dict. `where` names the file in messages."""
    if not isinstance(raw, dict):
        raise ModelError(where, "the model card is not a JSON object",
                         "Re-export the model with `python -m trainer export`")
    # A name holding "\ud83d" (half an emoji: valid JSON, no text) cannot be stored in SQLite.
    # Only the name: the description and the training section name the albums trained on, and
    # an album whose folder name is not UTF-8 ("Caf\udce9") is one the trainer reads and the app
    # shows (its card is stored as JSON escapes).
    name = raw.get("name")
    try:
        if isinstance(name, str):
            name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ModelError(where, f"the model card holds a character that is not valid Unicode "
                         f"(a lone surrogate escape, \\u{ord(name[exc.start]):04x})",
                         "Correct that text in model.json (e.g. the name), or re-export the "
                         "model") from exc
    version = raw.get("format_version")
    if isinstance(version, bool) or version not in SUPPORTED_FORMAT_VERSIONS:
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
        input=_section(raw.get("input"), where, "input"),
        output=_section(raw.get("output"), where, "output"),
        probe=_section(raw.get("probe", {}), where, "probe"),
        **_checked(_TOP_FIELDS, raw, "", where),
    )
    if card.output.binarize != "gt0" or card.output.pack != "numpy.packbits/big":
        raise ModelError(where, "the model card asks for a binarisation or bit packing this "
                         "version of Lookalike does not know", "Update Lookalike")
    if card.input.layout != "NCHW" or card.input.dtype != "float32" or card.input.color != "RGB":
        raise ModelError(where, "the model card asks for an input layout other than float32 "
                         "RGB NCHW", "Re-export the model with `python -m trainer export`")
    if not _pixels_stay_finite(card.input):
        raise ModelError(where, "the model card's 'input.scale', 'input.mean' and 'input.std' "
                         "turn pixel values 0-255 into numbers beyond float32's range, but "
                         "(value * scale - mean) / std must stay a finite number",
                         "Correct them in model.json, or re-export the model with "
                         "`python -m trainer export`")
    return card


def _pixels_stay_finite(spec: InputSpec) -> bool:
    """Whether preprocessing (float32, in to_tensor's order) keeps 0 and 255 finite: a std of
    1e-45 or a scale of 1e300 gives infinities, so NaN codes, for every photo."""
    with np.errstate(all="ignore"):
        values = np.array([[0.0], [255.0]], dtype=np.float32) * np.float32(spec.scale)
        values = (values - np.asarray(spec.mean, dtype=np.float32)) / np.asarray(
            spec.std, dtype=np.float32)
    return bool(np.isfinite(values).all())


def _models_inside(folder: Path) -> list[str]:
    """Names of the sub-folders of `folder` that hold a model card, in name order."""
    try:
        return sorted(p.name for p in folder.iterdir() if (p / CARD_FILE).is_file())
    except OSError:
        return []


def read_card(model_dir: str | Path) -> ModelCard:
    """Read and validate `model_dir/model.json` (no hashing, no ONNX yet)."""
    path = Path(model_dir) / CARD_FILE
    try:
        with open(path, "rb") as f:  # at most MAX_CARD_BYTES + 1: a card of 500 MB is refused
            data = f.read(MAX_CARD_BYTES + 1)
        if len(data) > MAX_CARD_BYTES:
            raise ModelError(path, f"the model card is over {MAX_CARD_BYTES >> 20} MB, but a "
                             "model card is a few KB of text (this is not one, or it is "
                             "damaged)", "Re-export the model with `python -m trainer export`")
        text = data.decode("utf-8")
    except FileNotFoundError:
        inside = _models_inside(Path(model_dir))
        if inside:  # `lookalike train --bits 24 48` makes one folder per length
            shown = ", ".join(f"{name}/" for name in inside)
            raise ModelError(model_dir, f"this folder holds no model of its own but one in each "
                             f"of {shown}", "Choose one of those folders, e.g. "
                             f"{Path(model_dir) / inside[-1]}") from None
        raise ModelError(model_dir, f"this folder has no {CARD_FILE} model card",
                         "Choose a folder made by `lookalike train` or `python -m trainer export`")
    except OSError as exc:
        raise ModelError(path, f"cannot read the model card ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ModelError(path, "the model card is not UTF-8 text",
                         "Re-export the model with `python -m trainer export`") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(path, f"the model card is not valid JSON (line {exc.lineno})",
                         "Re-export the model") from exc
    # Valid JSON that Python's reader refuses: brackets nested past its recursion limit, or a
    # number of over 4,300 digits.
    except (RecursionError, ValueError) as exc:
        raise ModelError(path, "the model card nests lists or objects too deeply, or holds a "
                         "number too long to read", "Re-export the model") from exc
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
