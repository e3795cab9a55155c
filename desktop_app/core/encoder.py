"""Encoder: one onnxruntime session that turns preprocessed photos into packed binary codes.

Loading a model folder checks the ONNX file's sha256 against its card, runs the card's probe
self-test and checks that its codes vary from picture to picture (code_variety), so a damaged,
mismatched or useless model is refused before it can write a single code, whichever way it came
(imported, copied into the models folder by hand, given with --model).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .code_variety import check_codes_vary_once
from .errors import ModelError
from .hashing import pack_bits
from .model_card import CARD_FILE, ModelCard, file_sha256, read_card

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


@dataclass(frozen=True)
class ModelFolder:
    """A validated model on disk: its card and the path of its graph."""

    path: Path
    card: ModelCard

    @property
    def onnx_path(self) -> Path:
        return self.path / self.card.onnx_file


def open_model_folder(model_dir: str | Path, verify_hash: bool = True) -> ModelFolder:
    """Read the card and check the graph's hash. Raises ModelError with a clear message."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        reason = ("this is a file, not a model folder" if model_dir.exists()
                  else "this model folder does not exist")
        raise ModelError(model_dir, reason, "Choose a folder that holds model.onnx and model.json")
    card = read_card(model_dir)
    onnx_path = model_dir / card.onnx_file
    if not onnx_path.is_file():
        raise ModelError(onnx_path, "the model's ONNX file is missing",
                         "Copy the whole model folder again")
    if verify_hash:
        actual = file_sha256(onnx_path)
        if actual != card.onnx_sha256:
            raise ModelError(onnx_path, "the ONNX file does not match the sha256 in its model card "
                             "(the file is damaged or belongs to another card)",
                             "Copy the whole model folder again or re-export it")
    return ModelFolder(model_dir, card)


def probe_inputs(card: ModelCard) -> np.ndarray:
    h, w = card.input.size
    rng = np.random.default_rng(card.probe.seed)
    return rng.random((card.probe.count, 3, h, w), dtype=np.float32)


def default_providers() -> list[str]:
    """CUDA first when this onnxruntime build offers it; the session says what it really got."""
    import onnxruntime as ort

    wanted = os.environ.get("LOOKALIKE_PROVIDER", "").strip().lower()
    available = ort.get_available_providers()
    if wanted == "cpu" or CUDA not in available:
        return [CPU]
    return [CUDA, CPU]


class Encoder:
    """Runs the graph. Thread-safe for `encode_*` calls (onnxruntime sessions are)."""

    def __init__(self, model: ModelFolder, providers: Sequence[str] | None = None,
                 intra_op_threads: int | None = None, self_test: bool = True,
                 check_variety: bool = True) -> None:
        """self_test: the card's preprocessing and probe codes, then (check_variety) codes that
        vary over a dozen pictures; the trainer's export checks that last one itself, to word
        its refusal as its own."""
        import onnxruntime as ort

        self.model = model
        self.card = model.card
        opts = ort.SessionOptions()
        # Leave a core for the GUI and the decoders unless told otherwise.
        threads = intra_op_threads or max(1, (os.cpu_count() or 2) - 1)
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(
                _graph_source(model.onnx_path), sess_options=opts,
                providers=list(providers or default_providers()))
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelError(model.onnx_path, f"onnxruntime cannot load this file ({exc})",
                             "Re-export the model, or choose another model folder") from exc
        self.providers = self.session.get_providers()
        self._check_io()
        if self_test:
            self.check_preprocessing()
            self.run_probe()
            if check_variety:  # after the probe: a damaged model is said to be damaged
                check_codes_vary_once(self)

    # -- setup checks -------------------------------------------------------------------------
    def _check_io(self) -> None:
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name: o for o in self.session.get_outputs()}
        spec_in, spec_out = self.card.input, self.card.output
        if spec_in.name not in inputs:
            raise ModelError(self.model.onnx_path,
                             f"the graph has no input named '{spec_in.name}' "
                             f"(it has {', '.join(inputs)})",
                             "The card and graph do not belong together")
        if spec_out.name not in outputs:
            raise ModelError(self.model.onnx_path,
                             f"the graph has no output named '{spec_out.name}' "
                             f"(it has {', '.join(outputs)})",
                             "The card and graph do not belong together")
        # Photos go in batches of any size: a graph exported with a fixed one would pass its
        # probe (as many pictures) and fail on the first other batch.
        batch = (inputs[spec_in.name].shape or [None])[0]
        if isinstance(batch, int) and batch > 0:
            raise ModelError(self.model.onnx_path,
                             f"the graph takes exactly {batch} picture{'s'[:batch != 1]} at a "
                             "time (its batch size is fixed)",
                             "Re-export it with a dynamic batch axis (torch.onnx.export's "
                             f"dynamic_axes={{'{spec_in.name}': {{0: 'batch'}}}}), or with "
                             "`python -m trainer export`")
        last = outputs[spec_out.name].shape[-1]
        if isinstance(last, int) and last != spec_out.bits:
            raise ModelError(self.model.onnx_path, f"the graph gives {last} outputs but the card "
                             f"says {spec_out.bits} bits",
                             "The card and graph do not belong together")

    def check_preprocessing(self) -> None:
        """Put a small photo through the card's preprocessing: a card that cannot work is refused
        now, not found out on every photo of a scan."""
        from PIL import Image

        from .preprocess import preprocess

        h, w = self.card.input.size
        try:
            for size in ((7, 5), (5, 7)):  # a tiny photo, both orientations
                pixels = preprocess(Image.new("RGB", size, (90, 160, 230)), self.card.input)
                if pixels.shape != (3, h, w) or not np.isfinite(pixels).all():
                    raise ValueError(f"it gives shape {pixels.shape}, not (3, {h}, {w})")
        except Exception as exc:  # whatever the card breaks, refuse the model
            raise ModelError(self.model.path / CARD_FILE, f"the model card's preprocessing does "
                             f"not work ({exc})", "Re-export the model with "
                             "`python -m trainer export`") from exc

    def run_probe(self) -> None:
        expected = self.card.probe.expected_codes_hex
        if not expected:
            raise ModelError(self.model.path, "the model card has no probe codes to self-test with",
                             "Re-export the model with `python -m trainer export`")
        try:
            got = self.encode_pixels(probe_inputs(self.card))
        except Exception as exc:  # onnxruntime's own types, e.g. an input size the graph refuses
            raise ModelError(self.model.path, f"the model cannot encode its own probe ({exc})",
                             "The card and graph do not belong together; re-export the "
                             "model") from exc
        want = np.array([np.frombuffer(bytes.fromhex(h), dtype=np.uint8) for h in expected])
        if want.shape != got.shape:
            raise ModelError(self.model.path, "the probe codes in the card have the wrong length")
        flipped = np.unpackbits(want ^ got, axis=1).sum(axis=1)
        if int(flipped.max()) > self.card.probe.max_flipped_bits:
            raise ModelError(self.model.path,
                             f"the model fails its self-test ({int(flipped.max())} bits differ "
                             f"from the card's probe codes on {', '.join(self.providers)})",
                             "The model folder is damaged or was exported wrongly; re-export it")

    # -- encoding -----------------------------------------------------------------------------
    @property
    def bits(self) -> int:
        return self.card.output.bits

    @property
    def model_id(self) -> str:
        return self.card.model_id

    @property
    def uses_gpu(self) -> bool:
        return CUDA in self.providers

    def raw_outputs(self, pixels: np.ndarray) -> np.ndarray:
        """Real-valued outputs before binarisation, float32 [N, bits]."""
        pixels = np.ascontiguousarray(pixels, dtype=np.float32)
        (out,) = self.session.run([self.card.output.name], {self.card.input.name: pixels})
        return out

    def encode_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """float32 [N, 3, H, W] -> packed codes uint8 [N, ceil(bits/8)]."""
        if len(pixels) == 0:
            return np.zeros((0, self.card.code_bytes), dtype=np.uint8)
        return pack_bits(self.raw_outputs(pixels) > 0)


def _graph_source(onnx_path: Path) -> str | bytes:
    """What onnxruntime opens: the file's path, or its bytes when the path is not UTF-8 text
    (onnxruntime takes only that; a model folder named in Latin-1 on Linux)."""
    path = str(onnx_path)
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        pass
    from .model_registry import _external_data  # import-time cycle: the registry loads models

    if _external_data(onnx_path):  # read from bytes, its weight files would not be found
        raise ModelError(onnx_path, "onnxruntime cannot open a model whose weights are in "
                         "separate files from a folder whose name is not UTF-8 text",
                         "Rename the folder (or one above it) to a name in UTF-8, or import "
                         "the model: `lookalike models import` copies it into Lookalike's "
                         "models folder")
    try:
        return onnx_path.read_bytes()
    except OSError as exc:
        raise ModelError(onnx_path, f"cannot read the model ({exc.strerror or exc})",
                         "Check the file's permissions and the disk") from exc


def load_encoder(model_dir: str | Path, **kwargs) -> Encoder:
    return Encoder(open_model_folder(model_dir), **kwargs)
