"""Encoder: one onnxruntime session that turns preprocessed photos into packed binary codes.

Loading a model folder checks the ONNX file's sha256 against its card, runs the card's probe
self-test and checks that its codes vary from picture to picture (code_variety), so a damaged,
mismatched or useless model is refused before it can write a single code, whichever way it came
(imported, copied into the models folder by hand, given with --model).
"""

from __future__ import annotations

import logging
import mmap
import os
import tarfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from ..log import Shown
from .code_variety import check_codes_vary_once
from .errors import ModelError
from .hashing import pack_bits
from .model_card import CARD_FILE, ModelCard, file_sha256, read_card

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
# Protobuf's limit for one message: onnxruntime reads a bigger file whole, then refuses it.
MAX_ONNX_BYTES = 2**31 - 1
_REAL_TYPES = ("tensor(float)", "tensor(double)", "tensor(float16)")  # numpy gives each


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
        archive = _archive_kind(model_dir)
        if archive:
            raise ModelError(model_dir, f"this is a {archive}, not a model folder",
                             "Unpack it first, then choose the folder inside it that holds "
                             "model.onnx and model.json")
        reason = ("this is a file, not a model folder" if model_dir.exists()
                  else "this model folder does not exist")
        raise ModelError(model_dir, reason, "Choose a folder that holds model.onnx and model.json")
    card = read_card(model_dir)
    onnx_path = model_dir / card.onnx_file
    if not onnx_path.is_file():
        raise ModelError(onnx_path, "the model's ONNX file is missing",
                         "Copy the whole model folder again")
    if onnx_path.stat().st_size > MAX_ONNX_BYTES:  # before hashing it (seconds) for nothing
        raise ModelError(onnx_path, f"the ONNX file is {onnx_path.stat().st_size / 1e9:.1f} GB, "
                         "but an ONNX file can hold at most 2 GB (bigger models keep their "
                         "weights in external data files beside it), so it is damaged or not "
                         "an ONNX model", "Copy the whole model folder again or re-export it")
    _refuse_external_data_outside(onnx_path, model_dir)
    if verify_hash:
        actual = file_sha256(onnx_path)
        if actual != card.onnx_sha256:
            raise ModelError(onnx_path, "the ONNX file does not match the sha256 in its model card "
                             "(the file is damaged or belongs to another card)",
                             "Copy the whole model folder again or re-export it")
    return ModelFolder(model_dir, card)


def _archive_kind(path: Path) -> str | None:
    """"zip archive" or "tar archive" when `path` is one (a model shared as one file)."""
    if not path.is_file():  # opening a named pipe (FIFO) would wait for a writer for good
        return None
    try:
        if zipfile.is_zipfile(path):
            return "zip archive"
        if tarfile.is_tarfile(path):  # .tar, .tar.gz, .tgz, .tar.xz, .tar.bz2
            return "tar archive"
    except OSError:  # missing or unreadable: said as before
        pass
    return None


# An ONNX tensor's external_data entry whose key is "location" (protobuf writes the key, field
# 1, then the value, field 2: a path relative to the graph's folder).
_LOCATION_ENTRY = b"\x0a\x08location\x12"


def external_data_locations(onnx_path: Path) -> list[str]:
    """The files the ONNX graph keeps tensors in (ONNX external data), exactly as the graph
    names them, read from the file (the onnx package is not installed with the app)."""
    found: list[str] = []
    try:
        with open(onnx_path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            at = data.find(_LOCATION_ENTRY)
            while at >= 0:
                pos, length, shift = at + len(_LOCATION_ENTRY), 0, 0
                while pos < len(data) and shift < 35:  # the value's length, a varint
                    byte = data[pos]
                    pos += 1
                    length |= (byte & 0x7F) << shift
                    shift += 7
                    if byte < 0x80:
                        break
                location = data[pos:pos + length].decode("utf-8", "surrogateescape")
                if location:
                    found.append(location)
                at = data.find(_LOCATION_ENTRY, pos)
    except (OSError, ValueError):  # unreadable or empty: loading the model says what is wrong
        return []
    return list(dict.fromkeys(found))


def external_data_inside(onnx_path: Path, model_dir: Path, location: str) -> bool:
    """Whether the graph's weight file `location` is one the app may read: inside the model
    folder, or inside the folder the graph file itself really lies in, which is what
    onnxruntime allows. A downloaded model's folder may hold only links into one store (the
    Hugging Face cache: snapshots/REV/model.onnx_data -> ../../blobs/HASH, model.onnx too):
    its weights are where its graph is. A link that leads anywhere else is not followed."""
    if any(pure.is_absolute() or pure.anchor
           for pure in (PurePosixPath(location), PureWindowsPath(location))):
        return False
    try:
        target = (onnx_path.parent / location).resolve()
        return any(target.is_relative_to(root)
                   for root in (model_dir.resolve(), onnx_path.resolve().parent))
    except (OSError, RuntimeError):  # a link loop: not a file the model may use
        return False


def _refuse_external_data_outside(onnx_path: Path, model_dir: Path) -> None:
    """A graph from someone else may name any file as a tensor's data ("../../.ssh/id_rsa",
    "/etc/passwd"): only files inside the model folder are read. onnxruntime 1.32 refuses
    them too, but not every build the app runs with need."""
    for location in external_data_locations(onnx_path):
        if not external_data_inside(onnx_path, model_dir, location):
            # "weights.bin" is in the folder: say that it is a link, and where it leads.
            target = os.path.realpath(onnx_path.parent / location)
            named = os.path.normpath(os.path.join(os.path.realpath(onnx_path.parent), location))
            shown = f"'{location}', a link to {target}" if target != named else f"'{location}'"
            raise ModelError(onnx_path, f"the graph keeps weights in a file outside its model "
                             f"folder ({shown}), which Lookalike does not read",
                             "Use a model whose weight files are all inside its folder "
                             "(re-export it, or ask whoever made it)")


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

        started = time.perf_counter()
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
        # What "which model, on which device" comes down to: the providers the session really
        # got (CUDA asked for falls back to the CPU without a word).
        log.info("model %s (id %s, %d bits) from %s: onnxruntime %s on %s, threads: %d; "
                 "loaded %sin %.2f s", Shown(self.card.name), self.card.model_id[:12], self.bits,
                 Shown(str(model.path)), ort.__version__, ", ".join(self.providers), threads,
                 "and checked " if self_test else "", time.perf_counter() - started)

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
        self._check_input(inputs[spec_in.name])
        self._check_output(outputs[spec_out.name])

    def _check_input(self, graph_input) -> None:
        """float32 [batch, 3, H, W] with the card's H and W, where the graph fixes them: a card
        asking for another size is refused before the probe allocates pictures of that size."""
        shape, (h, w) = graph_input.shape, self.card.input.size
        wanted = ["batch", 3, h, w]
        if graph_input.type != "tensor(float)" or shape is not None and (len(shape) != 4 or any(
                isinstance(got, int) and i > 0 and got != want
                for i, (got, want) in enumerate(zip(shape, wanted)))):
            shown = [d if isinstance(d, int) else "?" for d in shape or []]
            raise ModelError(self.model.onnx_path, f"the graph's input '{graph_input.name}' "
                             f"is {graph_input.type} {shown}, but Lookalike gives it float32 "
                             f"[batch, 3, {h}, {w}] (the card's 'input.size')",
                             "The card and graph do not belong together")

    def _check_output(self, graph_output) -> None:
        """Real numbers [batch, bits], whose sign the app keeps: an int or bool output is
        already rounded, and so not what the card's binarize: gt0 means."""
        shape, bits = graph_output.shape, self.card.output.bits
        if graph_output.type not in _REAL_TYPES or shape is not None and len(shape) != 2:
            shown = [d if isinstance(d, int) else "?" for d in shape or []]
            raise ModelError(self.model.onnx_path, f"the graph's output '{graph_output.name}' "
                             f"is {graph_output.type} {shown}, but Lookalike needs float32 "
                             f"[batch, {bits}]: the real values before the sign",
                             "Re-export the model's outputs before the sign (the raw linear "
                             "layer, or a tanh)")
        if shape and isinstance(shape[-1], int) and shape[-1] != bits:
            raise ModelError(self.model.onnx_path, f"the graph gives {shape[-1]} outputs but "
                             f"the card says {bits} bits",
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
        except ModelError:  # raw_outputs' own, which names the file and the shapes
            raise
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
        # A graph whose output shape onnxruntime cannot tell ahead may give another number of
        # bits, or of rows, than asked: packed, 50 bits look like the card's 52.
        if out.shape != (len(pixels), self.card.output.bits):
            raise ModelError(self.model.onnx_path, f"the graph gives outputs of shape "
                             f"{list(out.shape)} for {len(pixels)} pictures, but the card "
                             f"says [{len(pixels)}, {self.card.output.bits}] (one code of "
                             f"{self.card.output.bits} bits per picture)",
                             "The card and graph do not belong together")
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
    if external_data_locations(onnx_path):  # read from bytes, its weight files would not be found
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
